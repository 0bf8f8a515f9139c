-- recommend() and its kin: exactness against SQL ORDER BY, filters, ties, unknown ids, cold
-- start, recommend_all, similar items and users, import_model, planner estimates, errors.
SET pgrec.progress = off;
SET pgrec.threads = 1;
-- A model with small integer factors: every score is exact in float, with many ties.
CREATE TABLE rec_items AS
SELECT i AS item_id, ARRAY[(i * 5) % 7 - 3, (i * 3) % 5 - 2, i % 3]::real[] AS f, ((i % 4) - 1.5)::real AS b
FROM generate_series(1, 40) i;
CREATE TABLE rec_users AS
SELECT u AS user_id, ARRAY[u % 3 - 1, (u * 2) % 5 - 2, u % 2]::real[] AS f
FROM generate_series(1, 25) u;
SELECT pgrec.import_model('exact', 'rec_items', 'item_id', 'f', 'rec_users', 'user_id', item_bias_column => 'b') > 0 AS imported;
SELECT algorithm, users, items, factors FROM pgrec.models WHERE name = 'exact';
-- Exactly the rows of ORDER BY score DESC, item_id LIMIT k over the factor tables, every user.
CREATE VIEW exact_scores AS
SELECT u.user_id, i.item_id, (-(u.factors <#> i.factors) + i.bias)::real AS score
FROM pgrec.user_factors u JOIN pgrec.item_factors i USING (model_id)
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'exact');
SELECT count(*) AS users_differing FROM rec_users u
WHERE ARRAY(SELECT row(r.item_id, r.score)::text FROM pgrec.recommend('exact', u.user_id, 7) r)
   <> ARRAY(SELECT row(s.item_id, s.score)::text FROM exact_scores s WHERE s.user_id = u.user_id
            ORDER BY s.score DESC, s.item_id LIMIT 7);
SELECT * FROM pgrec.recommend('exact', 4, 6);
-- Filters: candidates (unknown ids ignored), exclude, k larger than the catalogue.
SELECT * FROM pgrec.recommend('exact', 4, 3, candidates => ARRAY[1, 2, 3, 999]);
SELECT * FROM pgrec.recommend('exact', 4, 3, exclude => ARRAY[12, 19, NULL]);
SELECT * FROM pgrec.recommend('exact', 4, 3, candidates => ARRAY[1, 2, 3, 12], exclude => ARRAY[12]);
SELECT count(*) AS all_items FROM pgrec.recommend('exact', 4, 1000);
SELECT count(*) FROM pgrec.recommend('exact', 4, 5, candidates => '{}');
-- NULL model, user or k: no rows, as for a STRICT function.
SELECT count(*) FROM pgrec.recommend(NULL, 4);
SELECT count(*) FROM pgrec.recommend('exact', NULL);
SELECT count(*) FROM pgrec.recommend('exact', 4, NULL);
-- The planner knows the function returns about k rows.
EXPLAIN (COSTS ON) SELECT * FROM pgrec.recommend('exact', 4, 3);
-- In a LATERAL join, for every user.
SELECT count(*), count(DISTINCT u.user_id) FROM rec_users u CROSS JOIN LATERAL pgrec.recommend('exact', u.user_id, 2) r;
-- recommend_all gives what recommend gives, user by user.
SELECT count(*) AS rows_total,
	(SELECT count(*) FROM (SELECT user_id, item_id, score FROM pgrec.recommend_all('exact', 5)
		EXCEPT SELECT u.user_id, r.item_id, r.score FROM rec_users u CROSS JOIN LATERAL pgrec.recommend('exact', u.user_id, 5) r) d) AS differing,
	min(rank), max(rank)
FROM pgrec.recommend_all('exact', 5);
-- recommend_for_vector: any vector of the model's dimensions.
SELECT * FROM pgrec.recommend_for_vector('exact', '[1, 0, 0]', 3);
SELECT * FROM pgrec.recommend_for_vector('exact', (SELECT avg(f::embedding) FROM rec_items WHERE item_id IN (1, 2)), 2, exclude => ARRAY[1, 2]);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_vector('exact', '[1, 0]', 3)$$);
-- Similar items and users by cosine: the item itself is not listed; unknown ids give none.
SELECT * FROM pgrec.similar_items('exact', 1, 4);
SELECT count(*) FROM pgrec.similar_items('exact', 999, 4);
SELECT * FROM pgrec.similar_users('exact', 1, 3);

