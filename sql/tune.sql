-- pgrec.synthetic_ratings() and pgrec.tune(): planted data, grid and random search, errors.
SET pgrec.progress = off;
SET pgrec.threads = 1;
SELECT count(*) AS ratings, count(DISTINCT user_id) AS users, count(DISTINCT item_id) AS items,
	min(rating), max(rating)
FROM pgrec.synthetic_ratings(100, 60, 20, 3);
-- Users rate the items of their own genre (user_id % 3 = item_id % 3) 4 or 5, others 1 to 3.
SELECT (user_id % 3 = item_id % 3) AS own_genre, min(rating), max(rating)
FROM pgrec.synthetic_ratings(100, 60, 20, 3) GROUP BY 1 ORDER BY 1;
-- Deterministic for a seed, different for another.
SELECT (SELECT array_agg(item_id ORDER BY user_id, item_id) FROM pgrec.synthetic_ratings(10, 30, 5))
	= (SELECT array_agg(item_id ORDER BY user_id, item_id) FROM pgrec.synthetic_ratings(10, 30, 5)) AS same_seed_same_data,
	(SELECT array_agg(item_id ORDER BY user_id, item_id) FROM pgrec.synthetic_ratings(10, 30, 5))
	<> (SELECT array_agg(item_id ORDER BY user_id, item_id) FROM pgrec.synthetic_ratings(10, 30, 5, seed => 7)) AS other_seed_other_data;
CREATE TABLE tune_ratings AS SELECT * FROM pgrec.synthetic_ratings(200, 80, 25, 4);
CREATE VIEW tune_train AS SELECT * FROM tune_ratings WHERE (user_id + item_id) % 5 <> 0;
CREATE VIEW tune_validation AS SELECT * FROM tune_ratings WHERE (user_id + item_id) % 5 = 0;
-- Grid search: every combination, exactly one best, and the best is kept as the model.
CREATE TABLE grid AS
SELECT * FROM pgrec.tune('tuned', 'tune_train', 'tune_validation', 'user_id', 'item_id', 'rating',
	factors => '{4,8}', regularization => '{0.05,0.5}', epochs => '{5}');
SELECT trial, trial_factors, trial_regularization, trial_epochs, rmse < 1.2 AS rmse_sane, best FROM grid ORDER BY trial;
SELECT count(*) FILTER (WHERE best) AS best_trials,
	(SELECT min(rmse) FROM grid) = (SELECT rmse FROM grid WHERE best) AS best_has_lowest_rmse FROM grid;
SELECT m.factors = g.trial_factors AND (m.hyperparameters->>'regularization')::float8 = g.trial_regularization AS model_is_best_trial
FROM pgrec.models m, grid g WHERE m.name = 'tuned' AND g.best;
SELECT count(*) AS leftover_trial_models FROM pgrec.models WHERE name LIKE 'tuned (%';
SELECT DISTINCT trial_parameters AS trial_parameters_without_grid FROM grid;
SELECT round(rmse::numeric, 6) = (SELECT round(rmse::numeric, 6) FROM grid WHERE best) AS same_rmse_as_reported
FROM pgrec.evaluate('tuned', 'tune_validation', 'user_id', 'item_id', 'rating');
-- Tuning into an existing model publishes a new version and keeps the older ones.
SELECT count(*) AS trials FROM pgrec.tune('tuned', 'tune_train', 'tune_validation', 'user_id', 'item_id', 'rating',
	factors => '{4}', regularization => '{0.1}', epochs => '{3}');
SELECT string_agg(version::text, ',' ORDER BY version) AS versions_kept, count(*) FILTER (WHERE is_current) AS current
FROM pgrec.model_versions WHERE name = 'tuned';
SELECT pgrec.rollback('tuned') AS rolled_back_to;
-- Random search: a seeded sample of the combinations, ranked by NDCG for implicit models.
SELECT count(*) AS trials, count(*) FILTER (WHERE best) AS best
FROM pgrec.tune('tuned_implicit', 'SELECT * FROM tune_train WHERE rating >= 4', 'SELECT * FROM tune_validation WHERE rating >= 4',
	'user_id', 'item_id', algorithm => 'ials', factors => '{4,8,16}', alpha => '{1,10,40}', epochs => '{5}', trials => 3);
-- grid: any hyper-parameter of the algorithm, here item_knn's neighbors x similarity (4 trials,
-- the first key varying slowest), each reported in trial_parameters.
CREATE TABLE knn_grid AS
SELECT * FROM pgrec.tune('tuned_knn', 'SELECT * FROM tune_train WHERE rating >= 4', 'SELECT * FROM tune_validation WHERE rating >= 4',
	'user_id', 'item_id', algorithm => 'item_knn', grid => '{"similarity": ["cosine", "jaccard"], "neighbors": [2, 40]}');
