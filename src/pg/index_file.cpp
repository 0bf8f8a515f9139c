// The index files of the shared cache (index_file.h): a header (identity, counts, the table of
// sections) then the index's arrays, checked when mapped against the model's counts and the
// writer's layout, with list offsets that ascend to the item count and items that are each
// model item exactly once, so that no search reads outside the model.
#include "index_file.h"

#include "../core/compact_rows.h"
#include "../core/ivf_index.h"

extern "C"
{
#include "utils/memutils.h"
}

namespace
{

enum Section
{
	CENTROIDS,
	OFFSETS,
	ITEMS,
	CODES,
	STEP,
	RADIUS,
	SECTIONS
};

struct IndexHeader
{
	CacheFileIdentity id;
	uint64 items, lists, stride;
	uint64 offset[SECTIONS], bytes[SECTIONS];
};

const CacheFileKind kIndexFile = {".ivf", {'P', 'G', 'R', 'E', 'C', 'I', 'V', '1'}, 2,
                                  sizeof(IndexHeader), SECTIONS, 0x5053};

// The sections of index, sized by its counts.
void describe(const pgrec::IvfIndex *index, FilePart *parts)
{
	size_t n = index->rows.count, lists = index->lists;
	parts[CENTROIDS] = {index->centroids, sizeof(float) * lists * (index->dim + 1)};
	parts[OFFSETS] = {index->offsets, sizeof(int64) * (lists + 1)};
	parts[ITEMS] = {index->items, sizeof(int32) * n};
	parts[CODES] = {index->rows.codes, n * index->rows.stride};
	parts[STEP] = {index->rows.step, sizeof(float) * n};
	parts[RADIUS] = {index->rows.radius, sizeof(float) * n};
}

// True when the mapped file is an index of key for e's model; else *problem says why (NULL when
// it could not be checked). seen has room for one flag per item.
bool valid_file(const char *base, size_t size, const ModelFileKey *key, const CachedModel *e,
                bool *seen, const char **problem)
{
	const IndexHeader *h = (const IndexHeader *)base;
	int dim = e->model.catalog.factors;
	*problem = "its header does not match";
	if (!has_identity(&kIndexFile, key, dim, size, &h->id) || h->items != e->model.items ||
	    h->lists < 1 || h->lists > h->items || h->stride != pgrec::compact_stride(dim))
		return false;
	*problem = "its sections do not fit its model";
	pgrec::IvfIndex sizes = {h->lists, dim, NULL, NULL, NULL, {NULL, NULL, NULL, h->items, dim, h->stride}};
	FilePart parts[SECTIONS];
	describe(&sizes, parts);
	if (!sections_laid_out(&kIndexFile, h->offset, h->bytes, size))
		return false;
	for (int s = 0; s < SECTIONS; s++)
		if (h->bytes[s] != parts[s].bytes)
			return false;
	uint64 sum;
	if (!cache_file_checksum(&kIndexFile, base, size, &sum))
	{
		*problem = NULL; // could not be checked: kept
		return false;
	}
	*problem = "its checksum does not match";
	if (sum != h->id.checksum)
		return false;
	*problem = "its lists do not hold each item once";
	const int64 *offsets = (const int64 *)(base + h->offset[OFFSETS]);
	const int32 *items = (const int32 *)(base + h->offset[ITEMS]);
	if (offsets[0] != 0 || (uint64)offsets[h->lists] != h->items)
		return false;
	for (uint64 l = 0; l < h->lists; l++)
		if (offsets[l + 1] < offsets[l])
			return false;
	memset(seen, 0, h->items);
	for (uint64 i = 0; i < h->items; i++)
	{
		if (items[i] < 0 || (uint64)items[i] >= h->items || seen[items[i]])
			return false;
		seen[items[i]] = true;
	}
	return true;
}

} // namespace

bool map_index_file(const ModelFileKey *key, CachedModel *e)
{
	// The mapping's callback and index in a context of their own, which joins the entry only
	// when the file passes its checks; allocated before the mapping exists, so that no
	// allocation failure can leak it.
	MemoryContext context =
	    AllocSetContextCreate(CurrentMemoryContext, "pgrec index mapping", ALLOCSET_SMALL_SIZES);
	MemoryContextCallback *callback = release_callback(context);
	pgrec::IvfIndex *index = (pgrec::IvfIndex *)MemoryContextAllocZero(context, sizeof(pgrec::IvfIndex));
	bool *seen = (bool *)MemoryContextAllocHuge(context, Max(e->model.items, 1));
	size_t size;
	char *base = map_cache_file(&kIndexFile, key, &size);
	const char *problem = "";
	if (base != NULL && !valid_file(base, size, key, e, seen, &problem))
	{
		reject_cache_file(&kIndexFile, key, base, size, problem);
		base = NULL;
	}
	if (base == NULL)
	{
		MemoryContextDelete(context);
		return false;
	}
	keep_mapping(&kIndexFile, key, context, callback, base, size);
	pfree(seen);
	const IndexHeader *h = (const IndexHeader *)base;
	*index = {h->lists,
	          e->model.catalog.factors,
	          (float *)(base + h->offset[CENTROIDS]),
	          (int64_t *)(base + h->offset[OFFSETS]),
	          (int32_t *)(base + h->offset[ITEMS]),
	          {(int8_t *)(base + h->offset[CODES]), (float *)(base + h->offset[STEP]),
	           (float *)(base + h->offset[RADIUS]), h->items, e->model.catalog.factors, h->stride}};
	MemoryContextSetParent(context, e->context);
	e->item_index = index;
	e->index_shared_bytes = size;
	return true;
}

void write_index_file(const ModelFileKey *key, const CachedModel *e, const pgrec::IvfIndex *index)
{
	IndexHeader h;
	memset(&h, 0, sizeof h);
	h.items = index->rows.count;
	h.lists = index->lists;
	h.stride = index->rows.stride;
	FilePart parts[SECTIONS];
	describe(index, parts);
	set_identity(&kIndexFile, key, e->model.catalog.factors,
	             lay_out_sections(&kIndexFile, parts, h.offset, h.bytes), &h.id);
	write_cache_file(&kIndexFile, key, &h.id, h.offset, parts);
}

void lock_index_file(const ModelFileKey *key)
{
	lock_cache_file(&kIndexFile, key);
}

void unlock_index_file(const ModelFileKey *key)
{
	unlock_cache_file(&kIndexFile, key);
}
