-- pgrec extension script: the embedding type, its operators, operator classes and aggregates
-- in the installation schema, and the schema pgrec that holds the recommender API.

\echo Use "CREATE EXTENSION pgrec" to load this file. \quit

CREATE SCHEMA pgrec;
COMMENT ON SCHEMA pgrec IS 'pgrec recommender API: training, recommendation and model catalog';

-- The embedding type

CREATE TYPE embedding;

CREATE FUNCTION embedding_in(cstring, oid, integer) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_out(embedding) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_typmod_in(cstring[]) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_typmod_out(integer) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_recv(internal, oid, integer) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_send(embedding) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE embedding (
	INPUT = embedding_in,
	OUTPUT = embedding_out,
	TYPMOD_IN = embedding_typmod_in,
	TYPMOD_OUT = embedding_typmod_out,
	RECEIVE = embedding_recv,
	SEND = embedding_send,
	STORAGE = external
);

COMMENT ON TYPE embedding IS 'vector of float4 values, up to 16000 dimensions; embedding(n) fixes n';
COMMENT ON FUNCTION embedding_in(cstring, oid, integer) IS 'reads the text form [x1, x2, ...]';
COMMENT ON FUNCTION embedding_out(embedding) IS 'writes the text form with shortest round-trip digits';
COMMENT ON FUNCTION embedding_typmod_in(cstring[]) IS 'reads the dimension count of embedding(n)';
COMMENT ON FUNCTION embedding_typmod_out(integer) IS 'writes the dimension count of embedding(n)';
COMMENT ON FUNCTION embedding_recv(internal, oid, integer) IS 'reads the binary form';
COMMENT ON FUNCTION embedding_send(embedding) IS 'writes the binary form';

-- Casts

