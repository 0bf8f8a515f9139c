-- The user-based neighbourhood model 'user_knn' (user-user weights in pgrec.user_neighbors, the
-- users' values in pgrec.user_factors.seen_values): train, every serving function, evaluate,
-- evaluate_fold_in, explain, refresh, retrain, versions, tune, hand-corrupted rows and errors.
SET pgrec.progress = off;
SET pgrec.threads = 1;
-- Planted taste groups: user u likes (rates 4 or 5) only items of genre u % 5 = item % 5.
CREATE TABLE uk_likes AS
SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(300, 200, 40, 5) WHERE rating >= 4;
CREATE TABLE uk_train AS SELECT * FROM uk_likes WHERE (user_id * 31 + item_id * 17) % 7 <> 0;
CREATE TABLE uk_test AS SELECT * FROM uk_likes WHERE (user_id * 31 + item_id * 17) % 7 = 0;
SELECT users, items, interactions, final_loss
FROM pgrec.train('uknn', 'uk_train', 'user_id', 'item_id', algorithm => 'user_knn', neighbors => 20);
-- No factors; every user keeps at most `neighbors` users and its training values.
SELECT algorithm, factors, hyperparameters - 'threads' AS hyperparameters, loss_history
FROM pgrec.models WHERE name = 'uknn';
SELECT count(*) AS user_rows, max(cardinality(n.neighbor_ids)) AS most_neighbors,
	bool_and(cardinality(n.neighbor_ids) = cardinality(n.weights)) AS aligned,
	bool_and(n.user_id <> ALL (n.neighbor_ids)) AS never_itself
FROM pgrec.user_neighbors n WHERE n.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'uknn');
SELECT count(*) AS users, count(*) FILTER (WHERE f.factors IS NOT NULL OR f.bias IS NOT NULL) AS with_factors,
	bool_and(cardinality(f.seen_values) = cardinality(f.seen_items)) AS values_aligned,
	bool_and(f.seen_values = array_fill(1::real, ARRAY[cardinality(f.seen_items)])) AS implicit_ones
FROM pgrec.user_factors f WHERE f.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'uknn');
-- Other algorithms store no values.
SELECT users FROM pgrec.train('uk_iknn', 'uk_train', 'user_id', 'item_id', algorithm => 'item_knn', neighbors => 10);
SELECT count(*) FILTER (WHERE f.seen_values IS NOT NULL) AS with_values FROM pgrec.user_factors f
WHERE f.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'uk_iknn');
-- The weights are cosine similarities: user 3 to each of its neighbours by hand.
SELECT count(*) AS neighbors, bool_and(round(t.w::numeric, 5) = round((SELECT count(*)
		FROM uk_train a JOIN uk_train b USING (item_id) WHERE a.user_id = 3 AND b.user_id = t.id)
	/ sqrt((SELECT count(*) FROM uk_train WHERE user_id = 3)
		* (SELECT count(*) FROM uk_train WHERE user_id = t.id))::numeric, 5)) AS cosine_by_hand
FROM pgrec.user_neighbors n, unnest(n.neighbor_ids, n.weights) AS t(id, w)
WHERE n.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'uknn') AND n.user_id = 3;
-- recommend: the score of item i is the sum of the neighbours' weights times their value of i.
CREATE VIEW uk_neighbors_of_3 AS SELECT t.id AS user_id, t.w
FROM pgrec.user_neighbors n, unnest(n.neighbor_ids, n.weights) AS t(id, w)
WHERE n.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'uknn') AND n.user_id = 3;
SELECT count(*) AS listed, bool_and(round(r.score::numeric, 4) = round((SELECT sum(n.w)
		FROM uk_neighbors_of_3 n JOIN uk_train t USING (user_id) WHERE t.item_id = r.item_id)::numeric, 4))
	AS score_is_the_sum
FROM pgrec.recommend('uknn', 3, 10) r;
SELECT round(avg((r.item_id % 5 = u.user_id % 5)::int), 3) AS own_genre_share, count(*) AS rows
FROM (SELECT DISTINCT user_id FROM uk_train) u CROSS JOIN LATERAL pgrec.recommend('uknn', u.user_id, 5) r;
-- Seen items are left out (or not), filters apply, and an unknown user gets popular items.
SELECT count(*) AS seen_listed FROM pgrec.recommend('uknn', 3, 50) r
WHERE r.item_id IN (SELECT item_id FROM uk_train WHERE user_id = 3);
SELECT count(*) > 0 AS seen_listed_when_asked FROM pgrec.recommend('uknn', 3, 50, exclude_seen => false) r
WHERE r.item_id IN (SELECT item_id FROM uk_train WHERE user_id = 3);
SELECT array_agg(item_id ORDER BY item_id) AS candidates_only
FROM pgrec.recommend('uknn', 3, 5, candidates => ARRAY[8, 13, 18, 23, 2, 7]);
SELECT count(*) AS excluded_listed FROM pgrec.recommend('uknn', 3, 5, exclude => ARRAY(
	SELECT item_id FROM pgrec.recommend('uknn', 3, 2))) r
