-- Approximate search (exact => false): recommend(), recommend_for_vector() and similar_items()
-- score only the items of the probes lists of the model's item index whose centroids best match
-- the query, with the exact scan's scores. On clustered factors the default probes find the
-- exact top 10; probing every list is the exact result; filters, exclusions, re-ranking and
-- candidates keep their meaning; bad arguments are refused.
SET pgrec.progress = off;
SELECT setseed(0.5);
-- 8,000 items of 16 factors around 40 tastes (item i has taste i % 40), with small biases; 200
-- users with the same tastes.
CREATE TABLE as_tastes AS SELECT t,
	ARRAY(SELECT (random() - 0.5)::real FROM generate_series(1, 16) WHERE t >= 0) AS f
FROM generate_series(0, 39) t;
CREATE TABLE as_items AS SELECT i AS item_id,
	ARRAY(SELECT (t.f[d] + (random() - 0.5) * 0.2)::real FROM generate_series(1, 16) d) AS f,
	(random() * 0.01)::real AS b
FROM generate_series(1, 8000) i JOIN as_tastes t ON t.t = i % 40;
CREATE TABLE as_users AS SELECT u AS user_id,
	ARRAY(SELECT (t.f[d] + (random() - 0.5) * 0.2)::real FROM generate_series(1, 16) d) AS f
FROM generate_series(1, 200) u JOIN as_tastes t ON t.t = u % 40;
SELECT pgrec.import_model('as_model', 'as_items', 'item_id', 'f', 'as_users', 'user_id', item_bias_column => 'b') > 0 AS imported;

-- The share of the exact top k that the approximate search finds over users 1..200, with
-- probes lists (NULL: the default).
CREATE FUNCTION as_recall(k int, probes int) RETURNS numeric LANGUAGE sql AS $$
	SELECT round(count(*)::numeric / (200 * k), 3)
	FROM generate_series(1, 200) u,
		LATERAL (SELECT item_id FROM pgrec.recommend('as_model', u, k)
		         INTERSECT SELECT item_id FROM pgrec.recommend('as_model', u, k, exact => false, probes => probes)) x
$$;
-- The index: 89 lists (about the square root of the catalogue) in the shared cache, beside the
-- model's file, once per server: each item's code row, step and radius (72 bytes at 16
-- dimensions) and list entry (4), and the centroids.
SELECT count(*) FROM pgrec.recommend('as_model', 1, 10);
SELECT shared_bytes AS model_bytes FROM pgrec.cached_models() WHERE name = 'as_model' \gset
SELECT count(*) FROM pgrec.recommend('as_model', 1, 10, exact => false);
SELECT shared_bytes - :model_bytes BETWEEN 8000 * (72 + 4) AND 8000 * (72 + 4) + 89 * 17 * 4 + 90 * 8 + 1024 AS index_shared
FROM pgrec.cached_models() WHERE name = 'as_model';

SELECT as_recall(10, NULL) >= 0.95 AS default_probes_find_the_top_10,
	as_recall(10, 1) < as_recall(10, NULL) AS one_list_finds_less,
	as_recall(100, NULL) >= 0.9 AS default_probes_find_the_top_100;
-- The approximate results carry exactly the exact scan's scores, best first.
SELECT count(*) AS rows, count(*) FILTER (WHERE a.score = x.score) AS same_score
FROM generate_series(1, 200) u,
	LATERAL pgrec.recommend('as_model', u, 10, exact => false) a
	JOIN LATERAL (SELECT * FROM pgrec.recommend('as_model', u, 8000)) x USING (item_id);
SELECT bool_and(ordered) AS best_first FROM (
	SELECT u, score <= lag(score) OVER (PARTITION BY u ORDER BY ord) OR lag(score) OVER (PARTITION BY u ORDER BY ord) IS NULL AS ordered
	FROM generate_series(1, 50) u, LATERAL pgrec.recommend('as_model', u, 20, exact => false) WITH ORDINALITY r(item_id, score, ord)) s;
-- Probing every list (or more than there are) is the exact result, ties and order included.
SELECT count(*) FILTER (WHERE a IS DISTINCT FROM x) AS differing_users FROM generate_series(1, 200) u,
	LATERAL (SELECT string_agg(item_id || ':' || score, ',') FROM pgrec.recommend('as_model', u, 25, exact => false, probes => 89)) a(a),
	LATERAL (SELECT string_agg(item_id || ':' || score, ',') FROM pgrec.recommend('as_model', u, 25)) x(x);
SELECT (SELECT array_agg(item_id) FROM pgrec.recommend('as_model', 7, 10, exact => false, probes => 100000))
	= (SELECT array_agg(item_id) FROM pgrec.recommend('as_model', 7, 10)) AS more_probes_than_lists;

-- Exclusions: the exact top 10 excluded, ten others come back; k beyond one list's items.
SELECT count(*) AS rows, count(*) FILTER (WHERE item_id = ANY (top)) AS excluded_returned
FROM (SELECT array_agg(item_id) AS top FROM pgrec.recommend('as_model', 3, 10)) t,
	LATERAL pgrec.recommend('as_model', 3, 10, exclude => top, exact => false);
