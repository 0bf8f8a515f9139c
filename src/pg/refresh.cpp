// pgrec.refresh(): between full retrains, folds the users and items that appeared in the
// model's source (or, for a model with features, in its feature sources) into a new version,
// solving their factors against the fixed other side or projecting their features, and updates
// every user's seen items; known users and items keep their factors (or neighbours).
#include "postgres_headers.h"

#include "catalog_access.h"
#include "core_guard.h"
#include "feature_lookup.h"
#include "feature_source.h"
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
	// A model with features: the sources read again, the stored vocabularies and, for each
	// feature read, its index in the vocabulary (-1: unknown to the model).
	pgrec::FeatureBuilder item_features, user_features;
	pgrec::FeatureVocabulary item_vocabulary, user_vocabulary;
	std::vector<int32_t> item_map, user_map;
};

// What the index of a row in the old version (indices_in) is when the row is new, and when it is
// new but got its factors from its features.
static const int64 kNewRow = -1;
static const int64 kProjectedRow = -2;

// The names of the columns of a feature source, for the vocabulary's lookup.
static std::vector<std::string> column_names(const FeatureColumns &columns)
{
	return std::vector<std::string>(columns.names, columns.names + columns.count);
}

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
// A network scorer folds in against its network (the rows are items' when of_items). Returns how
// many rows were new.
static size_t fold_in_side(const pgrec::SparseRows &rows, const int64 *old, const int64 *map,
                           const pgrec::ItemMatrix &against, const float *degrees,
                           const ModelCatalog &model, const pgrec::Network &network, bool of_items,
                           float *factors, float *bias)
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
		if (old[r] != kNewRow)
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
		input.network = network.count > 0 ? &network : nullptr;
		input.folds_item = of_items;
		CORE_CALL(pgrec::fold_in_user(algorithm, input, cancel, factors + r * against.dim,
		                              bias ? bias + r : NULL));
	}
	return added;
}

// Gives the new rows of one side (old[r] == kNewRow) their factors from their features known
// to the model, through the stored vocabulary, and marks them kProjectedRow: every new row of a
// side whose features the algorithm needs (content's items; left at zero without known
// features), else those without interactions (the others are folded in from them). Returns how
// many it marked.
static size_t project_new_rows(const ModelCatalog &model, pgrec::FeatureSide side,
                               const pgrec::FeatureMatrix &features,
                               const pgrec::SparseRows &interactions,
                               const pgrec::FeatureVocabulary &vocabulary,
                               const std::vector<int32_t> &map, int64 *old, size_t rows,
                               float *factors, float *bias)
{
	const pgrec::AlgorithmEntry &algorithm = *model.algorithm;
	const int k = model.factors;
	const bool needed = (algorithm.needs_features & side) != 0;
	size_t marked = 0;
	for (size_t r = 0; r < rows; r++)
	{
		if (old[r] != kNewRow || (!needed && interactions.ptr[r + 1] > interactions.ptr[r]))
			continue;
		if (marked % 1024 == 0)
			CHECK_FOR_INTERRUPTS();
		bool projected = false;
		if (features.rows.rows() > 0)
		{
			int64 first = features.rows.ptr[r];
			size_t n = (size_t)(features.rows.ptr[r + 1] - first);
			CORE_CALL(projected = vocabulary.project(algorithm, side, model.hyperparameters, map,
			                                         features.rows.index.data() + first,
			                                         features.rows.value.data() + first, n,
			                                         factors + r * k, bias ? bias + r : NULL));
		}
		if (projected || needed)
		{
			old[r] = kProjectedRow;
			marked++;
		}
	}
	return marked;
}

