-- pgrec extension script, part: Model storage: the version table, the current-version view, factor tables, version helpers and rollback.
-- Concatenated in file-name order into pgrec--<version>.sql by the Makefile.

-- Model storage: ordinary, WAL-logged tables, dumped by pg_dump with the extension.

CREATE TABLE pgrec.model_versions (
	model_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	version_uuid uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
	name text NOT NULL,
	version integer NOT NULL,
	is_current boolean NOT NULL DEFAULT true,
	owner regrole NOT NULL,
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
	source_search_path text,
	user_column name NOT NULL,
	item_column name NOT NULL,
	rating_column name,
	item_features text,
	user_features text,
	text_search_config text,
	created_at timestamptz NOT NULL DEFAULT now(),
	trained_at timestamptz NOT NULL DEFAULT now(),
	training_seconds double precision NOT NULL,
	peak_memory_bytes bigint NOT NULL,
	loss_history double precision[] NOT NULL,
	metrics jsonb,
	UNIQUE (name, version)
);
CREATE UNIQUE INDEX model_versions_current ON pgrec.model_versions (name) WHERE is_current;

-- The current version of each model.
CREATE VIEW pgrec.models AS
SELECT model_id, name, version, owner, algorithm, hyperparameters, factors, users, items,
	interactions, global_mean, rating_min, rating_max, source, user_column, item_column,
	rating_column, item_features, user_features, text_search_config, created_at, trained_at, training_seconds, peak_memory_bytes, loss_history, metrics
FROM pgrec.model_versions WHERE is_current;

CREATE TABLE pgrec.user_factors (
	model_id bigint NOT NULL REFERENCES pgrec.model_versions ON DELETE CASCADE,
	user_id bigint NOT NULL,
	bias real,
	factors embedding,
	seen_items bigint[] NOT NULL,
	seen_values real[],
	PRIMARY KEY (model_id, user_id)
);
-- Item ids and ratings hardly compress, and trying cost a third of writing ML-1M's users: long
-- seen lists go out of line uncompressed.
ALTER TABLE pgrec.user_factors ALTER COLUMN seen_items SET STORAGE EXTERNAL,
	ALTER COLUMN seen_values SET STORAGE EXTERNAL;

CREATE TABLE pgrec.item_factors (
	model_id bigint NOT NULL REFERENCES pgrec.model_versions ON DELETE CASCADE,
	item_id bigint NOT NULL,
	bias real,
	factors embedding,
	PRIMARY KEY (model_id, item_id)
);

-- Neighbourhood models keep weights instead of factors: item-item (item_knn, ease) or user-user
-- (user_knn).
CREATE TABLE pgrec.item_neighbors (
	model_id bigint NOT NULL REFERENCES pgrec.model_versions ON DELETE CASCADE,
	item_id bigint NOT NULL,
	neighbor_ids bigint[] NOT NULL,
	weights real[] NOT NULL,
	PRIMARY KEY (model_id, item_id)
);
-- Ids and weights hardly compress, and trying costs more than writing them: long rows go
-- out of line uncompressed (4x faster training of item_knn with 200 neighbours on Gowalla).
ALTER TABLE pgrec.item_neighbors ALTER COLUMN neighbor_ids SET STORAGE EXTERNAL,
	ALTER COLUMN weights SET STORAGE EXTERNAL;

