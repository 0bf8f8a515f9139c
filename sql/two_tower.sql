-- The two-tower network (algorithm two_tower): training with each loss, the stored
-- hyper-parameters, serving by the dot-product scan, determinism for a seed, cold items from
-- their features, fold-in and explanations, and every bad hyper-parameter.
SET pgrec.progress = off;
SET pgrec.threads = 1;
CREATE TABLE tt_ratings AS SELECT user_id, item_id, rating, genre FROM pgrec.synthetic_ratings(120, 60, 15, 3);
CREATE TABLE tt_clicks AS SELECT user_id, item_id FROM tt_ratings WHERE rating >= 4;

-- 1. The sampled softmax (the default loss) on clicks, small towers.
SELECT users, items, interactions, final_loss > 0 AS has_loss
FROM pgrec.train('tt', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', factors => 8,
	hidden_layers => '{16}', epochs => 30, batch_size => 32, learning_rate => 0.01);
SELECT hyperparameters - 'threads' AS hyperparameters, array_length(loss_history, 1) AS epochs
FROM pgrec.models WHERE name = 'tt';
-- The ranking losses score by cosine over the temperature 0.1: the stored item outputs have
-- length 1, the users' 10.
SELECT round(min(l2_norm(factors))::numeric, 3) AS min_item_norm, round(max(l2_norm(factors))::numeric, 3) AS max_item_norm
FROM pgrec.item_factors WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'tt');
SELECT round(avg(l2_norm(factors))::numeric, 2) AS user_norm
FROM pgrec.user_factors WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'tt');
-- The planted genres are learnt: the items recommended to users 1 to 30 (each loves genre
-- user % 3) are mostly of their genre.
SELECT round(avg((r.item_id % 3 = u % 3)::int), 2) >= 0.8 AS mostly_own_genre
FROM generate_series(1, 30) u, pgrec.recommend('tt', u, 5) r;
-- Served with the other algorithms' functions: neighbours by cosine are of the same genre.
SELECT round(avg((s.similar_item_id % 3 = 1)::int), 2) >= 0.8 AS similar_same_genre
FROM pgrec.similar_items('tt', 1, 5) s;

-- 2. One thread trains the same factors for a seed; another seed trains others.
SELECT users FROM pgrec.train('tt_again', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower',
	factors => 8, hidden_layers => '{16}', epochs => 30, batch_size => 32, learning_rate => 0.01);
SELECT users FROM pgrec.train('tt_seed', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower',
	factors => 8, hidden_layers => '{16}', epochs => 30, batch_size => 32, learning_rate => 0.01, seed => 7);
CREATE FUNCTION tt_md5(model text) RETURNS text LANGUAGE sql AS $$
	SELECT md5(string_agg(f.factors::text, ';' ORDER BY f.item_id))
	FROM pgrec.item_factors f JOIN pgrec.models m USING (model_id) WHERE m.name = model $$;
SELECT tt_md5('tt') = tt_md5('tt_again') AS same_seed_same_factors,
	tt_md5('tt') = tt_md5('tt_seed') AS other_seed_same_factors;
-- Retraining reads the stored hyper-parameters (hidden_layers included) and trains the same.
SELECT users FROM pgrec.retrain_model('tt_again', warm_start => false);
SELECT tt_md5('tt') = tt_md5('tt_again') AS retrained_same_factors;
SELECT pgrec.drop_model('tt_again'), pgrec.drop_model('tt_seed');

-- 3. A new user is the mean of its items' outputs, and explanations add up to its score.
SELECT count(*) AS recommended FROM pgrec.recommend_for_interactions('tt', '{3, 6, 9}', k => 5);
WITH r AS (SELECT item_id, score FROM pgrec.recommend_for_interactions('tt', '{3, 6, 9}', k => 1)),
e AS (SELECT sum(contribution) AS total FROM r, pgrec.explain_for_interactions('tt', '{3, 6, 9}', NULL, r.item_id, 3))
SELECT abs(r.score - e.total) < 1e-4 AS explained_exactly FROM r, e;

-- refresh folds a new item in from its users at a trained item's length (1), so it does not
-- outscore the others tenfold.
INSERT INTO tt_clicks VALUES (3, 70), (6, 70), (9, 70);
SELECT users, items, new_items FROM pgrec.refresh('tt');
SELECT round(l2_norm(factors)::numeric, 3) AS new_item_norm FROM pgrec.item_factors
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'tt') AND item_id = 70;
DELETE FROM tt_clicks WHERE item_id = 70;

-- 4. BPR on clicks, and the squared loss on ratings (RMSE, evaluated against the ratings).
SELECT final_loss > 0 AS has_loss
FROM pgrec.train('tt_bpr', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', loss => 'bpr',
	factors => 8, hidden_layers => '{16}', epochs => 20, batch_size => 32, learning_rate => 0.01);
SELECT round(avg((r.item_id % 3 = u % 3)::int), 2) >= 0.8 AS bpr_mostly_own_genre
FROM generate_series(1, 30) u, pgrec.recommend('tt_bpr', u, 5) r;
SELECT final_loss < 1 AS rmse_below_1
FROM pgrec.train('tt_rated', 'tt_ratings', 'user_id', 'item_id', 'rating', algorithm => 'two_tower',
	loss => 'squared', factors => 8, hidden_layers => '{16, 8}', epochs => 40, batch_size => 64,
	learning_rate => 0.01, dropout => 0.1);
SELECT round(rmse::numeric, 2) < 1.2 AS test_rmse_below_1_2
FROM pgrec.evaluate('tt_rated', 'tt_ratings', 'user_id', 'item_id', 'rating', k => 5);
SELECT pgrec.drop_model('tt_bpr'), pgrec.drop_model('tt_rated');

