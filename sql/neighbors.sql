-- The neighbourhood models 'item_knn' and 'ease' (item-item weights in pgrec.item_neighbors)
-- through the registry: train, every recommend function, evaluate, evaluate_fold_in, refresh,
-- retrain, versions, tune, hand-corrupted rows, and errors.
SET pgrec.progress = off;
SET pgrec.threads = 1;
-- Planted taste groups: user u likes (rates 4 or 5) only items of genre u % 5 = item % 5.
CREATE TABLE nb_likes AS
SELECT user_id, item_id FROM pgrec.synthetic_ratings(300, 200, 40, 5) WHERE rating >= 4;
CREATE TABLE nb_train AS SELECT * FROM nb_likes WHERE (user_id * 31 + item_id * 17) % 7 <> 0;
CREATE TABLE nb_test AS SELECT * FROM nb_likes WHERE (user_id * 31 + item_id * 17) % 7 = 0;
SELECT users, items, interactions, final_loss
FROM pgrec.train('knn', 'nb_train', 'user_id', 'item_id', algorithm => 'item_knn', neighbors => 10);
SELECT users, items, interactions
FROM pgrec.train('ease', 'nb_train', 'user_id', 'item_id', algorithm => 'ease', regularization => 50, neighbors => 30);
-- No factors: the catalog says 0, the rows hold none; every item keeps at most `neighbors`.
SELECT name, algorithm, factors, hyperparameters - 'threads' AS hyperparameters, loss_history
FROM pgrec.models WHERE name IN ('knn', 'ease') ORDER BY name;
SELECT m.name, count(*) FILTER (WHERE f.factors IS NOT NULL OR f.bias IS NOT NULL) AS with_factors
FROM pgrec.models m JOIN pgrec.item_factors f USING (model_id)
WHERE m.name IN ('knn', 'ease') GROUP BY m.name ORDER BY m.name;
SELECT m.name, count(*) AS item_rows, max(cardinality(n.neighbor_ids)) AS most_neighbors,
	bool_and(cardinality(n.neighbor_ids) = cardinality(n.weights)) AS aligned
FROM pgrec.models m JOIN pgrec.item_neighbors n USING (model_id)
WHERE m.name IN ('knn', 'ease') GROUP BY m.name ORDER BY m.name;
-- item_knn weights are cosine similarities: item 7 to each of its neighbours by hand.
SELECT count(*) AS neighbors, bool_and(round(t.w::numeric, 5) = round((SELECT count(*)
		FROM nb_train a JOIN nb_train b USING (user_id) WHERE a.item_id = 7 AND b.item_id = t.id)
	/ sqrt((SELECT count(*) FROM nb_train WHERE item_id = 7)
		* (SELECT count(*) FROM nb_train WHERE item_id = t.id))::numeric, 5)) AS cosine_by_hand
FROM pgrec.item_neighbors n, unnest(n.neighbor_ids, n.weights) AS t(id, w)
WHERE n.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'knn') AND n.item_id = 7;
-- recommend: a user's score is the sum of their items' weights, and the top 5 share the genre.
SELECT round(r.score::numeric, 4) = round((SELECT sum(w) FROM nb_train t
		JOIN pgrec.item_neighbors n ON n.item_id = t.item_id
			AND n.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'knn'),
		unnest(n.neighbor_ids, n.weights) AS x(id, w)
		WHERE t.user_id = 3 AND x.id = r.item_id)::numeric, 4) AS score_is_the_sum
FROM pgrec.recommend('knn', 3, 1) r;
SELECT m AS model, round(avg((r.item_id % 5 = u.user_id % 5)::int), 3) AS own_genre_share, count(*) AS rows
FROM unnest(ARRAY['knn', 'ease']) m, (SELECT DISTINCT user_id FROM nb_train) u
	CROSS JOIN LATERAL pgrec.recommend(m, u.user_id, 5) r GROUP BY m ORDER BY m;
