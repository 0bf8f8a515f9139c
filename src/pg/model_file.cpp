// The model files of the shared cache (cache_file.h): a header (identity, counts, the table of
// sections and the checksum) then the arrays of a cached model, checked against the catalog row
// and the writer's layout when mapped.
#include "model_file.h"

#include "../core/algorithm_registry.h"

extern "C"
{
#include "miscadmin.h"
#include "utils/memutils.h"
}

#include <cstddef>

namespace
{

enum Section
{
	ITEM_IDS,
	ITEM_FACTORS,
	ITEM_BIAS,
	USER_IDS,
	USER_FACTORS,
	USER_BIAS,
	SEEN_PTR,
	SEEN_INDEX,
	SEEN_VALUES,
	NEIGHBOR_PTR,
	NEIGHBOR_INDEX,
	NEIGHBOR_WEIGHT,
	LAYER_SHAPES, // inputs, outputs of each layer (int32 pairs)
	LAYER_PARAMETERS,  // each layer's weights then biases
	ITEM_INVERSE_NORMS,
	USER_INVERSE_NORMS,
	POPULAR_ITEMS,
	ITEM_DEGREES,
	COMPACT_CODES,
	COMPACT_STEP,
	COMPACT_RADIUS,
	SECTIONS
};

struct FileHeader
{
	CacheFileIdentity id;
	uint64 users, items, seen, neighbor_rows, neighbor_entries, layers, compact_stride;
	uint64 offset[SECTIONS], bytes[SECTIONS];
};

// The sections of e with the counts that size them, in the header h.
void describe(const CachedModel *e, FileHeader *h, FilePart *parts)
{
	const LoadedModel &m = e->model;
	size_t k = (size_t)m.catalog.factors;
	h->users = m.users;
	h->items = m.items;
	h->seen = (uint64)m.seen_ptr[m.users];
	h->neighbor_rows = m.neighbors.ptr ? m.neighbors.rows : 0;
	h->neighbor_entries = m.neighbors.ptr ? (uint64)m.neighbors.ptr[m.neighbors.rows] : 0;
	h->layers = m.network.count;
	h->compact_stride = e->compact_items ? e->compact_items->stride : 0;
	parts[ITEM_IDS] = {m.item_ids, sizeof(int64) * m.items};
	parts[ITEM_FACTORS] = {m.item_factors, sizeof(float) * m.items * k};
	parts[ITEM_BIAS] = {m.item_bias, m.item_bias ? sizeof(float) * m.items : 0};
	parts[USER_IDS] = {m.user_ids, sizeof(int64) * m.users};
	parts[USER_FACTORS] = {m.user_factors, sizeof(float) * m.users * k};
	parts[USER_BIAS] = {m.user_bias, m.user_bias ? sizeof(float) * m.users : 0};
	parts[SEEN_PTR] = {m.seen_ptr, sizeof(int64) * (m.users + 1)};
	parts[SEEN_INDEX] = {m.seen_index, sizeof(int32) * h->seen};
	parts[SEEN_VALUES] = {m.seen_values, m.seen_values ? sizeof(float) * h->seen : 0};
	parts[NEIGHBOR_PTR] = {m.neighbors.ptr, m.neighbors.ptr ? sizeof(int64) * (h->neighbor_rows + 1) : 0};
	parts[NEIGHBOR_INDEX] = {m.neighbors.index, sizeof(int32) * h->neighbor_entries};
	parts[NEIGHBOR_WEIGHT] = {m.neighbors.weight, sizeof(float) * h->neighbor_entries};
	parts[LAYER_SHAPES] = {NULL, sizeof(int32) * 2 * h->layers};
	size_t parameters = 0;
	for (size_t l = 0; l < m.network.count; l++)
		parameters += (size_t)m.network.layers[l].outputs * (m.network.layers[l].inputs + 1);
	parts[LAYER_PARAMETERS] = {NULL, sizeof(float) * parameters};
	parts[ITEM_INVERSE_NORMS] = {e->item_inverse_norms, sizeof(float) * m.items};
	parts[USER_INVERSE_NORMS] = {e->user_inverse_norms, sizeof(float) * m.users};
	parts[POPULAR_ITEMS] = {e->popular_items, sizeof(int32) * m.items};
	parts[ITEM_DEGREES] = {e->item_degrees, sizeof(float) * m.items};
	const pgrec::CompactRows *c = e->compact_items;
	parts[COMPACT_CODES] = {c ? c->codes : NULL, c ? c->count * c->stride : 0};
	parts[COMPACT_STEP] = {c ? c->step : NULL, c ? sizeof(float) * c->count : 0};
	parts[COMPACT_RADIUS] = {c ? c->radius : NULL, c ? sizeof(float) * c->count : 0};
}

// Copies the layers' shapes and parameters of network to their sections' bytes.
void copy_network(const pgrec::Network &network, char *shapes, char *parameters)
{
	int32 *shape = (int32 *)shapes;
	float *p = (float *)parameters;
	for (size_t l = 0; l < network.count; l++)
	{
		const pgrec::NetworkLayer &layer = network.layers[l];
		shape[2 * l] = layer.inputs;
		shape[2 * l + 1] = layer.outputs;
		size_t weights = (size_t)layer.inputs * layer.outputs;
		memcpy(p, layer.weights, sizeof(float) * weights);
		memcpy(p + weights, layer.bias, sizeof(float) * layer.outputs);
		p += weights + layer.outputs;
	}
}

// Format 3 (bumped with any change of the layout or of what a section holds, the compact
// encoding and the checksum too).
const CacheFileKind kModelFile = {".model", {'P', 'G', 'R', 'E', 'C', 'M', 'F', '1'}, 3,
                                  sizeof(FileHeader), SECTIONS, 0x5052};

// The sections' expected sizes from the header's counts (layers' parameters from the shapes at
// base), or false when a count is out of range.
bool expected_sizes(const FileHeader *h, const char *base, const CachedModel *e, size_t *bytes)
{
	const ModelCatalog &c = e->model.catalog;
	if (h->users != (uint64)c.users || h->items != (uint64)c.items ||
	    h->layers > (uint64)pgrec::kMaxHiddenLayers + 2)
		return false;
	size_t k = (size_t)h->id.dim;
	bool values = pgrec::keeps_seen_values(*c.algorithm);
	bool has_neighbors = c.algorithm->scorer == pgrec::Scorer::ItemNeighbors ||
	                     c.algorithm->scorer == pgrec::Scorer::UserNeighbors;
	bytes[ITEM_IDS] = sizeof(int64) * h->items;
	bytes[ITEM_FACTORS] = sizeof(float) * h->items * k;
	bytes[ITEM_BIAS] = h->bytes[ITEM_BIAS] ? sizeof(float) * h->items : 0;
	bytes[USER_IDS] = sizeof(int64) * h->users;
	bytes[USER_FACTORS] = sizeof(float) * h->users * k;
	bytes[USER_BIAS] = h->bytes[USER_BIAS] ? sizeof(float) * h->users : 0;
	bytes[SEEN_PTR] = sizeof(int64) * (h->users + 1);
	bytes[SEEN_INDEX] = sizeof(int32) * h->seen;
	bytes[SEEN_VALUES] = values ? sizeof(float) * h->seen : 0;
	uint64 neighbor_rows =
	    c.algorithm->scorer == pgrec::Scorer::UserNeighbors ? h->users : h->items;
	if (has_neighbors && h->neighbor_rows != neighbor_rows)
		return false;
	bytes[NEIGHBOR_PTR] = has_neighbors ? sizeof(int64) * (h->neighbor_rows + 1) : 0;
	bytes[NEIGHBOR_INDEX] = sizeof(int32) * h->neighbor_entries;
	bytes[NEIGHBOR_WEIGHT] = sizeof(float) * h->neighbor_entries;
	bytes[LAYER_SHAPES] = sizeof(int32) * 2 * h->layers;
	bytes[ITEM_INVERSE_NORMS] = sizeof(float) * h->items;
	bytes[USER_INVERSE_NORMS] = sizeof(float) * h->users;
	bytes[POPULAR_ITEMS] = sizeof(int32) * h->items;
	bytes[ITEM_DEGREES] = sizeof(float) * h->items;
	bool compact = h->compact_stride != 0;
	if (compact && h->compact_stride != pgrec::compact_stride(h->id.dim))
		return false;
	bytes[COMPACT_CODES] = compact ? h->items * h->compact_stride : 0;
	bytes[COMPACT_STEP] = compact ? sizeof(float) * h->items : 0;
	bytes[COMPACT_RADIUS] = compact ? sizeof(float) * h->items : 0;
	size_t parameters = 0;
	if (h->bytes[LAYER_SHAPES] == bytes[LAYER_SHAPES])
	{
		const int32 *shape = (const int32 *)(base + h->offset[LAYER_SHAPES]);
		for (size_t l = 0; l < h->layers; l++)
		{
			if (shape[2 * l] < 1 || shape[2 * l + 1] < 1 || shape[2 * l] > 1 << 16 ||
			    shape[2 * l + 1] > 1 << 16)
				return false;
			parameters += (size_t)shape[2 * l + 1] * (shape[2 * l] + 1);
		}
	}
	bytes[LAYER_PARAMETERS] = sizeof(float) * parameters;
	return true;
}

// True when ptr[0] = 0 <= ptr[1] <= ... <= ptr[rows] = entries.
bool ascending(const int64 *ptr, uint64 rows, uint64 entries)
{
	if (ptr[0] != 0 || (uint64)ptr[rows] != entries)
		return false;
	for (uint64 r = 0; r < rows; r++)
		if (ptr[r + 1] < ptr[r])
			return false;
	return true;
}

// True when the mapped file of size bytes at base is a file of key for e's catalog; else
// *problem says why (NULL when it could not be checked).
bool valid_file(const char *base, size_t size, const ModelFileKey *key, const CachedModel *e,
                const char **problem)
{
	const FileHeader *h = (const FileHeader *)base;
	*problem = "its header does not match";
	if (!has_identity(&kModelFile, key, e->model.catalog.factors, size, &h->id))
		return false;
	// The sections in the writer's layout exactly (the shapes of the layers first, as they size
	// the parameters).
	size_t bytes[SECTIONS];
	*problem = "its sections do not fit its model";
	if (!sections_laid_out(&kModelFile, h->offset, h->bytes, size) ||
	    !expected_sizes(h, base, e, bytes))
		return false;
	for (int s = 0; s < SECTIONS; s++)
		if (h->bytes[s] != bytes[s])
			return false;
	uint64 sum;
	if (!cache_file_checksum(&kModelFile, base, size, &sum))
	{
		*problem = NULL; // could not be checked: kept
		return false;
	}
	*problem = "its checksum does not match";
	if (sum != h->id.checksum)
		return false;
	// Row pointers ascending and ending at the entries' count, so that no row reaches outside.
	*problem = "its row pointers are out of order";
	const int64 *seen_ptr = (const int64 *)(base + h->offset[SEEN_PTR]);
	if (!ascending(seen_ptr, h->users, h->seen))
		return false;
	if (h->bytes[NEIGHBOR_PTR] &&
	    !ascending((const int64 *)(base + h->offset[NEIGHBOR_PTR]), h->neighbor_rows,
	               h->neighbor_entries))
		return false;
	return true;
}

// Points e's arrays into the checked mapping at base.
void point_into(CachedModel *e, const char *base)
{
	const FileHeader *h = (const FileHeader *)base;
	LoadedModel &m = e->model;
	auto at = [&](int s) -> void * { return h->bytes[s] ? (void *)(base + h->offset[s]) : NULL; };
	m.users = h->users;
	m.items = h->items;
	m.item_ids = (int64 *)at(ITEM_IDS);
	m.item_factors = (float *)at(ITEM_FACTORS);
	m.item_bias = (float *)at(ITEM_BIAS);
	m.user_ids = (int64 *)at(USER_IDS);
	m.user_factors = (float *)at(USER_FACTORS);
	m.user_bias = (float *)at(USER_BIAS);
	m.seen_ptr = (int64 *)(base + h->offset[SEEN_PTR]);
	m.seen_index = (int32 *)(base + h->offset[SEEN_INDEX]);
	m.seen_values = (float *)at(SEEN_VALUES);
	if (m.seen_values)
		m.seen = {m.seen_ptr, m.seen_index, m.seen_values, m.users};
	if (h->bytes[NEIGHBOR_PTR])
		m.neighbors = {(const int64 *)(base + h->offset[NEIGHBOR_PTR]),
		               (const int32 *)(base + h->offset[NEIGHBOR_INDEX]),
		               (const float *)(base + h->offset[NEIGHBOR_WEIGHT]), h->neighbor_rows};
	if (h->layers > 0)
	{
		pgrec::NetworkLayer *layers = (pgrec::NetworkLayer *)MemoryContextAllocZero(
		    e->context, sizeof(pgrec::NetworkLayer) * h->layers);
		const int32 *shape = (const int32 *)(base + h->offset[LAYER_SHAPES]);
		const float *p = (const float *)(base + h->offset[LAYER_PARAMETERS]);
		for (size_t l = 0; l < h->layers; l++)
		{
			size_t weights = (size_t)shape[2 * l] * shape[2 * l + 1];
			layers[l] = {shape[2 * l], shape[2 * l + 1], p, p + weights};
			p += weights + shape[2 * l + 1];
		}
		m.network = {layers, h->layers};
	}
	e->item_inverse_norms = (float *)at(ITEM_INVERSE_NORMS);
	e->user_inverse_norms = (float *)at(USER_INVERSE_NORMS);
	e->popular_items = (int32 *)at(POPULAR_ITEMS);
	e->item_degrees = (float *)at(ITEM_DEGREES);
	if (h->compact_stride != 0)
	{
		pgrec::CompactRows *c =
		    (pgrec::CompactRows *)MemoryContextAlloc(e->context, sizeof(pgrec::CompactRows));
		*c = {(int8_t *)at(COMPACT_CODES), (float *)at(COMPACT_STEP), (float *)at(COMPACT_RADIUS),
		      m.items, h->id.dim, h->compact_stride};
		e->compact_items = c;
	}
}

} // namespace

