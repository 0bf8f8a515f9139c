// Stores a trained model as a new version: catalog row, then user and item rows in batches of
// BATCH_ROWS, each batch one INSERT ... SELECT FROM unnest() over arrays built in a per-batch
// memory context.
#include "model_store.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
}

#define BATCH_ROWS 4096

static const char *const insert_model_sql =
    "INSERT INTO pgrec.model_versions (name, algorithm, hyperparameters, factors, users, items, "
    "interactions, global_mean, rating_min, rating_max, source, user_column, item_column, "
    "rating_column, created_at, training_seconds, peak_memory_bytes, loss_history, version) "
    "VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
    "COALESCE($15, pg_catalog.now()), $16, $17, $18, $19) RETURNING model_id";

// Item rows: ids, biases (NULL array: no biases), factors flattened row-major.
static const char *const insert_items_sql =
    "INSERT INTO pgrec.item_factors (model_id, item_id, bias, factors) "
    "SELECT $1, t.id, t.bias, $4[(t.n - 1) * $5 + 1 : t.n * $5] "
    "FROM (SELECT u.id, u.bias, u.n::integer AS n "
    "FROM unnest($2::bigint[], $3::real[]) WITH ORDINALITY AS u(id, bias, n)) AS t";

// User rows add the seen items: flattened, with the end offset of each user's slice.
static const char *const insert_users_sql =
    "INSERT INTO pgrec.user_factors (model_id, user_id, bias, factors, seen_items) "
    "SELECT $1, t.id, t.bias, $4[(t.n - 1) * $5 + 1 : t.n * $5], "
    "COALESCE($6[COALESCE($7[t.n - 1], 0) + 1 : $7[t.n]], '{}') "
    "FROM (SELECT u.id, u.bias, u.n::integer AS n "
    "FROM unnest($2::bigint[], $3::real[]) WITH ORDINALITY AS u(id, bias, n)) AS t";

