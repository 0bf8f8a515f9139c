-- Models have owners: only the owner (a member of the owning role, or a superuser) may replace,
-- retrain, refresh, roll back, drop, tune into or schedule a model; nobody writes the catalog or
-- factor tables directly; a stored source runs with its owner's rights, never the caller's.
SET pgrec.progress = off;
SET pgrec.threads = 1;
CREATE ROLE pgrec_low;
CREATE ROLE pgrec_other;
CREATE SCHEMA low_data AUTHORIZATION pgrec_low;
GRANT USAGE ON SCHEMA pgrec TO pgrec_low, pgrec_other;
CREATE TABLE admin_ratings AS SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(60, 40, 10);
SELECT users FROM pgrec.train('admin_model', 'admin_ratings', 'user_id', 'item_id', 'rating', factors => 4, epochs => 2);
SELECT owner FROM pgrec.models WHERE name = 'admin_model';

-- The low role trains, retrains, refreshes, rolls back and drops its own models.
SET ROLE pgrec_low;
CREATE TABLE low_data.clicks AS SELECT user_id, item_id FROM pgrec.synthetic_ratings(60, 40, 10) WHERE rating >= 3;
-- The source runs with the owner's rights: this log shows whose.
CREATE TABLE low_data.source_runs (run_by name);
CREATE FUNCTION low_data.log_run() RETURNS boolean LANGUAGE sql VOLATILE AS
	$$ INSERT INTO low_data.source_runs SELECT current_user; SELECT true $$;
SET search_path = low_data, public;
SELECT users FROM pgrec.train('low_model', 'SELECT user_id, item_id FROM clicks WHERE (SELECT log_run())',
	'user_id', 'item_id', algorithm => 'ials', factors => 4, epochs => 2);
RESET search_path;
SELECT name, owner, source, source_search_path FROM pgrec.model_versions WHERE name = 'low_model';
SELECT users FROM pgrec.retrain_model('low_model');
SELECT version FROM pgrec.refresh('low_model');
SELECT pgrec.rollback('low_model');
SELECT count(*) AS recommendations FROM pgrec.recommend('low_model', 1, 5);

-- ... but cannot touch the superuser's model, through pgrec or directly.
\set VERBOSITY verbose
SELECT error_of($$SELECT pgrec.train('admin_model', 'low_data.clicks', 'user_id', 'item_id', algorithm => 'ials')$$);
SELECT error_of($$SELECT pgrec.retrain_model('admin_model')$$);
SELECT error_of($$CALL pgrec.retrain('admin_model')$$);
SELECT error_of($$SELECT pgrec.refresh('admin_model')$$);
SELECT error_of($$SELECT pgrec.rollback('admin_model')$$);
SELECT error_of($$SELECT pgrec.drop_model('admin_model')$$);
SELECT error_of($$SELECT pgrec.publish_version('low_model', 'admin_model')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('admin_model', 'low_data.clicks', 'low_data.clicks', 'user_id', 'item_id', algorithm => 'ials', factors => '{2}', epochs => '{1}')$$);
SELECT error_of($$SELECT pgrec.schedule_retraining('admin_model', '0 3 * * *')$$);
CREATE TABLE low_data.items AS SELECT i AS item_id, ARRAY[i, 1, 0, 0]::real[] AS f FROM generate_series(1, 5) i;
SELECT error_of($$SELECT pgrec.import_model('admin_model', 'low_data.items', 'item_id', 'f')$$);
-- The escalation of the first review: rewriting a superuser's stored source. Denied.
SELECT error_of($$UPDATE pgrec.model_versions SET source = 'SELECT 1 AS user_id, 1 AS item_id' WHERE name = 'admin_model'$$);
SELECT error_of($$INSERT INTO pgrec.item_factors SELECT model_id, 999, NULL, '[1,2,3,4]' FROM pgrec.models WHERE name = 'admin_model'$$);
SELECT error_of($$DELETE FROM pgrec.user_factors$$);
SELECT error_of($$SELECT count(*) FROM pgrec.item_factors$$);
-- The catalog stays readable, as PostgreSQL's own catalogs are.
SELECT count(*) > 0 AS catalog_readable FROM pgrec.models WHERE name = 'admin_model';
\set VERBOSITY default
RESET ROLE;

-- Another role cannot retrain the low role's model either; a member of the role can.
SET ROLE pgrec_other;
SELECT error_of($$SELECT pgrec.retrain_model('low_model')$$);
RESET ROLE;
GRANT pgrec_low TO pgrec_other;
SET ROLE pgrec_other;
SELECT users FROM pgrec.retrain_model('low_model');
RESET ROLE;
REVOKE pgrec_low FROM pgrec_other;

-- A superuser's retrain of the low role's model reads its source with the low role's rights
-- and the search_path stored with it, whatever the superuser's search_path holds.
CREATE SCHEMA decoy;
CREATE TABLE decoy.clicks AS SELECT 1 AS user_id, 1 AS item_id;
SET search_path = decoy, public;
TRUNCATE low_data.source_runs;
CALL pgrec.retrain('low_model');
RESET search_path;
SELECT run_by, count(*) > 0 AS ran FROM low_data.source_runs GROUP BY run_by;
SELECT users, owner FROM pgrec.models WHERE name = 'low_model';
-- Inside that run the source cannot change its rights (a security-restricted operation).
CREATE FUNCTION low_data.try_set_role() RETURNS boolean LANGUAGE sql AS
	$$ SELECT pg_catalog.set_config('role', 'pgrec_low', true) IS NOT NULL $$;
ALTER FUNCTION low_data.try_set_role() OWNER TO pgrec_low;
SET ROLE pgrec_low;
SELECT users FROM pgrec.train('low_sneaky', 'SELECT user_id, item_id FROM low_data.clicks WHERE low_data.try_set_role()',
	'user_id', 'item_id', algorithm => 'ials', factors => 2, epochs => 1);
RESET ROLE;
UPDATE pgrec.model_versions SET source = 'SELECT user_id, item_id FROM low_data.clicks WHERE low_data.try_set_role()' WHERE name = 'low_sneaky';
SELECT error_of($$SELECT pgrec.retrain_model('low_sneaky')$$);

-- Dropping: the owner's drop removes every version.
SET ROLE pgrec_low;
SELECT pgrec.drop_model('low_model'), pgrec.drop_model('low_sneaky');
RESET ROLE;
SELECT count(*) AS versions_left FROM pgrec.model_versions WHERE name LIKE 'low%';
SELECT pgrec.drop_model('admin_model');
DROP SCHEMA low_data CASCADE;
DROP SCHEMA decoy CASCADE;
DROP TABLE admin_ratings;
REVOKE USAGE ON SCHEMA pgrec FROM pgrec_low, pgrec_other;
DROP ROLE pgrec_low;
DROP ROLE pgrec_other;

-- pgrec.max_threads caps pgrec.threads server-wide; only a superuser sets it.
CREATE ROLE pgrec_threads;
SET ROLE pgrec_threads;
SELECT error_of($$SET pgrec.max_threads = 64$$);
RESET ROLE;
DROP ROLE pgrec_threads;