SELECT count(*) AS rows, count(DISTINCT item_id) AS distinct_items FROM pgrec.recommend('as_model', 3, 2000, exact => false, probes => 1);
-- Candidates are scored as they are, exactly.
SELECT (SELECT array_agg(item_id) FROM pgrec.recommend('as_model', 5, 5, candidates => ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]::bigint[], exact => false))
	= (SELECT array_agg(item_id) FROM pgrec.recommend('as_model', 5, 5, candidates => ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]::bigint[])) AS candidates_exact;
-- Re-ranking draws on the approximate candidates: with every list probed, the exact re-ranking.
SELECT count(*) AS rows FROM pgrec.recommend('as_model', 9, 10, diversity => 0.5, exact => false);
SELECT (SELECT array_agg(item_id) FROM pgrec.recommend('as_model', 9, 10, diversity => 0.5, exact => false, probes => 89))
	= (SELECT array_agg(item_id) FROM pgrec.recommend('as_model', 9, 10, diversity => 0.5)) AS reranked_exact;
-- Caps per group: 4 groups of at most 2 items leave 8 of the 10 asked, so the pool grows to the
-- whole catalogue, probing more lists each time (the groups are read again where the pool
-- changed); never more than 2 of a group, and with every list probed the exact result.
CREATE TABLE as_groups AS SELECT item_id, 'g' || (item_id % 4) AS grp FROM as_items;
SELECT sum(n) AS rows, max(n) AS most_of_a_group FROM (
	SELECT u, g.grp, count(*) AS n FROM generate_series(1, 10) u,
		LATERAL pgrec.recommend('as_model', u, 10, item_groups => 'as_groups', max_per_group => 2, exact => false) r
		JOIN as_groups g USING (item_id) GROUP BY u, g.grp) s;
SELECT (SELECT array_agg(item_id) FROM pgrec.recommend('as_model', 11, 10, item_groups => 'as_groups', max_per_group => 2, exact => false, probes => 89))
	= (SELECT array_agg(item_id) FROM pgrec.recommend('as_model', 11, 10, item_groups => 'as_groups', max_per_group => 2)) AS capped_exact;
-- A user the model does not know gets the popular items, as with the exact scan.
SELECT (SELECT array_agg(item_id) FROM pgrec.recommend('as_model', 99999, 5, exact => false))
	= (SELECT array_agg(item_id) FROM pgrec.recommend('as_model', 99999, 5)) AS unknown_user_popular;

-- recommend_for_vector(): a taste's vector finds the exact top 10.
SELECT round(count(*)::numeric / 400, 3) >= 0.95 AS vector_recall FROM as_tastes t,
	LATERAL (SELECT item_id FROM pgrec.recommend_for_vector('as_model', t.f::embedding, 10)
	         INTERSECT SELECT item_id FROM pgrec.recommend_for_vector('as_model', t.f::embedding, 10, exact => false)) x;
-- similar_items(): by cosine, through the same lists.
SELECT round(count(*)::numeric / 1000, 3) >= 0.95 AS similar_recall FROM generate_series(1, 8000, 80) i,
	LATERAL (SELECT similar_item_id FROM pgrec.similar_items('as_model', i, 10)
	         INTERSECT SELECT similar_item_id FROM pgrec.similar_items('as_model', i, 10, exact => false)) x;
SELECT count(*) FILTER (WHERE similar_item_id = 1) AS itself FROM pgrec.similar_items('as_model', 1, 10, exact => false);

-- A new version gets its own index: after a re-import with every factor negated, the
-- approximate search follows the new factors.
CREATE TABLE as_items2 AS SELECT item_id, ARRAY(SELECT -x FROM unnest(f) x) AS f, b FROM as_items;
SELECT pgrec.import_model('as_model', 'as_items2', 'item_id', 'f', 'as_users', 'user_id', item_bias_column => 'b') > 0 AS reimported;
SELECT as_recall(10, NULL) >= 0.95 AS new_version_recall;

-- A model scored by neighbours has no item index: exact => false scores it exactly.
CREATE TABLE as_clicks AS SELECT DISTINCT (random() * 199 + 1)::int AS user_id, (random() * 499 + 1)::int AS item_id
FROM generate_series(1, 5000);
SELECT items > 0 AS trained FROM pgrec.train('as_knn', 'as_clicks', 'user_id', 'item_id', algorithm => 'item_knn');
SELECT (SELECT array_agg(item_id) FROM pgrec.recommend('as_knn', 4, 10, exact => false))
	= (SELECT array_agg(item_id) FROM pgrec.recommend('as_knn', 4, 10)) AS neighbours_exact;

-- Errors.
SELECT * FROM pgrec.recommend('as_model', 1, 10, exact => false, probes => 0);
SELECT * FROM pgrec.recommend('as_model', 1, 10, exact => false, probes => -3);
SELECT * FROM pgrec.recommend('as_model', 1, 10, probes => 5);
SELECT * FROM pgrec.recommend_for_vector('as_model', (SELECT f::embedding FROM as_tastes WHERE t = 0), 10, probes => 5);
SELECT * FROM pgrec.similar_items('as_model', 1, 10, exact => true, probes => 5);
SELECT * FROM pgrec.similar_items('as_model', 1, 10, exact => false, probes => 0);
-- NULL exact is the exact search.
SELECT count(*) FROM pgrec.recommend('as_model', 1, 10, exact => NULL);

SELECT pgrec.drop_model('as_model'), pgrec.drop_model('as_knn');
DROP TABLE as_tastes, as_items, as_items2, as_users, as_clicks, as_groups;
DROP FUNCTION as_recall(int, int);
