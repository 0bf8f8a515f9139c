-- pgrec demo: a table of embeddings and exact nearest-neighbour queries, all plain SQL.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgrec;

DROP TABLE IF EXISTS demo_items;
CREATE TABLE demo_items (id bigint PRIMARY KEY, name text, e embedding(3));
INSERT INTO demo_items VALUES
	(1, 'action film', '[0.9, 0.1, 0.0]'),
	(2, 'action comedy', '[0.6, 0.6, 0.0]'),
	(3, 'romantic comedy', '[0.1, 0.8, 0.4]'),
	(4, 'romance drama', '[0.0, 0.3, 0.9]'),
	(5, 'war drama', '[0.5, 0.0, 0.8]'),
	(6, 'documentary', '[0.1, 0.1, 0.1]');

\echo '--- items closest to "action comedy" by cosine distance'
SELECT b.name, round((a.e <=> b.e)::numeric, 3) AS cosine_distance
FROM demo_items a JOIN demo_items b ON a.id <> b.id
WHERE a.id = 2
ORDER BY a.e <=> b.e, b.id LIMIT 3;

\echo '--- a visitor who liked items 1 and 3: profile = avg() of their vectors, best by dot product'
WITH profile AS (SELECT avg(e) AS p FROM demo_items WHERE id IN (1, 3))
SELECT name, round((-(e <#> p))::numeric, 3) AS score
FROM demo_items, profile
WHERE id NOT IN (1, 3)
ORDER BY e <#> p, id LIMIT 3;

\echo '--- 100,000 random 64-d embeddings: exact top 5 by Euclidean distance'
DROP TABLE IF EXISTS demo_vectors;
CREATE TABLE demo_vectors AS
SELECT i AS id, array_to_embedding(ARRAY(SELECT random()::real FROM generate_series(1, 64) WHERE i > 0), 64, true) AS e
FROM generate_series(1, 100000) i;
SELECT id, round((e <-> (SELECT e FROM demo_vectors WHERE id = 42))::numeric, 4) AS l2
FROM demo_vectors ORDER BY e <-> (SELECT e FROM demo_vectors WHERE id = 42), id LIMIT 5;
