// Reads a model version's items and users ordered by id through SPI, each row handed over as
// the executor produces it (row_stream.h), copying each embedding's floats into one matrix;
// nothing read is trusted: dimensions, finiteness, seen items and counts are checked, and the
// arrays count against the memory limit.
#include "model_loader.h"

#include "catalog_access.h"
#include "embedding.h"
#include "interaction_source.h"
#include "row_stream.h"
#include "settings.h"

#include "../core/finite_floats.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

#include <cmath>

// Rows read between checks for interrupts (the executor's scans check too).
#define CHECK_ROWS 4096

pgrec::ModelView model_view(const LoadedModel *m)
{
	return {m->user_factors,
	        m->item_factors,
	        m->user_bias,
	        m->item_bias,
	        m->catalog.global_mean,
	        m->users,
	        m->items,
	        m->catalog.factors,
	        scorer_rows(m),
	        NULL,
	        m->network.count ? &m->network : NULL,
	        m->catalog.algorithm->network};
}

const pgrec::NeighborView *scorer_rows(const LoadedModel *m)
{
	switch (m->catalog.algorithm->scorer)
	{
	case pgrec::Scorer::ItemNeighbors:
		return &m->neighbors;
	case pgrec::Scorer::UserNeighbors:
		return &m->seen;
	case pgrec::Scorer::DotProduct:
	case pgrec::Scorer::Network:
		break;
	}
	return NULL;
}

pgrec::WeightedRows stored_user_rows(const LoadedModel *m, size_t u)
{
	if (m->catalog.algorithm->scorer == pgrec::Scorer::UserNeighbors)
		return {m->neighbors.index + m->neighbors.ptr[u], m->neighbors.weight + m->neighbors.ptr[u],
		        (size_t)(m->neighbors.ptr[u + 1] - m->neighbors.ptr[u])};
	return {m->seen_index + m->seen_ptr[u], NULL, (size_t)(m->seen_ptr[u + 1] - m->seen_ptr[u])};
}

float *zeroed_floats(MemoryContext context, size_t count)
{
	return (float *)MemoryContextAllocExtended(context, sizeof(float) * Max(count, (size_t)1),
	                                           MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

// Ereports XX001 for a model row that cannot be served.
static void corrupted(const LoadedModel *m, const char *side, int64 id, const char *what)
{
	ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
	                errmsg("%s %lld of model \"%s\" version %d %s", side, (long long)id,
	                       m->catalog.name, m->catalog.version, what),
	                errhint("Retrain or re-import the model.")));
}

// Ereports XX001 when a side has another number of rows than the catalog row counts.
static void count_mismatch(const LoadedModel *m, const char *side, size_t rows, size_t expected)
{
	ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
	                errmsg("model \"%s\" version %d has %zu %s rows, not the %zu its catalog "
	                       "row counts",
	                       m->catalog.name, m->catalog.version, rows, side, expected),
	                errhint("Retrain or re-import the model.")));
}

// Adds bytes to the model's size, ereporting 53200 past the memory limit.
static void count_bytes(LoadedModel *m, size_t bytes)
{
	m->bytes += bytes;
	size_t limit = training_memory_limit_bytes();
	if (m->bytes > limit)
		ereport(ERROR,
		        (errcode(ERRCODE_OUT_OF_MEMORY),
		         errmsg("model \"%s\" needs more memory than pgrec.training_memory_limit allows",
		                m->catalog.name),
		         errdetail("Loading it takes more than %s.", pretty_size((double)limit)),
		         errhint("Raise pgrec.training_memory_limit (or maintenance_work_mem).")));
}

// One side of a model (users or items) as load_model fills it.
struct Side
{
	const char *what; // "user" or "item"
	size_t count;
	int64 *ids;
	float *factors;
	float *bias;
};

// Runs sql, a query of the model's rows with the model id as $1, calling row(slot) for each, with
// the snapshot the catalog row was read with.
template <class Row>
static void stream_model_rows(const char *sql, const ModelCatalog &catalog, Row &row)
{
	Oid types[1] = {INT8OID};
	Datum values[1] = {Int64GetDatum(catalog.model_id)};
	stream_rows(sql, 1, types, values, !catalog.latest, row);
}

