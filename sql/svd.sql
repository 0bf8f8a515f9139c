-- The 'svd' algorithm (the truncated SVD of the degree-normalised interaction matrix, PureSVD
-- with normalization 0) through the registry: train, recommend, similar items, fold-in,
-- recommend_all, evaluate, refresh, errors.
SET pgrec.progress = off;
SET pgrec.threads = 1;
-- Planted taste groups: user u likes (rates 4 or 5) only items of genre u % 5 = item % 5.
CREATE TABLE svd_likes AS
SELECT user_id, item_id FROM pgrec.synthetic_ratings(300, 200, 40, 5) WHERE rating >= 4;
CREATE TABLE svd_train AS SELECT * FROM svd_likes WHERE (user_id * 31 + item_id * 17) % 7 <> 0;
CREATE TABLE svd_test AS SELECT * FROM svd_likes WHERE (user_id * 31 + item_id * 17) % 7 = 0;
SELECT users, items, interactions, duplicates, round(final_loss::numeric, 3) AS loss
FROM pgrec.train('svd_likes', 'SELECT * FROM svd_train', 'user_id', 'item_id',
	algorithm => 'svd', factors => 5);
SELECT algorithm, factors, hyperparameters->>'factors' AS stored_factors,
	hyperparameters->>'normalization' AS normalization, array_length(loss_history, 1) AS epochs, global_mean
FROM pgrec.models WHERE name = 'svd_likes';
-- No biases; each user row is the projection r_u D_i^-1/2 V.
SELECT count(*) FILTER (WHERE bias IS NOT NULL) AS user_biases FROM pgrec.user_factors
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'svd_likes');
-- recommend: every user's top 5 is of their own genre.
SELECT round(avg((r.item_id % 5 = u.user_id % 5)::int), 3) AS own_genre_share, count(*) AS rows
FROM (SELECT DISTINCT user_id FROM svd_train) u CROSS JOIN LATERAL pgrec.recommend('svd_likes', u.user_id, 5) r;
-- Seen items are left out by default.
SELECT count(*) AS seen_listed FROM pgrec.recommend('svd_likes', 3, 50) r
WHERE r.item_id IN (SELECT item_id FROM svd_train WHERE user_id = 3);
-- similar_items: the neighbours of an item share its genre.
SELECT count(*) FILTER (WHERE similar_item_id % 5 = 7 % 5) AS same_genre, count(*) AS listed
FROM pgrec.similar_items('svd_likes', 7, 10);
-- recommend_for_interactions: a visitor with user 3's items gets user 3's list (the fold-in,
-- weighing each item by its degree, is the trained row), and a visitor who likes genre 4 gets
-- genre 4.
SELECT count(*) AS same_items, max(abs(a.score - b.score)) < 1e-4 AS same_scores
FROM pgrec.recommend('svd_likes', 3, 10) a
JOIN pgrec.recommend_for_interactions('svd_likes',
	ARRAY(SELECT item_id FROM svd_train WHERE user_id = 3), k => 10) b USING (item_id);
SELECT count(*) FILTER (WHERE item_id % 5 = 4) AS own_genre, count(*) AS listed
FROM pgrec.recommend_for_interactions('svd_likes', ARRAY[4, 9, 14, 19], k => 8);
-- recommend_all: k rows for every user, the same as recommend.
SELECT count(*) AS rows, count(DISTINCT user_id) AS users, min(rank), max(rank),
	(SELECT count(*) FROM (SELECT user_id, item_id FROM pgrec.recommend_all('svd_likes', 5)
		EXCEPT SELECT u.user_id, r.item_id FROM (SELECT DISTINCT user_id FROM svd_train) u
		CROSS JOIN LATERAL pgrec.recommend('svd_likes', u.user_id, 5) r) d) AS differing
FROM pgrec.recommend_all('svd_likes', 5);
-- evaluate: ranking metrics only (the model does not predict ratings: rmse is NULL).
SELECT rmse IS NULL AS no_rmse, round(recall_at_k::numeric, 2) AS recall_at_10,
	round(ndcg_at_k::numeric, 2) AS ndcg_at_10, round(hit_rate_at_k::numeric, 2) AS hit_rate,
	users, test_interactions
FROM pgrec.evaluate('svd_likes', 'svd_test', 'user_id', 'item_id', k => 10);
-- With a rating column the ratings are the matrix entries: the 1-5 ratings of every pair;
-- PureSVD of them (normalization 0), the same fold-in equality.
SELECT users, items, round(final_loss::numeric, 3) AS loss
FROM pgrec.train('svd_stars', 'SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(300, 200, 40, 5)',
	'user_id', 'item_id', 'rating', algorithm => 'svd', factors => 6, normalization => 0);
