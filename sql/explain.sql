-- explain() and explain_for_interactions(): the contributions plus the item's bias add up to
-- the score recommend_for_interactions() gives, a known user is explained as a visitor of their
-- training items, largest first, n, repeated items, NULLs, unknown ids and every error.
SET pgrec.progress = off;
SET pgrec.threads = 1;
-- Planted tastes: user u rates the items of genre u % 2 (item % 2) 4 or 5 and the others 1 to
-- 3; the clicks are the ratings of 4 and 5, so every user clicks items of one genre only.
CREATE TABLE ex_stars AS SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(60, 40, 24, 2);
CREATE TABLE ex_clicks AS SELECT user_id, item_id FROM ex_stars WHERE rating >= 4;
SELECT users FROM pgrec.train('ex_ials', 'ex_clicks', 'user_id', 'item_id', algorithm => 'ials', factors => 8, epochs => 10, alpha => 40);
SELECT users FROM pgrec.train('ex_bpr', 'ex_clicks', 'user_id', 'item_id', algorithm => 'bpr', factors => 8, epochs => 40, learning_rate => 0.1);
SELECT users FROM pgrec.train('ex_svd', 'ex_clicks', 'user_id', 'item_id', algorithm => 'svd', factors => 6);
SELECT users FROM pgrec.train('ex_als', 'ex_stars', 'user_id', 'item_id', 'rating', factors => 6, epochs => 10);
CREATE TABLE ex_items AS
SELECT i AS item_id, ARRAY[(i * 5) % 7 - 3, (i * 3) % 5 - 2, i % 3]::real[] AS f, ((i % 4) - 1.5)::real AS b
FROM generate_series(1, 40) i;
CREATE TABLE ex_users AS SELECT 1 AS user_id, ARRAY[1, 0, -1]::real[] AS f;
SELECT pgrec.import_model('ex_imported', 'ex_items', 'item_id', 'f', 'ex_users', 'user_id', item_bias_column => 'b') > 0 AS imported;

-- The score recommend_for_interactions gives item target for a visitor, and the sum of all
-- the visitor's contributions to it plus the item's bias, which must be that score.
CREATE FUNCTION explained(model text, items bigint[], ratings real[], target bigint,
	OUT score real, OUT explained float8, OUT contributions bigint) LANGUAGE sql AS $$
	SELECT (SELECT r.score FROM pgrec.recommend_for_interactions(model, items, ratings, 1,
			candidates => ARRAY[target]) r),
		(SELECT sum(contribution::float8) FROM pgrec.explain_for_interactions(model, items, ratings, target, 1000))
		+ coalesce((SELECT bias FROM pgrec.item_factors
			WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = model) AND item_id = target), 0),
		(SELECT count(*) FROM pgrec.explain_for_interactions(model, items, ratings, target, 1000))
$$;
-- Every algorithm: exact for a mixed visitor (four items of genre 1, two of genre 0), several
-- targets; one contribution per distinct known item (999 is unknown).
SELECT model, target, round(e.score::numeric, 3) AS score,
	abs(e.explained - e.score) < 1e-3 * greatest(1, abs(e.score)) AS adds_up, e.contributions
FROM (VALUES ('ex_ials'), ('ex_bpr'), ('ex_svd'), ('ex_imported')) m(model),
	(VALUES (4), (30)) t(target),
	explained(model, ARRAY[1, 3, 5, 7, 22, 26, 999], NULL, target) e
ORDER BY model, target;
SELECT target, round(e.score::numeric, 3) AS score,
	abs(e.explained - e.score) < 1e-3 * greatest(1, abs(e.score)) AS adds_up, e.contributions
FROM (VALUES (4), (17), (30)) t(target),
	explained('ex_als', ARRAY[1, 3, 5, 7, 22, 26], ARRAY[5, 4, 5, 5, 1, 2], target) e
ORDER BY target;
-- Largest first, at most n (default 5); an item of genre 0 is explained by the visitor's two
-- items of genre 0 above the four of genre 1, and an item of genre 1 the other way round.
SELECT explaining_item_id, round(contribution::numeric, 3) AS contribution
FROM pgrec.explain_for_interactions('ex_ials', ARRAY[1, 3, 5, 7, 22, 26], NULL, 30);
SELECT array_agg(explaining_item_id) AS top_two
FROM pgrec.explain_for_interactions('ex_ials', ARRAY[1, 3, 5, 7, 22, 26], NULL, 30, 2);
SELECT array_agg(explaining_item_id ORDER BY explaining_item_id) AS top_four
FROM pgrec.explain_for_interactions('ex_ials', ARRAY[1, 3, 5, 7, 22, 26], NULL, 9, 4);
SELECT count(*) AS all_rows FROM pgrec.explain_for_interactions('ex_ials', ARRAY[1, 3, 5, 7, 22, 26], NULL, 4, 100);
-- The rows are in descending order of contribution, for every target.
SELECT count(*) AS out_of_order FROM (
	SELECT contribution, lag(contribution) OVER (PARTITION BY t ORDER BY ordinality) AS previous
	FROM generate_series(1, 40) t,
		pgrec.explain_for_interactions('ex_bpr', ARRAY[1, 3, 5, 7, 22, 26], NULL, t, 6) WITH ORDINALITY) r
