-- Loads MovieLens 100K into demo_ratings and demo_movies (title and genres). Run psql from the folder that
-- holds ml-100k/, e.g. cd ../shared/data && psql -f /path/to/examples/load_movielens.sql
\set ON_ERROR_STOP on
DROP TABLE IF EXISTS demo_ratings, demo_movies;
CREATE TABLE demo_ratings (user_id bigint, item_id bigint, rating real, rated_at bigint);
CREATE TABLE demo_movies (item_id bigint PRIMARY KEY, title text, genres text[]);
\copy demo_ratings FROM 'ml-100k/u.data'
-- u.item: "id|title|release|video|url|19 genre flags", Latin-1; u.genre names the flags.
CREATE TEMP TABLE raw_movies (line text);
\copy raw_movies FROM 'ml-100k/u.item' WITH (FORMAT text, ENCODING 'LATIN1', DELIMITER E'\x01')
CREATE TEMP TABLE raw_genres (line text);
\copy raw_genres FROM 'ml-100k/u.genre' WITH (FORMAT text, DELIMITER E'\x01')
INSERT INTO demo_movies
SELECT split_part(m.line, '|', 1)::bigint, split_part(m.line, '|', 2),
	(SELECT array_agg(split_part(g.line, '|', 1) ORDER BY split_part(g.line, '|', 2)::int)
	 FROM raw_genres g WHERE g.line <> ''
		AND split_part(m.line, '|', 6 + split_part(g.line, '|', 2)::int) = '1')
FROM raw_movies m;
SELECT count(*) AS ratings, count(DISTINCT user_id) AS users, count(DISTINCT item_id) AS films FROM demo_ratings;