CREATE FUNCTION embedding(embedding, integer, boolean) RETURNS embedding
	AS 'MODULE_PATHNAME', 'embedding_typmod_cast' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION array_to_embedding(integer[], integer, boolean) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION array_to_embedding(real[], integer, boolean) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION array_to_embedding(double precision[], integer, boolean) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION array_to_embedding(numeric[], integer, boolean) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_to_float4_array(embedding, integer, boolean) RETURNS real[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_to_float8_array(embedding, integer, boolean) RETURNS double precision[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE CAST (embedding AS embedding) WITH FUNCTION embedding(embedding, integer, boolean) AS IMPLICIT;
CREATE CAST (integer[] AS embedding) WITH FUNCTION array_to_embedding(integer[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (real[] AS embedding) WITH FUNCTION array_to_embedding(real[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (double precision[] AS embedding) WITH FUNCTION array_to_embedding(double precision[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (numeric[] AS embedding) WITH FUNCTION array_to_embedding(numeric[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (embedding AS real[]) WITH FUNCTION embedding_to_float4_array(embedding, integer, boolean) AS ASSIGNMENT;
CREATE CAST (embedding AS double precision[]) WITH FUNCTION embedding_to_float8_array(embedding, integer, boolean) AS ASSIGNMENT;

COMMENT ON FUNCTION embedding(embedding, integer, boolean) IS 'checks the dimension count of embedding(n)';
COMMENT ON FUNCTION array_to_embedding(integer[], integer, boolean) IS 'converts a 1-D integer array without NULLs';
COMMENT ON FUNCTION array_to_embedding(real[], integer, boolean) IS 'converts a 1-D real array without NULLs';
COMMENT ON FUNCTION array_to_embedding(double precision[], integer, boolean) IS 'converts a 1-D double precision array without NULLs';
COMMENT ON FUNCTION array_to_embedding(numeric[], integer, boolean) IS 'converts a 1-D numeric array without NULLs';
COMMENT ON FUNCTION embedding_to_float4_array(embedding, integer, boolean) IS 'converts to real[]';
COMMENT ON FUNCTION embedding_to_float8_array(embedding, integer, boolean) IS 'converts to double precision[]';
COMMENT ON CAST (embedding AS embedding) IS 'enforces the dimension count of embedding(n)';
COMMENT ON CAST (integer[] AS embedding) IS 'integer array to embedding';
COMMENT ON CAST (real[] AS embedding) IS 'real array to embedding';
COMMENT ON CAST (double precision[] AS embedding) IS 'double precision array to embedding';
COMMENT ON CAST (numeric[] AS embedding) IS 'numeric array to embedding';
COMMENT ON CAST (embedding AS real[]) IS 'embedding to real array';
COMMENT ON CAST (embedding AS double precision[]) IS 'embedding to double precision array';

-- Distances, similarities and norms. COST 10: an O(dimensions) scan, so that cheaper
-- predicates of the same WHERE clause are evaluated first.

CREATE FUNCTION inner_product(embedding, embedding) RETURNS double precision
	AS 'MODULE_PATHNAME', 'embedding_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION embedding_negative_inner_product(embedding, embedding) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION cosine_similarity(embedding, embedding) RETURNS double precision
	AS 'MODULE_PATHNAME', 'embedding_cosine_similarity' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION cosine_distance(embedding, embedding) RETURNS double precision
	AS 'MODULE_PATHNAME', 'embedding_cosine_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION l2_distance(embedding, embedding) RETURNS double precision
	AS 'MODULE_PATHNAME', 'embedding_l2_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION l1_distance(embedding, embedding) RETURNS double precision
	AS 'MODULE_PATHNAME', 'embedding_l1_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION l2_norm(embedding) RETURNS double precision
	AS 'MODULE_PATHNAME', 'embedding_l2_norm' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;

COMMENT ON FUNCTION inner_product(embedding, embedding) IS 'dot product';
COMMENT ON FUNCTION embedding_negative_inner_product(embedding, embedding) IS 'negative dot product, the <#> operator';
COMMENT ON FUNCTION cosine_similarity(embedding, embedding) IS 'cosine of the angle; NULL when either vector is zero';
COMMENT ON FUNCTION cosine_distance(embedding, embedding) IS '1 - cosine similarity; NULL when either vector is zero';
COMMENT ON FUNCTION l2_distance(embedding, embedding) IS 'Euclidean distance';
COMMENT ON FUNCTION l1_distance(embedding, embedding) IS 'taxicab (L1) distance';
COMMENT ON FUNCTION l2_norm(embedding) IS 'Euclidean norm';

CREATE OPERATOR <#> (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = embedding_negative_inner_product, COMMUTATOR = '<#>');
CREATE OPERATOR <=> (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = cosine_distance, COMMUTATOR = '<=>');
CREATE OPERATOR <-> (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = l2_distance, COMMUTATOR = '<->');
CREATE OPERATOR <+> (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = l1_distance, COMMUTATOR = '<+>');

COMMENT ON OPERATOR <#> (embedding, embedding) IS 'negative inner product: ascending order puts the largest dot product first';
COMMENT ON OPERATOR <=> (embedding, embedding) IS 'cosine distance; NULL when either vector is zero';
COMMENT ON OPERATOR <-> (embedding, embedding) IS 'Euclidean distance';
COMMENT ON OPERATOR <+> (embedding, embedding) IS 'taxicab (L1) distance';

-- Functions that build embeddings

CREATE FUNCTION dims(embedding) RETURNS integer
	AS 'MODULE_PATHNAME', 'embedding_dims' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION l2_normalize(embedding) RETURNS embedding
	AS 'MODULE_PATHNAME', 'embedding_l2_normalize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION subvector(embedding, integer, integer) RETURNS embedding
	AS 'MODULE_PATHNAME', 'embedding_subvector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 5;
CREATE FUNCTION embedding_add(embedding, embedding) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION embedding_subtract(embedding, embedding) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION embedding_multiply(embedding, embedding) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION embedding_scale(embedding, double precision) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION embedding_scale_left(double precision, embedding) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION embedding_concat(embedding, embedding) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 5;

COMMENT ON FUNCTION dims(embedding) IS 'number of dimensions';
COMMENT ON FUNCTION l2_normalize(embedding) IS 'unit vector of the same direction; NULL for a zero vector';
COMMENT ON FUNCTION subvector(embedding, integer, integer) IS 'subvector(e, start, count): count elements from 1-based start';
COMMENT ON FUNCTION embedding_add(embedding, embedding) IS 'element-wise sum, the + operator';
COMMENT ON FUNCTION embedding_subtract(embedding, embedding) IS 'element-wise difference, the - operator';
COMMENT ON FUNCTION embedding_multiply(embedding, embedding) IS 'element-wise product, the * operator';
COMMENT ON FUNCTION embedding_scale(embedding, double precision) IS 'every element times a number, the * operator';
COMMENT ON FUNCTION embedding_scale_left(double precision, embedding) IS 'a number times every element, the * operator';
COMMENT ON FUNCTION embedding_concat(embedding, embedding) IS 'concatenation, the || operator';

CREATE OPERATOR + (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = embedding_add, COMMUTATOR = +);
CREATE OPERATOR - (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = embedding_subtract);
CREATE OPERATOR * (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = embedding_multiply, COMMUTATOR = *);
CREATE OPERATOR * (LEFTARG = embedding, RIGHTARG = double precision,
	FUNCTION = embedding_scale, COMMUTATOR = *);
CREATE OPERATOR * (LEFTARG = double precision, RIGHTARG = embedding,
	FUNCTION = embedding_scale_left, COMMUTATOR = *);
CREATE OPERATOR || (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = embedding_concat);

COMMENT ON OPERATOR + (embedding, embedding) IS 'element-wise sum';
COMMENT ON OPERATOR - (embedding, embedding) IS 'element-wise difference';
COMMENT ON OPERATOR * (embedding, embedding) IS 'element-wise product';
COMMENT ON OPERATOR * (embedding, double precision) IS 'every element times a number';
COMMENT ON OPERATOR * (double precision, embedding) IS 'a number times every element';
COMMENT ON OPERATOR || (embedding, embedding) IS 'concatenation';

-- Comparison, for btree and hash operator classes

CREATE FUNCTION embedding_cmp(embedding, embedding) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_lt(embedding, embedding) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_le(embedding, embedding) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_eq(embedding, embedding) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_ne(embedding, embedding) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_ge(embedding, embedding) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_gt(embedding, embedding) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_hash(embedding) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_hash_extended(embedding, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION embedding_cmp(embedding, embedding) IS 'btree comparison: element by element, then the shorter first';
COMMENT ON FUNCTION embedding_lt(embedding, embedding) IS 'the < operator';
COMMENT ON FUNCTION embedding_le(embedding, embedding) IS 'the <= operator';
COMMENT ON FUNCTION embedding_eq(embedding, embedding) IS 'the = operator';
COMMENT ON FUNCTION embedding_ne(embedding, embedding) IS 'the <> operator';
COMMENT ON FUNCTION embedding_ge(embedding, embedding) IS 'the >= operator';
COMMENT ON FUNCTION embedding_gt(embedding, embedding) IS 'the > operator';
COMMENT ON FUNCTION embedding_hash(embedding) IS 'hash for the hash operator class';
COMMENT ON FUNCTION embedding_hash_extended(embedding, bigint) IS 'seeded 64-bit hash, for hash partitioning';

CREATE OPERATOR < (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_lt,
	COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR <= (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_le,
	COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR = (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR <> (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR >= (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_ge,
	COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
CREATE OPERATOR > (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_gt,
	COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);

COMMENT ON OPERATOR < (embedding, embedding) IS 'less than';
COMMENT ON OPERATOR <= (embedding, embedding) IS 'less than or equal';
COMMENT ON OPERATOR = (embedding, embedding) IS 'equal';
COMMENT ON OPERATOR <> (embedding, embedding) IS 'not equal';
COMMENT ON OPERATOR >= (embedding, embedding) IS 'greater than or equal';
COMMENT ON OPERATOR > (embedding, embedding) IS 'greater than';

CREATE OPERATOR CLASS embedding_ops DEFAULT FOR TYPE embedding USING btree AS
	OPERATOR 1 <,
	OPERATOR 2 <=,
	OPERATOR 3 =,
	OPERATOR 4 >=,
	OPERATOR 5 >,
	FUNCTION 1 embedding_cmp(embedding, embedding);

CREATE OPERATOR CLASS embedding_ops DEFAULT FOR TYPE embedding USING hash AS
	OPERATOR 1 =,
	FUNCTION 1 embedding_hash(embedding),
	FUNCTION 2 embedding_hash_extended(embedding, bigint);

COMMENT ON OPERATOR CLASS embedding_ops USING btree IS 'total order of embeddings: ORDER BY, DISTINCT, unique indexes, merge joins';
COMMENT ON OPERATOR CLASS embedding_ops USING hash IS 'hashing of embeddings: hash joins, hash aggregation, hash partitioning';
COMMENT ON OPERATOR FAMILY embedding_ops USING btree IS 'btree operators of embedding';
COMMENT ON OPERATOR FAMILY embedding_ops USING hash IS 'hash operators of embedding';

-- Aggregates; the state is {count, sum_1, ..., sum_dim} as double precision[]

CREATE FUNCTION embedding_accum(double precision[], embedding) RETURNS double precision[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_combine(double precision[], double precision[]) RETURNS double precision[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_sum_final(double precision[]) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_avg_final(double precision[]) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION embedding_accum(double precision[], embedding) IS 'transition function of sum(embedding) and avg(embedding)';
COMMENT ON FUNCTION embedding_combine(double precision[], double precision[]) IS 'combines partial states of sum(embedding) and avg(embedding)';
COMMENT ON FUNCTION embedding_sum_final(double precision[]) IS 'final function of sum(embedding)';
COMMENT ON FUNCTION embedding_avg_final(double precision[]) IS 'final function of avg(embedding)';

CREATE AGGREGATE sum(embedding) (
	SFUNC = embedding_accum,
	STYPE = double precision[],
	FINALFUNC = embedding_sum_final,
	COMBINEFUNC = embedding_combine,
	INITCOND = '{0}',
	PARALLEL = SAFE
);

CREATE AGGREGATE avg(embedding) (
	SFUNC = embedding_accum,
	STYPE = double precision[],
	FINALFUNC = embedding_avg_final,
	COMBINEFUNC = embedding_combine,
	INITCOND = '{0}',
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE sum(embedding) IS 'element-wise sum of embeddings';
COMMENT ON AGGREGATE avg(embedding) IS 'element-wise mean of embeddings, e.g. a user profile from the items they liked';

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

-- Training and evaluation

CREATE FUNCTION pgrec.train(
	model_name text,
	source regclass,
	user_column name,
	item_column name,
	rating_column name DEFAULT NULL,
	algorithm text DEFAULT 'als',
	factors integer DEFAULT 64,
	epochs integer DEFAULT NULL,
	regularization double precision DEFAULT NULL,
	alpha double precision DEFAULT NULL,
	learning_rate double precision DEFAULT NULL,
	seed bigint DEFAULT 42,
	bias_regularization double precision DEFAULT NULL,
	regularization_exponent double precision DEFAULT NULL,
	init_scale double precision DEFAULT NULL,
	warm_start boolean DEFAULT false,
	OUT model_id bigint, OUT users bigint, OUT items bigint, OUT interactions bigint,
	OUT skipped_rows bigint, OUT duplicates bigint, OUT seconds double precision,
	OUT final_loss double precision, OUT peak_memory_mb double precision)
	AS 'MODULE_PATHNAME', 'pgrec_train' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION pgrec.train(
	model_name text,
	source text,
	user_column name,
	item_column name,
	rating_column name DEFAULT NULL,
	algorithm text DEFAULT 'als',
	factors integer DEFAULT 64,
	epochs integer DEFAULT NULL,
	regularization double precision DEFAULT NULL,
	alpha double precision DEFAULT NULL,
	learning_rate double precision DEFAULT NULL,
	seed bigint DEFAULT 42,
	bias_regularization double precision DEFAULT NULL,
	regularization_exponent double precision DEFAULT NULL,
	init_scale double precision DEFAULT NULL,
	warm_start boolean DEFAULT false,
	OUT model_id bigint, OUT users bigint, OUT items bigint, OUT interactions bigint,
	OUT skipped_rows bigint, OUT duplicates bigint, OUT seconds double precision,
	OUT final_loss double precision, OUT peak_memory_mb double precision)
	AS 'MODULE_PATHNAME', 'pgrec_train' LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pgrec.train(text, regclass, name, name, name, text, integer, integer, double precision, double precision, double precision, bigint, double precision, double precision, double precision, boolean)
	IS 'trains a model (als, ials or bpr) on a table of interactions and stores it under model_name, replacing any model of that name at commit';
COMMENT ON FUNCTION pgrec.train(text, text, name, name, name, text, integer, integer, double precision, double precision, double precision, bigint, double precision, double precision, double precision, boolean)
	IS 'trains a model on a table name or on a query (text starting with SELECT, WITH, VALUES or TABLE) that returns the named columns';

CREATE FUNCTION pgrec.evaluate(
	model_name text,
	test_source regclass,
	user_column name,
	item_column name,
	rating_column name DEFAULT NULL,
	k integer DEFAULT 10,
	relevance_threshold double precision DEFAULT NULL,
	OUT rmse double precision, OUT mae double precision,
	OUT precision_at_k double precision, OUT recall_at_k double precision,
	OUT ndcg_at_k double precision, OUT hit_rate_at_k double precision,
	OUT map_at_k double precision, OUT coverage double precision,
	OUT users bigint, OUT test_interactions bigint)
	AS 'MODULE_PATHNAME', 'pgrec_evaluate' LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION pgrec.evaluate(
	model_name text,
	test_source text,
	user_column name,
	item_column name,
	rating_column name DEFAULT NULL,
	k integer DEFAULT 10,
	relevance_threshold double precision DEFAULT NULL,
	OUT rmse double precision, OUT mae double precision,
	OUT precision_at_k double precision, OUT recall_at_k double precision,
	OUT ndcg_at_k double precision, OUT hit_rate_at_k double precision,
	OUT map_at_k double precision, OUT coverage double precision,
	OUT users bigint, OUT test_interactions bigint)
	AS 'MODULE_PATHNAME', 'pgrec_evaluate' LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pgrec.evaluate(text, regclass, name, name, name, integer, double precision)
	IS 'evaluates a model on held-out interactions: RMSE/MAE (explicit models) and full-ranking metrics at k; stores them in pgrec.models.metrics';
COMMENT ON FUNCTION pgrec.evaluate(text, text, name, name, name, integer, double precision)
	IS 'evaluates a model on a table name or on a query returning the named columns';

CREATE FUNCTION pgrec.drop_model(model_name text, if_exists boolean DEFAULT false) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	DELETE FROM pgrec.model_versions WHERE name = model_name;
	IF NOT FOUND THEN
		IF if_exists THEN
			RETURN false;
		END IF;
		RAISE EXCEPTION 'model "%" does not exist', model_name USING ERRCODE = 'undefined_object';
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION pgrec.drop_model(text, boolean) IS 'removes a model, all its versions and their factors; false (or an error unless if_exists) when there is none';

-- Recommendation: exact top-k over a model cached in each backend.

CREATE FUNCTION pgrec.rows_support(internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'pgrec_rows_support' LANGUAGE C STRICT;
COMMENT ON FUNCTION pgrec.rows_support(internal) IS 'planner support: a recommendation call with a constant k returns about k rows';

CREATE FUNCTION pgrec.recommend(
	model_name text,
	user_id bigint,
	k integer DEFAULT 10,
	exclude_seen boolean DEFAULT true,
	candidates bigint[] DEFAULT NULL,
	exclude bigint[] DEFAULT NULL)
	RETURNS TABLE (item_id bigint, score real)
	AS 'MODULE_PATHNAME', 'pgrec_recommend' LANGUAGE C STABLE PARALLEL SAFE ROWS 10
	SUPPORT pgrec.rows_support;
COMMENT ON FUNCTION pgrec.recommend(text, bigint, integer, boolean, bigint[], bigint[])
	IS 'the k best items for a user, best first (ties by item id); a user the model does not know gets the most popular items with NULL scores';

CREATE FUNCTION pgrec.recommend_for_vector(
	model_name text,
	query embedding,
	k integer DEFAULT 10,
	candidates bigint[] DEFAULT NULL,
	exclude bigint[] DEFAULT NULL)
	RETURNS TABLE (item_id bigint, score real)
	AS 'MODULE_PATHNAME', 'pgrec_recommend_for_vector' LANGUAGE C STABLE PARALLEL SAFE ROWS 10
	SUPPORT pgrec.rows_support;
COMMENT ON FUNCTION pgrec.recommend_for_vector(text, embedding, integer, bigint[], bigint[])
	IS 'the k items that score best (dot product plus item bias) against any vector of the model''s dimensions';

CREATE FUNCTION pgrec.similar_items(model_name text, item_id bigint, k integer DEFAULT 10)
	RETURNS TABLE (similar_item_id bigint, similarity real)
	AS 'MODULE_PATHNAME', 'pgrec_similar_items' LANGUAGE C STABLE PARALLEL SAFE ROWS 10
	SUPPORT pgrec.rows_support;
COMMENT ON FUNCTION pgrec.similar_items(text, bigint, integer)
	IS 'the k items whose factors have the highest cosine similarity with the item''s; none for an unknown item';

CREATE FUNCTION pgrec.similar_users(model_name text, user_id bigint, k integer DEFAULT 10)
	RETURNS TABLE (similar_user_id bigint, similarity real)
	AS 'MODULE_PATHNAME', 'pgrec_similar_users' LANGUAGE C STABLE PARALLEL SAFE ROWS 10
	SUPPORT pgrec.rows_support;
COMMENT ON FUNCTION pgrec.similar_users(text, bigint, integer)
	IS 'the k users whose factors have the highest cosine similarity with the user''s; none for an unknown user';

CREATE FUNCTION pgrec.recommend_for_interactions(
	model_name text,
	item_ids bigint[],
	ratings real[] DEFAULT NULL,
	k integer DEFAULT 10,
	candidates bigint[] DEFAULT NULL,
	exclude bigint[] DEFAULT NULL)
	RETURNS TABLE (item_id bigint, score real)
	AS 'MODULE_PATHNAME', 'pgrec_recommend_for_interactions' LANGUAGE C STABLE PARALLEL SAFE ROWS 10
	SUPPORT pgrec.rows_support;
COMMENT ON FUNCTION pgrec.recommend_for_interactions(text, bigint[], real[], integer, bigint[], bigint[])
	IS 'cold start: folds in a user who is not in the model from their items (and ratings) and recommends for them, excluding those items';

CREATE FUNCTION pgrec.recommend_all(model_name text, k integer DEFAULT 10, exclude_seen boolean DEFAULT true)
	RETURNS TABLE (user_id bigint, item_id bigint, rank integer, score real)
	AS 'MODULE_PATHNAME', 'pgrec_recommend_all' LANGUAGE C STABLE PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION pgrec.recommend_all(text, integer, boolean)
	IS 'the top k of every user of the model, computed block-wise, for materialising into a table';

-- Models trained elsewhere (Spark ALS, implicit, a two-tower network): factors from tables.

CREATE FUNCTION pgrec.import_model(
	model_name text,
	item_factors regclass,
	item_id_column name,
	item_factor_column name,
	user_factors regclass DEFAULT NULL,
	user_id_column name DEFAULT 'user_id',
	user_factor_column name DEFAULT NULL,
	item_bias_column name DEFAULT NULL,
	user_bias_column name DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	new_id bigint;
	new_version integer;
	first_created timestamptz;
	dimensions integer;
	item_count bigint;
	user_count bigint := 0;
	factor_column name := coalesce(user_factor_column, item_factor_column);
	item_bias text := CASE WHEN item_bias_column IS NULL THEN 'NULL' ELSE quote_ident(item_bias_column) END;
	user_bias text := CASE WHEN user_bias_column IS NULL THEN 'NULL' ELSE quote_ident(user_bias_column) END;
	counts record;
BEGIN
	IF model_name IS NULL OR model_name = '' OR item_factors IS NULL OR item_id_column IS NULL
		OR item_factor_column IS NULL THEN
		RAISE EXCEPTION 'model name, item table, item id column and item factor column are required'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- Check the items: ids present and unique, factors of one dimension count.
	EXECUTE format('SELECT count(*) AS n, count(DISTINCT %1$I) AS ids, count(%1$I) AS present,
			min(@extschema@.dims(%2$I::@extschema@.embedding)) AS lo,
			max(@extschema@.dims(%2$I::@extschema@.embedding)) AS hi,
			count(%2$I) AS with_factors FROM %3$s',
		item_id_column, item_factor_column, item_factors) INTO counts;
	IF counts.n = 0 THEN
		RAISE EXCEPTION 'no items in %', item_factors USING ERRCODE = 'data_exception';
	END IF;
	IF counts.ids <> counts.n OR counts.present <> counts.n OR counts.with_factors <> counts.n THEN
		RAISE EXCEPTION 'item ids must be unique and items must have ids and factors'
			USING ERRCODE = 'data_exception',
			DETAIL = format('%s has %s rows, %s distinct ids, %s rows with factors.', item_factors,
				counts.n, counts.ids, counts.with_factors);
	END IF;
	IF counts.lo <> counts.hi THEN
		RAISE EXCEPTION 'item factors have between % and % dimensions', counts.lo, counts.hi
			USING ERRCODE = 'data_exception';
	END IF;
	dimensions := counts.lo;
	item_count := counts.n;
	IF user_factors IS NOT NULL THEN
		EXECUTE format('SELECT count(*) AS n, count(DISTINCT %1$I) AS ids, count(%2$I) AS with_factors,
				coalesce(min(@extschema@.dims(%2$I::@extschema@.embedding)), %4$s) AS lo,
				coalesce(max(@extschema@.dims(%2$I::@extschema@.embedding)), %4$s) AS hi FROM %3$s',
			user_id_column, factor_column, user_factors, dimensions) INTO counts;
		IF counts.ids <> counts.n OR counts.with_factors <> counts.n THEN
			RAISE EXCEPTION 'user ids must be unique and users must have ids and factors'
				USING ERRCODE = 'data_exception';
		END IF;
		IF counts.lo <> dimensions OR counts.hi <> dimensions THEN
			RAISE EXCEPTION 'user factors have % dimensions, item factors %', counts.hi, dimensions
				USING ERRCODE = 'data_exception';
		END IF;
		user_count := counts.n;
	END IF;

	SELECT b.version, b.created_at INTO new_version, first_created FROM pgrec.begin_version(model_name) b;
	INSERT INTO pgrec.model_versions (name, version, algorithm, hyperparameters, factors, users, items, interactions,
		source, user_column, item_column, created_at, training_seconds, peak_memory_bytes, loss_history)
	VALUES (model_name, new_version, 'imported',
		jsonb_build_object('algorithm', 'imported', 'alpha', 1, 'regularization', 0.1,
			'regularization_exponent', 0, 'factors', dimensions),
		dimensions, user_count, item_count, 0, item_factors::text, user_id_column, item_id_column,
		coalesce(first_created, now()), 0, 0, '{}')
	RETURNING model_id INTO new_id;
	PERFORM pgrec.prune_versions(model_name);
	EXECUTE format('INSERT INTO pgrec.item_factors (model_id, item_id, bias, factors)
			SELECT $1, %1$I, %2$s, %3$I::@extschema@.embedding FROM %4$s',
		item_id_column, item_bias, item_factor_column, item_factors) USING new_id;
	IF user_factors IS NOT NULL THEN
		EXECUTE format('INSERT INTO pgrec.user_factors (model_id, user_id, bias, factors, seen_items)
				SELECT $1, %1$I, %2$s, %3$I::@extschema@.embedding, ''{}'' FROM %4$s',
			user_id_column, user_bias, factor_column, user_factors) USING new_id;
	END IF;
	RETURN new_id;
END
$$;
COMMENT ON FUNCTION pgrec.import_model(text, regclass, name, name, regclass, name, name, name, name)
	IS 'creates a servable model from item (and user) factors trained elsewhere: embedding, real[] or double precision[] columns; returns its model_id';

CREATE FUNCTION pgrec.cached_models()
	RETURNS TABLE (name text, model_id bigint, users bigint, items bigint, bytes bigint)
	AS 'MODULE_PATHNAME', 'pgrec_cached_models' LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 4;
COMMENT ON FUNCTION pgrec.cached_models() IS 'the models this backend holds loaded for recommend(), with the memory each takes';

-- Synthetic data with planted structure, so that demos and tests work without real data.

CREATE FUNCTION pgrec.synthetic_ratings(
	users integer DEFAULT 600,
	items integer DEFAULT 400,
	ratings_per_user integer DEFAULT 40,
	genres integer DEFAULT 6,
	seed bigint DEFAULT 42)
RETURNS TABLE (user_id bigint, item_id bigint, rating real, genre integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
	-- Each user loves one genre; each item has one genre. A user rates items of their genre
	-- 4-5 and others 1-3, with deterministic noise from md5 of (seed, user, item).
	WITH pairs AS (
		SELECT u, i,
			('x' || substr(md5(seed || ':' || u || ':' || i), 1, 8))::bit(32)::bigint AS h
		FROM generate_series(1, users) u, generate_series(1, items) i
	), picked AS (
		SELECT u, i, h, row_number() OVER (PARTITION BY u ORDER BY h) AS n FROM pairs
	)
	SELECT u::bigint, i::bigint,
		(CASE WHEN u % genres = i % genres THEN 4 + (h % 2) ELSE 1 + (h % 3) END)::real,
		i % genres
	FROM picked
	WHERE n <= ratings_per_user
	ORDER BY u, i
$$;
COMMENT ON FUNCTION pgrec.synthetic_ratings(integer, integer, integer, integer, bigint)
	IS 'deterministic synthetic ratings with planted taste groups: user u loves the items of genre u % genres';

-- Hyper-parameter search on a validation split.

CREATE FUNCTION pgrec.tune(
	model_name text,
	train_source text,
	validation_source text,
	user_column name,
	item_column name,
	rating_column name DEFAULT NULL,
	algorithm text DEFAULT 'als',
	factors integer[] DEFAULT '{32,64}',
	regularization double precision[] DEFAULT NULL,
	alpha double precision[] DEFAULT NULL,
	epochs integer[] DEFAULT NULL,
	metric text DEFAULT NULL,
	k integer DEFAULT 10,
	trials integer DEFAULT NULL,
	seed bigint DEFAULT 42)
RETURNS TABLE (trial integer, trial_factors integer, trial_regularization double precision,
	trial_alpha double precision, trial_epochs integer, rmse double precision,
	recall_at_k double precision, ndcg_at_k double precision, seconds double precision,
	best boolean)
-- No fixed search_path: the sources are resolved as the caller names them; every object of
-- pgrec is schema-qualified below.
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	chosen_metric text := coalesce(metric, CASE WHEN algorithm = 'als' THEN 'rmse' ELSE 'ndcg_at_k' END);
	lower_is_better boolean;
	trial_name text := model_name || ' (tuning trial)';
	best_name text := model_name || ' (tuning best)';
	best_value double precision;
	value double precision;
	combo record;
	t record;
	e record;
	n integer := 0;
	results jsonb := '[]';
BEGIN
	IF chosen_metric NOT IN ('rmse', 'mae', 'precision_at_k', 'recall_at_k', 'ndcg_at_k', 'hit_rate_at_k', 'map_at_k') THEN
		RAISE EXCEPTION 'unknown metric "%"', chosen_metric USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Use rmse, mae, precision_at_k, recall_at_k, ndcg_at_k, hit_rate_at_k or map_at_k.';
	END IF;
	IF chosen_metric IN ('rmse', 'mae') AND (algorithm <> 'als' OR rating_column IS NULL) THEN
		RAISE EXCEPTION '% needs algorithm als and a rating column', chosen_metric
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF trials IS NOT NULL AND trials < 1 THEN
		RAISE EXCEPTION 'trials must be positive' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	lower_is_better := chosen_metric IN ('rmse', 'mae');
	PERFORM pgrec.drop_model(trial_name, true), pgrec.drop_model(best_name, true);
	-- Every combination (NULL: the algorithm's default), or a seeded random sample of them.
	FOR combo IN
		SELECT f, r, a, ep FROM unnest(coalesce(factors, '{64}')) f,
			unnest(coalesce(regularization, ARRAY[NULL::double precision])) r,
			unnest(coalesce(alpha, ARRAY[NULL::double precision])) a,
			unnest(coalesce(epochs, ARRAY[NULL::integer])) ep
		ORDER BY CASE WHEN trials IS NULL THEN '' ELSE md5(seed || ':' || f || ':' || r || ':' || a || ':' || ep) END, f, r, a, ep
		LIMIT trials
	LOOP
		n := n + 1;
		SELECT * INTO t FROM pgrec.train(trial_name, train_source, user_column, item_column, rating_column,
			algorithm => algorithm, factors => combo.f, epochs => combo.ep,
			regularization => combo.r, alpha => combo.a, seed => seed);
		SELECT * INTO e FROM pgrec.evaluate(trial_name, validation_source, user_column, item_column,
			CASE WHEN algorithm = 'als' THEN rating_column END, k => k);
		value := (to_jsonb(e) ->> chosen_metric)::double precision;
		results := results || jsonb_build_object('trial', n, 'factors', combo.f,
			'regularization', (SELECT hyperparameters->'regularization' FROM pgrec.models WHERE name = trial_name),
			'alpha', (SELECT hyperparameters->'alpha' FROM pgrec.models WHERE name = trial_name),
			'epochs', (SELECT hyperparameters->'epochs' FROM pgrec.models WHERE name = trial_name),
			'rmse', e.rmse, 'recall_at_k', e.recall_at_k, 'ndcg_at_k', e.ndcg_at_k, 'seconds', t.seconds,
			'value', value);
		IF best_value IS NULL OR (lower_is_better AND value < best_value) OR (NOT lower_is_better AND value > best_value) THEN
			best_value := value;
			PERFORM pgrec.drop_model(best_name, true);
			UPDATE pgrec.models SET name = best_name WHERE name = trial_name;
		ELSE
			PERFORM pgrec.drop_model(trial_name);
		END IF;
	END LOOP;
	IF n = 0 THEN
		RAISE EXCEPTION 'no combination to try' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- The best trial becomes the model.
	PERFORM pgrec.drop_model(model_name, true);
	UPDATE pgrec.models SET name = model_name WHERE name = best_name;
	RETURN QUERY
		SELECT (r->>'trial')::integer, (r->>'factors')::integer, (r->>'regularization')::double precision,
			(r->>'alpha')::double precision, (r->>'epochs')::integer, (r->>'rmse')::double precision,
			(r->>'recall_at_k')::double precision, (r->>'ndcg_at_k')::double precision,
			(r->>'seconds')::double precision, (r->>'value')::double precision = best_value
		FROM jsonb_array_elements(results) r
		ORDER BY (r->>'trial')::integer;
END
$$;
COMMENT ON FUNCTION pgrec.tune(text, text, text, name, name, name, text, integer[], double precision[], double precision[], integer[], text, integer, integer, bigint)
	IS 'grid (or, with trials, seeded random) search of hyper-parameters on a validation split; keeps the best model under model_name and returns every trial';

-- Lifecycle: retraining from the stored source and settings, and scheduling it with pg_cron.

CREATE PROCEDURE pgrec.retrain(
	model_name text,
	warm_start boolean DEFAULT true,
	epochs integer DEFAULT NULL,
	validation_source text DEFAULT NULL,
	max_regression double precision DEFAULT 0)
-- No fixed search_path: the stored source is resolved as when the model was trained.
LANGUAGE plpgsql AS $$
DECLARE
	m record;
	h jsonb;
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
	IF m.algorithm = 'imported' THEN
		RAISE EXCEPTION 'model "%" was imported and cannot be retrained', model_name
			USING ERRCODE = 'feature_not_supported',
			HINT = 'Import the new factors with pgrec.import_model().';
	END IF;
	metric := CASE WHEN m.algorithm = 'als' AND m.rating_column IS NOT NULL THEN 'rmse' ELSE 'ndcg_at_k' END;
	IF validation_source IS NOT NULL THEN
		SELECT * INTO before FROM pgrec.evaluate(model_name, validation_source, m.user_column, m.item_column, m.rating_column);
	END IF;
	h := m.hyperparameters;
	PERFORM pgrec.train(model_name, m.source, m.user_column, m.item_column, m.rating_column,
		algorithm => m.algorithm, factors => m.factors,
		epochs => coalesce(retrain.epochs, (h->>'epochs')::integer),
		regularization => (h->>'regularization')::double precision,
		alpha => (h->>'alpha')::double precision,
		learning_rate => (h->>'learning_rate')::double precision,
		seed => (h->>'seed')::bigint,
		bias_regularization => (h->>'bias_regularization')::double precision,
		regularization_exponent => (h->>'regularization_exponent')::double precision,
		init_scale => (h->>'init_scale')::double precision,
		warm_start => retrain.warm_start);
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
COMMENT ON PROCEDURE pgrec.retrain(text, boolean, integer, text, double precision)
	IS 'retrains a model from its stored source and hyper-parameters (warm-started from the current factors by default) and publishes the new version; with validation_source, keeps the old version if the new one is worse by more than max_regression';

CREATE FUNCTION pgrec.schedule_retraining(model_name text, schedule text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	job bigint;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			HINT = 'Set shared_preload_libraries = ''pg_cron'' and cron.database_name to this database in postgresql.conf, restart, then CREATE EXTENSION pg_cron.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pgrec.models m WHERE m.name = model_name) THEN
		RAISE EXCEPTION 'model "%" does not exist', model_name USING ERRCODE = 'undefined_object';
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