// Opens a cursor over the model's rows of sql (the model id as $1), with the snapshot the
// catalog row was read with: for the few rows of a network, fetched at once.
static Portal open_side(const char *sql, const ModelCatalog &catalog)
{
	Oid types[1] = {INT8OID};
	Datum values[1] = {Int64GetDatum(catalog.model_id)};
	int64 model_id = catalog.model_id;
	Portal portal =
	    SPI_cursor_open_with_args(NULL, sql, 1, types, values, NULL, !catalog.latest, 0);
	if (portal == NULL)
		elog(ERROR, "could not read the factors of model %lld", (long long)model_id);
	return portal;
}

// Reads (id, bias, factors) of a row into position at of the side.
static void read_side_row(LoadedModel *m, Side *side, TupleTableSlot *slot, size_t at,
                          MemoryContext context)
{
	int k = m->catalog.factors;
	slot_getsomeattrs(slot, 3);
	int64 id = DatumGetInt64(slot->tts_values[0]);
	if (at > 0 && id <= side->ids[at - 1])
		corrupted(m, side->what, id, "is out of order");
	side->ids[at] = id;
	Datum bias = slot->tts_values[1];
	if (!slot->tts_isnull[1])
	{
		if (side->bias == NULL)
			side->bias = zeroed_floats(context, side->count);
		side->bias[at] = DatumGetFloat4(bias);
		if (!std::isfinite(side->bias[at]))
			corrupted(m, side->what, id, "has a bias that is not finite");
	}
	Datum d = slot->tts_values[2];
	if (slot->tts_isnull[2] != (k == 0))
		corrupted(m, side->what, id,
		          k == 0 ? "has factors but its model has none" : "has NULL factors");
	if (k == 0)
		return;
	Embedding *e = DatumGetEmbeddingP(d);
	if (e->dim != k)
		corrupted(m, side->what, id, "has factors of other dimensions than the model");
	if (!pgrec::copy_finite(side->factors + at * (size_t)k, e->x, (size_t)k))
		corrupted(m, side->what, id, "has factors that are not finite");
	if ((Pointer)e != DatumGetPointer(d))
		pfree(e);
}

// Reads one side with sql; per_row(slot, index) is called after each row is read.
template <class PerRow>
static void read_side(LoadedModel *m, Side *side, const char *sql, MemoryContext context,
                      PerRow per_row)
{
	int k = m->catalog.factors;
	side->ids = (int64 *)MemoryContextAllocHuge(context, sizeof(int64) * Max(side->count, 1));
	// Not zeroed: every row is written, or the load fails (count_mismatch).
	side->factors = (float *)MemoryContextAllocHuge(context, sizeof(float) * Max(side->count * k, (size_t)1));
	count_bytes(m, side->count * (sizeof(int64) + sizeof(float) * (k + 1)));
	size_t read = 0;
	auto row = [&](TupleTableSlot *slot)
	{
		if (read % CHECK_ROWS == 0)
			CHECK_FOR_INTERRUPTS();
		if (read >= side->count)
		{
			read++; // counted for the error below, neither read nor checked
			return;
		}
		read_side_row(m, side, slot, read, context);
		per_row(slot, read);
		read++;
	};
	stream_model_rows(sql, m->catalog, row);
	if (read != side->count)
		count_mismatch(m, side->what, read, side->count);
}

static int compare_int32(const void *a, const void *b)
{
	int32 x = *(const int32 *)a, y = *(const int32 *)b;
	return x < y ? -1 : (x > y);
}

// The elements of a one-dimensional array without NULLs (of an 8-byte or 4-byte type), or
// NULL for any other array; *count gets their number.
static const char *array_elements(ArrayType *a, int *count)
{
	if (ARR_NDIM(a) > 1 || ARR_HASNULL(a))
		return NULL;
	*count = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	return ARR_DATA_PTR(a);
}