-- Seen items are left out, filters apply, and an unknown user gets popular items.
SELECT count(*) AS seen_listed FROM pgrec.recommend('ease', 3, 50) r
WHERE r.item_id IN (SELECT item_id FROM nb_train WHERE user_id = 3);
SELECT array_agg(item_id ORDER BY item_id) AS candidates_only
FROM pgrec.recommend('ease', 3, 5, candidates => ARRAY[8, 13, 18, 23, 2, 7]);
SELECT count(*) AS excluded_listed FROM pgrec.recommend('ease', 3, 5, exclude => ARRAY(
	SELECT item_id FROM pgrec.recommend('ease', 3, 2))) r
WHERE r.item_id IN (SELECT item_id FROM pgrec.recommend('ease', 3, 2));
SELECT count(*) AS rows, count(score) AS scores FROM pgrec.recommend('knn', 999999, 3);
-- similar_items: the item's own strongest weights, best first; an unknown item gets no rows.
SELECT count(*) FILTER (WHERE similar_item_id % 5 = 7 % 5) AS same_genre, count(*) AS listed,
	bool_and(similarity > 0) AS positive
FROM pgrec.similar_items('knn', 7, 20);
SELECT count(*) AS unknown_item_rows FROM pgrec.similar_items('knn', 999999, 5);
-- recommend_for_interactions: the visitor's items are their history, so user 3's items give
-- user 3's list; a genre-4 visitor gets genre 4.
SELECT count(*) AS same_items, max(abs(a.score - b.score)) < 1e-5 AS same_scores
FROM pgrec.recommend('ease', 3, 10) a
JOIN pgrec.recommend_for_interactions('ease',
	ARRAY(SELECT item_id FROM nb_train WHERE user_id = 3), k => 10) b USING (item_id);
SELECT count(*) FILTER (WHERE item_id % 5 = 4) AS own_genre, count(*) AS listed
FROM pgrec.recommend_for_interactions('knn', ARRAY[4, 9, 14, 19, 4], k => 8);
-- recommend_all: k rows for every user, the same as recommend.
SELECT count(*) AS rows, count(DISTINCT user_id) AS users,
	(SELECT count(*) FROM (SELECT user_id, item_id FROM pgrec.recommend_all('ease', 5)
		EXCEPT SELECT u.user_id, r.item_id FROM (SELECT DISTINCT user_id FROM nb_train) u
		CROSS JOIN LATERAL pgrec.recommend('ease', u.user_id, 5) r) d) AS differing
FROM pgrec.recommend_all('ease', 5);
-- explain: the contributions are the weights of the user's items to the item, so they add up to
-- its score exactly, and leaving out the top explaining item lowers the score the most.
SELECT m AS model, count(*) AS explaining, round(sum(x.contribution)::numeric, 4) = round(min(r.score)::numeric, 4) AS sums_to_score
FROM unnest(ARRAY['knn', 'ease']) m, LATERAL pgrec.recommend(m, 3, 1) r,
	LATERAL pgrec.explain(m, 3, r.item_id, 1000) x GROUP BY m ORDER BY m;
WITH target AS (SELECT item_id, score FROM pgrec.recommend('ease', 3, 1)),
history AS (SELECT item_id FROM nb_train WHERE user_id = 3),
drops AS (
	SELECT h.item_id, (SELECT score FROM target) - (SELECT r.score FROM pgrec.recommend_for_interactions('ease',
		ARRAY(SELECT item_id FROM history WHERE item_id <> h.item_id), k => 1,
		candidates => ARRAY(SELECT item_id FROM target)) r) AS drop
	FROM history h)
SELECT (SELECT item_id FROM drops ORDER BY drop DESC, item_id LIMIT 1)
	= (SELECT explaining_item_id FROM pgrec.explain('ease', 3, (SELECT item_id FROM target), 1)) AS top_explains_most,
	(SELECT count(*) FROM drops d JOIN pgrec.explain('ease', 3, (SELECT item_id FROM target), 1000) x
		ON x.explaining_item_id = d.item_id WHERE abs(d.drop - x.contribution) > 1e-5) AS drops_other_than_contributions;
