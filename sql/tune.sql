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
-- Errors.
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', 'rating', metric => 'auc')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', algorithm => 'ials', metric => 'rmse')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', 'rating', trials => 0)$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', 'rating', factors => '{}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'tune_train', 'tune_validation', 'user_id', 'item_id', 'rating', factors => '{0}')$$);
SELECT count(*) AS models_named_t FROM pgrec.models WHERE name LIKE 't%' AND name NOT LIKE 'tuned%';