-- user_knn keeps user-user weights (the users' seen_values are what they lend).
CREATE TABLE pgrec.user_neighbors (
	model_id bigint NOT NULL REFERENCES pgrec.model_versions ON DELETE CASCADE,
	user_id bigint NOT NULL,
	neighbor_ids bigint[] NOT NULL,
	weights real[] NOT NULL,
	PRIMARY KEY (model_id, user_id)
);
ALTER TABLE pgrec.user_neighbors ALTER COLUMN neighbor_ids SET STORAGE EXTERNAL,
	ALTER COLUMN weights SET STORAGE EXTERNAL;

-- Models scored by a network (neumf) keep its dense layers in order: z = a W + b, weights the
-- inputs x outputs matrix W row-major.
CREATE TABLE pgrec.network_layers (
	model_id bigint NOT NULL REFERENCES pgrec.model_versions ON DELETE CASCADE,
	layer integer NOT NULL,
	inputs integer NOT NULL,
	outputs integer NOT NULL,
	weights real[] NOT NULL,
	bias real[] NOT NULL,
	PRIMARY KEY (model_id, layer)
);

-- Content and hybrid models: the vocabulary of each side's features (a column and a word or
-- category of it, or a numeric column), the weights that turn a raw value into the model's
-- (offset, scale) and the vector (and bias) the model learnt for the feature.
CREATE TABLE pgrec.feature_factors (
	model_id bigint NOT NULL REFERENCES pgrec.model_versions ON DELETE CASCADE,
	side "char" NOT NULL CHECK (side IN ('i', 'u')),
	feature integer NOT NULL,
	column_name name NOT NULL,
	kind text NOT NULL CHECK (kind IN ('word', 'category', 'number')),
	value text,
	"offset" real NOT NULL,
	scale real NOT NULL,
	bias real,
	factors embedding,
	PRIMARY KEY (model_id, side, feature)
);
CREATE INDEX feature_factors_value ON pgrec.feature_factors (model_id, side, column_name, value);

SELECT pg_catalog.pg_extension_config_dump('pgrec.model_versions', '');
SELECT pg_catalog.pg_extension_config_dump('pgrec.model_versions_model_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('pgrec.user_factors', '');
SELECT pg_catalog.pg_extension_config_dump('pgrec.item_factors', '');
SELECT pg_catalog.pg_extension_config_dump('pgrec.item_neighbors', '');
SELECT pg_catalog.pg_extension_config_dump('pgrec.user_neighbors', '');
SELECT pg_catalog.pg_extension_config_dump('pgrec.feature_factors', '');
SELECT pg_catalog.pg_extension_config_dump('pgrec.network_layers', '');

-- Writes go through pgrec's functions, which check the model's owner; the catalog is readable
-- by everyone, as PostgreSQL's own catalogs are; factors are read through the functions.
REVOKE ALL ON pgrec.model_versions, pgrec.models, pgrec.user_factors, pgrec.item_factors,
	pgrec.item_neighbors, pgrec.user_neighbors, pgrec.feature_factors, pgrec.network_layers
	FROM PUBLIC;
GRANT SELECT ON pgrec.model_versions, pgrec.models TO PUBLIC;

COMMENT ON SEQUENCE pgrec.model_versions_model_id_seq IS 'model_id of pgrec.model_versions';
COMMENT ON TABLE pgrec.model_versions IS 'every kept version of every model (pgrec.keep_versions per name); one current version per name';
COMMENT ON VIEW pgrec.models IS 'catalog of models: the current version of each name, replaced atomically by each training';
COMMENT ON INDEX pgrec.model_versions_current IS 'one current version per model name';
COMMENT ON COLUMN pgrec.model_versions.version IS 'version number of the model, increasing with each training or import';
COMMENT ON COLUMN pgrec.model_versions.version_uuid IS 'identity of the version that never repeats, not even after the extension is re-created; model caches are keyed on it';
COMMENT ON COLUMN pgrec.model_versions.owner IS 'the role that trained or imported the model: only its members (and superusers) may retrain, refresh, drop, roll back, tune or schedule it; stored sources run with its rights';
COMMENT ON COLUMN pgrec.model_versions.source_search_path IS 'the search_path a query source or the feature sources were trained with, and are re-run with by retrain and refresh (NULL for a table source without feature sources: the table is stored schema-qualified)';
COMMENT ON TABLE pgrec.user_factors IS 'user factors, bias and training items of each model (factors NULL for neighbourhood models)';
COMMENT ON TABLE pgrec.item_factors IS 'item factors and bias of each model (factors NULL for neighbourhood models)';
COMMENT ON TABLE pgrec.item_neighbors IS 'item-item weights of neighbourhood models: an item lends weights[n] to item neighbor_ids[n] in the score of every user who has it';
COMMENT ON TABLE pgrec.user_neighbors IS 'user-user weights of user_knn models: a user''s score for an item is the sum over neighbor_ids[n] of weights[n] times that neighbour''s seen_values for the item';
COMMENT ON TABLE pgrec.feature_factors IS 'the features of content and hybrid models (side i: items, u: users): a word or category value of a column, or a numeric column; the weight of a raw value x is (x'' - offset) * scale, x'' = 1 + ln x for words; factors and bias are what the model learnt for the feature';
COMMENT ON TABLE pgrec.network_layers IS 'the scoring network of neumf models: dense layers in order, z = a W + b with weights the inputs x outputs matrix W row-major; the last is the weights of the GMF branch';
COMMENT ON INDEX pgrec.feature_factors_value IS 'finds the features of a visitor or a new item by column and value';
COMMENT ON COLUMN pgrec.model_versions.item_features IS 'the source of the item features (a table or a query: the id, then one feature per column), or NULL';
COMMENT ON COLUMN pgrec.model_versions.user_features IS 'the source of the user features, or NULL';
COMMENT ON COLUMN pgrec.model_versions.text_search_config IS 'the text search configuration that split the text features into words, by name (schema-qualified unless in pg_catalog; NULL without features)';
COMMENT ON COLUMN pgrec.models.hyperparameters IS 'every hyper-parameter the training used, defaults included';
COMMENT ON COLUMN pgrec.models.loss_history IS 'training loss after each epoch: RMSE for als, objective per interaction for ials, -log sigmoid for bpr';
COMMENT ON COLUMN pgrec.models.metrics IS 'the figures of the last pgrec.evaluate() of this model by its owner';
COMMENT ON COLUMN pgrec.user_factors.seen_items IS 'items of the user in the training data, ascending';
COMMENT ON COLUMN pgrec.user_factors.seen_values IS 'the values of seen_items in the training data, in the same order (user_knn only; NULL for other algorithms)';

-- Model caches: a statement sees a new version by its version_uuid; a change made by hand to
-- factors or to the served columns of the catalog is announced through PostgreSQL's cache
-- invalidation (a relcache invalidation of pgrec.cache_invalidation), which every backend's
-- cache listens to.
CREATE SEQUENCE pgrec.cache_invalidation;
COMMENT ON SEQUENCE pgrec.cache_invalidation IS 'internal: never used for values; its relcache invalidations tell model caches that model tables were changed by hand';
-- The same announcements as a token in a row, renewed by each of them in its own transaction, so
-- that a statement's snapshot tells which edits the model it loads includes: the shared cache
-- files are named by a version's uuid and this token, which never repeats (not after a rollback,
-- a crash or a new CREATE EXTENSION).
CREATE TABLE pgrec.cache_edits (token uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid());
INSERT INTO pgrec.cache_edits DEFAULT VALUES;
REVOKE ALL ON pgrec.cache_edits FROM PUBLIC;
COMMENT ON TABLE pgrec.cache_edits IS 'internal: one row whose token each change made by hand to the model tables renews (the shared model cache files are named by it)';