-- A visitor: the same weights, to the strongest neighbour of item 4.
SELECT explaining_item_id, round(contribution::numeric, 3) AS contribution,
	round(contribution::numeric, 5) = round(coalesce(w, 0)::numeric, 5) AS is_the_weight
FROM pgrec.explain_for_interactions('knn', ARRAY[4, 9, 14], NULL,
	(SELECT similar_item_id FROM pgrec.similar_items('knn', 4, 1)), 3) x
LEFT JOIN (SELECT n.item_id, t.w FROM pgrec.item_neighbors n, unnest(n.neighbor_ids, n.weights) AS t(id, w)
	WHERE n.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'knn')
		AND t.id = (SELECT similar_item_id FROM pgrec.similar_items('knn', 4, 1))) nw
	ON nw.item_id = x.explaining_item_id
ORDER BY contribution DESC, explaining_item_id;
-- evaluate: ranking metrics of the known users.
SELECT m AS model, e.rmse IS NULL AS no_rmse, round(e.recall_at_k::numeric, 3) AS recall_at_10,
	round(e.ndcg_at_k::numeric, 3) AS ndcg_at_10, e.users
FROM unnest(ARRAY['knn', 'ease']) m,
	LATERAL pgrec.evaluate(m, 'nb_test', 'user_id', 'item_id', k => 10) e ORDER BY m;
-- evaluate_fold_in: the training users' own rows as histories score as evaluate does (the
-- histories are what the model holds), except that recall divides by min(k, relevant).
SELECT round(f.ndcg_at_k::numeric, 6) = round(e.ndcg_at_k::numeric, 6) AS same_ndcg,
	round(f.precision_at_k::numeric, 6) = round(e.precision_at_k::numeric, 6) AS same_precision,
	round(f.recall_at_k::numeric, 6) = (SELECT round(avg(hits::numeric / least(10, relevant)), 6)
		FROM (SELECT t.user_id, count(*) AS relevant, count(*) FILTER (WHERE t.item_id IN
				(SELECT item_id FROM pgrec.recommend('ease', t.user_id, 10))) AS hits
			FROM nb_test t WHERE t.user_id IN (SELECT user_id FROM nb_train) GROUP BY t.user_id) s)
		AS capped_recall_by_hand,
	f.users = e.users AS same_users
FROM pgrec.evaluate_fold_in('ease', 'nb_train', 'nb_test', 'user_id', 'item_id', k => 10) f,
	pgrec.evaluate('ease', 'nb_test', 'user_id', 'item_id', k => 10) e;
-- Users the model has never seen: users 250-300 held out, folded in from 80 % of their items.
SELECT users, items FROM pgrec.train('ease_sg', 'SELECT * FROM nb_likes WHERE user_id < 250',
	'user_id', 'item_id', algorithm => 'ease', regularization => 50);
CREATE TABLE nb_heldout AS SELECT *, (item_id / 5) % 5 = 0 AS is_truth
FROM nb_likes WHERE user_id >= 250;
SELECT users, test_interactions, round(recall_at_k::numeric, 3) AS recall_at_20,
	round(ndcg_at_k::numeric, 3) AS ndcg_at_20
FROM pgrec.evaluate_fold_in('ease_sg', 'SELECT * FROM nb_heldout WHERE NOT is_truth',
	'SELECT * FROM nb_heldout WHERE is_truth', 'user_id', 'item_id');
-- The same for a factor model, folded in by its registry solver.
SELECT users FROM pgrec.train('ials_sg', 'SELECT * FROM nb_likes WHERE user_id < 250',
	'user_id', 'item_id', algorithm => 'ials', factors => 8, epochs => 5, alpha => 3);
SELECT users, recall_at_k > 0.4 AS most_truth_found
FROM pgrec.evaluate_fold_in('ials_sg', 'SELECT * FROM nb_heldout WHERE NOT is_truth',
	'SELECT * FROM nb_heldout WHERE is_truth', 'user_id', 'item_id');
