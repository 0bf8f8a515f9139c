-- The compact scan (pgrec.compact_scan): the top-k functions read an int8 copy of the factors
-- and re-score in float only the items that can reach the top k. Every result must be the
-- float scan's, ids, order, ties and scores, for recommend(), recommend_for_vector(),
-- recommend_for_interactions(), similar_items() and similar_users(), with exclusions,
-- re-ranking and biases; the copy is made only when asked for (on) or large enough (auto).
SET pgrec.progress = off;
SELECT setseed(0.3);
-- 6,000 items of 24 factors; every seventh is one of 13 rows repeated exactly (tied scores).
CREATE TABLE cs_items AS SELECT i AS item_id,
	ARRAY(SELECT CASE WHEN i % 7 = 0 THEN ((i / 7) % 13 + f - 12)::real / 40
		ELSE (random() - 0.5)::real END FROM generate_series(1, 24) f WHERE i > 0) AS f,
	(random() * 0.1)::real AS b
FROM generate_series(1, 6000) i;
CREATE TABLE cs_groups AS SELECT item_id, 'g' || (item_id % 5) AS grp FROM cs_items;
CREATE TABLE cs_users AS SELECT u AS user_id,
	ARRAY(SELECT (random() - 0.5)::real FROM generate_series(1, 24) WHERE u > 0) AS f
FROM generate_series(1, 300) u;
SELECT pgrec.import_model('cs_model', 'cs_items', 'item_id', 'f', 'cs_users', 'user_id', item_bias_column => 'b') > 0 AS imported;
-- A trained model, whose users' seen items are excluded.
CREATE TABLE cs_clicks AS SELECT DISTINCT (random() * 299 + 1)::int AS user_id, (random() * 3999 + 1)::int AS item_id
FROM generate_series(1, 30000);
SELECT users, items FROM pgrec.train('cs_ials', 'cs_clicks', 'user_id', 'item_id', algorithm => 'ials', factors => 16, epochs => 3);

-- The rows of a query with the float scan and with the compact scan: 'same' and their number,
-- or both results when they differ.
CREATE FUNCTION compact_same(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	float_rows text;
	compact_rows text;
	n bigint;
BEGIN
	PERFORM set_config('pgrec.compact_scan', 'off', true);
	EXECUTE format('SELECT string_agg(x::text, '';''), count(*) FROM (%s) x', query) INTO float_rows, n;
	PERFORM set_config('pgrec.compact_scan', 'on', true);
	EXECUTE format('SELECT string_agg(x::text, '';'') FROM (%s) x', query) INTO compact_rows;
	PERFORM set_config('pgrec.compact_scan', 'auto', true);
	RETURN CASE WHEN float_rows = compact_rows THEN 'same, ' || n || ' rows'
		ELSE 'float: ' || coalesce(float_rows, 'none') || ' compact: ' || coalesce(compact_rows, 'none') END;
END
$$;
CREATE FUNCTION cs_bytes(model text) RETURNS bigint LANGUAGE sql AS
	$$SELECT bytes FROM pgrec.cached_models() WHERE name = model$$;

-- The copy: not made by auto for a matrix of 144,000 floats, made by on (72 bytes an item).
SET pgrec.compact_scan = off;
SELECT count(*) FROM pgrec.recommend('cs_model', 1, 10);
SELECT cs_bytes('cs_model') AS float_bytes \gset
SET pgrec.compact_scan = auto;
SELECT count(*) FROM pgrec.recommend('cs_model', 1, 10);
SELECT cs_bytes('cs_model') = :float_bytes AS auto_made_no_copy;
SET pgrec.compact_scan = on;
SELECT count(*) FROM pgrec.recommend('cs_model', 1, 10);
SELECT cs_bytes('cs_model') - :float_bytes BETWEEN 6000 * 72 AND 6000 * 72 + 65536 AS copy_made;
RESET pgrec.compact_scan;

-- recommend(): every user, k of 1, 10 and 100, one and two threads.
SELECT compact_same($$SELECT u, r.* FROM generate_series(1, 300) u, LATERAL pgrec.recommend('cs_model', u, 10) r$$);
SELECT compact_same($$SELECT u, r.* FROM generate_series(1, 300, 7) u, LATERAL pgrec.recommend('cs_model', u, 100) r$$);
SELECT compact_same($$SELECT u, r.* FROM generate_series(1, 300, 3) u, LATERAL pgrec.recommend('cs_model', u, 1) r$$);
SET pgrec.threads = 1;
SELECT compact_same($$SELECT u, r.* FROM generate_series(1, 300, 2) u, LATERAL pgrec.recommend('cs_model', u, 10) r$$);
RESET pgrec.threads;
-- Seen items of a trained model, an exclude list (each user's float top 5), diversity.
SELECT compact_same($$SELECT u, r.* FROM generate_series(1, 300) u, LATERAL pgrec.recommend('cs_ials', u, 20) r$$);
SELECT compact_same($$SELECT u, r.* FROM generate_series(1, 300, 5) u,
	LATERAL pgrec.recommend('cs_model', u, 10, exclude => ARRAY(SELECT item_id FROM pgrec.recommend('cs_model', u, 5))) r$$);
SELECT compact_same($$SELECT u, r.* FROM generate_series(1, 300, 10) u,
	LATERAL pgrec.recommend('cs_model', u, 10, diversity => 0.5, item_groups => 'cs_groups', max_per_group => 3) r$$);
-- A vector query: a tied row's own vector, and the sum of three items.
SELECT compact_same($$SELECT r.* FROM pgrec.recommend_for_vector('cs_model', (SELECT f::embedding FROM cs_items WHERE item_id = 14), 50) r$$);
SELECT compact_same($$SELECT i, r.* FROM generate_series(1, 6000, 97) i,
	LATERAL pgrec.recommend_for_vector('cs_model', (SELECT sum(f::embedding) FROM cs_items WHERE item_id IN (i, i + 1, i + 2)), 10) r$$);
-- A visitor folded in.
SELECT compact_same($$SELECT i, r.* FROM generate_series(1, 4000, 211) i,
	LATERAL pgrec.recommend_for_interactions('cs_ials', ARRAY[i, i + 3, i + 50]::bigint[], NULL, 10) r$$);
-- Cosine: similar items (ties among the repeated rows) and similar users.
SELECT compact_same($$SELECT i, r.* FROM generate_series(7, 6000, 49) i, LATERAL pgrec.similar_items('cs_model', i, 20) r$$);
SELECT compact_same($$SELECT i, r.* FROM generate_series(1, 6000, 301) i, LATERAL pgrec.similar_items('cs_ials', i, 10) r$$);
SELECT compact_same($$SELECT u, r.* FROM generate_series(1, 300, 9) u, LATERAL pgrec.similar_users('cs_model', u, 5) r$$);
-- Ties really are there: the repeated rows come out in id order with equal scores.
SELECT count(DISTINCT similarity) AS scores, array_agg(similar_item_id ORDER BY similar_item_id) = array_agg(similar_item_id) AS in_id_order
FROM (SELECT * FROM pgrec.similar_items('cs_model', 7, 20) LIMIT 6) s;

-- The setting's values.
SELECT error_of($$SET pgrec.compact_scan = sometimes$$);
SHOW pgrec.compact_scan;
