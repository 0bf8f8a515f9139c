-- The demo's SQL, all of it plain SQL a user can copy: split the ratings, train, evaluate,
-- then recommend with titles. Needs demo_ratings(user_id, item_id, rating, rated_at) and
-- demo_movies(item_id, title, genres); psql variables sample_user, similar_to, visitor_films.
\set ON_ERROR_STOP on
SET client_min_messages = notice;
\echo '--- 1. hold out 10% of the ratings at random (fixed seed)'
DROP TABLE IF EXISTS demo_split CASCADE;
SELECT setseed(0.42) \g /dev/null
CREATE TABLE demo_split AS
SELECT *, random() < 0.9 AS is_train FROM (SELECT * FROM demo_ratings ORDER BY user_id, item_id) s;
CREATE OR REPLACE VIEW demo_train AS SELECT user_id, item_id, rating FROM demo_split WHERE is_train;
CREATE OR REPLACE VIEW demo_test AS SELECT user_id, item_id, rating FROM demo_split WHERE NOT is_train;
SELECT count(*) FILTER (WHERE is_train) AS training_ratings, count(*) FILTER (WHERE NOT is_train) AS test_ratings
FROM demo_split;

\echo '--- 2. train two models, one NOTICE per epoch:'
\echo '    demo: explicit matrix factorisation (ALS) that predicts ratings'
SELECT model_id, users, items, interactions, round(seconds::numeric, 2) AS seconds,
	round(final_loss::numeric, 4) AS training_rmse, round(peak_memory_mb::numeric, 1) AS peak_mb
FROM pgrec.train('demo', 'demo_train', 'user_id', 'item_id', 'rating');
\echo '    demo_topn: implicit ALS on the films each user liked (rated 4 or 5), for top-N lists'
SELECT model_id, users, items, interactions, round(seconds::numeric, 2) AS seconds,
	round(peak_memory_mb::numeric, 1) AS peak_mb
FROM pgrec.train('demo_topn', 'SELECT user_id, item_id FROM demo_train WHERE rating >= 4',
	'user_id', 'item_id', algorithm => 'ials', factors => 32, alpha => 10);

\echo '--- 3. evaluate on the held-out ratings; top-10 metrics rank all films a user has not rated'
SELECT 'demo (als)' AS model, round(rmse::numeric, 4) AS rmse, round(mae::numeric, 4) AS mae,
	round(precision_at_k::numeric, 4) AS precision_at_10, round(recall_at_k::numeric, 4) AS recall_at_10,
	round(ndcg_at_k::numeric, 4) AS ndcg_at_10, round(hit_rate_at_k::numeric, 4) AS hit_rate_at_10
FROM pgrec.evaluate('demo', 'demo_test', 'user_id', 'item_id', 'rating', k => 10, relevance_threshold => 4)
UNION ALL
SELECT 'demo_topn (ials)', NULL, NULL, round(precision_at_k::numeric, 4), round(recall_at_k::numeric, 4),
	round(ndcg_at_k::numeric, 4), round(hit_rate_at_k::numeric, 4)
FROM pgrec.evaluate('demo_topn', 'SELECT user_id, item_id FROM demo_test WHERE rating >= 4', 'user_id', 'item_id', k => 10);

\echo '--- ... and what the rating model predicts for a few held-out ratings of user' :sample_user
SELECT m.title, t.rating AS actual,
	round((md.global_mean + u.bias + i.bias - (u.factors <#> i.factors))::numeric, 2) AS predicted
FROM demo_test t
JOIN demo_movies m USING (item_id)
JOIN pgrec.models md ON md.name = 'demo'
JOIN pgrec.user_factors u ON u.model_id = md.model_id AND u.user_id = t.user_id
JOIN pgrec.item_factors i ON i.model_id = md.model_id AND i.item_id = t.item_id
WHERE t.user_id = :sample_user
ORDER BY m.title LIMIT 5;

\echo '--- 4. films user' :sample_user 'rated highest'
SELECT m.title, r.rating
FROM demo_train r JOIN demo_movies m USING (item_id)
WHERE r.user_id = :sample_user
ORDER BY r.rating DESC, m.title LIMIT 5;

\echo '--- ... and their top-10 recommendations'
SELECT m.title, round(r.score::numeric, 3) AS score
FROM pgrec.recommend('demo_topn', :sample_user, 10) r JOIN demo_movies m USING (item_id)
ORDER BY r.score DESC, r.item_id;

\echo '--- 5. because you watched' :similar_to
SELECT title AS because_you_watched FROM demo_movies WHERE item_id = :similar_to;
SELECT m.title, round(s.similarity::numeric, 3) AS similarity
FROM pgrec.similar_items('demo_topn', :similar_to, 5) s JOIN demo_movies m ON m.item_id = s.similar_item_id
ORDER BY s.similarity DESC;

\echo '--- 6. a new visitor who loved three films, folded into the model'
SELECT title AS visitor_loved FROM demo_movies WHERE item_id = ANY (:'visitor_films'::bigint[]) ORDER BY item_id;
SELECT m.title, round(r.score::numeric, 3) AS score
FROM pgrec.recommend_for_interactions('demo_topn', :'visitor_films'::bigint[], k => 10) r
JOIN demo_movies m USING (item_id)
ORDER BY r.score DESC, r.item_id;

\echo '--- 7. a film added today, with no ratings yet: a hybrid model (item features) places it'
\echo '    by its title and genres, here a sequel of film' :similar_to
DELETE FROM demo_movies WHERE item_id = 1000000;
INSERT INTO demo_movies SELECT 1000000, 'The Return of ' || title, genres FROM demo_movies WHERE item_id = :similar_to;
SELECT title AS new_film, genres FROM demo_movies WHERE item_id = 1000000;
SELECT model_id, users, items, round(seconds::numeric, 2) AS seconds
FROM pgrec.train('demo_hybrid', 'SELECT user_id, item_id FROM demo_train WHERE rating >= 4',
	'user_id', 'item_id', algorithm => 'hybrid', epochs => 10,
	item_features => 'SELECT item_id, title, genres FROM demo_movies');
\echo '    the users it fits best, where it ranks among their unseen films, and what they rated highest'
WITH fits AS (
	SELECT u.user_id, r.score
	FROM (SELECT DISTINCT user_id FROM demo_train) u,
		LATERAL pgrec.recommend('demo_hybrid', u.user_id, 1, candidates => ARRAY[1000000::bigint]) r
	WHERE r.score IS NOT NULL -- users the model knows (it has their liked films)
	ORDER BY r.score DESC, u.user_id LIMIT 5)
SELECT f.user_id, round(f.score::numeric, 3) AS score,
	(SELECT count(*) + 1 FROM pgrec.recommend('demo_hybrid', f.user_id, 100000) r
	 WHERE r.score > f.score) AS rank,
	(SELECT string_agg(title, '; ') FROM (SELECT m.title FROM demo_train t
		JOIN demo_movies m USING (item_id) WHERE t.user_id = f.user_id
		ORDER BY t.rating DESC, m.title LIMIT 3) best) AS rated_highest
FROM fits f ORDER BY f.score DESC, f.user_id;