-- Truth of a user without history is counted but not scored.
SELECT users, test_interactions FROM pgrec.evaluate_fold_in('ease_sg',
	'SELECT * FROM nb_heldout WHERE NOT is_truth AND user_id <> 251',
	'SELECT * FROM nb_heldout WHERE is_truth', 'user_id', 'item_id');
-- refresh: a new user is their history; a new item has no weights until the next training.
INSERT INTO nb_train VALUES (5001, 2), (5001, 7), (5001, 12), (5001, 17);
INSERT INTO nb_train SELECT user_id, 9002 FROM generate_series(2, 297, 5) user_id;
SELECT new_users, new_items FROM pgrec.refresh('knn');
SELECT count(*) FILTER (WHERE item_id % 5 = 2) AS own_genre, count(*) AS listed
FROM pgrec.recommend('knn', 5001, 6);
SELECT count(*) AS new_item_neighbors FROM pgrec.similar_items('knn', 9002, 10);
-- retrain: the new item gets neighbours; rollback brings back the refreshed version.
SELECT users, items FROM pgrec.retrain_model('knn');
SELECT count(*) FILTER (WHERE similar_item_id % 5 = 2) AS same_genre, count(*) AS listed
FROM pgrec.similar_items('knn', 9002, 10);
SELECT pgrec.rollback('knn') AS version;
SELECT count(*) AS new_item_neighbors FROM pgrec.similar_items('knn', 9002, 10);
-- publish_version copies the weights with the version.
SELECT pgrec.publish_version('ease', 'ease_copy') > 0 AS published;
SELECT (SELECT array_agg(item_id) FROM pgrec.recommend('ease', 3, 5))
	= (SELECT array_agg(item_id) FROM pgrec.recommend('ease_copy', 3, 5)) AS same_lists;
-- tune: a grid over ease's regularization, validated on folded-in users.
SELECT trial, trial_factors, trial_regularization, ndcg_at_k > 0 AS scored, best IS NOT NULL AS ranked
FROM pgrec.tune('ease_tuned', 'SELECT * FROM nb_likes WHERE user_id < 250',
	'SELECT * FROM nb_heldout WHERE is_truth', 'user_id', 'item_id', algorithm => 'ease',
	regularization => '{10, 1000}', validation => 'fold_in',
	validation_history => 'SELECT * FROM nb_heldout WHERE NOT is_truth');
SELECT algorithm, hyperparameters->'regularization' IN ('10', '1000') AS tuned FROM pgrec.models WHERE name = 'ease_tuned';
-- The registry rows.
SELECT name, explicit_feedback, trainable, parameters, loss FROM pgrec.algorithms()
WHERE name IN ('item_knn', 'ease') ORDER BY name;
-- Other similarities are stored by name.
SELECT users FROM pgrec.train('knn_j', 'nb_train', 'user_id', 'item_id', algorithm => 'item_knn',
	similarity => 'jaccard', shrinkage => 1);