-- 5. Item features: items 61 to 66 have no clicks, only their genre; the towers place them.
CREATE TABLE tt_items AS SELECT i AS item_id, ARRAY['genre' || (i % 3)] AS tags, 'filler words' AS title
FROM generate_series(1, 66) i;
SELECT items FROM pgrec.train('tt_cold', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower',
	factors => 8, hidden_layers => '{16}', epochs => 30, batch_size => 32, learning_rate => 0.01,
	dropout => 0.1, item_features => 'tt_items');
-- Among the cold items, each of users 1 to 30 scores those of its genre above the others.
WITH s AS (
	SELECT u, i.item_id, u.f <#> i.factors AS negative_score
	FROM (SELECT user_id AS u, factors AS f FROM pgrec.user_factors
		WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'tt_cold') AND user_id <= 30) u,
	(SELECT item_id, factors FROM pgrec.item_factors
		WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'tt_cold') AND item_id > 60) i)
SELECT round(avg((item_id % 3 = u % 3)::int), 2) >= 0.8 AS cold_top_is_own_genre
FROM (SELECT DISTINCT ON (u) u, item_id FROM s ORDER BY u, negative_score) best;
SELECT count(*) AS feature_rows FROM pgrec.feature_factors
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'tt_cold');
-- A new feature-only item cannot be placed without the towers, which are not stored.
INSERT INTO tt_items VALUES (67, '{genre1}', 'new');
\set VERBOSITY terse
SELECT error_of($$SELECT * FROM pgrec.refresh('tt_cold')$$);
\set VERBOSITY default
SELECT pgrec.drop_model('tt_cold');

-- 6. tune searches the towers' shapes too: hidden_layers takes arrays of integers (16.0 is one).
SELECT trial, trial_parameters, recall_at_k > 0 AS found_some
FROM pgrec.tune('tt_tuned', 'SELECT * FROM tt_clicks WHERE (user_id + item_id) % 5 <> 0',
	'SELECT * FROM tt_clicks WHERE (user_id + item_id) % 5 = 0', 'user_id', 'item_id', algorithm => 'two_tower',
	factors => '{8}', epochs => '{20}', grid => '{"hidden_layers": [[8], [16.0, 8]], "batch_size": [32], "learning_rate": [0.01]}')
ORDER BY trial;
SELECT hyperparameters -> 'hidden_layers' AS kept_layers FROM pgrec.models WHERE name = 'tt_tuned';
\set VERBOSITY terse
SELECT error_of($$SELECT * FROM pgrec.tune('tt_tuned', 'tt_clicks', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', grid => '{"hidden_layers": [8]}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('tt_tuned', 'tt_clicks', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', grid => '{"hidden_layers": [[8, 1.5]]}')$$);
\set VERBOSITY default
SELECT pgrec.drop_model('tt_tuned');

-- 7. Bad hyper-parameters, one statement each.
\set VERBOSITY terse
SELECT error_of($$SELECT * FROM pgrec.train('tt_bad', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', hidden_layers => '{}')$$);
SELECT error_of($$SELECT * FROM pgrec.train('tt_bad', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', hidden_layers => '{64, 0}')$$);
SELECT error_of($$SELECT * FROM pgrec.train('tt_bad', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', hidden_layers => '{-3}')$$);
SELECT error_of($$SELECT * FROM pgrec.train('tt_bad', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', hidden_layers => '{1,2,3,4,5,6,7,8,9}')$$);
SELECT error_of($$SELECT * FROM pgrec.train('tt_bad', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', hidden_layers => '{{1,2},{3,4}}')$$);
SELECT error_of($$SELECT * FROM pgrec.train('tt_bad', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', hidden_layers => '{64,NULL}')$$);
SELECT error_of($$SELECT * FROM pgrec.train('tt_bad', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', dropout => 1)$$);
SELECT error_of($$SELECT * FROM pgrec.train('tt_bad', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', dropout => -0.1)$$);
SELECT error_of($$SELECT * FROM pgrec.train('tt_bad', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', batch_size => 0)$$);
SELECT error_of($$SELECT * FROM pgrec.train('tt_bad', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', loss => 'warp')$$);
SELECT error_of($$SELECT * FROM pgrec.train('tt_bad', 'tt_clicks', 'user_id', 'item_id', algorithm => 'hybrid', loss => 'softmax')$$);
SELECT error_of($$SELECT * FROM pgrec.train('tt_bad', 'tt_clicks', 'user_id', 'item_id', algorithm => 'als', hidden_layers => '{8}')$$);
SELECT error_of($$SELECT * FROM pgrec.train('tt_bad', 'tt_clicks', 'user_id', 'item_id', algorithm => 'two_tower', loss => 'squared')$$);
-- A stored hidden_layers that is not an array of integers, or out of range, is refused.
UPDATE pgrec.model_versions SET hyperparameters = hyperparameters || '{"hidden_layers": "wide"}'
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'tt');
SELECT error_of($$SELECT * FROM pgrec.retrain_model('tt')$$);
UPDATE pgrec.model_versions SET hyperparameters = hyperparameters || '{"hidden_layers": [16, 0.5]}'
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'tt');
SELECT error_of($$SELECT * FROM pgrec.retrain_model('tt')$$);
UPDATE pgrec.model_versions SET hyperparameters = hyperparameters || '{"hidden_layers": []}'
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'tt');
SELECT error_of($$SELECT * FROM pgrec.retrain_model('tt')$$);
\set VERBOSITY default
UPDATE pgrec.model_versions SET hyperparameters = hyperparameters || '{"hidden_layers": [16]}'
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'tt');
SELECT pgrec.drop_model('tt');
DROP FUNCTION tt_md5(text);
DROP TABLE tt_ratings, tt_clicks, tt_items;