// Reads the seen items of user u (the row in slot, id id) into the model's CSR, growing it
// (*capacity entries). Without values unknown items are dropped and unsorted or repeated ones
// repaired; with values (user_knn, which trains them) the items must be known, ascending and
// distinct, and the values one per item and finite.
static void read_seen_row(LoadedModel *out, TupleTableSlot *slot, size_t u, int64 id, bool values,
                          size_t *capacity)
{
	slot_getsomeattrs(slot, 5);
	Datum d = slot->tts_values[3];
	Datum v = slot->tts_values[4];
	bool values_null = slot->tts_isnull[4];
	if (slot->tts_isnull[3])
		corrupted(out, "user", id, "has NULL or nested seen items");
	ArrayType *seen = DatumGetArrayTypeP(d);
	int count = 0, n_values = 0;
	const int64 *ids = (const int64 *)array_elements(seen, &count);
	if (ids == NULL)
		corrupted(out, "user", id, "has NULL or nested seen items");
	ArrayType *seen_values = values && !values_null ? DatumGetArrayTypeP(v) : NULL;
	const float *given = seen_values ? (const float *)array_elements(seen_values, &n_values) : NULL;
	if (values && (given == NULL || n_values != count))
		corrupted(out, "user", id, "has NULL, nested or unmatched seen values");
	size_t end = out->seen_ptr[u];
	if (end + count > *capacity)
	{
		*capacity = Max(*capacity * 2, end + count);
		out->seen_index = (int32 *)repalloc_huge(out->seen_index, sizeof(int32) * *capacity);
		if (values)
			out->seen_values = (float *)repalloc_huge(out->seen_values, sizeof(float) * *capacity);
	}
	size_t first = end;
	bool sorted = true;
	for (int j = 0; j < count; j++)
	{
		int64 index = pgrec::dense_index(out->item_ids, out->items, ids[j]);
		if (index >= 0 && values && !std::isfinite(given[j]))
			corrupted(out, "user", id, "has a seen value that is not finite");
		if (index < 0 && values)
			corrupted(out, "user", id, "has a seen item that is not an item of the model");
		if (index < 0)
			continue;
		sorted = sorted && (end == first || out->seen_index[end - 1] < index);
		if (values)
			out->seen_values[end] = given[j];
		out->seen_index[end++] = (int32)index;
	}
	if (!sorted && values)
		corrupted(out, "user", id, "has seen items out of order or repeated");
	if (!sorted)
	{
		qsort(out->seen_index + first, end - first, sizeof(int32), compare_int32);
		size_t distinct = first;
		for (size_t j = first; j < end; j++)
			if (distinct == first || out->seen_index[distinct - 1] != out->seen_index[j])
				out->seen_index[distinct++] = out->seen_index[j];
		end = distinct;
	}
	out->seen_ptr[u + 1] = end;
	if ((Pointer)seen != DatumGetPointer(d))
		pfree(seen);
	if (seen_values && (Pointer)seen_values != DatumGetPointer(v))
		pfree(seen_values);
}