WHERE r.item_id IN (SELECT item_id FROM pgrec.recommend('uknn', 3, 2));
SELECT count(*) AS rows, count(score) AS scores FROM pgrec.recommend('uknn', 999999, 3);
SELECT array_agg(item_id ORDER BY item_id) AS capped_groups FROM pgrec.recommend('uknn', 3, 4,
	item_groups => 'SELECT item_id, item_id % 2 AS category FROM uk_train', max_per_group => 2);
-- recommend_for_interactions: a visitor's neighbours are found among the training users by the
-- same similarity. User 3's items find user 3 itself too, which lends only to those (excluded)
-- items, so with room for every similar user the list is user 3's exactly.
SELECT users FROM pgrec.train('uknn_all', 'uk_train', 'user_id', 'item_id', algorithm => 'user_knn', neighbors => 1000);
SELECT count(*) AS same_items, max(abs(a.score - b.score)) < 1e-5 AS same_scores
FROM pgrec.recommend('uknn_all', 3, 10) a
JOIN pgrec.recommend_for_interactions('uknn_all',
	ARRAY(SELECT item_id FROM uk_train WHERE user_id = 3), k => 10) b USING (item_id);
-- With 20 neighbours user 3 takes one of the visitor's places: the 19 others are user 3's 19
-- strongest, with the same weights.
SELECT count(*) FILTER (WHERE a.item_id = b.item_id) >= 5 AS mostly_same_items
FROM pgrec.recommend('uknn', 3, 10) a
FULL JOIN pgrec.recommend_for_interactions('uknn',
	ARRAY(SELECT item_id FROM uk_train WHERE user_id = 3), k => 10) b USING (item_id);
SELECT count(*) FILTER (WHERE item_id % 5 = 4) AS own_genre, count(*) AS listed
FROM pgrec.recommend_for_interactions('uknn', ARRAY[4, 9, 14, 19, 4], k => 8);
SELECT count(*) AS listed FROM pgrec.recommend_for_interactions('uknn', ARRAY[4, 9, 14], k => 3,
	candidates => ARRAY[24, 29, 34, 3], exclude => ARRAY[24]);
-- recommend_all: k rows for every user, the same as recommend.
SELECT count(*) AS rows, count(DISTINCT user_id) AS users,
	(SELECT count(*) FROM (SELECT user_id, item_id, score FROM pgrec.recommend_all('uknn', 5)
		EXCEPT SELECT u.user_id, r.item_id, r.score FROM (SELECT DISTINCT user_id FROM uk_train) u
		CROSS JOIN LATERAL pgrec.recommend('uknn', u.user_id, 5) r) d) AS differing
FROM pgrec.recommend_all('uknn', 5);
-- similar_users: the stored neighbours, strongest first.
SELECT count(*) AS listed, bool_and(s.similarity = n.w) AS stored_weights,
	min(s.similarity) >= (SELECT min(w) FROM uk_neighbors_of_3) AS strongest
FROM pgrec.similar_users('uknn', 3, 5) s JOIN uk_neighbors_of_3 n ON n.user_id = s.similar_user_id;
SELECT count(*) AS unknown_user_rows FROM pgrec.similar_users('uknn', 999999, 5);
-- similar_items: item_knn's similarity over the training users' values, computed from them: the
-- list of an item_knn model trained on the same rows, same order and weights.
SELECT pgrec.train('uk_items', 'uk_train', 'user_id', 'item_id', algorithm => 'item_knn',
	neighbors => 200) IS NOT NULL AS trained;
SELECT count(*) AS listed, count(*) FILTER (WHERE a.similar_item_id = b.similar_item_id
	AND abs(a.similarity - b.similarity) < 1e-6) AS same, count(*) FILTER (WHERE a.similar_item_id % 5 = 7 % 5) AS same_genre
FROM (SELECT row_number() OVER () AS n, * FROM pgrec.similar_items('uknn', 7, 10)) a
JOIN (SELECT row_number() OVER () AS n, * FROM pgrec.similar_items('uk_items', 7, 10)) b USING (n);
SELECT count(*) AS unknown_item_rows FROM pgrec.similar_items('uknn', 999999, 5);
SELECT pgrec.drop_model('uk_items');
-- explain: each of the user's items gets its share of every neighbour's weight (by its product
-- in the cosine), so the contributions add up to the score exactly, for a known user (its stored
-- neighbours) and for a visitor (the neighbours found for it).
SELECT count(*) AS explaining, round(sum(x.contribution)::numeric, 4) = round(min(r.score)::numeric, 4) AS sums_to_score
FROM pgrec.recommend('uknn', 3, 1) r, LATERAL pgrec.explain('uknn', 3, r.item_id, 1000) x;
SELECT round(sum(x.contribution)::numeric, 4) = round(min(r.score)::numeric, 4) AS visitor_sums_to_score
FROM pgrec.recommend_for_interactions('uknn', ARRAY[4, 9, 14, 19], k => 1) r,
	LATERAL pgrec.explain_for_interactions('uknn', ARRAY[4, 9, 14, 19], NULL, r.item_id, 10) x;
