// pgrec.refresh(): between full retrains, folds the users and items that appeared in the
// model's source into a new version, solving their factors against the fixed other side, and
// updates every user's seen items; known users and items keep their factors (or neighbours).
#include "postgres_headers.h"

#include "catalog_access.h"
#include "core_guard.h"
#include "interaction_source.h"
#include "model_cache.h"
#include "model_loader.h"
#include "model_store.h"
#include "owned_object.h"
#include "settings.h"

#include "../core/normal_equations.h"

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
	pgrec::SparseRows neighbors; // a neighbourhood model's weights, renumbered or refreshed
};

// For each of the count ids, its index in the ascending ids `in` (in_count of them), or -1.
static int64 *indices_in(const int64 *ids, size_t count, const int64 *in, size_t in_count)
{
	int64 *out = (int64 *)palloc(sizeof(int64) * Max(count, 1));
	for (size_t r = 0; r < count; r++)
		out[r] = pgrec::dense_index(in, in_count, ids[r]);
	return out;
}

// How many rows are new (old[r] < 0).
static size_t count_new(const int64 *old, size_t count)
{
	size_t n = 0;
	for (size_t r = 0; r < count; r++)
		n += old[r] < 0;
	return n;
}

// Solves every new row (old[r] < 0) of one side from its interactions in rows, against the
// other side `against`, whose index for a neighbour column c is map[c] (or c when map is NULL;
// neighbours mapped to -1 are skipped) and whose rows have the interaction counts degrees.
// Returns how many rows were new.
static size_t fold_in_side(const pgrec::SparseRows &rows, const int64 *old, const int64 *map,
                           const pgrec::ItemMatrix &against, const float *degrees,
                           const ModelCatalog &model, float *factors, float *bias)
{
	const pgrec::AlgorithmEntry &algorithm = *model.algorithm;
	pgrec::CancelToken cancel = backend_cancel_token();
	const float *gramian = NULL;
	if (algorithm.needs_gramian)
	{
		float *g = (float *)palloc(sizeof(float) * against.dim * against.dim);
		CORE_CALL(
		    pgrec::fold_in_gramian(algorithm, model.hyperparameters, against, degrees, g, cancel));
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
		pgrec::FoldInInput input = {
		    against, model.global_mean, model.hyperparameters, gramian, neighbours, values, n, NULL,
		    degrees};
		CORE_CALL(pgrec::fold_in_user(algorithm, input, cancel, factors + r * against.dim,
		                              bias ? bias + r : NULL));
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

	// Lock first, then read: the new version is built from the version current under the lock.
	SPI_connect();
	ModelCatalog catalog;
	if (!begin_model_write(name, "refresh", context, &catalog))
		ereport(ERROR,
		        (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("model \"%s\" does not exist", name)));
	if (catalog.algorithm->make_trainer == NULL)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("model \"%s\" was imported and cannot be refreshed", name)));
	if (catalog.item_features || catalog.user_features)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("model \"%s\" learns from features and cannot be refreshed", name),
		                errhint("Retrain it with pgrec.retrain_model(): it reads the "
		                        "interactions and the features again.")));
	LoadedModel old;
	load_model(&catalog, context, &old);
	SPI_finish();

	// The stored source runs as the model's owner, with the search_path it was trained with.
	SavedRights rights;
	enter_owner_rights(catalog.owner, catalog.source_search_path, &rights);
	char *description;
	char *query =
	    interaction_query_from_text(catalog.source, catalog.user_column, catalog.item_column,
	                                catalog.rating_column, &description);
	InteractionArrays rows = {};
	SPI_connect();
	read_interactions(query, catalog.rating_column != NULL, training_memory_limit_bytes(),
	                  pgrec::kInteractionPeakBytesPerRow, context, &rows);
	SPI_finish();
	leave_rights(&rights);
	if (rows.count == 0)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("the source of model \"%s\" has no interactions", name)));

	RefreshData *current = new_owned_by<RefreshData>(context);
	pgrec::CancelToken cancel = backend_cancel_token();
	CORE_CALL(current->data = pgrec::build_interactions(
	              rows.users, rows.items, catalog.rating_column ? rows.values : NULL, rows.count,
	              pgrec::duplicate_policy(*catalog.algorithm), cancel));
	const pgrec::Interactions &data = current->data;
	int k = catalog.factors;
	bool biases = old.item_bias != NULL;
	float *user_factors = zeroed_floats(context, data.users() * k);
	float *item_factors = zeroed_floats(context, data.items() * k);
	float *user_bias = biases ? zeroed_floats(context, data.users()) : NULL;
	float *item_bias = biases ? zeroed_floats(context, data.items()) : NULL;

	// Known users and items keep their factors.
	int64 *user_old = indices_in(data.user_ids.data(), data.users(), old.user_ids, old.users);
	int64 *item_old = indices_in(data.item_ids.data(), data.items(), old.item_ids, old.items);
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

	size_t new_items, new_users;
	const pgrec::SparseRows *neighbors = NULL;
	if (catalog.algorithm->scorer == pgrec::Scorer::UserNeighbors)
	{
		// user_knn: users are their new interactions; known users keep their neighbours, new
		// ones get theirs among the old users, as a visitor would.
		const pgrec::UserIndex *index = new_user_index(&old, context);
		int64 *new_of_old = indices_in(old.user_ids, old.users, data.user_ids.data(), data.users());
		CORE_CALL(current->neighbors = pgrec::refreshed_user_rows(
		              *index, old.neighbors, user_old, pgrec::neighbor_view(data.by_user), item_old,
		              new_of_old, cancel));
		neighbors = &current->neighbors;
		new_items = count_new(item_old, data.items());
		new_users = count_new(user_old, data.users());
	}
	else if (catalog.algorithm->fold_in == nullptr)
	{
		// A neighbourhood model: users are their new histories; the known items keep their
		// weights, new items get none until the next retrain.
		int64 *new_of_old = indices_in(old.item_ids, old.items, data.item_ids.data(), data.items());
		CORE_CALL(current->neighbors =
		              pgrec::renumber_rows(old.neighbors, item_old, data.items(), new_of_old));
		neighbors = &current->neighbors;
		new_items = count_new(item_old, data.items());
		new_users = count_new(user_old, data.users());
	}
	else
	{
		// New items against the known users, weighed by the degrees the old version gives
		// them (those their factors were made with); then new users against all items,
		// weighed by the refreshed degrees, which the new version's fold-ins use too.
		float *user_degrees = (float *)palloc(sizeof(float) * Max(old.users, 1));
		for (size_t u = 0; u < old.users; u++)
			user_degrees[u] = (float)(old.seen_ptr[u + 1] - old.seen_ptr[u]);
		float *item_degrees = (float *)palloc(sizeof(float) * Max(data.items(), 1));
		for (size_t i = 0; i < data.items(); i++)
			item_degrees[i] = (float)(data.by_item.ptr[i + 1] - data.by_item.ptr[i]);
		pgrec::ItemMatrix known_users = {old.user_factors, old.user_bias, NULL, old.users, k};
		new_items = fold_in_side(data.by_item, item_old, user_old, known_users, user_degrees,
		                         catalog, item_factors, item_bias);
		pgrec::ItemMatrix all_items = {item_factors, item_bias, NULL, data.items(), k};
		new_users = fold_in_side(data.by_user, user_old, NULL, all_items, item_degrees, catalog,
		                         user_factors, user_bias);
	}

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	ModelRecord record = {};
	record.name = name;
	record.algorithm = catalog.algorithm;
	record.hyperparameters = catalog.hyperparameters;
	record.factors = k;
	record.global_mean = catalog.global_mean;
	record.has_rating_range = catalog.has_rating_range;
	record.rating_min = catalog.rating_min;
	record.rating_max = catalog.rating_max;
	record.interactions = (int64)data.nnz();
	record.source = catalog.source;
	record.source_search_path = catalog.source_search_path;
	record.user_column = catalog.user_column;
	record.item_column = catalog.item_column;
	record.rating_column = catalog.rating_column;
	record.training_seconds = INSTR_TIME_GET_DOUBLE(now);
	record.peak_memory_bytes =
	    (int64)MemoryContextMemAllocated(context, true) + (int64)data.bytes();
	record.loss_history = NULL;
	record.epochs = 0;
	int32 version;
	SPI_connect();
	int64 model_id = store_model(&record,
	                             model_rows(*catalog.algorithm, data, user_factors, item_factors,
	                                        user_bias, item_bias, neighbors),
	                             &version);
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
