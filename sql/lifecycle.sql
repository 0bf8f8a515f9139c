-- Model lifecycle: retrain from the stored source, warm start, evaluate-before-publish,
-- scheduling errors without pg_cron.
SET pgrec.progress = off;
SET pgrec.threads = 1;
CREATE TABLE life_ratings AS SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(150, 80, 20);
CREATE VIEW life_validation AS SELECT * FROM life_ratings WHERE (user_id + item_id) % 7 = 0;
SELECT users FROM pgrec.train('life', 'SELECT * FROM life_ratings WHERE (user_id + item_id) % 7 <> 0',
	'user_id', 'item_id', 'rating', factors => 6, epochs => 6);
-- retrain() reuses the stored source and hyper-parameters and publishes version 2.
CALL pgrec.retrain('life');
SELECT version, factors, source, hyperparameters->>'epochs' AS epochs FROM pgrec.models WHERE name = 'life';
-- A warm start begins where the current version ended: its first epoch is already as good as
-- the cold training's last.
CALL pgrec.retrain('life', epochs => 1);
SELECT m.loss_history[1] <= (SELECT v.loss_history[6] FROM pgrec.model_versions v WHERE v.name = 'life' AND v.version = 1) AS warm_first_epoch_as_good
FROM pgrec.models m WHERE name = 'life';
-- Evaluate before publishing: a one-epoch cold retrain is worse, so version 3 stays current.
SELECT version FROM pgrec.models WHERE name = 'life';
CALL pgrec.retrain('life', warm_start => false, epochs => 1, validation_source => 'life_validation');
SELECT version AS current_version, (SELECT max(version) FROM pgrec.model_versions WHERE name = 'life') AS newest_kept
FROM pgrec.models WHERE name = 'life';
-- With a tolerance the same retrain publishes.
CALL pgrec.retrain('life', warm_start => false, epochs => 1, validation_source => 'life_validation', max_regression => 10);
SELECT version FROM pgrec.models WHERE name = 'life';
-- Errors.
CREATE TABLE life_items AS SELECT i AS item_id, ARRAY[i, 1]::real[] AS f FROM generate_series(1, 5) i;
SELECT pgrec.import_model('life_imported', 'life_items', 'item_id', 'f') > 0 AS imported;
SELECT error_of($$CALL pgrec.retrain('no_such_model')$$);
SELECT error_of($$CALL pgrec.retrain('life_imported')$$);
SELECT error_of($$SELECT pgrec.schedule_retraining('life', '0 3 * * *')$$);
SELECT error_of($$SELECT pgrec.unschedule_retraining('life')$$);
SELECT pgrec.drop_model('life'), pgrec.drop_model('life_imported');
SELECT count(*) AS versions_left FROM pgrec.model_versions WHERE name LIKE 'life%';
-- refresh(): users and items new in the source are folded in, seen items updated, the rest kept.
CREATE TABLE grow AS SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(120, 60, 20, 3) WHERE user_id <= 100 AND item_id <= 50;
SELECT users, items FROM pgrec.train('growing', 'grow', 'user_id', 'item_id', 'rating', factors => 6, epochs => 8);
CREATE TABLE grow_before AS SELECT user_id, factors FROM pgrec.user_factors WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = 'growing');
INSERT INTO grow SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(120, 60, 20, 3) WHERE user_id > 100 OR item_id > 50;
SELECT version, users, items, new_users, new_items FROM pgrec.refresh('growing');
SELECT version, users, items, interactions FROM pgrec.models WHERE name = 'growing';
-- Known users keep their factors; their seen items now include the new items they rated.
SELECT count(*) AS unchanged_users FROM grow_before b JOIN pgrec.user_factors u USING (user_id)
WHERE u.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'growing') AND u.factors = b.factors;
SELECT count(*) AS users_with_new_seen_items FROM pgrec.user_factors u
WHERE u.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'growing') AND u.user_id <= 100
  AND EXISTS (SELECT 1 FROM unnest(u.seen_items) i WHERE i > 50);
-- A new user of genre 1 (user 103) gets genre-1 items; a new item of genre 2 (item 56) is near genre-2 items.
SELECT count(*) FILTER (WHERE item_id % 3 = 103 % 3) AS own_genre_of_5 FROM pgrec.recommend('growing', 103, 5);
SELECT count(*) FILTER (WHERE similar_item_id % 3 = 56 % 3) AS same_genre_of_5 FROM pgrec.similar_items('growing', 56, 5);
SELECT error_of($$SELECT * FROM pgrec.refresh('no_such_model')$$);
SELECT pgrec.import_model('imported_again', 'life_items', 'item_id', 'f') > 0 AS imported;
SELECT error_of($$SELECT * FROM pgrec.refresh('imported_again')$$);
SELECT pgrec.drop_model('growing'), pgrec.drop_model('imported_again');