SELECT count(*) AS same_items, max(abs(a.score - b.score)) < 1e-4 AS same_scores
FROM pgrec.recommend('svd_stars', 3, 10) a
JOIN pgrec.recommend_for_interactions('svd_stars',
	ARRAY(SELECT item_id FROM pgrec.synthetic_ratings(300, 200, 40, 5) WHERE user_id = 3 ORDER BY item_id),
	ARRAY(SELECT rating FROM pgrec.synthetic_ratings(300, 200, 40, 5) WHERE user_id = 3 ORDER BY item_id),
	k => 10) b USING (item_id);
SELECT round(avg((r.item_id % 5 = u % 5)::int), 3) AS own_genre_share
FROM generate_series(1, 300) u CROSS JOIN LATERAL pgrec.recommend('svd_stars', u, 5) r;
-- The same seed gives the same model: retraining stores identical factors.
CREATE TABLE svd_first AS SELECT item_id, factors FROM pgrec.item_factors
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'svd_likes');
SELECT round(final_loss::numeric, 3) AS loss FROM pgrec.retrain_model('svd_likes', warm_start => false);
SELECT count(*) AS changed_items FROM svd_first f JOIN pgrec.item_factors i USING (item_id)
WHERE i.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'svd_likes')
  AND i.factors::text <> f.factors::text;
-- refresh: a new user and a new item are folded in; the new item (liked by genre-2 users)
-- gets genre-2 neighbours and a norm of the order of sqrt(its 60 users) (q = (P^T W P)^-1
-- P^T W r with W = D_u^-1, about its row of D_i^1/2 V).
INSERT INTO svd_train VALUES (5001, 2), (5001, 7), (5001, 12), (5001, 17);
INSERT INTO svd_train SELECT user_id, 9002 FROM generate_series(2, 297, 5) user_id;
SELECT new_users, new_items FROM pgrec.refresh('svd_likes');
SELECT count(*) FILTER (WHERE item_id % 5 = 2) AS own_genre, count(*) AS listed
FROM pgrec.recommend('svd_likes', 5001, 6);
SELECT count(*) FILTER (WHERE similar_item_id % 5 = 2) AS same_genre, count(*) AS listed
FROM pgrec.similar_items('svd_likes', 9002, 10);
-- The refreshed version's fold-in is the least squares against its items (the new one
-- included) weighed by its degrees, which refresh used for the new user: a visitor with the
-- new user's items gets the new user's list. For a known user, whose row refresh keeps, it is
-- close: user 3's items did not change.
SELECT count(*) AS same_items, max(abs(a.score - b.score)) < 1e-4 AS same_scores
FROM pgrec.recommend('svd_likes', 3, 10) a
JOIN pgrec.recommend_for_interactions('svd_likes',
	ARRAY(SELECT item_id FROM svd_train WHERE user_id = 3), k => 10) b USING (item_id);
SELECT count(*) AS same_items, max(abs(a.score - b.score)) < 1e-4 AS same_scores
FROM pgrec.recommend('svd_likes', 5001, 10) a
JOIN pgrec.recommend_for_interactions('svd_likes', ARRAY[2, 7, 12, 17], k => 10) b USING (item_id);
SELECT round((SELECT sqrt(sum(x * x)) FROM unnest(factors::real[]) x)::numeric, 1) AS new_item_norm
FROM pgrec.item_factors
WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'svd_likes') AND item_id = 9002;
-- The registry row.
SELECT name, explicit_feedback, trainable, parameters, loss FROM pgrec.algorithms() WHERE name = 'svd';
-- Errors: factors beyond the smaller side or the range; parameters svd does not take.
\set VERBOSITY verbose
SELECT error_of($$SELECT pgrec.train('e', 'svd_train', 'user_id', 'item_id', algorithm => 'svd', factors => 250)$$);
SELECT error_of($$SELECT pgrec.train('e', 'svd_train', 'user_id', 'item_id', algorithm => 'svd', factors => 5000)$$);
SELECT error_of($$SELECT pgrec.train('e', 'svd_train', 'user_id', 'item_id', algorithm => 'svd', epochs => 5)$$);
SELECT error_of($$SELECT pgrec.train('e', 'svd_train', 'user_id', 'item_id', algorithm => 'svd', regularization => 0.1)$$);
SELECT error_of($$SELECT pgrec.train('e', 'svd_train', 'user_id', 'item_id', algorithm => 'svd', normalization => 1.5)$$);
SELECT error_of($$SELECT pgrec.train('e', 'svd_train', 'user_id', 'item_id', algorithm => 'als', normalization => 0.5)$$);
SELECT error_of($$SELECT pgrec.train('e', 'SELECT user_id, item_id, -1::real AS r FROM svd_train', 'user_id', 'item_id', 'r', algorithm => 'svd')$$);
\set VERBOSITY default
SELECT count(*) AS models_named_e FROM pgrec.models WHERE name = 'e';
SELECT pgrec.drop_model('svd_likes'), pgrec.drop_model('svd_stars');
DROP TABLE svd_likes, svd_train, svd_test, svd_first;