static Datum int8_array(const int64 *values, int count)
{
	Datum *d = (Datum *)palloc(sizeof(Datum) * Max(count, 1));
	for (int i = 0; i < count; i++)
		d[i] = Int64GetDatum(values[i]);
	return PointerGetDatum(construct_array(d, count, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static Datum float4_array(const float *values, int count)
{
	Datum *d = (Datum *)palloc(sizeof(Datum) * Max(count, 1));
	for (int i = 0; i < count; i++)
		d[i] = Float4GetDatum(values[i]);
	return PointerGetDatum(construct_array(d, count, FLOAT4OID, 4, true, TYPALIGN_INT));
}

static Datum int4_array(const int32 *values, int count)
{
	Datum *d = (Datum *)palloc(sizeof(Datum) * Max(count, 1));
	for (int i = 0; i < count; i++)
		d[i] = Int32GetDatum(values[i]);
	return PointerGetDatum(construct_array(d, count, INT4OID, 4, true, TYPALIGN_INT));
}

static SPIPlanPtr prepare(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr plan = SPI_prepare(sql, nargs, types);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	return plan;
}

static void execute(SPIPlanPtr plan, Datum *values, const char *nulls, int expected)
{
	int rc = SPI_execute_plan(plan, values, nulls, false, 0);
	if (rc != expected)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
}

// Inserts the rows [first, first + count) of one side (users when seen is not NULL).
static void insert_batch(SPIPlanPtr plan, int64 model_id, const std::vector<int64_t> &ids,
                         const float *factors, const float *bias, int k, size_t first, int count,
                         const pgrec::SparseRows *seen, const std::vector<int64_t> *item_ids)
{
	Datum values[7];
	char nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = Int64GetDatum(model_id);
	values[1] = int8_array(ids.data() + first, count);
	if (bias)
		values[2] = float4_array(bias + first, count);
	else
	{
		values[2] = (Datum)0;
		nulls[2] = 'n';
	}
	values[3] = float4_array(factors + first * k, count * k);
	values[4] = Int32GetDatum(k);
	if (seen)
	{
		int64 begin = seen->ptr[first], end = seen->ptr[first + count];
		int64 *flat = (int64 *)palloc(sizeof(int64) * Max(end - begin, 1));
		int32 *ends = (int32 *)palloc(sizeof(int32) * count);
		for (int64 e = begin; e < end; e++)
			flat[e - begin] = (*item_ids)[seen->index[e]];
		for (int r = 0; r < count; r++)
			ends[r] = (int32)(seen->ptr[first + r + 1] - begin);
		values[5] = int8_array(flat, (int)(end - begin));
		values[6] = int4_array(ends, count);
	}
	execute(plan, values, nulls, SPI_OK_INSERT);
}

int64 store_model(const ModelRecord *r, const pgrec::Interactions &data, const float *user_factors,
                  const float *item_factors, const float *user_bias, const float *item_bias)
{
	Oid name_type[1] = {TEXTOID};
	Datum name_value[1] = {CStringGetTextDatum(r->name)};

	// Lock the name, demote the current version (for this transaction only until commit) and
	// get the next version number and the first creation time.
	if (SPI_execute_with_args("SELECT version, created_at FROM pgrec.begin_version($1)", 1,
	                          name_type, name_value, NULL, false, 1) != SPI_OK_SELECT ||
	    SPI_processed != 1)
		elog(ERROR, "could not start a new version of model \"%s\"", r->name);
	bool version_null, created_null;
	int32 version = DatumGetInt32(
	    SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &version_null));
	Datum created_at =
	    SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &created_null);

	Oid model_types[19] = {TEXTOID,   TEXTOID, TEXTOID,        INT4OID,   INT8OID,
	                       INT8OID,   INT8OID, FLOAT8OID,      FLOAT4OID, FLOAT4OID,
	                       TEXTOID,   NAMEOID, NAMEOID,        NAMEOID,   TIMESTAMPTZOID,
	                       FLOAT8OID, INT8OID, FLOAT8ARRAYOID, INT4OID};
	Datum v[19];
	char n[20] = "                   ";
	Datum *losses = (Datum *)palloc(sizeof(Datum) * Max(r->epochs, 1));
	for (int e = 0; e < r->epochs; e++)
		losses[e] = Float8GetDatum(r->loss_history[e]);
	v[0] = name_value[0];
	v[1] = CStringGetTextDatum(r->algorithm);
	v[2] = CStringGetTextDatum(r->hyperparameters);
	v[3] = Int32GetDatum(r->factors);
	v[4] = Int64GetDatum((int64)data.users());
	v[5] = Int64GetDatum((int64)data.items());
	v[6] = Int64GetDatum((int64)data.nnz());
	v[7] = Float8GetDatum(r->global_mean);
	v[8] = Float4GetDatum(r->rating_min);
	v[9] = Float4GetDatum(r->rating_max);
	n[8] = n[9] = r->has_rating_range ? ' ' : 'n';
	v[10] = CStringGetTextDatum(r->source);
	v[11] = DirectFunctionCall1(namein, CStringGetDatum(r->user_column));
	v[12] = DirectFunctionCall1(namein, CStringGetDatum(r->item_column));
	v[13] = r->rating_column ? DirectFunctionCall1(namein, CStringGetDatum(r->rating_column))
	                         : (Datum)0;
	n[13] = r->rating_column ? ' ' : 'n';
	v[14] = created_at;
	n[14] = created_null ? 'n' : ' ';
	v[15] = Float8GetDatum(r->training_seconds);
	v[16] = Int64GetDatum(r->peak_memory_bytes);
	v[17] = PointerGetDatum(
	    construct_array(losses, r->epochs, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	v[18] = Int32GetDatum(version);
	if (SPI_execute_with_args(insert_model_sql, 19, model_types, v, n, false, 1) !=
	        SPI_OK_INSERT_RETURNING ||
	    SPI_processed != 1)
		elog(ERROR, "could not insert the model row");
	bool isnull;
	int64 model_id =
	    DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	Oid item_types[5] = {INT8OID, INT8ARRAYOID, FLOAT4ARRAYOID, FLOAT4ARRAYOID, INT4OID};
	Oid user_types[7] = {INT8OID, INT8ARRAYOID, FLOAT4ARRAYOID, FLOAT4ARRAYOID,
	                     INT4OID, INT8ARRAYOID, INT4ARRAYOID};
	SPIPlanPtr items_plan = prepare(insert_items_sql, 5, item_types);
	SPIPlanPtr users_plan = prepare(insert_users_sql, 7, user_types);
	MemoryContext batch_context =
	    AllocSetContextCreate(CurrentMemoryContext, "pgrec model rows", ALLOCSET_DEFAULT_SIZES);
	MemoryContext previous = MemoryContextSwitchTo(batch_context);
	for (size_t first = 0; first < data.items(); first += BATCH_ROWS)
	{
		CHECK_FOR_INTERRUPTS();
		int count = (int)Min((size_t)BATCH_ROWS, data.items() - first);
		insert_batch(items_plan, model_id, data.item_ids, item_factors, item_bias, r->factors,
		             first, count, NULL, NULL);
		MemoryContextReset(batch_context);
	}
	for (size_t first = 0; first < data.users(); first += BATCH_ROWS)
	{
		CHECK_FOR_INTERRUPTS();
		int count = (int)Min((size_t)BATCH_ROWS, data.users() - first);
		insert_batch(users_plan, model_id, data.user_ids, user_factors, user_bias, r->factors,
		             first, count, &data.by_user, &data.item_ids);
		MemoryContextReset(batch_context);
	}
	MemoryContextSwitchTo(previous);
	MemoryContextDelete(batch_context);
	SPI_execute_with_args("SELECT pgrec.prune_versions($1)", 1, name_type, name_value, NULL, false,
	                      0);
	return model_id;
}
