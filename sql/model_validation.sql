-- Nothing loaded from the model tables is trusted: rows edited by hand into something that
-- cannot be served give a clear error (XX001) at the next statement, or are repaired (unsorted
-- or repeated seen items); the algorithm registry is visible as pgrec.algorithms().
SET pgrec.progress = off;
SELECT name, explicit_feedback, trainable, parameters, loss FROM pgrec.algorithms() ORDER BY name;
CREATE TABLE check_items AS SELECT i AS item_id, ARRAY[i % 5, 1]::real[] AS f FROM generate_series(1, 8) i;
CREATE TABLE check_users AS SELECT u AS user_id, ARRAY[1, u % 3]::real[] AS f FROM generate_series(1, 3) u;
SELECT pgrec.import_model('checked', 'check_items', 'item_id', 'f', 'check_users', 'user_id', 'f') > 0 AS imported;
SELECT string_agg(item_id::text, ',') AS top FROM pgrec.recommend('checked', 1, 4);
CREATE FUNCTION checked_id() RETURNS bigint LANGUAGE sql AS $$ SELECT model_id FROM pgrec.models WHERE name = 'checked' $$;
\set VERBOSITY terse
-- Values that are not finite (the embedding type rejects them in factors; a bias is a real).
UPDATE pgrec.item_factors SET bias = 'NaN' WHERE model_id = checked_id() AND item_id = 3;
SELECT error_of($$SELECT * FROM pgrec.recommend('checked', 1, 4)$$);
UPDATE pgrec.item_factors SET bias = NULL WHERE model_id = checked_id() AND item_id = 3;
-- Dimensions other than the model's.
UPDATE pgrec.user_factors SET factors = '[1, 2, 3]' WHERE model_id = checked_id() AND user_id = 2;
SELECT error_of($$SELECT * FROM pgrec.recommend('checked', 1, 4)$$);
UPDATE pgrec.user_factors SET factors = '[1, 2]' WHERE model_id = checked_id() AND user_id = 2;
-- NULL seen items; unsorted and repeated ones are repaired.
UPDATE pgrec.user_factors SET seen_items = '{4, NULL}' WHERE model_id = checked_id() AND user_id = 1;
SELECT error_of($$SELECT * FROM pgrec.recommend('checked', 1, 4)$$);
UPDATE pgrec.user_factors SET seen_items = '{4, 2, 4, 99}' WHERE model_id = checked_id() AND user_id = 1;
SELECT string_agg(item_id::text, ',') AS top_without_seen_2_and_4 FROM pgrec.recommend('checked', 1, 4);
-- Rows missing or in excess of the catalog's counts.
DELETE FROM pgrec.item_factors WHERE model_id = checked_id() AND item_id = 8;
SELECT error_of($$SELECT * FROM pgrec.recommend('checked', 1, 4)$$);
INSERT INTO pgrec.item_factors VALUES (checked_id(), 8, NULL, '[3, 1]'), (checked_id(), 9, NULL, '[3, 1]'),
	(checked_id(), 10, NULL, '[3, 1]');
SELECT error_of($$SELECT * FROM pgrec.recommend('checked', 1, 4)$$);
DELETE FROM pgrec.item_factors WHERE model_id = checked_id() AND item_id IN (9, 10);
-- Catalog rows: an unknown algorithm, hyper-parameters that are not numbers or out of range.
UPDATE pgrec.model_versions SET algorithm = 'lightgcn' WHERE model_id = checked_id();
SELECT error_of($$SELECT * FROM pgrec.recommend('checked', 1, 4)$$);
UPDATE pgrec.model_versions SET algorithm = 'imported', hyperparameters = hyperparameters || '{"alpha": "high"}' WHERE model_id = checked_id();
SELECT error_of($$SELECT * FROM pgrec.recommend('checked', 1, 4)$$);
UPDATE pgrec.model_versions SET hyperparameters = hyperparameters || '{"alpha": -1}' WHERE model_id = checked_id();
SELECT error_of($$SELECT * FROM pgrec.recommend('checked', 1, 4)$$);
UPDATE pgrec.model_versions SET hyperparameters = hyperparameters || '{"alpha": 1}' WHERE model_id = checked_id();
\set VERBOSITY default
-- Repaired, the model serves again.
SELECT string_agg(item_id::text, ',') AS top FROM pgrec.recommend('checked', 1, 4);
SELECT pgrec.drop_model('checked');
DROP FUNCTION checked_id();
DROP TABLE check_items, check_users;
-- Parallel workers never load a model: the functions that read one are PARALLEL RESTRICTED.
SELECT proname, proparallel FROM pg_proc
WHERE pronamespace = 'pgrec'::regnamespace AND proname IN ('recommend', 'recommend_for_vector',
	'similar_items', 'similar_users', 'recommend_for_interactions', 'recommend_all')
ORDER BY proname;