-- Binary cosine: each neighbour's weight is shared equally among the visitor's items it has.
SELECT explaining_item_id, round(contribution::numeric, 4) AS contribution
FROM pgrec.explain_for_interactions('uknn', ARRAY[4, 9], NULL, 14, 5) ORDER BY contribution DESC, explaining_item_id;
-- evaluate and evaluate_fold_in.
SELECT e.rmse IS NULL AS no_rmse, round(e.recall_at_k::numeric, 3) AS recall_at_10,
	round(e.ndcg_at_k::numeric, 3) AS ndcg_at_10, e.users
FROM pgrec.evaluate('uknn', 'uk_test', 'user_id', 'item_id', k => 10) e;
SELECT users, items FROM pgrec.train('uknn_sg', 'SELECT * FROM uk_likes WHERE user_id < 250',
	'user_id', 'item_id', algorithm => 'user_knn', neighbors => 50);
CREATE TABLE uk_heldout AS SELECT *, (item_id / 5) % 5 = 0 AS is_truth FROM uk_likes WHERE user_id >= 250;
SELECT users, test_interactions, round(recall_at_k::numeric, 3) AS recall_at_20,
	round(ndcg_at_k::numeric, 3) AS ndcg_at_20
FROM pgrec.evaluate_fold_in('uknn_sg', 'SELECT * FROM uk_heldout WHERE NOT is_truth',
	'SELECT * FROM uk_heldout WHERE is_truth', 'user_id', 'item_id');
-- The trained users' own rows as histories: with room for every similar user they score as
-- evaluate does, except that recall divides by min(k, relevant).
SELECT round(f.ndcg_at_k::numeric, 6) = round(e.ndcg_at_k::numeric, 6) AS same_ndcg, f.users = e.users AS same_users
FROM pgrec.evaluate_fold_in('uknn_all', 'uk_train', 'uk_test', 'user_id', 'item_id', k => 10) f,
	pgrec.evaluate('uknn_all', 'uk_test', 'user_id', 'item_id', k => 10) e;
-- Values: trained on the ratings, the neighbours lend their ratings, Pearson centres each user.
SELECT users FROM pgrec.train('uknn_p', 'uk_train', 'user_id', 'item_id', 'rating',
	algorithm => 'user_knn', similarity => 'pearson', shrinkage => 1, neighbors => 30);
SELECT hyperparameters->>'similarity' AS similarity, hyperparameters->'shrinkage' AS shrinkage
FROM pgrec.models WHERE name = 'uknn_p';
SELECT bool_and(f.seen_values <@ ARRAY[4, 5]::real[]) AS ratings_kept FROM pgrec.user_factors f
WHERE f.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'uknn_p');
SELECT round(sum(x.contribution)::numeric, 4) = round(min(r.score)::numeric, 4) AS pearson_sums_to_score
FROM pgrec.recommend('uknn_p', 3, 1) r, LATERAL pgrec.explain('uknn_p', 3, r.item_id, 1000) x;
-- refresh: a new user gets neighbours among the known users; known users keep theirs.
INSERT INTO uk_train VALUES (5001, 2, 5), (5001, 7, 5), (5001, 12, 4), (5001, 17, 5), (5001, 9999, 5);
DELETE FROM uk_train WHERE user_id = 8;
SELECT new_users, new_items FROM pgrec.refresh('uknn');
SELECT count(*) FILTER (WHERE item_id % 5 = 2) AS own_genre, count(*) AS listed
FROM pgrec.recommend('uknn', 5001, 6);
SELECT count(*) FILTER (WHERE similar_user_id % 5 = 2) AS same_genre, count(*) AS listed,
	count(*) FILTER (WHERE similar_user_id = 8) AS removed_user
FROM pgrec.similar_users('uknn', 5001, 10);
SELECT (SELECT array_agg(similar_user_id ORDER BY similar_user_id) FROM pgrec.similar_users('uknn', 3, 100))
	= (SELECT array_agg(user_id ORDER BY user_id) FROM uk_neighbors_of_3 WHERE user_id <> 8) AS known_keep_theirs;