SELECT trial, trial_factors, trial_parameters, round(ndcg_at_k::numeric, 4) AS ndcg_at_k, best FROM knn_grid ORDER BY trial;
-- The best trial has the highest NDCG, and it is the model kept.
SELECT count(*) FILTER (WHERE best) AS best_trials,
	(SELECT max(ndcg_at_k) FROM knn_grid) = (SELECT ndcg_at_k FROM knn_grid WHERE best) AS best_has_highest_ndcg,
	(SELECT min(ndcg_at_k) FROM knn_grid) < (SELECT max(ndcg_at_k) FROM knn_grid) AS trials_differ
FROM knn_grid;
SELECT m.algorithm, m.hyperparameters->'neighbors' = g.trial_parameters->'neighbors'
	AND m.hyperparameters->'similarity' = g.trial_parameters->'similarity' AS model_is_best_trial
FROM pgrec.models m, knn_grid g WHERE m.name = 'tuned_knn' AND g.best;
SELECT round(ndcg_at_k::numeric, 6) = (SELECT round(ndcg_at_k::numeric, 6) FROM knn_grid WHERE best) AS same_ndcg_as_reported
FROM pgrec.evaluate('tuned_knn', 'SELECT * FROM tune_validation WHERE rating >= 4', 'user_id', 'item_id');
SELECT count(*) AS leftover_trial_models FROM pgrec.models WHERE name LIKE 'tuned_knn (%';
-- svd: a grid of normalization, crossed with the factors list.
CREATE TABLE svd_grid AS
SELECT * FROM pgrec.tune('tuned_svd', 'SELECT * FROM tune_train WHERE rating >= 4', 'SELECT * FROM tune_validation WHERE rating >= 4',
	'user_id', 'item_id', algorithm => 'svd', factors => '{4}', grid => '{"normalization": [0, 0.5, 1]}');
SELECT trial, trial_factors, trial_parameters, round(ndcg_at_k::numeric, 4) AS ndcg_at_k, best FROM svd_grid ORDER BY trial;
SELECT (SELECT max(ndcg_at_k) FROM svd_grid) = (SELECT ndcg_at_k FROM svd_grid WHERE best) AS best_has_highest_ndcg,
	(m.hyperparameters->>'normalization')::float8 = (g.trial_parameters->>'normalization')::float8 AND m.factors = 4 AS model_is_best_trial
FROM pgrec.models m, svd_grid g WHERE m.name = 'tuned_svd' AND g.best;
-- grid crosses the dedicated lists, and may hold factors (then the factors list is unused).
SELECT trial, trial_factors, trial_regularization, trial_epochs, trial_parameters, best IS NOT NULL AS ranked
FROM pgrec.tune('tuned_als', 'tune_train', 'tune_validation', 'user_id', 'item_id', 'rating',
	regularization => '{0.1,1}', epochs => '{2}', grid => '{"factors": [2, 4], "init_scale": [0.05]}');
SELECT factors, hyperparameters->'init_scale' AS init_scale FROM pgrec.models WHERE name = 'tuned_als';
-- trials samples the whole cross product with the seed: the same seed picks the same trials.
CREATE TABLE sampled AS
SELECT run, seed, trial_parameters
FROM unnest('{42,42,7}'::bigint[]) WITH ORDINALITY s(seed, run),
	LATERAL pgrec.tune('tuned_sampled_' || run, 'SELECT * FROM tune_train WHERE rating >= 4', 'SELECT * FROM tune_validation WHERE rating >= 4',
		'user_id', 'item_id', algorithm => 'item_knn', trials => 3, seed => s.seed,
		grid => '{"neighbors": [2, 5, 10, 40], "similarity": ["cosine", "jaccard", "pearson"]}');
SELECT run, seed, count(*) AS trials, count(DISTINCT trial_parameters) AS distinct_trials,
	jsonb_agg(trial_parameters ORDER BY trial_parameters->>'similarity', (trial_parameters->>'neighbors')::int) AS picked
FROM sampled GROUP BY run, seed ORDER BY run;
SELECT (SELECT array_agg(trial_parameters ORDER BY trial_parameters::text) FROM sampled WHERE run = 1)
	= (SELECT array_agg(trial_parameters ORDER BY trial_parameters::text) FROM sampled WHERE run = 2) AS same_seed_same_trials,
	(SELECT array_agg(trial_parameters ORDER BY trial_parameters::text) FROM sampled WHERE run = 1)
	<> (SELECT array_agg(trial_parameters ORDER BY trial_parameters::text) FROM sampled WHERE run = 3) AS other_seed_other_trials;
