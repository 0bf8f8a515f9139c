-- Re-ranking inside recommend(): diversity by maximal marginal relevance and caps per group of
-- items, checked against SQL references on planted models; the group source forms; every error.
SET pgrec.progress = off;
SET pgrec.threads = 1;
-- A model with small integer factors, so that scores are exact in float and tie often: the
-- two sides of one table (items on a grid, with biases), imported through views.
CREATE TABLE rr_vectors AS
SELECT side, id, ARRAY[id % 6 - 2, id / 6 - 3, CASE side WHEN 'item' THEN (id * 3) % 4 - 1 ELSE 1 - id % 3 END]::real[] AS f,
	((id % 5 - 2) / 2.0)::real AS b
FROM (VALUES ('item', 40), ('user', 25)) s(side, n), generate_series(1, n) id;
CREATE VIEW rr_items AS SELECT id AS item_id, f, b FROM rr_vectors WHERE side = 'item';
CREATE VIEW rr_users AS SELECT id AS user_id, f FROM rr_vectors WHERE side = 'user';
SELECT pgrec.import_model('rr_exact', 'rr_items', 'item_id', 'f', 'rr_users', 'user_id', item_bias_column => 'b') > 0 AS imported;
CREATE VIEW rr_exact_scores AS
SELECT u.user_id, i.item_id, (-(u.factors <#> i.factors) + i.bias)::real AS score
FROM pgrec.user_factors u JOIN pgrec.item_factors i USING (model_id)
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'rr_exact');
-- rows(model, user, ...) as one text value, for comparing whole results.
CREATE FUNCTION rr_rows(model text, u bigint, k integer, diversity float8 DEFAULT 0,
	item_groups text DEFAULT NULL, max_per_group integer DEFAULT NULL) RETURNS text
LANGUAGE sql AS $$
	SELECT string_agg(item_id || ':' || coalesce(score::text, 'null'), ' ')
	FROM pgrec.recommend(model, u, k, diversity => diversity, item_groups => item_groups,
		max_per_group => max_per_group)
$$;

-- diversity => 0 without groups is the plain call, row for row, for every user (and explicit
-- NULLs, and a NULL diversity, mean the defaults).
SELECT count(*) AS users, count(*) FILTER (WHERE a IS DISTINCT FROM b OR a IS DISTINCT FROM c OR a IS DISTINCT FROM d) AS differing,
	min(array_length(string_to_array(a, ' '), 1)) AS rows_each
FROM (SELECT (SELECT string_agg(item_id || ':' || score, ' ') FROM pgrec.recommend('rr_exact', u.user_id, 7)) AS a,
	(SELECT string_agg(item_id || ':' || score, ' ') FROM pgrec.recommend('rr_exact', u.user_id, 7, diversity => 0)) AS b,
	(SELECT string_agg(item_id || ':' || score, ' ') FROM pgrec.recommend('rr_exact', u.user_id, 7,
		diversity => 0, item_groups => NULL, max_per_group => NULL)) AS c,
	(SELECT string_agg(item_id || ':' || score, ' ') FROM pgrec.recommend('rr_exact', u.user_id, 7, diversity => NULL)) AS d
	FROM rr_users u) s;
SELECT (SELECT array_agg(item_id) FROM pgrec.recommend('rr_exact', 17, 5, false, ARRAY[1, 2, 3, 4, 5, 6, 7], ARRAY[3]))
	= (SELECT array_agg(item_id) FROM pgrec.recommend('rr_exact', 17, 5, false, ARRAY[1, 2, 3, 4, 5, 6, 7], ARRAY[3], 0)) AS positional_same;

-- Caps at diversity 0: exactly the greedy walk down the ranking, i.e. the items whose rank
-- inside their group is at most the cap (items 1 to 5 have no group and are not capped).
CREATE TABLE rr_groups AS SELECT item_id, 'g' || (item_id % 3) AS grp FROM generate_series(6, 40) item_id;
CREATE FUNCTION rr_capped_reference(u bigint, k integer, cap integer) RETURNS text LANGUAGE sql AS $$
	SELECT string_agg(item_id || ':' || score, ' ' ORDER BY score DESC, item_id) FROM (
		SELECT item_id, score FROM (
			SELECT s.item_id, s.score, g.grp,
				row_number() OVER (PARTITION BY g.grp ORDER BY s.score DESC, s.item_id) AS n
			FROM rr_exact_scores s LEFT JOIN rr_groups g USING (item_id) WHERE s.user_id = u) r
		WHERE grp IS NULL OR n <= cap ORDER BY score DESC, item_id LIMIT k) t
$$;
SELECT count(*) AS users, count(*) FILTER (WHERE rr_rows('rr_exact', user_id, 8, 0, 'rr_groups', 2)
	IS DISTINCT FROM rr_capped_reference(user_id, 8, 2)) AS differing_cap_2,
	count(*) FILTER (WHERE rr_rows('rr_exact', user_id, 6, 0, 'rr_groups', 1)
	IS DISTINCT FROM rr_capped_reference(user_id, 6, 1)) AS differing_cap_1
FROM rr_users;
SELECT rr_rows('rr_exact', 17, 8, 0, 'rr_groups', 2) AS capped, rr_rows('rr_exact', 17, 8) AS plain;
-- With diversity too, the caps hold for every user, and k rows come back while the caps allow
-- them: 5 ungrouped items + 3 groups x 2 = 11 at most.
SELECT k, d, count(*) AS rows_total, max(per_group) FILTER (WHERE grp IS NOT NULL) AS most_of_one_group,
	count(*) FILTER (WHERE grp IS NULL) AS ungrouped
FROM (SELECT k, d, u.user_id, g.grp, count(*) OVER (PARTITION BY k, d, u.user_id, g.grp) AS per_group
	FROM unnest(ARRAY[8, 20]) k, unnest(ARRAY[0, 0.5, 1]) d, rr_users u
	CROSS JOIN LATERAL pgrec.recommend('rr_exact', u.user_id, k, diversity => d, item_groups => 'rr_groups',
		max_per_group => 2) r LEFT JOIN rr_groups g USING (item_id)) s
GROUP BY k, d ORDER BY k, d;

-- The forms of a group source: a table (qualified or not), SELECT, WITH, VALUES and TABLE
-- queries; groups of any type, compared by their text; extra columns ignored; NULL item ids,
-- NULL groups, unknown items and repeated rows ignored; no rows: nothing capped.
SELECT source, rr_rows('rr_exact', 17, 8, 0, source, 2) = rr_rows('rr_exact', 17, 8, 0, 'rr_groups', 2) AS same_as_table
FROM unnest(ARRAY['public.rr_groups', '  SELECT * FROM rr_groups', 'select item_id::smallint, grp, 42 AS extra FROM rr_groups',
	'SELECT item_id::bigint, (item_id % 3) FROM rr_groups', 'SELECT item_id, (item_id % 3)::numeric FROM rr_groups',
	'WITH g AS (SELECT * FROM rr_groups) SELECT * FROM g', '(TABLE rr_groups)',
	'SELECT * FROM rr_groups UNION ALL SELECT NULL, ''g0'' UNION ALL SELECT 7, NULL UNION ALL SELECT 999, ''g1''',
	'SELECT * FROM rr_groups UNION ALL SELECT * FROM rr_groups']) source;
SELECT rr_rows('rr_exact', 17, 8, 0, 'VALUES (11, ''x''), (17, ''x''), (16, ''y''), (999, ''y'')', 1) AS values_caps,
	rr_rows('rr_exact', 17, 8, 0, 'SELECT * FROM rr_groups WHERE false', 1) = rr_rows('rr_exact', 17, 8) AS no_rows_caps_nothing;
-- Group values of other types, compared by text: booleans.
SELECT rr_rows('rr_exact', 17, 6, 0, 'SELECT item_id, item_id % 2 = 0 FROM generate_series(1, 40) item_id', 3) AS parity_capped;
SELECT count(*) FILTER (WHERE item_id % 2 = 0) AS even, count(*) FILTER (WHERE item_id % 2 = 1) AS odd
FROM pgrec.recommend('rr_exact', 17, 6, item_groups => 'SELECT item_id, item_id % 2 = 0 FROM generate_series(1, 40) item_id', max_per_group => 3);

-- The pool widens while the caps leave fewer than k: 400 items scored 401 - id; items 1 to 200
-- share one group, the rest have a group each. With k = 5 the first pool (100 items) holds one
-- admissible item, the second (200) too, the whole catalogue the other four.
CREATE TABLE rr_line_items AS SELECT i AS item_id, ARRAY[401 - i]::real[] AS f FROM generate_series(1, 400) i;
CREATE TABLE rr_line_users AS SELECT 1 AS user_id, ARRAY[1]::real[] AS f;
SELECT pgrec.import_model('rr_line', 'rr_line_items', 'item_id', 'f', 'rr_line_users', 'user_id') > 0 AS imported;
CREATE TABLE rr_line_groups AS SELECT i AS item_id, CASE WHEN i <= 200 THEN 'a' ELSE 'i' || i END AS grp FROM generate_series(1, 400) i;
SELECT rr_rows('rr_line', 1, 5, 0, 'rr_line_groups', 1) AS widened, rr_rows('rr_line', 1, 5, 0.5, 'rr_line_groups', 1) AS widened_diverse;
SELECT rr_rows('rr_line', 1, 3, 0, 'rr_line_groups', 2) AS two_of_a;
-- Only the groups of the candidates are read: a source that fails on items past the first
-- pool (1 to 100) serves a call that needs no more, and fails once the pool must widen.
SELECT rr_rows('rr_line', 1, 5, 0, 'SELECT item_id, CASE WHEN item_id > 100 THEN (1 / (item_id - item_id))::text ELSE ''a'' END FROM rr_line_groups', 5) AS first_pool_only;
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_line', 1, 5, item_groups => 'SELECT item_id, CASE WHEN item_id > 100 THEN (1 / (item_id - item_id))::text ELSE ''a'' END FROM rr_line_groups', max_per_group => 1)$$);
-- A cap every item fails to pass past the first: as many rows as the caps allow.
SELECT count(*) AS rows_one_group FROM pgrec.recommend('rr_line', 1, 10, item_groups => 'SELECT item_id, 1 FROM rr_line_groups', max_per_group => 3);

-- Diversity on planted clusters: items 1-10, 11-20, 21-30, 31-40 point along axes 1 to 4 (with
-- small differences); users prefer the clusters in different orders. Intra-list similarity
-- (mean pairwise cosine of the top 8's factors) does not rise as diversity does.
CREATE TABLE rr_cluster_items AS
SELECT i AS item_id, ARRAY[CASE WHEN (i - 1) / 10 = 0 THEN 1 ELSE 0 END, CASE WHEN (i - 1) / 10 = 1 THEN 1 ELSE 0 END,
	CASE WHEN (i - 1) / 10 = 2 THEN 1 ELSE 0 END, CASE WHEN (i - 1) / 10 = 3 THEN 1 ELSE 0 END, -0.02 * (i % 10) + 0.01 * (i % 3)]::real[] AS f
FROM generate_series(1, 40) i;
CREATE TABLE rr_cluster_users (user_id int, f real[]);
INSERT INTO rr_cluster_users VALUES (1, '{1, 0.8, 0.6, 0.4, 1}'), (2, '{0.4, 1, 0.7, 0.55, 1}'), (3, '{0.3, 0.3, 0.3, 1, 0.5}');
SELECT pgrec.import_model('rr_clusters', 'rr_cluster_items', 'item_id', 'f', 'rr_cluster_users', 'user_id') > 0 AS imported;
CREATE FUNCTION rr_ils(model text, items bigint[]) RETURNS float8 LANGUAGE sql AS $$
	SELECT avg(cosine_similarity(a.factors, b.factors))
	FROM pgrec.item_factors a JOIN pgrec.item_factors b ON a.model_id = b.model_id AND a.item_id < b.item_id
	WHERE a.model_id = (SELECT model_id FROM pgrec.models WHERE name = model)
		AND a.item_id = ANY (items) AND b.item_id = ANY (items)
$$;
CREATE TABLE rr_ils_runs AS
SELECT u AS user_id, d AS diversity, ARRAY(SELECT item_id FROM pgrec.recommend('rr_clusters', u, 8, diversity => d)) AS items
FROM generate_series(1, 3) u, unnest(ARRAY[0, 0.25, 0.5, 0.75, 1]::float8[]) d;
SELECT user_id, diversity, round(rr_ils('rr_clusters', items)::numeric, 3) AS ils,
	(SELECT count(DISTINCT (i - 1) / 10) FROM unnest(items) i) AS clusters, items
FROM rr_ils_runs ORDER BY user_id, diversity;
SELECT bool_and(ils <= previous + 1e-9) AS ils_never_rises,
	bool_and(clusters = 4) FILTER (WHERE diversity >= 0.5) AS every_cluster_from_half
FROM (SELECT diversity, rr_ils('rr_clusters', items) AS ils, (SELECT count(DISTINCT (i - 1) / 10) FROM unnest(items) i) AS clusters,
	lag(rr_ils('rr_clusters', items)) OVER (PARTITION BY user_id ORDER BY diversity) AS previous FROM rr_ils_runs) s
WHERE previous IS NOT NULL;
SELECT count(*) AS users, bool_and(b.ils < a.ils - 0.8) AS full_diversity_drops_ils
FROM (SELECT user_id, rr_ils('rr_clusters', items) AS ils FROM rr_ils_runs WHERE diversity = 0) a
JOIN (SELECT user_id, rr_ils('rr_clusters', items) AS ils FROM rr_ils_runs WHERE diversity = 1) b USING (user_id);
-- The first pick is the most relevant item; scores stay the model's scores.
SELECT bool_and(r.score = s.score) AS scores_kept, count(*) AS rows_total
FROM rr_users u CROSS JOIN LATERAL pgrec.recommend('rr_exact', u.user_id, 6, diversity => 0.6) r
JOIN rr_exact_scores s ON s.user_id = u.user_id AND s.item_id = r.item_id;
SELECT count(*) AS users_first_differs FROM rr_cluster_users u
WHERE (SELECT item_id FROM pgrec.recommend('rr_clusters', u.user_id, 1)) <> (SELECT item_id FROM pgrec.recommend('rr_clusters', u.user_id, 5, diversity => 0.9) LIMIT 1);
-- Diversity and caps together: at most 2 per cluster, diverse within the caps.
SELECT rr_rows('rr_clusters', 1, 6, 0.3, 'SELECT item_id, (item_id - 1) / 10 FROM rr_cluster_items', 2) AS capped_diverse,
	rr_rows('rr_clusters', 1, 6, 0.3) AS diverse;
-- The filters apply before re-ranking; k beyond the catalogue gives every item once.
SELECT array_agg(item_id) AS items FROM pgrec.recommend('rr_exact', 17, 5, candidates => ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
	exclude => ARRAY[3], diversity => 0.5);
SELECT count(*) AS rows_total, count(DISTINCT item_id) AS distinct_items
FROM pgrec.recommend('rr_exact', 17, 1000, exclude_seen => false, diversity => 0.5);

-- Trained models, unknown users and cold start.
CREATE TABLE rr_clicks AS
SELECT u AS user_id, i AS item_id FROM generate_series(1, 60) u, generate_series(1, 40) i
WHERE (u <= 30) = (i <= 20) AND (u * 7 + i * 3) % 4 <> 0 AND (i <> 7 OR u % 2 = 0);
SELECT users FROM pgrec.train('rr_ials', 'rr_clicks', 'user_id', 'item_id', algorithm => 'ials', factors => 8, epochs => 10);
CREATE TABLE rr_click_groups AS SELECT i AS item_id, i % 4 AS grp FROM generate_series(1, 40) i;
-- An unknown user gets the popular items (NULL scores) capped in popularity order.
SELECT array_agg(item_id) AS capped_popular, count(score) AS scores
FROM pgrec.recommend('rr_ials', 12345, 6, item_groups => 'rr_click_groups', max_per_group => 1);
SELECT (SELECT array_agg(item_id) FROM pgrec.recommend('rr_ials', 12345, 6, item_groups => 'rr_click_groups', max_per_group => 1))
	= (SELECT array_agg(item_id ORDER BY n) FROM (SELECT item_id, n, row_number() OVER (PARTITION BY item_id % 4 ORDER BY n) AS in_group
		FROM pgrec.recommend('rr_ials', 12345, 40) WITH ORDINALITY AS r(item_id, score, n)) p WHERE in_group = 1) AS popular_greedy;
SELECT count(*) AS rows_total, count(DISTINCT item_id) AS distinct_items
FROM pgrec.recommend('rr_ials', 12345, 8, diversity => 0.5);
-- recommend_for_interactions: the same identity at diversity 0, caps after the fold-in.
SELECT (SELECT string_agg(item_id || ':' || score, ' ') FROM pgrec.recommend_for_interactions('rr_ials', ARRAY[1, 2, 3], k => 6))
	= (SELECT string_agg(item_id || ':' || score, ' ') FROM pgrec.recommend_for_interactions('rr_ials', ARRAY[1, 2, 3], k => 6, diversity => 0)) AS fold_in_same;
SELECT count(*) AS rows_total, max(c) AS most_per_group FROM (SELECT item_id % 4 AS g, count(*) OVER (PARTITION BY item_id % 4) AS c
	FROM pgrec.recommend_for_interactions('rr_ials', ARRAY[1, 2, 3], k => 8, diversity => 0.4,
		item_groups => 'rr_click_groups', max_per_group => 2)) s;
SELECT bool_and(item_id NOT IN (1, 2, 3)) AS visitor_items_excluded
FROM pgrec.recommend_for_interactions('rr_ials', ARRAY[1, 2, 3], k => 30, diversity => 0.7);

-- A neighbourhood model (item-item weights, no factors): the plain call at diversity 0, caps as
-- the greedy walk down its own ranking, the fold-in capped too; diversity by its weights (item_knn's
-- are cosine similarities), refused where they are not similarities (ease: 0A000).
SELECT users FROM pgrec.train('rr_knn', 'rr_clicks', 'user_id', 'item_id', algorithm => 'item_knn', neighbors => 10);
SELECT count(*) AS users, count(*) FILTER (WHERE rr_rows('rr_knn', u, 6) IS DISTINCT FROM rr_rows('rr_knn', u, 6, 0)) AS differing_at_0,
	count(*) FILTER (WHERE (SELECT array_agg(item_id) FROM pgrec.recommend('rr_knn', u, 6, item_groups => 'rr_click_groups', max_per_group => 2))
		IS DISTINCT FROM (SELECT (array_agg(item_id ORDER BY n))[1:6] FROM (SELECT item_id, n, row_number() OVER (PARTITION BY item_id % 4 ORDER BY n) AS in_group
			FROM pgrec.recommend('rr_knn', u, 40) WITH ORDINALITY AS r(item_id, score, n)) p WHERE in_group <= 2)) AS differing_capped
FROM generate_series(1, 60) u;
SELECT rr_rows('rr_knn', 1, 5, 0, 'rr_click_groups', 1) AS knn_capped, rr_rows('rr_knn', 1, 5) AS knn_plain;
SELECT count(*) AS rows_total, max(c) AS most_per_group FROM (SELECT count(*) OVER (PARTITION BY item_id % 4) AS c
	FROM pgrec.recommend_for_interactions('rr_knn', ARRAY[1, 2, 3], k => 6, item_groups => 'rr_click_groups', max_per_group => 2)) s;
CREATE FUNCTION rr_weight_ils(model text, u bigint, d float8) RETURNS numeric LANGUAGE sql AS $f$
	WITH l AS (SELECT item_id FROM pgrec.recommend(model, u, 6, diversity => d)),
	w AS (SELECT n.item_id AS a, t.id AS b, t.w FROM pgrec.item_neighbors n, unnest(n.neighbor_ids, n.weights) t(id, w)
		WHERE n.model_id = (SELECT model_id FROM pgrec.models WHERE name = model))
	SELECT round(avg(coalesce(greatest((SELECT w FROM w WHERE a = x.item_id AND b = y.item_id),
		(SELECT w FROM w WHERE a = y.item_id AND b = x.item_id)), 0))::numeric, 4)
	FROM l x, l y WHERE x.item_id < y.item_id
$f$;
SELECT u, rr_weight_ils('rr_knn', u, 0) AS at_0, rr_weight_ils('rr_knn', u, 0.5) AS at_half,
	rr_weight_ils('rr_knn', u, 1) AS at_1,
	rr_weight_ils('rr_knn', u, 0) >= rr_weight_ils('rr_knn', u, 0.5)
		AND rr_weight_ils('rr_knn', u, 0.5) >= rr_weight_ils('rr_knn', u, 1) AS falls
FROM unnest(ARRAY[1, 31]) u;
SELECT (SELECT item_id FROM pgrec.recommend('rr_knn', 1, 1)) = (SELECT item_id FROM pgrec.recommend('rr_knn', 1, 5, diversity => 0.5) LIMIT 1) AS same_first,
	(SELECT count(*) FROM pgrec.recommend_for_interactions('rr_knn', ARRAY[1, 2], k => 5, diversity => 0.5)) AS fold_in_rows;
SELECT users FROM pgrec.train('rr_ease', 'rr_clicks', 'user_id', 'item_id', algorithm => 'ease', regularization => 10);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_ease', 1, 5, diversity => 0.5)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_interactions('rr_ease', ARRAY[1, 2], k => 5, diversity => 0.5)$$);

-- Errors.
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, diversity => -0.1)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, diversity => 1.5)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, diversity => 'NaN')$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, item_groups => 'rr_groups', max_per_group => 0)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, item_groups => 'rr_groups', max_per_group => -3)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, max_per_group => 2)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, item_groups => NULL, max_per_group => 2)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, item_groups => 'rr_groups')$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, item_groups => 'no_such_table', max_per_group => 2)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, item_groups => 'SELECT item_id FROM rr_groups', max_per_group => 2)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, item_groups => 'SELECT FROM rr_groups', max_per_group => 2)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, item_groups => 'SELECT grp, item_id FROM rr_groups', max_per_group => 2)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, item_groups => 'SELECT item_id::float8, grp FROM rr_groups', max_per_group => 2)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, item_groups => 'SELECT item_id, grp FROM rr_groups WHERE', max_per_group => 2)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 1, item_groups => 'WITH d AS (DELETE FROM rr_groups RETURNING *) SELECT * FROM d', max_per_group => 2)$$);
SELECT count(*) AS groups_kept FROM rr_groups;
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 17, 8, item_groups => 'SELECT * FROM rr_groups UNION ALL SELECT 19, ''other''', max_per_group => 2)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_interactions('rr_ials', ARRAY[1], k => 5, diversity => 2)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_interactions('rr_ials', ARRAY[1], k => 5, max_per_group => 1)$$);
-- The group source is read as the calling user: privileges apply.
CREATE ROLE pgrec_rerank_reader;
GRANT USAGE ON SCHEMA pgrec TO pgrec_rerank_reader;
SET ROLE pgrec_rerank_reader;
SELECT error_of($$SELECT * FROM pgrec.recommend('rr_exact', 17, 8, item_groups => 'rr_groups', max_per_group => 2)$$);
SELECT count(*) AS rows_without_groups FROM pgrec.recommend('rr_exact', 17, 8, diversity => 0.5);
RESET ROLE;
REVOKE USAGE ON SCHEMA pgrec FROM pgrec_rerank_reader;
DROP ROLE pgrec_rerank_reader;
-- The arguments are checked before the model is looked up, and NULL model, user or k still
-- give no rows.
SELECT error_of($$SELECT * FROM pgrec.recommend('no_such_model', 1, diversity => 3)$$);
SELECT count(*) AS no_rows FROM pgrec.recommend('rr_exact', NULL, diversity => 0.5);