WHERE contribution > previous;
-- A known user is explained by their training items, re-solved as a visitor of them (value 1
-- each): the same rows as explain_for_interactions over them, for every user and model.
SELECT model, count(*) AS users,
	count(*) FILTER (WHERE ARRAY(SELECT row(x.*)::text FROM pgrec.explain(model, u.user_id, 7, 1000) x)
		<> ARRAY(SELECT row(x.*)::text FROM pgrec.explain_for_interactions(model,
			ARRAY(SELECT item_id FROM ex_clicks c WHERE c.user_id = u.user_id), NULL, 7, 1000) x)) AS differing,
	sum((SELECT count(*) FROM pgrec.explain(model, u.user_id, 7, 1000))) = (SELECT count(*) FROM ex_clicks) AS one_row_per_click
FROM (VALUES ('ex_ials'), ('ex_bpr'), ('ex_svd')) m(model), (SELECT DISTINCT user_id FROM ex_clicks) u
GROUP BY model ORDER BY model;
SELECT count(*) = (SELECT count(*) FROM ex_clicks WHERE user_id = 3) AS every_seen_item
FROM pgrec.explain('ex_ials', 3, 25, 100);
-- Repeated items merge as training merges them: explicit ratings average, clicks add up.
SELECT ARRAY(SELECT row(x.*)::text FROM pgrec.explain_for_interactions('ex_als', ARRAY[3, 1, 3, 2], ARRAY[5, 4, 1, 2]::real[], 9) x)
	= ARRAY(SELECT row(x.*)::text FROM pgrec.explain_for_interactions('ex_als', ARRAY[1, 2, 3], ARRAY[4, 2, 3]::real[], 9) x)
	AS repeated_ratings_average;
SELECT ARRAY(SELECT row(x.*)::text FROM pgrec.explain_for_interactions('ex_ials', ARRAY[7, 2, 7], NULL, 9) x)
	= ARRAY(SELECT row(x.*)::text FROM pgrec.explain_for_interactions('ex_ials', ARRAY[2, 7], ARRAY[1, 2]::real[], 9) x)
	AS repeated_clicks_add_up;
-- Unknown users and items give no rows, as similar_items does; so does an imported user, who
-- has no training items.
SELECT count(*) FROM pgrec.explain('ex_ials', 12345, 4);
SELECT count(*) FROM pgrec.explain('ex_ials', 3, 12345);
SELECT count(*) FROM pgrec.explain_for_interactions('ex_ials', ARRAY[1, 2], NULL, 12345);
SELECT count(*) FROM pgrec.explain('ex_imported', 1, 4);
-- NULL model, user, item, item list or n: no rows, as for a STRICT function.
SELECT count(*) FROM pgrec.explain(NULL, 3, 4);
SELECT count(*) FROM pgrec.explain('ex_ials', NULL, 4);
SELECT count(*) FROM pgrec.explain('ex_ials', 3, NULL);
SELECT count(*) FROM pgrec.explain('ex_ials', 3, 4, NULL);
SELECT count(*) FROM pgrec.explain_for_interactions(NULL, ARRAY[1], NULL, 4);
SELECT count(*) FROM pgrec.explain_for_interactions('ex_ials', NULL, NULL, 4);
SELECT count(*) FROM pgrec.explain_for_interactions('ex_ials', ARRAY[1], NULL, NULL);
SELECT count(*) FROM pgrec.explain_for_interactions('ex_ials', ARRAY[1], NULL, 4, NULL);
-- The planner knows a call returns about n rows.
EXPLAIN (COSTS ON) SELECT * FROM pgrec.explain('ex_ials', 3, 4, 3);
-- Errors.
SELECT error_of($$SELECT * FROM pgrec.explain('no_such_model', 3, 4)$$);
SELECT error_of($$SELECT * FROM pgrec.explain_for_interactions('no_such_model', ARRAY[1], NULL, 4)$$);
SELECT error_of($$SELECT * FROM pgrec.explain('ex_ials', 3, 4, 0)$$);
SELECT error_of($$SELECT * FROM pgrec.explain_for_interactions('ex_ials', ARRAY[1], NULL, 4, -1)$$);
SELECT error_of($$SELECT * FROM pgrec.explain('ex_als', 3, 4)$$);
SELECT error_of($$SELECT * FROM pgrec.explain_for_interactions('ex_als', ARRAY[1, 2], NULL, 4)$$);
SELECT error_of($$SELECT * FROM pgrec.explain_for_interactions('ex_als', ARRAY[1, 2], ARRAY[5]::real[], 4)$$);
SELECT error_of($$SELECT * FROM pgrec.explain_for_interactions('ex_als', ARRAY[1, 2], ARRAY[5, 'NaN']::real[], 4)$$);
SELECT error_of($$SELECT * FROM pgrec.explain_for_interactions('ex_als', ARRAY[1, 2], ARRAY[5, NULL]::real[], 4)$$);
SELECT error_of($$SELECT * FROM pgrec.explain_for_interactions('ex_ials', ARRAY[1, NULL], NULL, 4)$$);
SELECT error_of($$SELECT * FROM pgrec.explain_for_interactions('ex_ials', ARRAY[998, 999], NULL, 4)$$);
SELECT error_of($$SELECT * FROM pgrec.explain_for_interactions('ex_ials', '{}', NULL, 4)$$);
