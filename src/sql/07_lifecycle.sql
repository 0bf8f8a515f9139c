-- pgrec extension script, part: Lifecycle: retraining, scheduling with pg_cron, refresh.
-- Concatenated in file-name order into pgrec--<version>.sql by the Makefile.

-- Lifecycle: retraining from the stored source and settings, and scheduling it with pg_cron.

CREATE PROCEDURE pgrec.retrain(
	model_name text,
	warm_start boolean DEFAULT true,
	epochs integer DEFAULT NULL,
	validation_source text DEFAULT NULL,
	max_regression double precision DEFAULT 0)
-- No fixed search_path: validation_source is resolved as the caller names it; the stored source
-- is resolved by retrain_model() with the search_path stored with it.
LANGUAGE plpgsql AS $$
DECLARE
	m record;
	before record;
	after record;
	metric text;
	old_value double precision;
	new_value double precision;
	worse boolean;
BEGIN
	SELECT * INTO m FROM pgrec.models WHERE name = model_name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'model "%" does not exist', model_name USING ERRCODE = 'undefined_object';
	END IF;
	metric := CASE WHEN m.rating_column IS NOT NULL AND pgrec.trains_on_ratings(m.algorithm, m.hyperparameters ->> 'loss')
		THEN 'rmse' ELSE 'ndcg_at_k' END;
	IF validation_source IS NOT NULL THEN
		SELECT * INTO before FROM pgrec.evaluate(model_name, validation_source, m.user_column, m.item_column, m.rating_column);
	END IF;
	-- Locks the model, checks ownership, reads the stored source as the owner.
	PERFORM pgrec.retrain_model(model_name, retrain.warm_start, retrain.epochs);
	IF validation_source IS NOT NULL THEN
		SELECT * INTO after FROM pgrec.evaluate(model_name, validation_source, m.user_column, m.item_column, m.rating_column);
		old_value := (to_jsonb(before) ->> metric)::double precision;
		new_value := (to_jsonb(after) ->> metric)::double precision;
		worse := CASE WHEN metric = 'rmse' THEN new_value > old_value + max_regression
			ELSE new_value < old_value - max_regression END;
		IF worse THEN
			PERFORM pgrec.rollback(model_name, m.version);
			RAISE WARNING 'retrained model "%" not published: % % is worse than % of version %',
				model_name, metric, round(new_value::numeric, 6), round(old_value::numeric, 6), m.version
				USING DETAIL = 'The new version is kept in pgrec.model_versions but is not current.',
				HINT = 'Raise max_regression to publish it anyway, or investigate the new data.';
		END IF;
	END IF;
END
$$;
CREATE FUNCTION pgrec.retrain_model(model_name text, warm_start boolean DEFAULT true, epochs integer DEFAULT NULL,
	OUT model_id bigint, OUT users bigint, OUT items bigint, OUT interactions bigint,
	OUT skipped_rows bigint, OUT duplicates bigint, OUT seconds double precision,
	OUT final_loss double precision, OUT peak_memory_mb double precision)
	AS 'MODULE_PATHNAME', 'pgrec_retrain_model' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgrec.retrain_model(text, boolean, integer)
	IS 'trains a model again from its stored source (read with the rights of the model''s owner, with the search_path it was trained with) and hyper-parameters; owner only; the training step of pgrec.retrain()';

COMMENT ON PROCEDURE pgrec.retrain(text, boolean, integer, text, double precision)
	IS 'retrains a model from its stored source and hyper-parameters (warm-started from the current factors by default) and publishes the new version; with validation_source, keeps the old version if the new one is worse by more than max_regression';

CREATE FUNCTION pgrec.schedule_retraining(model_name text, schedule text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	job bigint;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pgrec.models m WHERE m.name = model_name) THEN
		RAISE EXCEPTION 'model "%" does not exist', model_name USING ERRCODE = 'undefined_object';
	END IF;
	IF NOT pg_has_role((SELECT m.owner FROM pgrec.models m WHERE m.name = model_name), 'USAGE') THEN
		RAISE EXCEPTION 'must be owner of model "%"', model_name USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			HINT = 'Set shared_preload_libraries = ''pg_cron'' and cron.database_name to this database in postgresql.conf, restart, then CREATE EXTENSION pg_cron.';
	END IF;
	EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
		USING 'pgrec retrain ' || model_name, schedule, format('CALL pgrec.retrain(%L)', model_name);
	RETURN job;
END
$$;
COMMENT ON FUNCTION pgrec.schedule_retraining(text, text)
	IS 'schedules CALL pgrec.retrain(model_name) with pg_cron (a cron expression such as ''0 3 * * *''); returns the job id; scheduling the same model again replaces its schedule';

CREATE FUNCTION pgrec.unschedule_retraining(model_name text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	found_job boolean;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	EXECUTE 'SELECT EXISTS (SELECT 1 FROM cron.job WHERE jobname = $1)' INTO found_job
		USING 'pgrec retrain ' || model_name;
	IF NOT found_job THEN
		RAISE EXCEPTION 'no scheduled retraining of model "%"', model_name USING ERRCODE = 'undefined_object';
	END IF;
	EXECUTE 'SELECT cron.unschedule($1)' USING 'pgrec retrain ' || model_name;
	RETURN true;
END
$$;
COMMENT ON FUNCTION pgrec.unschedule_retraining(text) IS 'removes the pg_cron job that retrains the model';

CREATE FUNCTION pgrec.refresh(model_name text,
	OUT model_id bigint, OUT version integer, OUT users bigint, OUT items bigint,
	OUT new_users bigint, OUT new_items bigint, OUT seconds double precision)
	AS 'MODULE_PATHNAME', 'pgrec_refresh' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgrec.refresh(text)
	IS 'publishes a new version in which the users and items that appeared in the source since the last training are folded in against the fixed other side, and every user''s seen items are updated; no full retrain';
