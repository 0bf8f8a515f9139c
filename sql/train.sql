-- pgrec.train on small synthetic data with planted structure: quality, determinism, atomic
-- replacement, privileges, row-level security, and every error path.
SET pgrec.progress = off;
SET pgrec.threads = 1;
-- Two taste groups: users 1-30 interact with items 1-20, users 31-60 with items 21-40; for
-- each user the item (user_id % 20) of their group is held out.
CREATE TABLE clicks AS
SELECT u AS user_id, i AS item_id
FROM generate_series(1, 60) u, generate_series(1, 40) i
WHERE (u <= 30) = (i <= 20) AND (u * 7 + i * 3) % 4 <> 0;
CREATE TABLE clicks_train AS SELECT * FROM clicks WHERE item_id <> (user_id % 20) + CASE WHEN user_id <= 30 THEN 1 ELSE 21 END;
CREATE TABLE clicks_test AS SELECT * FROM clicks EXCEPT SELECT * FROM clicks_train;
SELECT count(*) AS train_rows, (SELECT count(*) FROM clicks_test) AS test_rows FROM clicks_train;
SELECT model_id > 0 AS has_id, users, items, interactions, skipped_rows, duplicates, final_loss > 0 AS has_loss
FROM pgrec.train('clicks_ials', 'clicks_train', 'user_id', 'item_id', algorithm => 'ials', factors => 8, epochs => 10);
-- Held-out items of the planted group rank near the top: every user finds theirs in the top 10
-- (about 15 unseen items of the own group compete with 20 of the other group).
SELECT round(recall_at_k::numeric, 2) AS recall_at_10, round(hit_rate_at_k::numeric, 2) AS hit_rate,
	rmse IS NULL AS no_rmse_for_implicit, users, test_interactions
FROM pgrec.evaluate('clicks_ials', 'clicks_test', 'user_id', 'item_id', k => 10);
-- alpha, not given, follows the data: 1 / sqrt(density), rounded to 0.1, within [1, 100].
SELECT (hyperparameters->>'alpha')::float8 AS alpha,
	(hyperparameters->>'alpha')::float8 = least(100, greatest(1,
		round(10 / sqrt(interactions::float8 / (users * items)))::float8 / 10)) AS from_density
