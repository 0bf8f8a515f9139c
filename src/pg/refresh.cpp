// pgrec.refresh(): between full retrains, folds the users and items that appeared in the
// model's source into a new version, solving their factors against the fixed other side, and
// updates every user's seen items; known users and items keep their factors.
#include "postgres_headers.h"

#include "core_guard.h"
#include "interaction_source.h"
#include "model_loader.h"
#include "model_store.h"
#include "owned_object.h"
#include "settings.h"

#include "../core/fold_in.h"

extern "C"
{
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
}

PGREC_FUNCTION(pgrec_refresh)

// The current data of a refresh, owned by its memory context.
struct RefreshData
{
	pgrec::Interactions data;
};

// The catalog fields a refresh carries over to the new version.
struct CatalogRow
{
	char *source, *user_column, *item_column, *rating_column, *hyperparameters;
};

// Reads the current catalog row of name (SPI connected); ereports 42704 or 0A000.
static CatalogRow read_catalog_row(const char *name)
{
	Oid types[1] = {TEXTOID};
	Datum values[1] = {CStringGetTextDatum(name)};
	bool isnull;
	if (SPI_execute_with_args(
	        "SELECT source, user_column::text, item_column::text, rating_column::text, "
	        "hyperparameters::text, algorithm FROM pgrec.models WHERE name OPERATOR(pg_catalog.=) "
	        "$1",
	        1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pgrec.models");
	if (SPI_processed == 0)
		ereport(ERROR,
		        (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("model \"%s\" does not exist", name)));
	HeapTuple row = SPI_tuptable->vals[0];
	TupleDesc desc = SPI_tuptable->tupdesc;
	if (strcmp(TextDatumGetCString(SPI_getbinval(row, desc, 6, &isnull)), "imported") == 0)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("model \"%s\" was imported and cannot be refreshed", name)));
	CatalogRow c;
	c.source = TextDatumGetCString(SPI_getbinval(row, desc, 1, &isnull));
	c.user_column = TextDatumGetCString(SPI_getbinval(row, desc, 2, &isnull));
	c.item_column = TextDatumGetCString(SPI_getbinval(row, desc, 3, &isnull));
	Datum rating = SPI_getbinval(row, desc, 4, &isnull);
	c.rating_column = isnull ? NULL : TextDatumGetCString(rating);
	c.hyperparameters = TextDatumGetCString(SPI_getbinval(row, desc, 5, &isnull));
	return c;
}

// For each id, its index in the ascending old ids, or -1.
static int64 *old_indices(const std::vector<int64_t> &ids, const int64 *old_ids, size_t old_count)
{
	int64 *out = (int64 *)palloc(sizeof(int64) * Max(ids.size(), 1));
	for (size_t r = 0; r < ids.size(); r++)
		out[r] = dense_index(old_ids, old_count, ids[r]);
	return out;
}

// Solves every new row (old[r] < 0) of one side from its interactions in rows, against the
// other side `against`, whose index for a neighbour column c is map[c] (or c when map is NULL;
// neighbours mapped to -1 are skipped). Returns how many rows were new.
static size_t fold_in_side(const pgrec::SparseRows &rows, const int64 *old, const int64 *map,
                           const pgrec::ItemMatrix &against, double mean,
                           const pgrec::Hyperparameters &h, float *factors, float *bias)
{
	const float *gramian = NULL;
	if (h.algorithm == pgrec::Algorithm::Ials)
	{
		float *g = (float *)palloc(sizeof(float) * against.dim * against.dim);
		CORE_CALL(pgrec::gramian(against.factors, against.count, against.dim, g));
		gramian = g;
	}
	int32 *neighbours = (int32 *)palloc(sizeof(int32) * Max(against.count, 1));
	float *values = (float *)palloc(sizeof(float) * Max(against.count, 1));
	size_t added = 0;
	for (size_t r = 0; r < rows.rows(); r++)
	{
		if (old[r] >= 0)
			continue;
		if (added++ % 256 == 0)
			CHECK_FOR_INTERRUPTS();
		size_t n = 0;
		for (int64 e = rows.ptr[r]; e < rows.ptr[r + 1]; e++)
		{
			int64 c = map ? map[rows.index[e]] : rows.index[e];
			if (c < 0)
				continue;
			neighbours[n] = (int32)c;
			values[n++] = rows.value[e];
		}
		if (n == 0)
			continue; // only new neighbours: left at zero until the next retrain
		float *row_bias = bias ? bias + r : NULL;
		float unused_bias;
		CORE_CALL(pgrec::fold_in_user(against, mean, h, gramian, neighbours, values, n,
		                              factors + r * against.dim,
		                              row_bias ? row_bias : &unused_bias));
	}
	return added;
}

