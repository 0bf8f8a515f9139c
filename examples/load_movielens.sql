-- Loads MovieLens 100K into demo_ratings and demo_movies. Run psql from the folder that
-- holds ml-100k/, e.g. cd ../shared/data && psql -f /path/to/examples/load_movielens.sql
\set ON_ERROR_STOP on
DROP TABLE IF EXISTS demo_ratings, demo_movies;
CREATE TABLE demo_ratings (user_id bigint, item_id bigint, rating real, rated_at bigint);
CREATE TABLE demo_movies (item_id bigint PRIMARY KEY, title text);
\copy demo_ratings FROM 'ml-100k/u.data'
-- u.item: "id|title|release|...", Latin-1; keep the first two fields.
CREATE TEMP TABLE raw_movies (line text);
\copy raw_movies FROM 'ml-100k/u.item' WITH (FORMAT text, ENCODING 'LATIN1', DELIMITER E'\x01')
INSERT INTO demo_movies SELECT split_part(line, '|', 1)::bigint, split_part(line, '|', 2) FROM raw_movies;
SELECT count(*) AS ratings, count(DISTINCT user_id) AS users, count(DISTINCT item_id) AS films FROM demo_ratings;
