-- pgrec extension script, part: Recommendation functions over the per-backend model cache, and importing models trained elsewhere.
-- Concatenated in file-name order into pgrec--<version>.sql by the Makefile.

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
	exclude bigint[] DEFAULT NULL,
	diversity float8 DEFAULT 0,
	item_groups text DEFAULT NULL,
	max_per_group integer DEFAULT NULL,
	exact boolean DEFAULT true,
	probes integer DEFAULT NULL)
	RETURNS TABLE (item_id bigint, score real)
	AS 'MODULE_PATHNAME', 'pgrec_recommend' LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 10
	SUPPORT pgrec.rows_support;
COMMENT ON FUNCTION pgrec.recommend(text, bigint, integer, boolean, bigint[], bigint[], float8, text, integer, boolean, integer)
	IS 'the k best items for a user, best first (ties by item id), or re-ranked for diversity (maximal marginal relevance) and at most max_per_group items per group of item_groups; a user the model does not know gets the most popular items with NULL scores; exact => false searches only the probes lists of the approximate index that best match the user';

CREATE FUNCTION pgrec.recommend_for_vector(
	model_name text,
	query embedding,
	k integer DEFAULT 10,
	candidates bigint[] DEFAULT NULL,
	exclude bigint[] DEFAULT NULL,
	exact boolean DEFAULT true,
	probes integer DEFAULT NULL)
	RETURNS TABLE (item_id bigint, score real)
	AS 'MODULE_PATHNAME', 'pgrec_recommend_for_vector' LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 10
	SUPPORT pgrec.rows_support;
COMMENT ON FUNCTION pgrec.recommend_for_vector(text, embedding, integer, bigint[], bigint[], boolean, integer)
	IS 'the k items that score best (dot product plus item bias) against any vector of the model''s dimensions; exact => false searches only the probes lists of the approximate index that best match it';

CREATE FUNCTION pgrec.recommend_for_features(
	model_name text,
	features jsonb,
	k integer DEFAULT 10,
	candidates bigint[] DEFAULT NULL,
	exclude bigint[] DEFAULT NULL)
	RETURNS TABLE (item_id bigint, score real)
	AS 'MODULE_PATHNAME', 'pgrec_recommend_for_features' LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 10
	SUPPORT pgrec.rows_support;
COMMENT ON FUNCTION pgrec.recommend_for_features(text, jsonb, integer, bigint[], bigint[])
	IS 'the k items that score best for a visitor known only by features, {"column": value, ...}: the user features of a model trained with them, else item features describing the items wanted; the most popular items (NULL scores) when none of the features is known';

CREATE FUNCTION pgrec.similar_items(model_name text, item_id bigint, k integer DEFAULT 10,
	exact boolean DEFAULT true, probes integer DEFAULT NULL)
	RETURNS TABLE (similar_item_id bigint, similarity real)
	AS 'MODULE_PATHNAME', 'pgrec_similar_items' LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 10
	SUPPORT pgrec.rows_support;
COMMENT ON FUNCTION pgrec.similar_items(text, bigint, integer, boolean, integer)
	IS 'the k items whose factors have the highest cosine similarity with the item''s; none for an unknown item; exact => false searches only the probes lists of the approximate index closest to the item';

CREATE FUNCTION pgrec.similar_users(model_name text, user_id bigint, k integer DEFAULT 10)
	RETURNS TABLE (similar_user_id bigint, similarity real)
	AS 'MODULE_PATHNAME', 'pgrec_similar_users' LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 10
	SUPPORT pgrec.rows_support;
COMMENT ON FUNCTION pgrec.similar_users(text, bigint, integer)
	IS 'the k users whose factors have the highest cosine similarity with the user''s; none for an unknown user';

CREATE FUNCTION pgrec.recommend_for_interactions(
	model_name text,
	item_ids bigint[],
	ratings real[] DEFAULT NULL,
	k integer DEFAULT 10,
	candidates bigint[] DEFAULT NULL,
	exclude bigint[] DEFAULT NULL,
	diversity float8 DEFAULT 0,
	item_groups text DEFAULT NULL,
	max_per_group integer DEFAULT NULL)
	RETURNS TABLE (item_id bigint, score real)
	AS 'MODULE_PATHNAME', 'pgrec_recommend_for_interactions' LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 10
	SUPPORT pgrec.rows_support;
COMMENT ON FUNCTION pgrec.recommend_for_interactions(text, bigint[], real[], integer, bigint[], bigint[], float8, text, integer)
	IS 'cold start: folds in a user who is not in the model from their items (and ratings) and recommends for them, excluding those items, re-ranked as recommend() does';

CREATE FUNCTION pgrec.recommend_all(model_name text, k integer DEFAULT 10, exclude_seen boolean DEFAULT true)
	RETURNS TABLE (user_id bigint, item_id bigint, rank integer, score real)
	AS 'MODULE_PATHNAME', 'pgrec_recommend_all' LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 100000;
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

	-- Read as the caller (privileges and row-level security apply), stored by pgrec.
	new_id := pgrec.store_imported_model(model_name, item_factors::text, user_id_column, item_id_column,
		format('SELECT %1$I::bigint, %2$s::real, %3$I::@extschema@.embedding FROM %4$s ORDER BY 1',
			item_id_column, item_bias, item_factor_column, item_factors),
		item_bias_column IS NOT NULL,
		CASE WHEN user_factors IS NOT NULL THEN
			format('SELECT %1$I::bigint, %2$s::real, %3$I::@extschema@.embedding FROM %4$s ORDER BY 1',
				user_id_column, user_bias, factor_column, user_factors) END,
		user_bias_column IS NOT NULL);
	RETURN new_id;
END
$$;
CREATE FUNCTION pgrec.store_imported_model(model_name text, source text, user_id_column name,
	item_id_column name, item_query text, item_bias boolean, user_query text, user_bias boolean)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'pgrec_store_imported_model' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgrec.store_imported_model(text, text, name, name, text, boolean, text, boolean)
	IS 'internal: reads (id, bias, factors) rows ordered by id from the queries as the caller, checks them and stores them as a new version of an imported model (owner only); pgrec.import_model() checks the tables and calls it';

COMMENT ON FUNCTION pgrec.import_model(text, regclass, name, name, regclass, name, name, name, name)
	IS 'creates a servable model from item (and user) factors trained elsewhere: embedding, real[] or double precision[] columns; returns its model_id';

CREATE FUNCTION pgrec.cached_models()
	RETURNS TABLE (name text, model_id bigint, users bigint, items bigint, bytes bigint, shared_bytes bigint)
	AS 'MODULE_PATHNAME', 'pgrec_cached_models' LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 4;
COMMENT ON FUNCTION pgrec.cached_models() IS 'the models this backend holds loaded for recommend(), with the memory each takes: bytes its own, shared_bytes mapped from the shared cache file that every connection reads';