bool map_model_file(const ModelFileKey *key, CachedModel *e)
{
	MemoryContextCallback *callback = release_callback(e->context);
	size_t size;
	char *base = map_cache_file(&kModelFile, key, &size);
	if (base == NULL)
		return false;
	const char *problem;
	if (!valid_file(base, size, key, e, &problem))
	{
		reject_cache_file(&kModelFile, key, base, size, problem);
		return false;
	}
	keep_mapping(&kModelFile, key, e->context, callback, base, size);
	e->mapping = base;
	e->shared_bytes = size;
	point_into(e, base);
	const pgrec::AlgorithmEntry &algorithm = *e->model.catalog.algorithm;
	if (e->model.network.count > 0 &&
	    !algorithm.network->fits(e->model.network, e->model.catalog.factors))
	{
		// The mapping goes with e->context.
		reject_cache_file(&kModelFile, key, NULL, 0, "its network does not fit its model");
		return false;
	}
	return true;
}

void write_model_file(const ModelFileKey *key, const CachedModel *e)
{
	FileHeader h;
	memset(&h, 0, sizeof h);
	FilePart parts[SECTIONS];
	describe(e, &h, parts);
	set_identity(&kModelFile, key, e->model.catalog.factors,
	             lay_out_sections(&kModelFile, parts, h.offset, h.bytes), &h.id);
	// Without the memory for the network's sections the file is not written, as for any other
	// failure to write it.
	char *shapes = (char *)MemoryContextAllocExtended(CurrentMemoryContext,
	                                                  Max(parts[LAYER_SHAPES].bytes, 1),
	                                                  MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	char *parameters = (char *)MemoryContextAllocExtended(CurrentMemoryContext,
	                                                      Max(parts[LAYER_PARAMETERS].bytes, 1),
	                                                      MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
	if (shapes == NULL || parameters == NULL)
	{
		ereport(LOG, (errmsg("pgrec: out of memory writing the shared cache file of model %lld",
		                     (long long)key->model_id)));
		return;
	}
	copy_network(e->model.network, shapes, parameters);
	parts[LAYER_SHAPES].data = shapes;
	parts[LAYER_PARAMETERS].data = parameters;
	write_cache_file(&kModelFile, key, &h.id, h.offset, parts);
}

void lock_model_file(const ModelFileKey *key)
{
	lock_cache_file(&kModelFile, key);
}

void unlock_model_file(const ModelFileKey *key)
{
	unlock_cache_file(&kModelFile, key);
}