FROM pgrec.models WHERE name = 'clicks_ials';
-- Items of the user's own group score higher than items of the other group for every user.
SELECT count(*) FILTER (WHERE own > other) AS users_preferring_own_group, count(*) AS users
FROM (SELECT uf.user_id,
		avg(-(uf.factors <#> itf.factors)) FILTER (WHERE (uf.user_id <= 30) = (itf.item_id <= 20)) AS own,
		avg(-(uf.factors <#> itf.factors)) FILTER (WHERE (uf.user_id <= 30) <> (itf.item_id <= 20)) AS other
	FROM pgrec.user_factors uf JOIN pgrec.item_factors itf USING (model_id)
	WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'clicks_ials')
	GROUP BY uf.user_id) s;
-- block_size: iALS++ solves each row in subspaces of that many factors (3, 3 and 2 of 8 here),
-- each exactly, once an epoch. It finds every held-out item as the conjugate-gradient default
-- does, ends at nearly the same objective and stores its block_size (that the factors do not
-- depend on the thread count is unit-tested on more rows than one block).
SELECT final_loss > 0 AS has_loss FROM pgrec.train('clicks_blocks', 'clicks_train', 'user_id', 'item_id',
	algorithm => 'ials', factors => 8, epochs => 10, block_size => 3);
SELECT round(recall_at_k::numeric, 2) AS recall_at_10,
	(SELECT hyperparameters->>'block_size' FROM pgrec.models WHERE name = 'clicks_blocks') AS block_size,
	(SELECT abs(b.loss_history[10] / c.loss_history[10] - 1) < 0.02 FROM pgrec.models b, pgrec.models c
	 WHERE b.name = 'clicks_blocks' AND c.name = 'clicks_ials') AS same_objective
FROM pgrec.evaluate('clicks_blocks', 'clicks_test', 'user_id', 'item_id', k => 10);
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', 'user_id', 'item_id', algorithm => 'ials', block_size => -1)$$);
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', 'user_id', 'item_id', algorithm => 'bpr', block_size => 16)$$);
SELECT pgrec.drop_model('clicks_blocks');
-- BPR on the same data.
SELECT users, items, interactions FROM pgrec.train('clicks_bpr', 'clicks_train', 'user_id', 'item_id', algorithm => 'bpr', factors => 8, epochs => 40, learning_rate => 0.1);
SELECT round(recall_at_k::numeric, 1) >= 0.8 AS bpr_recovers_groups FROM pgrec.evaluate('clicks_bpr', 'clicks_test', 'user_id', 'item_id', k => 10);
-- Explicit ratings from a planted rank-2 model: rating = 3 + a_u * b_i + c_u * d_i.
CREATE TABLE stars AS
SELECT u AS user_id, i AS item_id,
	(3 + ((u % 5) - 2) * 0.4 * ((i % 4) - 1.5) + ((u % 3) - 1) * 0.5 * ((i % 7) - 3) / 3)::real AS rating,
	(u * 13 + i * 17) % 10 = 0 AS held_out
FROM generate_series(1, 80) u, generate_series(1, 60) i
WHERE (u + i) % 3 <> 0;
CREATE VIEW stars_train AS SELECT user_id, item_id, rating FROM stars WHERE NOT held_out;
CREATE VIEW stars_test AS SELECT user_id, item_id, rating FROM stars WHERE held_out;
SELECT users, items, interactions, final_loss < 0.1 AS fits_training
FROM pgrec.train('stars_als', 'stars_train', 'user_id', 'item_id', 'rating', factors => 4, epochs => 15, regularization => 0.01);
SELECT rmse < 0.15 AS rmse_below_bound, mae < rmse AS mae_below_rmse, test_interactions
FROM pgrec.evaluate('stars_als', 'stars_test', 'user_id', 'item_id', 'rating');
SELECT algorithm, factors, users, items, interactions, rating_min, rating_max, source, user_column,
	item_column, rating_column, array_length(loss_history, 1) AS epochs,
	hyperparameters->>'regularization' AS regularization, metrics ? 'rmse' AS has_metrics
FROM pgrec.models WHERE name = 'stars_als';
SELECT count(*) AS items_with_bias FROM pgrec.item_factors
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'stars_als') AND bias IS NOT NULL AND dims(factors) = 4;
-- cg_steps: als solves its rows by 2 conjugate-gradient steps by default; 0 solves them
-- exactly, the same fit on this problem.
SELECT final_loss < 0.1 AS fits_training FROM pgrec.train('stars_als_cg', 'stars_train', 'user_id', 'item_id', 'rating',
	factors => 4, epochs => 15, regularization => 0.01, cg_steps => 0);
SELECT (SELECT hyperparameters->>'cg_steps' FROM pgrec.models WHERE name = 'stars_als') AS by_default,
	(SELECT hyperparameters->>'cg_steps' FROM pgrec.models WHERE name = 'stars_als_cg') AS exact;
SELECT rmse < 0.15 AS rmse_below_bound FROM pgrec.evaluate('stars_als_cg', 'stars_test', 'user_id', 'item_id', 'rating');
SELECT error_of($$SELECT pgrec.train('stars_als_cg', 'stars_train', 'user_id', 'item_id', 'rating', cg_steps => -1)$$);
SELECT error_of($$SELECT pgrec.train('stars_als_cg', 'stars_train', 'user_id', 'item_id', 'rating', algorithm => 'bpr', cg_steps => 2)$$);
SELECT pgrec.drop_model('stars_als_cg');
-- The same seed gives the same factors; with 1 or 2 threads for ALS.
CREATE TABLE first_run AS SELECT user_id, factors FROM pgrec.user_factors
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'stars_als');
SET pgrec.threads = 2;
SELECT users FROM pgrec.train('stars_als', 'stars_train', 'user_id', 'item_id', 'rating', factors => 4, epochs => 15, regularization => 0.01);
SELECT count(*) AS identical_users FROM first_run f JOIN pgrec.user_factors u USING (user_id)
WHERE u.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'stars_als') AND u.factors = f.factors;
SELECT users FROM pgrec.train('stars_als', 'stars_train', 'user_id', 'item_id', 'rating', factors => 4, epochs => 15, regularization => 0.01, seed => 7);
SELECT count(*) AS identical_users_other_seed FROM first_run f JOIN pgrec.user_factors u USING (user_id)
WHERE u.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'stars_als') AND u.factors = f.factors;
SET pgrec.threads = 1;
-- Each training is a new version; the last pgrec.keep_versions (3) are kept for rollback.
SELECT version, is_current, factors FROM pgrec.model_versions WHERE name = 'stars_als' ORDER BY version;
SELECT version FROM pgrec.models WHERE name = 'stars_als';
SELECT pgrec.rollback('stars_als');
SELECT version, (SELECT count(*) FROM first_run f JOIN pgrec.user_factors u USING (user_id)
	WHERE u.model_id = m.model_id AND u.factors = f.factors) AS identical_to_first_run