SELECT hyperparameters->>'similarity' AS similarity, hyperparameters->'shrinkage' AS shrinkage
FROM pgrec.models WHERE name = 'knn_j';
-- Errors.
\set VERBOSITY verbose
SELECT error_of($$SELECT pgrec.train('e', 'nb_train', 'user_id', 'item_id', algorithm => 'item_knn', similarity => 'dice')$$);
SELECT error_of($$SELECT pgrec.train('e', 'nb_train', 'user_id', 'item_id', algorithm => 'item_knn', factors => 8)$$);
SELECT error_of($$SELECT pgrec.train('e', 'nb_train', 'user_id', 'item_id', algorithm => 'item_knn', neighbors => 0)$$);
SELECT error_of($$SELECT pgrec.train('e', 'nb_train', 'user_id', 'item_id', algorithm => 'item_knn', shrinkage => -1)$$);
SELECT error_of($$SELECT pgrec.train('e', 'nb_train', 'user_id', 'item_id', algorithm => 'ease', similarity => 'cosine')$$);
SELECT error_of($$SELECT pgrec.train('e', 'nb_train', 'user_id', 'item_id', algorithm => 'ials', neighbors => 5)$$);
SELECT error_of($$SELECT * FROM pgrec.retrain_model('knn', epochs => 3)$$);
SET pgrec.training_memory_limit = '1MB';
SELECT error_of($$SELECT pgrec.train('e', 'nb_train', 'user_id', 'item_id', algorithm => 'ease')$$);
RESET pgrec.training_memory_limit;
SELECT error_of($$SELECT * FROM pgrec.recommend_for_vector('knn', '[1,2]', 5)$$);
SELECT error_of($$SELECT * FROM pgrec.similar_users('ease', 3, 5)$$);
SELECT error_of($$SELECT * FROM pgrec.evaluate_fold_in('ease', 'nb_train', 'nb_test', 'user_id', 'item_id', k => 0)$$);
SELECT error_of($$SELECT * FROM pgrec.evaluate_fold_in('ease', 'SELECT 1::bigint AS user_id, 999999::bigint AS item_id', 'nb_test', 'user_id', 'item_id')$$);
SELECT error_of($$SELECT * FROM pgrec.evaluate_fold_in('nothing', 'nb_train', 'nb_test', 'user_id', 'item_id')$$);
SELECT error_of($$SELECT * FROM pgrec.evaluate_fold_in('ease', NULL, 'nb_test', 'user_id', 'item_id')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'nb_train', 'nb_test', 'user_id', 'item_id', algorithm => 'ease', validation => 'fold_in')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('t', 'nb_train', 'nb_test', 'user_id', 'item_id', algorithm => 'ease', validation => 'cross')$$);
-- An explicit model needs the ratings of the histories.
SELECT users FROM pgrec.train('stars', 'SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(100, 50, 10)',
	'user_id', 'item_id', 'rating', factors => 4, epochs => 2);
SELECT error_of($$SELECT * FROM pgrec.evaluate_fold_in('stars', 'nb_train', 'nb_test', 'user_id', 'item_id')$$);
-- Rows changed by hand are checked when the model is loaded.
UPDATE pgrec.item_neighbors SET neighbor_ids[1] = 424242
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'ease') AND item_id = 7;
SELECT error_of($$SELECT * FROM pgrec.recommend('ease', 3, 5)$$);
UPDATE pgrec.item_neighbors SET weights = weights[1:2]
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'ease_copy') AND item_id = 8;
SELECT error_of($$SELECT * FROM pgrec.recommend('ease_copy', 3, 5)$$);
UPDATE pgrec.item_factors SET factors = '[1]'
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'knn') AND item_id = 7;
SELECT error_of($$SELECT * FROM pgrec.recommend('knn', 3, 5)$$);
UPDATE pgrec.item_neighbors SET neighbor_ids = ARRAY(SELECT x FROM unnest(neighbor_ids) x ORDER BY x DESC)
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'knn_j') AND item_id = 5;
SELECT error_of($$SELECT * FROM pgrec.recommend('knn_j', 3, 5)$$);
UPDATE pgrec.item_neighbors SET weights[1] = 'NaN'
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'ease_sg') AND item_id = 5;
SELECT error_of($$SELECT * FROM pgrec.recommend('ease_sg', 3, 5)$$);
UPDATE pgrec.item_neighbors SET neighbor_ids[1] = NULL
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'ease_tuned') AND item_id = 5;
SELECT error_of($$SELECT * FROM pgrec.recommend('ease_tuned', 3, 5)$$);
-- drop_model removes the weights of every version.
CREATE TABLE nb_versions AS SELECT model_id FROM pgrec.model_versions
WHERE name IN ('knn', 'ease', 'ease_sg', 'ease_copy', 'ease_tuned', 'knn_j');
SELECT count(*) > 0 AS had_weights FROM pgrec.item_neighbors WHERE model_id IN (SELECT model_id FROM nb_versions);
SELECT pgrec.drop_model(n) FROM unnest(ARRAY['knn', 'ease', 'ease_sg', 'ials_sg', 'ease_copy', 'ease_tuned', 'knn_j', 'stars']) n;
SELECT count(*) AS weights_left FROM pgrec.item_neighbors WHERE model_id IN (SELECT model_id FROM nb_versions);
