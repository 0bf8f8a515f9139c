-- pgrec extension script, part: Training, evaluation and dropping models.
-- Concatenated in file-name order into pgrec--<version>.sql by the Makefile.

-- Training and evaluation

CREATE FUNCTION pgrec.algorithms(OUT name text, OUT description text, OUT explicit_feedback boolean,
	OUT trainable boolean, OUT parameters text[], OUT loss text, OUT features text[],
	OUT required_features text[])
	RETURNS SETOF record AS 'MODULE_PATHNAME', 'pgrec_algorithms' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION pgrec.algorithms() IS 'the algorithm registry: each algorithm, what it learns from, whether pgrec.train() can train it, the hyper-parameters it takes, the loss its loss_history holds, the feature sources (pgrec.train arguments) it learns from and those it cannot train without';

CREATE FUNCTION pgrec.trains_on_ratings(algorithm text, loss text DEFAULT NULL) RETURNS boolean
	AS 'MODULE_PATHNAME', 'pgrec_trains_on_ratings' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION pgrec.trains_on_ratings(text, text) IS 'whether a model of the algorithm with this loss (NULL: its default) trains on explicit ratings: an explicit algorithm, or one whose loss is squared; NULL for an unknown algorithm';

CREATE FUNCTION pgrec.train(
	model_name text,
	source regclass,
	user_column name,
	item_column name,
	rating_column name DEFAULT NULL,
	algorithm text DEFAULT 'als',
	factors integer DEFAULT NULL,
	epochs integer DEFAULT NULL,
	regularization double precision DEFAULT NULL,
	alpha double precision DEFAULT NULL,
	learning_rate double precision DEFAULT NULL,
	seed bigint DEFAULT 42,
	bias_regularization double precision DEFAULT NULL,
	regularization_exponent double precision DEFAULT NULL,
	init_scale double precision DEFAULT NULL,
	warm_start boolean DEFAULT false,
	neighbors integer DEFAULT NULL,
	shrinkage double precision DEFAULT NULL,
	similarity text DEFAULT NULL,
	normalization double precision DEFAULT NULL,
	loss text DEFAULT NULL,
	item_features text DEFAULT NULL,
	user_features text DEFAULT NULL,
	text_search_config regconfig DEFAULT 'english',
	cg_steps integer DEFAULT NULL,
	hidden_layers integer[] DEFAULT NULL,
	batch_size integer DEFAULT NULL,
	dropout double precision DEFAULT NULL,
	negatives integer DEFAULT NULL,
	block_size integer DEFAULT NULL,
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
	factors integer DEFAULT NULL,
	epochs integer DEFAULT NULL,
	regularization double precision DEFAULT NULL,
	alpha double precision DEFAULT NULL,
	learning_rate double precision DEFAULT NULL,
	seed bigint DEFAULT 42,
	bias_regularization double precision DEFAULT NULL,
	regularization_exponent double precision DEFAULT NULL,
	init_scale double precision DEFAULT NULL,
	warm_start boolean DEFAULT false,
	neighbors integer DEFAULT NULL,
	shrinkage double precision DEFAULT NULL,
	similarity text DEFAULT NULL,
	normalization double precision DEFAULT NULL,
	loss text DEFAULT NULL,
	item_features text DEFAULT NULL,
	user_features text DEFAULT NULL,
	text_search_config regconfig DEFAULT 'english',
	cg_steps integer DEFAULT NULL,
	hidden_layers integer[] DEFAULT NULL,
	batch_size integer DEFAULT NULL,
	dropout double precision DEFAULT NULL,
	negatives integer DEFAULT NULL,
	block_size integer DEFAULT NULL,
	OUT model_id bigint, OUT users bigint, OUT items bigint, OUT interactions bigint,
	OUT skipped_rows bigint, OUT duplicates bigint, OUT seconds double precision,
	OUT final_loss double precision, OUT peak_memory_mb double precision)
	AS 'MODULE_PATHNAME', 'pgrec_train' LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION pgrec.train(text, regclass, name, name, name, text, integer, integer, double precision, double precision, double precision, bigint, double precision, double precision, double precision, boolean, integer, double precision, text, double precision, text, text, text, regconfig, integer, integer[], integer, double precision, integer, integer)
	IS 'trains a model (see pgrec.algorithms()) on a table of interactions and stores it under model_name, replacing any model of that name at commit';
COMMENT ON FUNCTION pgrec.train(text, text, name, name, name, text, integer, integer, double precision, double precision, double precision, bigint, double precision, double precision, double precision, boolean, integer, double precision, text, double precision, text, text, text, regconfig, integer, integer[], integer, double precision, integer, integer)
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

CREATE FUNCTION pgrec.evaluate_fold_in(
	model_name text,
	history_source text,
	truth_source text,
	user_column name,
	item_column name,
	rating_column name DEFAULT NULL,
	k integer DEFAULT 20,
	OUT rmse double precision, OUT mae double precision,
	OUT precision_at_k double precision, OUT recall_at_k double precision,
	OUT ndcg_at_k double precision, OUT hit_rate_at_k double precision,
	OUT map_at_k double precision, OUT coverage double precision,
	OUT users bigint, OUT test_interactions bigint)
	AS 'MODULE_PATHNAME', 'pgrec_evaluate_fold_in' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgrec.evaluate_fold_in(text, text, text, name, name, name, integer)
	IS 'evaluates users the model has never seen: folds each user of history_source in from their history, ranks every other item and scores the top k against truth_source (recall divides by min(k, relevant), as Liang et al. 2018)';
