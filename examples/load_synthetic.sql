-- Creates demo_ratings and demo_movies from pgrec.synthetic_ratings(): 600 users, 400 films in
-- 6 genres, every user loving one genre. Used by the demo when no MovieLens data is found.
\set ON_ERROR_STOP on
DROP TABLE IF EXISTS demo_ratings, demo_movies;
CREATE TABLE demo_ratings AS
SELECT user_id, item_id, rating, (user_id * 1000 + item_id) AS rated_at FROM pgrec.synthetic_ratings();
CREATE TABLE demo_movies AS
SELECT DISTINCT item_id, format('Film %s (%s)', item_id, name) AS title, ARRAY[name] AS genres
FROM pgrec.synthetic_ratings(),
	LATERAL (SELECT (ARRAY['drama', 'comedy', 'thriller', 'romance', 'animation', 'documentary'])[genre + 1] AS name) g;
ALTER TABLE demo_movies ADD PRIMARY KEY (item_id);
SELECT count(*) AS ratings, count(DISTINCT user_id) AS users, count(DISTINCT item_id) AS films FROM demo_ratings;