FROM pgrec.models m WHERE name = 'stars_als';
SELECT pgrec.rollback('stars_als', 3);
SELECT error_of($$SELECT pgrec.rollback('stars_als', 7)$$);
SELECT error_of($$SELECT pgrec.rollback('no_such_model')$$);
SET pgrec.keep_versions = 2;
SELECT users FROM pgrec.train('stars_als', 'stars_train', 'user_id', 'item_id', 'rating', factors => 4, epochs => 2);
SELECT version, is_current FROM pgrec.model_versions WHERE name = 'stars_als' ORDER BY version;
RESET pgrec.keep_versions;
-- Seen items are stored per user, ascending.
SELECT seen_items FROM pgrec.user_factors
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'clicks_ials') AND user_id = 1;
-- A query instead of a table (the text overload), with bigint ids and a numeric rating.
SELECT users, items, interactions FROM pgrec.train('query_model',
	'SELECT user_id::bigint AS u, item_id::bigint AS i, rating::numeric AS r FROM stars WHERE user_id <= 10',
	'u', 'i', 'r', factors => 2, epochs => 2);
SELECT source FROM pgrec.models WHERE name = 'query_model';
SELECT users FROM pgrec.train('regclass_model', 'clicks_train'::regclass, 'user_id', 'item_id', algorithm => 'ials', factors => 2, epochs => 1);
SELECT source FROM pgrec.models WHERE name = 'regclass_model';
-- NULL rows are skipped and duplicates merged, both reported.
CREATE TABLE messy (user_id int, item_id int, rating real);
INSERT INTO messy VALUES (1, 1, 5), (1, 1, 3), (1, 2, NULL), (NULL, 2, 4), (2, NULL, 1), (2, 2, 2), (2, 1, 4);
SELECT users, items, interactions, skipped_rows, duplicates FROM pgrec.train('messy', 'messy', 'user_id', 'item_id', 'rating', factors => 2, epochs => 1);
SELECT rating_min, rating_max, global_mean FROM pgrec.models WHERE name = 'messy';
-- Training a name again replaces the model atomically: a rolled-back training leaves the old one.
SELECT factors FROM pgrec.models WHERE name = 'messy';
BEGIN;
SELECT users FROM pgrec.train('messy', 'messy', 'user_id', 'item_id', 'rating', factors => 3, epochs => 1);
SELECT factors FROM pgrec.models WHERE name = 'messy';
ROLLBACK;
SELECT factors, (SELECT count(*) FROM pgrec.item_factors f WHERE f.model_id = m.model_id) AS item_rows
FROM pgrec.models m WHERE name = 'messy';
-- drop_model.
SELECT pgrec.drop_model('messy');
SELECT count(*) AS factor_rows_left FROM pgrec.item_factors f WHERE NOT EXISTS (SELECT 1 FROM pgrec.model_versions m WHERE m.model_id = f.model_id);
SELECT pgrec.drop_model('messy', if_exists => true);
SELECT error_of($$SELECT pgrec.drop_model('messy')$$);
-- Privileges and row-level security: training reads as the calling user.
CREATE ROLE pgrec_reader;
GRANT USAGE ON SCHEMA pgrec TO pgrec_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pgrec TO pgrec_reader;
SET ROLE pgrec_reader;
SELECT error_of($$SELECT pgrec.train('denied', 'clicks_train', 'user_id', 'item_id')$$);
RESET ROLE;
CREATE TABLE own_clicks AS SELECT * FROM clicks_train;
ALTER TABLE own_clicks ENABLE ROW LEVEL SECURITY;
CREATE POLICY first_users ON own_clicks TO pgrec_reader USING (user_id <= 10);
GRANT SELECT ON own_clicks TO pgrec_reader;
SET ROLE pgrec_reader;
SELECT users, interactions FROM pgrec.train('rls_model', 'own_clicks', 'user_id', 'item_id', algorithm => 'ials', factors => 2, epochs => 1);
RESET ROLE;
SELECT pgrec.drop_model('rls_model');
DROP OWNED BY pgrec_reader;
DROP ROLE pgrec_reader;
-- Memory limit.
SET pgrec.training_memory_limit = '64kB';
SELECT error_of($$SELECT pgrec.train('big', 'stars_train', 'user_id', 'item_id', 'rating')$$);
RESET pgrec.training_memory_limit;
-- Bad input: each gets an error with its SQLSTATE.
CREATE TABLE empty_source (user_id int, item_id int, rating real);
CREATE TABLE null_source AS SELECT NULL::int AS user_id, 1 AS item_id;
CREATE TABLE text_ids AS SELECT 'u1'::text AS user_id, 1 AS item_id, 'good'::text AS rating;
CREATE TABLE bad_ratings (user_id int, item_id int, rating float8);
INSERT INTO bad_ratings VALUES (1, 1, 'NaN');
CREATE TABLE negative_counts AS SELECT 1 AS user_id, 1 AS item_id, -2 AS plays;
SELECT error_of($$SELECT pgrec.train('e', 'empty_source', 'user_id', 'item_id')$$);
SELECT error_of($$SELECT pgrec.train('e', 'null_source', 'user_id', 'item_id')$$);
SELECT error_of($$SELECT pgrec.train('e', 'no_such_table', 'user_id', 'item_id')$$);
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', 'no_such_column', 'item_id')$$);
SELECT error_of($$SELECT pgrec.train('e', 'text_ids', 'user_id', 'item_id')$$);
SELECT error_of($$SELECT pgrec.train('e', 'SELECT 1 AS user_id, 2 AS item_id, ''x''::text AS rating', 'user_id', 'item_id', 'rating')$$);
SELECT error_of($$SELECT pgrec.train('e', 'bad_ratings', 'user_id', 'item_id', 'rating')$$);
SELECT error_of($$SELECT pgrec.train('e', 'negative_counts', 'user_id', 'item_id', 'plays', algorithm => 'ials')$$);
SELECT error_of($$SELECT pgrec.train('e', 'SELECT * FROM', 'user_id', 'item_id')$$);
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', 'user_id', 'item_id', algorithm => 'lightgcn')$$);
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', 'user_id', 'item_id', factors => 0)$$);
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', 'user_id', 'item_id', factors => 4097)$$);
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', 'user_id', 'item_id', epochs => 0)$$);
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', 'user_id', 'item_id', regularization => -1)$$);
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', 'user_id', 'item_id', regularization => 'NaN')$$);
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', 'user_id', 'item_id', algorithm => 'bpr', learning_rate => 0)$$);
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', 'user_id', 'item_id', algorithm => 'ials', alpha => 'Infinity')$$);
SELECT error_of($$SELECT pgrec.train(NULL, 'clicks_train', 'user_id', 'item_id')$$);
SELECT error_of($$SELECT pgrec.train('', 'clicks_train', 'user_id', 'item_id')$$);
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', NULL, 'item_id')$$);
SELECT error_of($$SELECT pgrec.train('e', NULL::regclass, 'user_id', 'item_id')$$);
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', 'user_id', 'item_id', algorithm => NULL)$$);
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', 'user_id', 'item_id', algorithm => 'bpr', learning_rate => 1e30, epochs => 5)$$);
SELECT error_of($$SELECT pgrec.evaluate('no_such_model', 'clicks_test', 'user_id', 'item_id')$$);
SELECT error_of($$SELECT pgrec.evaluate('clicks_ials', 'clicks_test', 'user_id', 'item_id', k => 0)$$);
SELECT error_of($$SELECT pgrec.evaluate('clicks_ials', 'clicks_test', 'user_id', 'item_id', relevance_threshold => 4)$$);
SELECT count(*) AS models_left_by_errors FROM pgrec.models WHERE name = 'e';
-- Every function that writes models refuses a read-only transaction before doing any work (on
-- a standby it names the primary in a hint; test/shell/read_replica.sh).
CREATE TABLE read_only_items AS SELECT 1 AS item_id, ARRAY[1, 2]::real[] AS f;
BEGIN READ ONLY;
SELECT error_of($$SELECT pgrec.train('e', 'clicks_train', 'user_id', 'item_id')$$);
SELECT error_of($$CALL pgrec.retrain('clicks_ials')$$);
SELECT error_of($$SELECT pgrec.refresh('clicks_ials')$$);
SELECT error_of($$SELECT pgrec.rollback('clicks_ials')$$);
SELECT error_of($$SELECT pgrec.drop_model('clicks_ials')$$);
SELECT error_of($$SELECT pgrec.publish_version('clicks_ials', 'e')$$);
SELECT error_of($$SELECT pgrec.import_model('e', 'read_only_items', 'item_id', 'f')$$);
SELECT count(*) AS served_read_only FROM pgrec.recommend('clicks_ials', 1, 3);
-- evaluate() returns its figures without storing them.
SELECT recall_at_k > 0 AS evaluated_read_only FROM pgrec.evaluate('clicks_ials', 'clicks_test', 'user_id', 'item_id', k => 10);
ROLLBACK;