-- validation fold_in with a grid: users 161-200 are held out, a third of their items to predict
-- from the others.
CREATE VIEW fold_train AS SELECT * FROM tune_ratings WHERE rating >= 4 AND user_id <= 160;
CREATE VIEW fold_history AS SELECT * FROM tune_ratings WHERE rating >= 4 AND user_id > 160 AND item_id % 3 <> 0;
CREATE VIEW fold_truth AS SELECT * FROM tune_ratings WHERE rating >= 4 AND user_id > 160 AND item_id % 3 = 0;
CREATE TABLE fold_grid AS
SELECT * FROM pgrec.tune('tuned_fold', 'fold_train', 'fold_truth', 'user_id', 'item_id', algorithm => 'user_knn',
	validation => 'fold_in', validation_history => 'fold_history', grid => '{"neighbors": [3, 50], "shrinkage": [0, 10]}');
SELECT trial, trial_parameters, round(ndcg_at_k::numeric, 4) AS ndcg_at_k, best FROM fold_grid ORDER BY trial;
SELECT (SELECT max(ndcg_at_k) FROM fold_grid) = (SELECT ndcg_at_k FROM fold_grid WHERE best) AS best_has_highest_ndcg,
	m.hyperparameters->'neighbors' = g.trial_parameters->'neighbors'
	AND (m.hyperparameters->>'shrinkage')::float8 = (g.trial_parameters->>'shrinkage')::float8 AS model_is_best_trial,
	round(f.ndcg_at_k::numeric, 6) = round(g.ndcg_at_k::numeric, 6) AS same_ndcg_as_reported
FROM pgrec.models m, fold_grid g,
	pgrec.evaluate_fold_in('tuned_fold', 'fold_history', 'fold_truth', 'user_id', 'item_id', k => 10) f
WHERE m.name = 'tuned_fold' AND g.best;
-- Errors.
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', 'rating', metric => 'auc')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'ials', metric => 'rmse')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', 'rating', trials => 0)$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', 'rating', factors => '{}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', 'rating', factors => '{0}')$$);
-- Errors of grid.
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'item_knn', grid => '[{"neighbors": [20]}]')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'item_knn', grid => 'null')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'item_knn', grid => '{"factors": [4]}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'ease', grid => '{"Neighbors": [4]}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'item_knn', grid => '{"neighbors => 1); DROP TABLE tune_ratings; --": [1]}')$$);
-- Every hyper-parameter of the registry is an argument of both pgrec.train forms, so tune can
-- search it.
SELECT count(*) AS train_forms FROM pg_proc WHERE proname = 'train' AND pronamespace = 'pgrec'::regnamespace;
SELECT pr.oid::regprocedure AS train, a.name, p.name AS parameter
FROM pg_proc pr, pgrec.algorithms() a, unnest(a.parameters) p(name)
WHERE pr.proname = 'train' AND pr.pronamespace = 'pgrec'::regnamespace AND NOT p.name = ANY (pr.proargnames)
ORDER BY 1, 2, 3;
-- cg_steps is searched: each trial stores its own.
SELECT trial, trial_parameters FROM pgrec.tune('t_cg', 'tune_train', 'tune_validation', 'user_id', 'item_id', 'rating',
	factors => '{4}', epochs => '{2}', grid => '{"cg_steps": [0, 2]}') ORDER BY trial;
SELECT hyperparameters->>'cg_steps' IN ('0', '2') AS stored FROM pgrec.models WHERE name = 't_cg';
SELECT pgrec.drop_model('t_cg');
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'knn', grid => '{"neighbors": [2]}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'item_knn', grid => '{"neighbors": 20}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'item_knn', grid => '{"neighbors": []}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'item_knn', grid => '{"neighbors": [20, 2.5]}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'item_knn', grid => '{"neighbors": ["20"]}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'item_knn', grid => '{"shrinkage": [null]}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'item_knn', grid => '{"similarity": ["cosine", 1]}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'item_knn', grid => '{"similarity": ["dice"]}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'item_knn', grid => '{"neighbors": [0]}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', 'rating', factors => '{8}', grid => '{"factors": [4]}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', 'rating', regularization => '{1}', grid => '{"regularization": [0.1]}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'ials', alpha => '{1}', grid => '{"alpha": [10]}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'ials', epochs => '{1}', grid => '{"epochs": [2]}')$$);
SELECT count(*) AS ratings_intact FROM tune_ratings;
SELECT count(*) AS models_named_t FROM pgrec.models WHERE name LIKE 't%' AND name NOT LIKE 'tuned%';
