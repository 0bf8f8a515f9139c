-- NeuMF (algorithm neumf): training on clicks, the stored network, serving through it
-- (recommend, the candidates re-ranker, recommend_all, evaluate), determinism for a seed, fold-in
-- of visitors and of refreshed rows, rollback, what it cannot serve, every bad hyper-parameter
-- and a corrupted network.
SET pgrec.progress = off;
SET pgrec.threads = 1;
CREATE TABLE nm_clicks AS
	SELECT user_id, item_id FROM pgrec.synthetic_ratings(120, 60, 15, 3) WHERE rating >= 4;

-- 1. Small embeddings and layers; the planted genres are learnt.
SELECT users, items, interactions, final_loss < 0.6 AS learnt
FROM pgrec.train('nm', 'nm_clicks', 'user_id', 'item_id', algorithm => 'neumf', factors => 16,
	hidden_layers => '{16, 8}', epochs => 30, batch_size => 32, learning_rate => 0.01);
SELECT hyperparameters - 'threads' AS hyperparameters, factors, array_length(loss_history, 1) AS epochs
FROM pgrec.models WHERE name = 'nm';
-- The network: the MLP tower from the 16 floats of a user's and an item's MLP halves to one
-- output, then the GMF branch's 8 weights.
SELECT layer, inputs, outputs, cardinality(weights) AS weights, cardinality(bias) AS biases
FROM pgrec.network_layers JOIN pgrec.models USING (model_id) WHERE name = 'nm' ORDER BY layer;
SELECT round(avg((r.item_id % 3 = u % 3)::int), 2) >= 0.8 AS mostly_own_genre
FROM generate_series(1, 30) u, pgrec.recommend('nm', u, 5) r;
-- Scores come in order, and the candidates re-ranker scores exactly what recommend() scores.
SELECT bool_and(score <= prev) AS ordered FROM (
	SELECT score, lag(score, 1, 'infinity') OVER (ORDER BY ordinality) AS prev
	FROM pgrec.recommend('nm', 7, 10) WITH ORDINALITY) s;
WITH full_list AS (SELECT item_id, score FROM pgrec.recommend('nm', 7, 60, exclude_seen => false)),
reranked AS (SELECT item_id, score FROM pgrec.recommend('nm', 7, 3, exclude_seen => false,
	candidates => '{5, 10, 11, 40, 999}'))
SELECT r.item_id, r.score = f.score AS same_score FROM reranked r JOIN full_list f USING (item_id);
-- Every user's top 3 in one call: the same lists as recommend().
SELECT count(*) AS rows, count(DISTINCT user_id) AS users FROM pgrec.recommend_all('nm', 3);
SELECT bool_and(a.item_id = r.item_id) AS recommend_all_matches
FROM pgrec.recommend_all('nm', 3) a
JOIN LATERAL (SELECT item_id, ordinality FROM pgrec.recommend('nm', a.user_id, 3) WITH ORDINALITY) r
	ON r.ordinality = a.rank WHERE a.user_id <= 20;