// refresh(model_name) -> (model_id, version, users, items, new_users, new_items, seconds)
Datum pgrec_refresh(PG_FUNCTION_ARGS)
{
	instr_time start, now;
	INSTR_TIME_SET_CURRENT(start);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("model name must not be NULL")));
	char *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	TupleDesc result_desc;
	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "pgrec.refresh must return a composite type");
	MemoryContext context =
	    AllocSetContextCreate(CurrentMemoryContext, "pgrec refresh", ALLOCSET_DEFAULT_SIZES);

	SPI_connect();
	CatalogRow catalog = read_catalog_row(name);
	LoadedModel old;
	load_model(name, context, &old);
	char *description;
	char *query =
	    interaction_query_from_text(catalog.source, catalog.user_column, catalog.item_column,
	                                catalog.rating_column, &description);
	InteractionArrays rows = {};
	read_interactions(query, catalog.rating_column != NULL, training_memory_limit_bytes(),
	                  pgrec::kInteractionPeakBytesPerRow, context, &rows);
	if (rows.count == 0)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("the source of model \"%s\" has no interactions", name)));

	const pgrec::Hyperparameters &h = old.hyperparameters;
	RefreshData *current = new_owned_by<RefreshData>(context);
	CORE_CALL(current->data = pgrec::build_interactions(
	              rows.users, rows.items, catalog.rating_column ? rows.values : NULL, rows.count,
	              pgrec::duplicate_policy(h.algorithm)));
	const pgrec::Interactions &data = current->data;
	int k = old.factors;
	bool biases = old.item_bias != NULL;
	float *user_factors = zeroed_floats(context, data.users() * k);
	float *item_factors = zeroed_floats(context, data.items() * k);
	float *user_bias = biases ? zeroed_floats(context, data.users()) : NULL;
	float *item_bias = biases ? zeroed_floats(context, data.items()) : NULL;

	// Known users and items keep their factors.
	int64 *user_old = old_indices(data.user_ids, old.user_ids, old.users);
	int64 *item_old = old_indices(data.item_ids, old.item_ids, old.items);
	for (size_t u = 0; u < data.users(); u++)
		if (user_old[u] >= 0)
		{
			memcpy(user_factors + u * k, old.user_factors + user_old[u] * k, sizeof(float) * k);
			if (biases && old.user_bias)
				user_bias[u] = old.user_bias[user_old[u]];
		}
	for (size_t i = 0; i < data.items(); i++)
		if (item_old[i] >= 0)
		{
			memcpy(item_factors + i * k, old.item_factors + item_old[i] * k, sizeof(float) * k);
			if (biases)
				item_bias[i] = old.item_bias[item_old[i]];
		}

	// New items against the known users, then new users against all items.
	pgrec::ItemMatrix known_users = {old.user_factors, old.user_bias, NULL, old.users, k};
	size_t new_items = fold_in_side(data.by_item, item_old, user_old, known_users, old.global_mean,
	                                h, item_factors, item_bias);
	pgrec::ItemMatrix all_items = {item_factors, item_bias, NULL, data.items(), k};
	size_t new_users = fold_in_side(data.by_user, user_old, NULL, all_items, old.global_mean, h,
	                                user_factors, user_bias);

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	ModelRecord record = {};
	record.name = name;
	record.algorithm = old.algorithm;
	record.hyperparameters = catalog.hyperparameters;
	record.factors = k;
	record.global_mean = old.global_mean;
	record.has_rating_range = old.has_rating_range;
	record.rating_min = old.rating_min;
	record.rating_max = old.rating_max;
	record.source = description;
	record.user_column = catalog.user_column;
	record.item_column = catalog.item_column;
	record.rating_column = catalog.rating_column;
	record.training_seconds = INSTR_TIME_GET_DOUBLE(now);
	record.peak_memory_bytes =
	    (int64)MemoryContextMemAllocated(context, true) + (int64)data.bytes();
	record.loss_history = NULL;
	record.epochs = 0;
	int64 model_id = store_model(&record, data, user_factors, item_factors, user_bias, item_bias);
	Oid id_type[1] = {INT8OID};
	Datum id_value[1] = {Int64GetDatum(model_id)};
	bool isnull;
	if (SPI_execute_with_args(
	        "SELECT version FROM pgrec.model_versions WHERE model_id OPERATOR(pg_catalog.=) $1", 1,
	        id_type, id_value, NULL, false, 1) != SPI_OK_SELECT ||
	    SPI_processed != 1)
		elog(ERROR, "could not read back version %lld of model \"%s\"", (long long)model_id, name);
	int32 version =
	    DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	Datum values[7] = {Int64GetDatum(model_id),
	                   Int32GetDatum(version),
	                   Int64GetDatum((int64)data.users()),
	                   Int64GetDatum((int64)data.items()),
	                   Int64GetDatum((int64)new_users),
	                   Int64GetDatum((int64)new_items),
	                   Float8GetDatum(INSTR_TIME_GET_DOUBLE(now))};
	bool nulls[7] = {false, false, false, false, false, false, false};
	MemoryContextDelete(context);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(result_desc), values, nulls)));
}