// Reads the weights of a neighbourhood model into m->neighbors (CSR over all items, or all users
// for user_knn; rows not stored have none). Every id must be a row of the model and every
// weight finite.
static void load_neighbors(LoadedModel *m, MemoryContext context)
{
	bool of_users = m->catalog.algorithm->scorer == pgrec::Scorer::UserNeighbors;
	const char *side = of_users ? "user" : "item";
	const int64 *row_ids = of_users ? m->user_ids : m->item_ids;
	size_t rows = of_users ? m->users : m->items;
	int64 *ptr = (int64 *)MemoryContextAllocHuge(context, sizeof(int64) * (rows + 1));
	size_t capacity = 1024, used = 0, next_item = 0;
	int32 *index = (int32 *)MemoryContextAllocHuge(context, sizeof(int32) * capacity);
	float *weight = (float *)MemoryContextAllocHuge(context, sizeof(float) * capacity);
	ptr[0] = 0;
	size_t read = 0;
	auto row = [&](TupleTableSlot *slot)
	{
		if (read++ % CHECK_ROWS == 0)
			CHECK_FOR_INTERRUPTS();
		slot_getsomeattrs(slot, 3);
		int64 id = DatumGetInt64(slot->tts_values[0]);
		int64 item = pgrec::dense_index(row_ids, rows, id);
		if (item < 0 || (size_t)item < next_item)
			corrupted(m, "neighbour row", id,
			          of_users ? "is not a user of the model" : "is not an item of the model");
		for (; next_item <= (size_t)item; next_item++)
			ptr[next_item + 1] = (int64)used;
		if (slot->tts_isnull[1] || slot->tts_isnull[2])
			corrupted(m, side, id, "has NULL, nested or unmatched neighbours and weights");
		Datum ids_datum = slot->tts_values[1];
		Datum weights_datum = slot->tts_values[2];
		ArrayType *ids = DatumGetArrayTypeP(ids_datum);
		ArrayType *weights = DatumGetArrayTypeP(weights_datum);
		int n = 0, n_weights = 0;
		const int64 *neighbor_ids = (const int64 *)array_elements(ids, &n);
		const float *values = (const float *)array_elements(weights, &n_weights);
		if (neighbor_ids == NULL || values == NULL || n != n_weights)
			corrupted(m, side, id, "has NULL, nested or unmatched neighbours and weights");
		if (used + n > capacity)
		{
			capacity = Max(capacity * 2, used + n);
			index = (int32 *)repalloc_huge(index, sizeof(int32) * capacity);
			weight = (float *)repalloc_huge(weight, sizeof(float) * capacity);
		}
		for (int j = 0; j < n; j++)
		{
			int64 neighbor = pgrec::dense_index(row_ids, rows, neighbor_ids[j]);
			if (neighbor < 0 || !std::isfinite(values[j]))
				corrupted(m, side, id,
				          "has an unknown neighbour or a weight that is not finite");
			if (used > (size_t)ptr[item] && neighbor <= index[used - 1])
				corrupted(m, side, id, "has neighbours out of order or repeated");
			index[used] = (int32)neighbor;
			weight[used++] = values[j];
		}
		ptr[item + 1] = (int64)used;
		// Rows stored out of line are copies: freed as they are read.
		if ((Pointer)ids != DatumGetPointer(ids_datum))
			pfree(ids);
		if ((Pointer)weights != DatumGetPointer(weights_datum))
			pfree(weights);
	};
	stream_model_rows(of_users ? "SELECT user_id, neighbor_ids, weights FROM pgrec.user_neighbors "
	                             "WHERE model_id OPERATOR(pg_catalog.=) $1 ORDER BY user_id"
	                           : "SELECT item_id, neighbor_ids, weights FROM pgrec.item_neighbors "
	                             "WHERE model_id OPERATOR(pg_catalog.=) $1 ORDER BY item_id",
	                  m->catalog, row);
	for (; next_item < rows; next_item++)
		ptr[next_item + 1] = (int64)used;
	count_bytes(m, (rows + 1) * sizeof(int64) + capacity * (sizeof(int32) + sizeof(float)));
	m->neighbors = {ptr, index, weight, rows};
}

// Ereports XX001 for stored network layers that are not a network of the model's algorithm.
static void network_misfit(const LoadedModel *m)
{
	ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
	                errmsg("the network of model \"%s\" version %d does not fit algorithm %s "
	                       "with %d factors",
	                       m->catalog.name, m->catalog.version, m->catalog.algorithm->name,
	                       m->catalog.factors),
	                errhint("Retrain or re-import the model.")));
}

// Reads the layers of a network scorer into m->network: layers 0, 1, ... in order, their
// weights and biases one-dimensional, of the shapes they say, finite, and a network of the
// model's algorithm for its factors.
static void load_network(LoadedModel *m, MemoryContext context)
{
	Portal portal = open_side("SELECT layer, inputs, outputs, weights, bias FROM "
	                          "pgrec.network_layers WHERE model_id OPERATOR(pg_catalog.=) $1 "
	                          "ORDER BY layer",
	                          m->catalog);
	SPI_cursor_fetch(portal, true, pgrec::kMaxHiddenLayers + 3);
	size_t count = SPI_processed;
	if (count > (size_t)pgrec::kMaxHiddenLayers + 2)
		network_misfit(m);
	pgrec::NetworkLayer *layers = (pgrec::NetworkLayer *)MemoryContextAllocZero(
	    context, sizeof(pgrec::NetworkLayer) * Max(count, (size_t)1));
	for (size_t l = 0; l < count; l++)
	{
		HeapTuple row = SPI_tuptable->vals[l];
		TupleDesc desc = SPI_tuptable->tupdesc;
		bool isnull;
		int32 layer = DatumGetInt32(SPI_getbinval(row, desc, 1, &isnull));
		int32 inputs = DatumGetInt32(SPI_getbinval(row, desc, 2, &isnull));
		int32 outputs = DatumGetInt32(SPI_getbinval(row, desc, 3, &isnull));
		if (layer != (int32)l || inputs < 1 || outputs < 1 || inputs > 1 << 16 || outputs > 1 << 16)
			corrupted(m, "network layer", layer, "is out of order or has no valid shape");
		MemoryContext previous = MemoryContextSwitchTo(context);
		ArrayType *weights = DatumGetArrayTypePCopy(SPI_getbinval(row, desc, 4, &isnull));
		ArrayType *bias = DatumGetArrayTypePCopy(SPI_getbinval(row, desc, 5, &isnull));
		MemoryContextSwitchTo(previous);
		int n_weights = 0, n_bias = 0;
		const float *w = (const float *)array_elements(weights, &n_weights);
		const float *b = (const float *)array_elements(bias, &n_bias);
		if (w == NULL || b == NULL || (int64)n_weights != (int64)inputs * outputs ||
		    n_bias != outputs)
			corrupted(m, "network layer", layer, "has NULL, nested or missized weights or biases");
		for (int j = 0; j < n_weights; j++)
			if (!std::isfinite(w[j]))
				corrupted(m, "network layer", layer, "has a weight that is not finite");
		for (int j = 0; j < n_bias; j++)
			if (!std::isfinite(b[j]))
				corrupted(m, "network layer", layer, "has a bias that is not finite");
		layers[l] = {inputs, outputs, w, b};
		count_bytes(m, sizeof(float) * ((size_t)n_weights + (size_t)n_bias));
	}
	SPI_freetuptable(SPI_tuptable);
	SPI_cursor_close(portal);
	m->network = {layers, count};
	if (!m->catalog.algorithm->network->fits(m->network, m->catalog.factors))
		network_misfit(m);
}