-- Trained models: a user the model does not know gets the most popular items, NULL scores.
CREATE TABLE rec_clicks AS
SELECT u AS user_id, i AS item_id
FROM generate_series(1, 60) u, generate_series(1, 40) i
WHERE (u <= 30) = (i <= 20) AND (u * 7 + i * 3) % 4 <> 0 AND (i <> 7 OR u % 2 = 0);
SELECT users FROM pgrec.train('rec_ials', 'rec_clicks', 'user_id', 'item_id', algorithm => 'ials', factors => 8, epochs => 10, alpha => 40);
SELECT item_id, score FROM pgrec.recommend('rec_ials', 12345, 3);
-- exclude_seen: by default the user's training items are left out.
SELECT count(*) FILTER (WHERE r.item_id = ANY (SELECT item_id FROM rec_clicks WHERE user_id = 1)) AS seen_listed
FROM pgrec.recommend('rec_ials', 1, 40) r;
SELECT count(*) FILTER (WHERE r.item_id = ANY (SELECT item_id FROM rec_clicks WHERE user_id = 1)) AS seen_listed
FROM pgrec.recommend('rec_ials', 1, 40, exclude_seen => false) r;
-- Cold start: folding in a user with the interactions of user 3 ranks nearly as user 3 does.
SELECT count(*) AS shared_top10 FROM
	(SELECT item_id FROM pgrec.recommend('rec_ials', 3, 10)) a
	JOIN (SELECT item_id FROM pgrec.recommend_for_interactions('rec_ials',
		ARRAY(SELECT item_id FROM rec_clicks WHERE user_id = 3), k => 10)) b USING (item_id);
SELECT count(*) AS own_group FROM pgrec.recommend_for_interactions('rec_ials', ARRAY[1, 2, 3], k => 5) WHERE item_id <= 20;
-- The same for explicit ratings (als) and bpr.
CREATE TABLE rec_stars AS
SELECT u AS user_id, i AS item_id, (1 + (u * 3 + i * 7) % 5)::real AS rating
FROM generate_series(1, 50) u, generate_series(1, 30) i WHERE (u + i) % 3 <> 0;
SELECT users FROM pgrec.train('rec_als', 'rec_stars', 'user_id', 'item_id', 'rating', factors => 6, epochs => 10);
SELECT count(*) >= 8 AS als_fold_in_matches FROM
	(SELECT item_id FROM pgrec.recommend('rec_als', 5, 10)) a
	JOIN (SELECT item_id FROM pgrec.recommend_for_interactions('rec_als',
		ARRAY(SELECT item_id FROM rec_stars WHERE user_id = 5 ORDER BY item_id),
		ARRAY(SELECT rating FROM rec_stars WHERE user_id = 5 ORDER BY item_id), 10)) b USING (item_id);
-- Repeated items of a visitor merge as training merges repeated rows: explicit ratings average,
-- implicit values add up (here against the same items given once with the merged values).
SELECT (SELECT array_agg(item_id || ':' || round(score::numeric, 4)) FROM pgrec.recommend_for_interactions('rec_als',
		ARRAY[3, 1, 3, 2], ARRAY[5, 4, 1, 2]::real[], 5))
	= (SELECT array_agg(item_id || ':' || round(score::numeric, 4)) FROM pgrec.recommend_for_interactions('rec_als',
		ARRAY[1, 2, 3], ARRAY[4, 2, 3]::real[], 5)) AS repeated_ratings_average;
SELECT (SELECT array_agg(item_id || ':' || round(score::numeric, 4)) FROM pgrec.recommend_for_interactions('rec_ials',
		ARRAY[7, 2, 7], k => 5))
	= (SELECT array_agg(item_id || ':' || round(score::numeric, 4)) FROM pgrec.recommend_for_interactions('rec_ials',
		ARRAY[2, 7], ARRAY[1, 2]::real[], 5)) AS repeated_clicks_add_up;
