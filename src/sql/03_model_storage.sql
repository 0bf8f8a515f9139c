-- pgrec extension script, part: Model storage: the version table, the current-version view, factor tables, version helpers and rollback.
-- Concatenated in file-name order into pgrec--<version>.sql by the Makefile.

-- Model storage: ordinary, WAL-logged tables, dumped by pg_dump with the extension.

CREATE TABLE pgrec.model_versions (
	model_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL,
	version integer NOT NULL,
	is_current boolean NOT NULL DEFAULT true,
	algorithm text NOT NULL,
	hyperparameters jsonb NOT NULL,
	factors integer NOT NULL,
	users bigint NOT NULL,
	items bigint NOT NULL,
	interactions bigint NOT NULL,
	global_mean double precision NOT NULL DEFAULT 0,
	rating_min real,
	rating_max real,
	source text NOT NULL,
	user_column name NOT NULL,
	item_column name NOT NULL,
	rating_column name,
	created_at timestamptz NOT NULL DEFAULT now(),
	trained_at timestamptz NOT NULL DEFAULT now(),
	training_seconds double precision NOT NULL,
	peak_memory_bytes bigint NOT NULL,
	loss_history double precision[] NOT NULL,
	metrics jsonb,
	UNIQUE (name, version)
);
CREATE UNIQUE INDEX model_versions_current ON pgrec.model_versions (name) WHERE is_current;

-- The current version of each model; updatable, so metrics and renames go through it.
CREATE VIEW pgrec.models AS
SELECT model_id, name, version, algorithm, hyperparameters, factors, users, items, interactions,
	global_mean, rating_min, rating_max, source, user_column, item_column, rating_column,
	created_at, trained_at, training_seconds, peak_memory_bytes, loss_history, metrics
FROM pgrec.model_versions WHERE is_current;

CREATE TABLE pgrec.user_factors (
	model_id bigint NOT NULL REFERENCES pgrec.model_versions ON DELETE CASCADE,
	user_id bigint NOT NULL,
	bias real,
	factors embedding NOT NULL,
	seen_items bigint[] NOT NULL,
	PRIMARY KEY (model_id, user_id)
);

CREATE TABLE pgrec.item_factors (
	model_id bigint NOT NULL REFERENCES pgrec.model_versions ON DELETE CASCADE,
	item_id bigint NOT NULL,
	bias real,
	factors embedding NOT NULL,
	PRIMARY KEY (model_id, item_id)
);

SELECT pg_catalog.pg_extension_config_dump('pgrec.model_versions', '');
SELECT pg_catalog.pg_extension_config_dump('pgrec.model_versions_model_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('pgrec.user_factors', '');
SELECT pg_catalog.pg_extension_config_dump('pgrec.item_factors', '');

COMMENT ON SEQUENCE pgrec.model_versions_model_id_seq IS 'model_id of pgrec.model_versions';
COMMENT ON TABLE pgrec.model_versions IS 'every kept version of every model (pgrec.keep_versions per name); one current version per name';
COMMENT ON VIEW pgrec.models IS 'catalog of models: the current version of each name, replaced atomically by each training';
COMMENT ON INDEX pgrec.model_versions_current IS 'one current version per model name';
COMMENT ON COLUMN pgrec.model_versions.version IS 'version number of the model, increasing with each training or import';
COMMENT ON TABLE pgrec.user_factors IS 'user factors, bias and training items of each model';
COMMENT ON TABLE pgrec.item_factors IS 'item factors and bias of each model';
COMMENT ON COLUMN pgrec.models.hyperparameters IS 'every hyper-parameter the training used, defaults included';
COMMENT ON COLUMN pgrec.models.loss_history IS 'training loss after each epoch: RMSE for als, objective per interaction for ials, -log sigmoid for bpr';
COMMENT ON COLUMN pgrec.models.metrics IS 'the figures of the last pgrec.evaluate() of this model';

-- Versions: each training or import publishes a new version; older ones are kept for rollback.

CREATE FUNCTION pgrec.begin_version(model_name text, OUT version integer, OUT created_at timestamptz)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	-- Trainings of one name queue here; the demoted version stays current for everyone else
	-- until this transaction commits.
	PERFORM pg_advisory_xact_lock(hashtext('pgrec.model:' || model_name));
	SELECT coalesce(max(v.version), 0) + 1, min(v.created_at) INTO version, created_at
	FROM pgrec.model_versions v WHERE v.name = model_name;
	UPDATE pgrec.model_versions v SET is_current = false WHERE v.name = model_name AND v.is_current;
END
$$;
COMMENT ON FUNCTION pgrec.begin_version(text) IS 'internal: locks a model name for a new version, demotes its current version, returns the next version number and the first creation time';

CREATE FUNCTION pgrec.prune_versions(model_name text) RETURNS integer
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
	WITH removed AS (
		DELETE FROM pgrec.model_versions v
		WHERE v.name = model_name AND NOT v.is_current
		  AND v.version <= (SELECT max(c.version) FROM pgrec.model_versions c WHERE c.name = model_name)
		                   - current_setting('pgrec.keep_versions')::integer
		RETURNING 1)
	SELECT count(*)::integer FROM removed
$$;
COMMENT ON FUNCTION pgrec.prune_versions(text) IS 'removes the versions of a model older than the last pgrec.keep_versions; returns how many';

CREATE FUNCTION pgrec.rollback(model_name text, version integer DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	target integer := version;
	current_version integer;
BEGIN
	PERFORM pg_advisory_xact_lock(hashtext('pgrec.model:' || model_name));
	SELECT v.version INTO current_version FROM pgrec.model_versions v WHERE v.name = model_name AND v.is_current;
	IF target IS NULL THEN
		SELECT max(v.version) INTO target FROM pgrec.model_versions v
		WHERE v.name = model_name AND v.version < coalesce(current_version, 2147483647);
	END IF;
	IF target IS NULL OR NOT EXISTS (SELECT 1 FROM pgrec.model_versions v WHERE v.name = model_name AND v.version = target) THEN
		RAISE EXCEPTION 'model "%" has no version %', model_name, coalesce(target::text, 'before the current one')
			USING ERRCODE = 'undefined_object',
			HINT = 'See pgrec.model_versions for the versions that are kept.';
	END IF;
	UPDATE pgrec.model_versions v SET is_current = false WHERE v.name = model_name AND v.is_current;
	UPDATE pgrec.model_versions v SET is_current = true WHERE v.name = model_name AND v.version = target;
	RETURN target;
END
$$;
COMMENT ON FUNCTION pgrec.rollback(text, integer) IS 'makes an older kept version (by default the one before the current) the current version again';

COMMENT ON COLUMN pgrec.user_factors.seen_items IS 'items of the user in the training data, ascending';