void load_model(const ModelCatalog *catalog, MemoryContext context, LoadedModel *out)
{
	*out = LoadedModel();
	out->catalog = *catalog;
	if (catalog->users < 0 || catalog->items < 1)
		corrupted(out, "model", catalog->model_id, "has no items");
	SavedRights rights;
	enter_catalog_rights(&rights);

	Side items = {"item", (size_t)catalog->items, NULL, NULL, NULL};
	read_side(out, &items,
	          "SELECT item_id, bias, factors FROM pgrec.item_factors "
	          "WHERE model_id OPERATOR(pg_catalog.=) $1 ORDER BY item_id",
	          context, [](TupleTableSlot *, size_t) {});
	out->items = items.count;
	out->item_ids = items.ids;
	out->item_factors = items.factors;
	out->item_bias = items.bias;

	Side users = {"user", (size_t)catalog->users, NULL, NULL, NULL};
	bool values = pgrec::keeps_seen_values(*catalog->algorithm);
	out->seen_ptr = (int64 *)MemoryContextAllocHuge(context, sizeof(int64) * (users.count + 1));
	out->seen_ptr[0] = 0;
	size_t seen_capacity = 1024;
	out->seen_index = (int32 *)MemoryContextAllocHuge(context, sizeof(int32) * seen_capacity);
	if (values)
		out->seen_values = (float *)MemoryContextAllocHuge(context, sizeof(float) * seen_capacity);
	read_side(out, &users,
	          "SELECT user_id, bias, factors, seen_items, seen_values FROM pgrec.user_factors "
	          "WHERE model_id OPERATOR(pg_catalog.=) $1 ORDER BY user_id",
	          context,
	          [&](TupleTableSlot *slot, size_t u)
	          { read_seen_row(out, slot, u, users.ids[u], values, &seen_capacity); });
	count_bytes(out, (users.count + 1) * sizeof(int64) +
	                     seen_capacity * (sizeof(int32) + (values ? sizeof(float) : 0)));
	if (values)
		out->seen = {out->seen_ptr, out->seen_index, out->seen_values, users.count};
	leave_rights(&rights);
	out->users = users.count;
	out->user_ids = users.ids;
	out->user_factors = users.factors;
	out->user_bias = users.bias;
	if (catalog->algorithm->biases && (out->item_bias == NULL))
		corrupted(out, "model", catalog->model_id, "has no item biases but its algorithm has");
	if (catalog->algorithm->scorer == pgrec::Scorer::Network)
	{
		enter_catalog_rights(&rights);
		load_network(out, context);
		leave_rights(&rights);
	}
	else if (catalog->algorithm->scorer != pgrec::Scorer::DotProduct)
	{
		enter_catalog_rights(&rights);
		load_neighbors(out, context);
		leave_rights(&rights);
	}
}
