// pgrec.store_imported_model(): the write half of pgrec.import_model(), which reads the
// caller's factor tables as the caller and hands the rows over as arrays; this checks them and
// stores them as a new version of an 'imported' model, for its owner only.
#include "postgres_headers.h"

#include "catalog_access.h"
#include "embedding.h"
#include "model_store.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

#include <cmath>

PGREC_FUNCTION(pgrec_store_imported_model)

// One side's arrays (ids, biases or NULL, embeddings) turned into model rows.
struct ImportedSide
{
	int count;
	int64 *ids;
	float *bias;
	float *factors;
};

// Reads the arrays at argument positions ids_arg, bias_arg, factors_arg; ereports 22000 on
// NULL elements, unsorted or repeated ids, mismatched lengths or dimensions other than *dim
// (set from the first embedding when it is 0), and on values that are not finite.
static ImportedSide read_side(FunctionCallInfo fcinfo, int ids_arg, int bias_arg, int factors_arg,
                              int *dim, const char *what)
{
	ImportedSide side = {0, NULL, NULL, NULL};
	if (PG_ARGISNULL(ids_arg))
		return side;
	Datum *ids, *factors, *bias = NULL;
	bool *id_nulls, *factor_nulls, *bias_nulls = NULL;
	int n_ids, n_factors, n_bias = 0;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(ids_arg), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
	                  &ids, &id_nulls, &n_ids);
	Oid embedding_type = get_element_type(get_fn_expr_argtype(fcinfo->flinfo, factors_arg));
	int16 typlen;
	bool typbyval;
	char typalign;
	get_typlenbyvalalign(embedding_type, &typlen, &typbyval, &typalign);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(factors_arg), embedding_type, typlen, typbyval,
	                  typalign, &factors, &factor_nulls, &n_factors);
	if (!PG_ARGISNULL(bias_arg))
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(bias_arg), FLOAT4OID, 4, true, TYPALIGN_INT, &bias,
		                  &bias_nulls, &n_bias);
	if (n_factors != n_ids || (bias && n_bias != n_ids))
		ereport(ERROR,
		        (errcode(ERRCODE_DATA_EXCEPTION),
		         errmsg("%d %s ids, %d factors and %d biases", n_ids, what, n_factors, n_bias)));
	side.count = n_ids;
	side.ids = (int64 *)palloc(sizeof(int64) * Max(n_ids, 1));
	side.bias = bias ? (float *)palloc(sizeof(float) * Max(n_ids, 1)) : NULL;
	for (int r = 0; r < n_ids; r++)
	{
		if (id_nulls[r] || factor_nulls[r] || (bias && bias_nulls[r]))
			ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
			                errmsg("%s ids, factors and biases must not be NULL", what)));
		side.ids[r] = DatumGetInt64(ids[r]);
		if (r > 0 && side.ids[r] <= side.ids[r - 1])
			ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
			                errmsg("%s ids must be unique and ascending", what)));
		Embedding *e = DatumGetEmbeddingP(factors[r]);
		if (*dim == 0)
			*dim = e->dim;
		if (e->dim != *dim)
			ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
			                errmsg("%s factors have %d dimensions, not %d", what, e->dim, *dim)));
		if (side.factors == NULL)
			side.factors = (float *)MemoryContextAllocHuge(CurrentMemoryContext,
			                                               sizeof(float) * (size_t)n_ids * *dim);
		for (int f = 0; f < *dim; f++)
			if (!std::isfinite(e->x[f]))
				ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
				                errmsg("factors of %s %lld are not finite", what,
				                       (long long)side.ids[r])));
		memcpy(side.factors + (size_t)r * *dim, e->x, sizeof(float) * *dim);
		if (bias)
		{
			side.bias[r] = DatumGetFloat4(bias[r]);
			if (!std::isfinite(side.bias[r]))
				ereport(ERROR,
				        (errcode(ERRCODE_DATA_EXCEPTION),
				         errmsg("bias of %s %lld is not finite", what, (long long)side.ids[r])));
		}
	}
	return side;
}

// store_imported_model(model_name, source, user_id_column, item_id_column, item_ids, item_bias,
// item_factors, user_ids, user_bias, user_factors) -> model_id
Datum pgrec_store_imported_model(PG_FUNCTION_ARGS)
{
	require_writable("pgrec.import_model()");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) ||
	    PG_ARGISNULL(4) || PG_ARGISNULL(6))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("model name, source, id columns and item factors are required")));
	char *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int dim = 0;
	ImportedSide items = read_side(fcinfo, 4, 5, 6, &dim, "item");
	ImportedSide users = read_side(fcinfo, 7, 8, 9, &dim, "user");
	if (items.count == 0)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("no items to import")));

	const pgrec::AlgorithmEntry *algorithm = lookup_algorithm("imported", false);
	ModelRecord record = {};
	record.name = name;
	record.algorithm = algorithm;
	record.hyperparameters = algorithm->defaults;
	record.hyperparameters.factors = dim;
	record.factors = dim;
	record.source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	record.user_column = NameStr(*PG_GETARG_NAME(2));
	record.item_column = NameStr(*PG_GETARG_NAME(3));
	ModelRows rows = {users.ids,     (size_t)users.count,
	                  items.ids,     (size_t)items.count,
	                  users.factors, items.factors,
	                  users.bias,    items.bias,
	                  NULL,          NULL,
	                  NULL,          {}};
	SPI_connect();
	ModelCatalog current;
	(void)begin_model_write(name, "replace", CurrentMemoryContext, &current);
	int32 version;
	int64 model_id = store_model(&record, rows, &version);
	SPI_finish();
	PG_RETURN_INT64(model_id);
}