SELECT error_of($$SELECT * FROM pgrec.recommend_for_interactions('rec_als', ARRAY[1, 2], ARRAY[5, 'Infinity']::real[])$$);
SELECT users FROM pgrec.train('rec_bpr', 'rec_clicks', 'user_id', 'item_id', algorithm => 'bpr', factors => 8, epochs => 40, learning_rate => 0.1);
SELECT count(*) AS bpr_own_group FROM pgrec.recommend_for_interactions('rec_bpr', ARRAY[21, 22, 23, 24], k => 5) WHERE item_id > 20;
-- Retraining in this session is seen by the next call (the cache reloads the new version).
SELECT dims(factors) FROM pgrec.user_factors WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'rec_ials') LIMIT 1;
SELECT users FROM pgrec.train('rec_ials', 'rec_clicks', 'user_id', 'item_id', algorithm => 'ials', factors => 4, epochs => 10);
SELECT count(*) = 3 AS serves_new_version FROM pgrec.recommend_for_vector('rec_ials', '[1, 0, 0, 0]', 3);
SELECT pgrec.drop_model('rec_ials');
SELECT error_of($$SELECT * FROM pgrec.recommend('rec_ials', 1)$$);
-- Errors.
SELECT error_of($$SELECT * FROM pgrec.recommend('no_such_model', 1)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('exact', 1, 0)$$);
SELECT error_of($$SELECT * FROM pgrec.similar_items('exact', 1, -5)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_all('exact', 0)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_interactions('rec_als', ARRAY[1, 2])$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_interactions('rec_als', ARRAY[1, 2], ARRAY[5]::real[])$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_interactions('rec_bpr', ARRAY[999, 998])$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_interactions('rec_bpr', ARRAY[1, NULL])$$);
CREATE TABLE bad_factors (id int, f real[]);
SELECT error_of($$SELECT pgrec.import_model('bad', 'bad_factors', 'id', 'f')$$);
INSERT INTO bad_factors VALUES (1, '{1,2}'), (2, '{1,2,3}');
SELECT error_of($$SELECT pgrec.import_model('bad', 'bad_factors', 'id', 'f')$$);
UPDATE bad_factors SET f = '{1,2}', id = 1;
SELECT error_of($$SELECT pgrec.import_model('bad', 'bad_factors', 'id', 'f')$$);
SELECT error_of($$SELECT pgrec.import_model('bad', 'bad_factors', 'id', 'no_column')$$);
SELECT error_of($$SELECT pgrec.import_model('bad', 'rec_items', 'item_id', 'f', 'bad_factors', 'id')$$);
-- The internal half, called directly: its queries must give (bigint, real, embedding) rows by
-- ascending id, without NULLs or non-finite values; the bias of a side without one is ignored.
SELECT error_of($$SELECT pgrec.store_imported_model('bad', 'x', 'user_id', 'item_id', 'SELECT 1::bigint, NULL::real, ''x''::text', false, NULL, false)$$);
SELECT error_of($$SELECT pgrec.store_imported_model('bad', 'x', 'user_id', 'item_id', 'SELECT 1::bigint, NULL::real', false, NULL, false)$$);
SELECT error_of($$SELECT pgrec.store_imported_model('bad', 'x', 'user_id', 'item_id', 'SELECT 1::bigint, NULL::real, ''[1, 2]''::embedding', false, 'SELECT 1, 2, 3 WHERE false', false)$$);
SELECT error_of($$SELECT pgrec.store_imported_model('bad', 'x', 'user_id', 'item_id', 'SELECT i::bigint, NULL::real, ''[1, 2]''::embedding FROM generate_series(3, 1, -1) i', false, NULL, false)$$);
SELECT error_of($$SELECT pgrec.store_imported_model('bad', 'x', 'user_id', 'item_id', 'SELECT 1::bigint, NULL::real, ''[1, 2]''::embedding', true, NULL, false)$$);
SELECT error_of($$SELECT pgrec.store_imported_model('bad', 'x', 'user_id', 'item_id', 'SELECT 1::bigint, ''Infinity''::real, ''[1, 2]''::embedding', true, NULL, false)$$);
SELECT error_of($$SELECT pgrec.store_imported_model('bad', 'x', 'user_id', 'item_id', 'SELECT 1::bigint, 0::real, ''[1, 2]''::embedding', false, 'SELECT 1::bigint, NULL::real, ''[1, 2, 3]''::embedding', false)$$);
SELECT error_of($$SELECT pgrec.store_imported_model('bad', 'x', 'user_id', 'item_id', 'SELECT 1::bigint, NULL::real, ''[1, 2]''::embedding WHERE false', false, NULL, false)$$);
SELECT count(*) AS bad_models FROM pgrec.models WHERE name = 'bad';
-- What this backend holds in its model cache.
SELECT name, users, items, bytes > 0 AS has_memory FROM pgrec.cached_models() ORDER BY name;