CREATE FUNCTION pgrec.invalidate_model_caches() RETURNS trigger
	AS 'MODULE_PATHNAME', 'pgrec_invalidate_model_caches' LANGUAGE C;
COMMENT ON FUNCTION pgrec.invalidate_model_caches() IS 'internal trigger: makes every backend reload its cached models at its next statement after a change made by hand to the model tables';

CREATE TRIGGER served_columns_changed
	AFTER UPDATE OF name, version_uuid, algorithm, hyperparameters, factors, users, items, global_mean, rating_min, rating_max
	ON pgrec.model_versions FOR EACH STATEMENT EXECUTE FUNCTION pgrec.invalidate_model_caches();
CREATE TRIGGER factors_changed AFTER INSERT OR UPDATE OR DELETE ON pgrec.user_factors
	FOR EACH STATEMENT EXECUTE FUNCTION pgrec.invalidate_model_caches();
CREATE TRIGGER factors_truncated AFTER TRUNCATE ON pgrec.user_factors
	FOR EACH STATEMENT EXECUTE FUNCTION pgrec.invalidate_model_caches();
CREATE TRIGGER factors_changed AFTER INSERT OR UPDATE OR DELETE ON pgrec.item_factors
	FOR EACH STATEMENT EXECUTE FUNCTION pgrec.invalidate_model_caches();
CREATE TRIGGER factors_truncated AFTER TRUNCATE ON pgrec.item_factors
	FOR EACH STATEMENT EXECUTE FUNCTION pgrec.invalidate_model_caches();