-- evaluate ranks through the network: the held-out genre is found (users' clicks are their genre).
CREATE TABLE nm_test AS SELECT u AS user_id, i AS item_id FROM generate_series(1, 30) u,
	generate_series(1, 60) i WHERE i % 3 = u % 3 AND NOT EXISTS (
	SELECT 1 FROM nm_clicks c WHERE c.user_id = u AND c.item_id = i);
SELECT precision_at_k > 0.8 AS precise, users FROM pgrec.evaluate('nm', 'nm_test', 'user_id', 'item_id', k => 5);
-- evaluate_fold_in fits users 1 to 30 from their clicks against the network, as visitors.
SELECT precision_at_k > 0.8 AS precise, users
FROM pgrec.evaluate_fold_in('nm', 'SELECT * FROM nm_clicks WHERE user_id <= 30', 'nm_test',
	'user_id', 'item_id', k => 5);
-- Items are similar by the cosine of their embeddings.
SELECT round(avg((s.similar_item_id % 3 = 1)::int), 2) >= 0.6 AS similar_same_genre
FROM pgrec.similar_items('nm', 1, 5) s;

-- 2. One thread trains the same model for a seed (network included); retraining reads the
-- stored hyper-parameters.
CREATE FUNCTION nm_md5(model text) RETURNS text LANGUAGE sql AS $$
	SELECT md5(string_agg(f.factors::text, ';' ORDER BY f.item_id)) || md5(
		(SELECT string_agg(weights::text, ';' ORDER BY layer) FROM pgrec.network_layers l
		 WHERE l.model_id = m.model_id))
	FROM pgrec.item_factors f JOIN pgrec.models m USING (model_id) WHERE m.name = model
	GROUP BY m.model_id $$;
SELECT users FROM pgrec.train('nm_again', 'nm_clicks', 'user_id', 'item_id', algorithm => 'neumf',
	factors => 16, hidden_layers => '{16, 8}', epochs => 30, batch_size => 32, learning_rate => 0.01);
SELECT nm_md5('nm') = nm_md5('nm_again') AS same_seed_same_model;
SELECT users FROM pgrec.retrain_model('nm_again', warm_start => true);
SELECT nm_md5('nm') = nm_md5('nm_again') AS retrained_same_model;
SELECT pgrec.drop_model('nm_again');

-- 3. A visitor is fitted against the network from its items: one who clicked genre 0 items is
-- recommended genre 0 items.
SELECT round(avg((item_id % 3 = 0)::int), 2) >= 0.8 AS visitor_own_genre
FROM pgrec.recommend_for_interactions('nm', '{3, 6, 9, 12, 15}', k => 5);
SELECT count(*) AS reranked FROM pgrec.recommend_for_interactions('nm', '{3, 6, 9}', k => 5,
	candidates => '{1, 2, 4, 5, 7}');

-- refresh fits a new item against the network from its users (genre 1 users), keeps the
-- network, and serves the item to users of its genre.
INSERT INTO nm_clicks SELECT u, 70 FROM generate_series(1, 30) u WHERE u % 3 = 1;
SELECT users, items, new_items FROM pgrec.refresh('nm');
SELECT count(*) AS layers FROM pgrec.network_layers JOIN pgrec.models USING (model_id) WHERE name = 'nm';
SELECT avg(s) FILTER (WHERE u % 3 = 1) > avg(s) FILTER (WHERE u % 3 <> 1) AS new_item_for_its_genre
FROM (SELECT u, (SELECT score FROM pgrec.recommend('nm', u, 1, exclude_seen => false,
	candidates => '{70}')) AS s FROM generate_series(31, 60) u) t;
-- Rollback serves the first version's network again.
SELECT pgrec.rollback('nm');
SELECT version, items FROM pgrec.models WHERE name = 'nm';
SELECT count(*) AS recommended FROM pgrec.recommend('nm', 1, 5);
DELETE FROM nm_clicks WHERE item_id = 70;

-- tune searches negatives like any other hyper-parameter, and keeps the best trial's network.
SELECT trial, trial_parameters, recall_at_k > 0 AS found_some
FROM pgrec.tune('nm_tuned', 'SELECT * FROM nm_clicks WHERE (user_id + item_id) % 5 <> 0',
	'SELECT * FROM nm_clicks WHERE (user_id + item_id) % 5 = 0', 'user_id', 'item_id', algorithm => 'neumf',
	factors => '{16}', epochs => '{10}', grid => '{"negatives": [1, 4], "hidden_layers": [[8]], "batch_size": [32], "learning_rate": [0.01]}')
ORDER BY trial;
SELECT count(*) AS tuned_layers FROM pgrec.network_layers JOIN pgrec.models USING (model_id) WHERE name = 'nm_tuned';
SELECT pgrec.drop_model('nm_tuned');

-- 4. What a network model cannot do.
SELECT * FROM pgrec.recommend_for_vector('nm',
	(SELECT f.factors FROM pgrec.item_factors f JOIN pgrec.models m USING (model_id) WHERE m.name = 'nm' LIMIT 1), 3);
SELECT * FROM pgrec.explain('nm', 1, 3);

-- 5. Bad hyper-parameters.
SELECT * FROM pgrec.train('nm_bad', 'nm_clicks', 'user_id', 'item_id', algorithm => 'neumf', factors => 15);
SELECT * FROM pgrec.train('nm_bad', 'nm_clicks', 'user_id', 'item_id', algorithm => 'neumf', negatives => 0);
SELECT * FROM pgrec.train('nm_bad', 'nm_clicks', 'user_id', 'item_id', algorithm => 'neumf', hidden_layers => '{}');
SELECT * FROM pgrec.train('nm_bad', 'nm_clicks', 'user_id', 'item_id', algorithm => 'neumf', hidden_layers => '{8, 0}');
SELECT * FROM pgrec.train('nm_bad', 'nm_clicks', 'user_id', 'item_id', algorithm => 'neumf', dropout => 1);
SELECT * FROM pgrec.train('nm_bad', 'nm_clicks', 'user_id', 'item_id', algorithm => 'neumf', batch_size => 0);
SELECT * FROM pgrec.train('nm_bad', 'nm_clicks', 'user_id', 'item_id', algorithm => 'neumf', loss => 'bpr');
-- negatives is neumf's own.
SELECT * FROM pgrec.train('nm_bad', 'nm_clicks', 'user_id', 'item_id', algorithm => 'bpr', negatives => 2);

-- 6. A network changed by hand is checked when loaded (the change reaches the cache).
SET client_min_messages = warning;
BEGIN;
UPDATE pgrec.network_layers SET weights = weights[1:3]
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'nm') AND layer = 0;
SELECT * FROM pgrec.recommend('nm', 1, 3);
ROLLBACK;
BEGIN;
UPDATE pgrec.network_layers SET weights[2] = 'NaN'
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'nm') AND layer = 1;
SELECT * FROM pgrec.recommend('nm', 1, 3);
ROLLBACK;
BEGIN;
UPDATE pgrec.network_layers SET inputs = 4, weights = weights[1:4]
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'nm') AND layer = 3;
SELECT * FROM pgrec.recommend('nm', 1, 3);
ROLLBACK;
SELECT count(*) AS served_again FROM pgrec.recommend('nm', 1, 3);
DELETE FROM pgrec.network_layers WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'nm');
SELECT * FROM pgrec.recommend('nm', 1, 3);
RESET client_min_messages;
SELECT pgrec.drop_model('nm');
DROP FUNCTION nm_md5(text);
DROP TABLE nm_clicks, nm_test;