-- retrain, rollback and publish_version.
SELECT users, items FROM pgrec.retrain_model('uknn');
SELECT count(*) AS listed FROM pgrec.similar_users('uknn', 5001, 10);
SELECT pgrec.rollback('uknn') AS version;
SELECT pgrec.publish_version('uknn', 'uknn_copy') > 0 AS published;
SELECT (SELECT array_agg(item_id) FROM pgrec.recommend('uknn', 3, 5))
	= (SELECT array_agg(item_id) FROM pgrec.recommend('uknn_copy', 3, 5)) AS same_lists,
	(SELECT count(*) FROM pgrec.user_factors WHERE seen_values IS NOT NULL AND model_id =
		(SELECT model_id FROM pgrec.models WHERE name = 'uknn_copy')) > 0 AS values_copied;
-- tune, validated on folded-in users: user_knn takes none of tune's lists (factors,
-- regularization, alpha, epochs), so without grid (see tune.sql) one trial with its defaults.
SELECT trial, trial_factors, ndcg_at_k > 0 AS scored, best
FROM pgrec.tune('uknn_tuned', 'SELECT * FROM uk_likes WHERE user_id < 250',
	'SELECT * FROM uk_heldout WHERE is_truth', 'user_id', 'item_id', algorithm => 'user_knn',
	validation => 'fold_in', validation_history => 'SELECT * FROM uk_heldout WHERE NOT is_truth');
SELECT algorithm, hyperparameters->'neighbors' AS neighbors FROM pgrec.models WHERE name = 'uknn_tuned';
-- Errors.
\set VERBOSITY verbose
SELECT error_of($$SELECT pgrec.train('e', 'uk_train', 'user_id', 'item_id', algorithm => 'user_knn', similarity => 'dice')$$);
SELECT error_of($$SELECT pgrec.train('e', 'uk_train', 'user_id', 'item_id', algorithm => 'user_knn', factors => 8)$$);
SELECT error_of($$SELECT pgrec.train('e', 'uk_train', 'user_id', 'item_id', algorithm => 'user_knn', neighbors => 0)$$);
SELECT error_of($$SELECT pgrec.train('e', 'uk_train', 'user_id', 'item_id', algorithm => 'user_knn', shrinkage => -1)$$);
SELECT error_of($$SELECT pgrec.train('e', 'uk_train', 'user_id', 'item_id', algorithm => 'user_knn', regularization => 1)$$);
SELECT error_of($$SELECT * FROM pgrec.retrain_model('uknn', epochs => 3)$$);
SET pgrec.training_memory_limit = '300kB';
SELECT error_of($$SELECT pgrec.train('e', 'uk_train', 'user_id', 'item_id', algorithm => 'user_knn')$$);
RESET pgrec.training_memory_limit;
SELECT error_of($$SELECT * FROM pgrec.recommend_for_vector('uknn', '[1,2]', 5)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend('uknn', 3, 5, diversity => 0.5)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_interactions('uknn', ARRAY[999999], k => 5)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_interactions('uknn', ARRAY[4, 9], ARRAY[1, 'NaN']::real[], k => 5)$$);
-- Rows changed by hand are checked when the model is loaded.
UPDATE pgrec.user_neighbors SET neighbor_ids[1] = 424242
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'uknn_copy') AND user_id = 3;
SELECT error_of($$SELECT * FROM pgrec.recommend('uknn_copy', 3, 5)$$);
UPDATE pgrec.user_neighbors SET neighbor_ids[1] = 3, weights = weights[1:2]
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'uknn_copy') AND user_id = 3;
SELECT error_of($$SELECT * FROM pgrec.recommend('uknn_copy', 3, 5)$$);
UPDATE pgrec.user_neighbors SET user_id = 424242
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'uknn_all') AND user_id = 3;
SELECT error_of($$SELECT * FROM pgrec.recommend('uknn_all', 4, 5)$$);
UPDATE pgrec.user_factors SET seen_values = seen_values[1:1]
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'uknn_sg') AND user_id = 3;
SELECT error_of($$SELECT * FROM pgrec.recommend('uknn_sg', 3, 5)$$);
UPDATE pgrec.user_factors SET seen_values = NULL
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'uknn_sg') AND user_id = 3;
SELECT error_of($$SELECT * FROM pgrec.recommend('uknn_sg', 3, 5)$$);
UPDATE pgrec.user_factors SET seen_values[1] = 'Infinity'
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'uknn_p') AND user_id = 3;
SELECT error_of($$SELECT * FROM pgrec.recommend('uknn_p', 3, 5)$$);
UPDATE pgrec.user_factors SET seen_items = ARRAY(SELECT x FROM unnest(seen_items) x ORDER BY x DESC)
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'uknn_tuned') AND user_id = 3;
SELECT error_of($$SELECT * FROM pgrec.recommend('uknn_tuned', 3, 5)$$);