// refresh(model_name) -> (model_id, version, users, items, new_users, new_items, seconds)
Datum pgrec_refresh(PG_FUNCTION_ARGS)
{
	require_writable("pgrec.refresh()");
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
	LoadedModel old;
	load_model(&catalog, context, &old);
	RefreshData *current = new_owned_by<RefreshData>(context);
	const size_t limit = training_memory_limit_bytes();
	if (catalog.item_features)
		load_feature_vocabulary(catalog, 'i', limit, &current->item_vocabulary);
	if (catalog.user_features)
		load_feature_vocabulary(catalog, 'u', limit - current->item_vocabulary.bytes(),
		                        &current->user_vocabulary);
	SPI_finish();

	// The stored source runs as the model's owner, with the search_path it was trained with.
	SavedRights rights;
	enter_owner_rights(catalog.owner, catalog.source_search_path, &rights);
	char *description;
	char *query =
	    interaction_query_from_text(catalog.source, catalog.user_column, catalog.item_column,
	                                catalog.rating_column, &description);
	InteractionArrays rows = {};
	FeatureSources sources = {};
	SPI_connect();
	// The interactions get what the vocabulary leaves of the memory limit.
	const size_t vocabulary = current->item_vocabulary.bytes() + current->user_vocabulary.bytes();
	read_interactions(query, catalog.rating_column != NULL,
	                  limit > vocabulary ? limit - vocabulary : 0,
	                  pgrec::kInteractionPeakBytesPerRow, context, &rows);
	read_feature_sources(catalog.item_features, catalog.user_features, catalog.text_search_config,
	                     name, &current->item_features, &current->user_features, context,
	                     &sources.items, &sources.users);
	SPI_finish();
	leave_rights(&rights);
	if (rows.count == 0)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("the source of model \"%s\" has no interactions", name)));

	pgrec::CancelToken cancel = backend_cancel_token();
	CORE_CALL(current->data = pgrec::build_interactions(
	              rows.users, rows.items, catalog.rating_column ? rows.values : NULL, rows.count,
	              pgrec::duplicate_policy(*catalog.algorithm, catalog.hyperparameters), cancel));
	if (catalog.item_features || catalog.user_features)
	{
		add_feature_matrices(&current->data, catalog.item_features ? &current->item_features : NULL,
		                     catalog.user_features ? &current->user_features : NULL, cancel);
		CORE_CALL({
			current->item_map =
			    current->item_vocabulary.map(current->item_features, column_names(sources.items));
			current->user_map =
			    current->user_vocabulary.map(current->user_features, column_names(sources.users));
		});
	}
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
		// Rows known by their features alone (and all of content's items) get their factors
		// from them first.
		new_items = project_new_rows(catalog, pgrec::kItemFeatures, data.item_features,
		                             data.by_item, current->item_vocabulary, current->item_map,
		                             item_old, data.items(), item_factors, item_bias);
		new_users = project_new_rows(catalog, pgrec::kUserFeatures, data.user_features,
		                             data.by_user, current->user_vocabulary, current->user_map,
		                             user_old, data.users(), user_factors, user_bias);
		pgrec::ItemMatrix known_users = {old.user_factors, old.user_bias, NULL, old.users, k};
		new_items += fold_in_side(data.by_item, item_old, user_old, known_users, user_degrees,
		                          catalog, old.network, true, item_factors, item_bias);
		pgrec::ItemMatrix all_items = {item_factors, item_bias, NULL, data.items(), k};
		new_users += fold_in_side(data.by_user, user_old, NULL, all_items, item_degrees, catalog,
		                          old.network, false, user_factors, user_bias);
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
	record.item_features = catalog.item_features;
	record.user_features = catalog.user_features;
	record.text_search_config = catalog.text_search_config;
	record.training_seconds = INSTR_TIME_GET_DOUBLE(now);
	record.peak_memory_bytes =
	    (int64)MemoryContextMemAllocated(context, true) + (int64)data.bytes() + (int64)vocabulary;
	record.loss_history = NULL;
	record.epochs = 0;
	int32 version;
	SPI_connect();
	ModelRows model = model_rows(*catalog.algorithm, data, user_factors, item_factors, user_bias,
	                             item_bias, neighbors);
	if (catalog.item_features || catalog.user_features)
		model.features_from = catalog.model_id; // the vocabulary is the old version's
	model.network_from = catalog.model_id;      // a network scorer keeps its network
	int64 model_id = store_model(&record, model, &version);
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
