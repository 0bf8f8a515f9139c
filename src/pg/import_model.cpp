// pgrec.store_imported_model(): the work of pgrec.import_model(), which checks the caller's
// factor tables and hands over the queries that read them; this reads their rows as the caller
// through cursors (no array limits the size of a catalogue), checks them and stores them as a
// new version of an 'imported' model, for its owner only.
#include "postgres_headers.h"

#include "catalog_access.h"
#include "embedding.h"
#include "model_store.h"

#include "../core/finite_floats.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

#include <cmath>

PGREC_FUNCTION(pgrec_store_imported_model)

// One side's rows as read from its query.
struct ImportedSide
{
	size_t count;
	int64 *ids;
	float *bias;
	float *factors;
};

// The embedding type of the installed extension (SPI connected).
static Oid embedding_type(void)
{
	if (SPI_execute("SELECT t.oid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_extension e "
	                "ON e.extnamespace OPERATOR(pg_catalog.=) t.typnamespace "
	                "WHERE e.extname OPERATOR(pg_catalog.=) 'pgrec' "
	                "AND t.typname OPERATOR(pg_catalog.=) 'embedding'",
	                true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not find the embedding type of pgrec");
	bool isnull;
	Oid type = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return type;
}

// Grows an array of count elements of size bytes to capacity elements, in context.
static void *grown(void *array, size_t size, size_t capacity, MemoryContext context)
{
	return array ? repalloc_huge(array, size * capacity)
	             : MemoryContextAllocHuge(context, size * capacity);
}

// Reads one side from query (SPI connected, as the calling user): rows of (id bigint, bias
// real, factors embedding) ordered by id, into arrays of context, in batches through a cursor.
// Ereports 42804 for other columns, 22000 on NULL ids or factors, unsorted or repeated ids,
// dimensions other than *dim (set from the first row when it is 0) and values that are not
// finite. has_bias: NULL biases are errors (else every bias is NULL and ignored).
static ImportedSide read_side(const char *query, bool has_bias, int *dim, const char *what,
                              MemoryContext context)
{
	ImportedSide side = {0, NULL, NULL, NULL};
	Oid embedding = embedding_type();
	Portal portal = SPI_cursor_open_with_args(NULL, query, 0, NULL, NULL, NULL, true, 0);
	TupleDesc columns = portal->tupDesc;
	if (columns == NULL || columns->natts != 3 || SPI_gettypeid(columns, 1) != INT8OID ||
	    SPI_gettypeid(columns, 2) != FLOAT4OID || SPI_gettypeid(columns, 3) != embedding)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
		                errmsg("the %s query must return (bigint, real, embedding) rows", what)));
	size_t capacity = 0;
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		TupleDesc desc = SPI_tuptable->tupdesc;
		if (side.count + SPI_processed > capacity)
		{
			capacity = Max(capacity * 2, side.count + SPI_processed);
			side.ids = (int64 *)grown(side.ids, sizeof(int64), capacity, context);
			if (has_bias)
				side.bias = (float *)grown(side.bias, sizeof(float), capacity, context);
			if (*dim > 0)
				side.factors = (float *)grown(side.factors, sizeof(float) * *dim, capacity, context);
		}
		for (uint64 r = 0; r < SPI_processed; r++, side.count++)
		{
			HeapTuple tuple = SPI_tuptable->vals[r];
			bool id_null, bias_null, factors_null;
			Datum id = SPI_getbinval(tuple, desc, 1, &id_null);
			Datum bias = SPI_getbinval(tuple, desc, 2, &bias_null);
			Datum factors = SPI_getbinval(tuple, desc, 3, &factors_null);
			if (id_null || factors_null || (has_bias && bias_null))
				ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
				                errmsg("%s ids, factors and biases must not be NULL", what)));
			size_t at = side.count;
			side.ids[at] = DatumGetInt64(id);
			if (at > 0 && side.ids[at] <= side.ids[at - 1])
				ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
				                errmsg("%s ids must be unique and ascending", what)));
			Embedding *e = DatumGetEmbeddingP(factors);
			if (*dim == 0)
			{
				*dim = e->dim;
				side.factors = (float *)grown(NULL, sizeof(float) * *dim, capacity, context);
			}
			if (e->dim != *dim)
				ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
				                errmsg("%s factors have %d dimensions, not %d", what, e->dim, *dim)));
			if (!pgrec::copy_finite(side.factors + at * *dim, e->x, (size_t)*dim))
				ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
				                errmsg("factors of %s %lld are not finite", what,
				                       (long long)side.ids[at])));
			if ((Pointer)e != DatumGetPointer(factors))
				pfree(e); // a detoasted copy, in SPI's context until SPI_finish
			if (has_bias)
			{
				side.bias[at] = DatumGetFloat4(bias);
				if (!std::isfinite(side.bias[at]))
					ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
					                errmsg("bias of %s %lld is not finite", what,
					                       (long long)side.ids[at])));
			}
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	return side;
}

// store_imported_model(model_name, source, user_id_column, item_id_column, item_query,
// item_bias, user_query, user_bias) -> model_id: reads the queries' rows as the caller and stores
// them as a new version of the model.
Datum pgrec_store_imported_model(PG_FUNCTION_ARGS)
{
	require_writable("pgrec.import_model()");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) ||
	    PG_ARGISNULL(4) || PG_ARGISNULL(5) || PG_ARGISNULL(7))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("model name, source, id columns and item factors are required")));
	char *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	MemoryContext context = CurrentMemoryContext;
	SPI_connect();
	int dim = 0;
	ImportedSide items = read_side(text_to_cstring(PG_GETARG_TEXT_PP(4)), PG_GETARG_BOOL(5), &dim,
	                               "item", context);
	ImportedSide users = {0, NULL, NULL, NULL};
	if (!PG_ARGISNULL(6))
		users = read_side(text_to_cstring(PG_GETARG_TEXT_PP(6)), PG_GETARG_BOOL(7), &dim, "user",
		                  context);
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
	ModelRows rows = {users.ids,     users.count,
	                  items.ids,     items.count,
	                  users.factors, items.factors,
	                  users.bias,    items.bias,
	                  NULL,          NULL,
	                  NULL,          {}};
	ModelCatalog current;
	(void)begin_model_write(name, "replace", CurrentMemoryContext, &current);
	int32 version;
	int64 model_id = store_model(&record, rows, &version);
	SPI_finish();
	PG_RETURN_INT64(model_id);
}