CREATE TRIGGER neighbors_changed AFTER INSERT OR UPDATE OR DELETE ON pgrec.item_neighbors
	FOR EACH STATEMENT EXECUTE FUNCTION pgrec.invalidate_model_caches();
CREATE TRIGGER neighbors_truncated AFTER TRUNCATE ON pgrec.item_neighbors
	FOR EACH STATEMENT EXECUTE FUNCTION pgrec.invalidate_model_caches();
CREATE TRIGGER neighbors_changed AFTER INSERT OR UPDATE OR DELETE ON pgrec.user_neighbors
	FOR EACH STATEMENT EXECUTE FUNCTION pgrec.invalidate_model_caches();
CREATE TRIGGER neighbors_truncated AFTER TRUNCATE ON pgrec.user_neighbors
	FOR EACH STATEMENT EXECUTE FUNCTION pgrec.invalidate_model_caches();
COMMENT ON TRIGGER served_columns_changed ON pgrec.model_versions IS 'announces hand-made changes of what recommend() serves to the model caches';
COMMENT ON TRIGGER factors_changed ON pgrec.user_factors IS 'announces hand-made changes of factors to the model caches';
COMMENT ON TRIGGER factors_truncated ON pgrec.user_factors IS 'announces a truncation to the model caches';
COMMENT ON TRIGGER factors_changed ON pgrec.item_factors IS 'announces hand-made changes of factors to the model caches';
COMMENT ON TRIGGER factors_truncated ON pgrec.item_factors IS 'announces a truncation to the model caches';
COMMENT ON TRIGGER neighbors_changed ON pgrec.item_neighbors IS 'announces hand-made changes of item-item weights to the model caches';
COMMENT ON TRIGGER neighbors_truncated ON pgrec.item_neighbors IS 'announces a truncation to the model caches';
COMMENT ON TRIGGER neighbors_changed ON pgrec.user_neighbors IS 'announces hand-made changes of user-user weights to the model caches';
COMMENT ON TRIGGER neighbors_truncated ON pgrec.user_neighbors IS 'announces a truncation to the model caches';
CREATE TRIGGER features_changed AFTER INSERT OR UPDATE OR DELETE ON pgrec.feature_factors
	FOR EACH STATEMENT EXECUTE FUNCTION pgrec.invalidate_model_caches();
CREATE TRIGGER features_truncated AFTER TRUNCATE ON pgrec.feature_factors
	FOR EACH STATEMENT EXECUTE FUNCTION pgrec.invalidate_model_caches();
COMMENT ON TRIGGER features_changed ON pgrec.feature_factors IS 'announces hand-made changes of feature vectors to the model caches';
COMMENT ON TRIGGER features_truncated ON pgrec.feature_factors IS 'announces a truncation to the model caches';
CREATE TRIGGER network_changed AFTER INSERT OR UPDATE OR DELETE ON pgrec.network_layers
	FOR EACH STATEMENT EXECUTE FUNCTION pgrec.invalidate_model_caches();
CREATE TRIGGER network_truncated AFTER TRUNCATE ON pgrec.network_layers
	FOR EACH STATEMENT EXECUTE FUNCTION pgrec.invalidate_model_caches();
COMMENT ON TRIGGER network_changed ON pgrec.network_layers IS 'announces hand-made changes of network weights to the model caches';
COMMENT ON TRIGGER network_truncated ON pgrec.network_layers IS 'announces a truncation to the model caches';

-- Versions: each training or import publishes a new version; older ones are kept for rollback.

CREATE FUNCTION pgrec.rollback(model_name text, version integer DEFAULT NULL) RETURNS integer
	AS 'MODULE_PATHNAME', 'pgrec_rollback' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgrec.rollback(text, integer) IS 'makes an older kept version (by default the one before the current) the current version again; owner only';

CREATE FUNCTION pgrec.drop_model(model_name text, if_exists boolean DEFAULT false) RETURNS boolean
	AS 'MODULE_PATHNAME', 'pgrec_drop_model' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgrec.drop_model(text, boolean) IS 'removes a model, all its versions and their factors; false (or an error unless if_exists) when there is none; owner only';
