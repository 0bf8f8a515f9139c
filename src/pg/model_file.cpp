// The shared model cache files: a header (identity, counts, a table of sections and a checksum
// of everything after it) then the arrays of a cached model, each 64-byte aligned. Written
// through a mapping of an unnamed file (O_TMPFILE) that is linked under its name when complete;
// mapped read-only (MAP_POPULATE) and checked before use.
#include "model_file.h"

#include "settings.h"

#include "../core/algorithm_registry.h"
#include "../core/checksum.h"

extern "C"
{
#include "common/file_perm.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
}

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>

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

const char kMagic[8] = {'P', 'G', 'R', 'E', 'C', 'M', 'F', '1'};
// Bumped with any change of the layout or of what a section holds (the compact encoding too).
constexpr uint32 kFormat = 2;
constexpr size_t kAlign = 64;

struct FileHeader
{
	char magic[8];
	uint32 format, sections;
	uint64 file_bytes, checksum; // of the whole file, this field taken as 0
	Oid database;
	int32 dim;
	uint32 name_hash, unused;
	int64 model_id;
	pg_uuid_t version_uuid, edit_token;
	uint64 users, items, seen, neighbor_rows, neighbor_entries, layers, compact_stride;
	uint64 offset[SECTIONS], bytes[SECTIONS];
};

// One section's bytes in the model being written or read.
struct Part
{
	const void *data;
	size_t bytes;
};

const char *cache_directory(void)
{
	return psprintf("%s/pgrec_cache", DataDir);
}

// The prefix of the files of every version of a model.
char *file_prefix(const ModelFileKey *key)
{
	return psprintf("%u-%08x-", MyDatabaseId, key->name_hash);
}

char *uuid_text(const pg_uuid_t *uuid)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(uuid)));
}

char *file_name(const ModelFileKey *key)
{
	return psprintf("%s%lld-%s-%s.model", file_prefix(key), (long long)key->model_id,
	                uuid_text(&key->version_uuid), uuid_text(&key->edit_token));
}

size_t aligned(size_t bytes)
{
	return (bytes + kAlign - 1) / kAlign * kAlign;
}

// The sections of e with the counts that size them, in the header h.
void describe(const CachedModel *e, FileHeader *h, Part *parts)
{
	const LoadedModel &m = e->model;
	size_t k = (size_t)m.catalog.factors;
	h->users = m.users;
	h->items = m.items;
	h->dim = m.catalog.factors;
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

// Copies the layers' shapes and parameters of network to their sections at base.
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

// Removes the files of the model's other versions and edits (same prefix) other than keep, then
// the least recently used files of the directory beyond pgrec.shared_cache_limit.
void remove_old_files(const char *directory, const ModelFileKey *key, const char *keep)
{
	struct Entry
	{
		char *name;
		off_t bytes;
		time_t used;
	};
	// palloc'd (no C++ container: a palloc failure longjmps)
	size_t count = 0, capacity = 16;
	Entry *files = (Entry *)palloc(sizeof(Entry) * capacity);
	const char *prefix = file_prefix(key);
	DIR *dir = AllocateDir(directory);
	struct dirent *d;
	while ((d = ReadDirExtended(dir, directory, LOG)) != NULL)
	{
		size_t length = strlen(d->d_name);
		if (length < 7 || strcmp(d->d_name + length - 6, ".model") != 0 || strcmp(d->d_name, keep) == 0)
			continue;
		char *path = psprintf("%s/%s", directory, d->d_name);
		if (strncmp(d->d_name, prefix, strlen(prefix)) == 0)
		{
			unlink(path);
			continue;
		}
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (count == capacity)
			files = (Entry *)repalloc(files, sizeof(Entry) * (capacity *= 2));
		files[count++] = {path, st.st_size, st.st_mtime};
	}
	FreeDir(dir);
	if (pgrec_shared_cache_limit < 0)
		return;
	struct stat kept;
	double total = stat(psprintf("%s/%s", directory, keep), &kept) == 0 ? (double)kept.st_size : 0;
	for (size_t i = 0; i < count; i++)
		total += (double)files[i].bytes;
	std::sort(files, files + count, [](const Entry &a, const Entry &b) { return a.used < b.used; });
	double limit = (double)pgrec_shared_cache_limit * 1024.0 * 1024.0;
	for (size_t i = 0; i < count && total > limit; i++)
	{
		unlink(files[i].name);
		total -= (double)files[i].bytes;
	}
}

// The checksum of a whole file, its header's checksum field taken as 0; false if it could not
// be computed (out of memory, no threads), without ereport: callers hold a mapping.
bool file_checksum(const char *base, size_t size, uint64 *out)
{
	try
	{
		FileHeader header;
		memcpy(&header, base, sizeof header);
		header.checksum = 0;
		uint64 head = pgrec::checksum64(&header, sizeof header, 1);
		uint64 body = pgrec::checksum64(base + sizeof(FileHeader), size - sizeof(FileHeader),
		                                effective_threads());
		*out = head * 0x9e3779b97f4a7c15ull ^ body;
		return true;
	}
	catch (...)
	{
		return false;
	}
}

void release_mapping(void *arg)
{
	CachedModel *e = (CachedModel *)arg;
	munmap(e->mapping, e->shared_bytes);
}

// The sections' expected sizes from the header's counts (layers' parameters from the shapes at
// base), or false when a count is out of range.
bool expected_sizes(const FileHeader *h, const char *base, const CachedModel *e, size_t *bytes)
{
	const ModelCatalog &c = e->model.catalog;
	if (h->dim != c.factors || h->users != (uint64)c.users || h->items != (uint64)c.items ||
	    h->layers > (uint64)pgrec::kMaxHiddenLayers + 2)
		return false;
	size_t k = (size_t)h->dim;
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
	if (compact && h->compact_stride != pgrec::compact_stride(h->dim))
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
	if (size < sizeof(FileHeader) || memcmp(h->magic, kMagic, sizeof kMagic) != 0 ||
	    h->format != kFormat || h->sections != SECTIONS || h->file_bytes != size ||
	    h->database != MyDatabaseId || h->name_hash != key->name_hash ||
	    h->model_id != key->model_id ||
	    memcmp(&h->version_uuid, &key->version_uuid, sizeof(pg_uuid_t)) != 0 ||
	    memcmp(&h->edit_token, &key->edit_token, sizeof(pg_uuid_t)) != 0)
		return false;
	// The sections in the writer's layout exactly (the shapes of the layers first, as they size
	// the parameters).
	size_t bytes[SECTIONS];
	*problem = "its sections do not fit its model";
	size_t offset = aligned(sizeof(FileHeader));
	for (int s = 0; s < SECTIONS; s++)
	{
		if (h->offset[s] != offset || h->bytes[s] > size || offset > size - h->bytes[s])
			return false;
		offset = aligned(offset + h->bytes[s]);
	}
	if (offset != size || !expected_sizes(h, base, e, bytes))
		return false;
	for (int s = 0; s < SECTIONS; s++)
		if (h->bytes[s] != bytes[s])
			return false;
	uint64 sum;
	if (!file_checksum(base, size, &sum))
	{
		*problem = NULL; // could not be checked: kept
		return false;
	}
	*problem = "its checksum does not match";
	if (sum != h->checksum)
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
		      m.items, h->dim, h->compact_stride};
		e->compact_items = c;
	}
}

} // namespace

bool map_model_file(const ModelFileKey *key, CachedModel *e)
{
	char *path = psprintf("%s/%s", cache_directory(), file_name(key));
	// Allocated before the mapping exists, so that no allocation failure can leak it.
	MemoryContextCallback *callback =
	    (MemoryContextCallback *)MemoryContextAlloc(e->context, sizeof(MemoryContextCallback));
	int fd = open(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
		return false;
	struct stat st;
	void *base = MAP_FAILED;
	if (fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(FileHeader))
		base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	close(fd);
	if (base == MAP_FAILED)
		return false;
	const char *problem;
	if (!valid_file((const char *)base, (size_t)st.st_size, key, e, &problem))
	{
		munmap(base, (size_t)st.st_size);
		if (problem != NULL)
		{
			ereport(LOG,
			        (errmsg("pgrec: removing the shared cache file \"%s\": %s", path, problem)));
			unlink(path);
		}
		return false;
	}
	e->mapping = base;
	e->shared_bytes = (size_t)st.st_size;
	callback->func = release_mapping;
	callback->arg = e;
	MemoryContextRegisterResetCallback(e->context, callback);
	point_into(e, (const char *)base);
	const pgrec::AlgorithmEntry &algorithm = *e->model.catalog.algorithm;
	if (e->model.network.count > 0 &&
	    !algorithm.network->fits(e->model.network, e->model.catalog.factors))
	{
		ereport(LOG, (errmsg("pgrec: removing the shared cache file \"%s\": its network does "
		                     "not fit its model", path)));
		unlink(path);
		return false;
	}
	utimes(path, NULL); // the least recently used files are evicted first
	return true;
}

void write_model_file(const ModelFileKey *key, const CachedModel *e)
{
	const char *directory = cache_directory();
	if (MakePGDirectory(directory) != 0 && errno != EEXIST)
	{
		ereport(LOG, (errcode_for_file_access(),
		              errmsg("pgrec: could not create directory \"%s\": %m", directory)));
		return;
	}
	FileHeader h;
	memset(&h, 0, sizeof h);
	memcpy(h.magic, kMagic, sizeof kMagic);
	h.format = kFormat;
	h.sections = SECTIONS;
	h.database = MyDatabaseId;
	h.name_hash = key->name_hash;
	h.model_id = key->model_id;
	h.version_uuid = key->version_uuid;
	h.edit_token = key->edit_token;
	Part parts[SECTIONS];
	describe(e, &h, parts);
	size_t size = aligned(sizeof(FileHeader));
	for (int s = 0; s < SECTIONS; s++)
	{
		h.offset[s] = size;
		h.bytes[s] = parts[s].bytes;
		size = aligned(size + parts[s].bytes);
	}
	h.file_bytes = size;

	// An unnamed file, its blocks reserved (so that writing through the mapping cannot fault on
	// a full disk), linked under its name once complete.
	// Every string before the descriptor is open, so that no allocation failure can leak it.
	char *name = file_name(key);
	char *path = psprintf("%s/%s", directory, name);
	char *proc = (char *)palloc(64);
	int fd = open(directory, O_TMPFILE | O_RDWR, pg_file_create_mode);
	if (fd >= 0)
		snprintf(proc, 64, "/proc/self/fd/%d", fd);
	void *base = MAP_FAILED;
	if (fd >= 0 && posix_fallocate(fd, 0, (off_t)size) == 0)
		base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
	{
		ereport(LOG, (errcode_for_file_access(),
		              errmsg("pgrec: could not write the shared cache file \"%s\": %m", path)));
		if (fd >= 0)
			close(fd);
		return;
	}
	char *p = (char *)base;
	for (int s = 0; s < SECTIONS; s++)
		if (parts[s].data != NULL && parts[s].bytes > 0)
			memcpy(p + h.offset[s], parts[s].data, parts[s].bytes);
	copy_network(e->model.network, p + h.offset[LAYER_SHAPES], p + h.offset[LAYER_PARAMETERS]);
	memcpy(p, &h, sizeof h);
	bool summed = file_checksum(p, size, &h.checksum);
	memcpy(p, &h, sizeof h);
	munmap(base, size);
	if (summed && linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0 && errno != EEXIST)
		ereport(LOG, (errcode_for_file_access(),
		              errmsg("pgrec: could not link the shared cache file \"%s\": %m", path)));
	close(fd);
	remove_old_files(directory, key, name);
}

// A lock of the user lock method on the version, with a field that pg_advisory_lock() never sets.
static LOCKTAG file_lock(const ModelFileKey *key)
{
	LOCKTAG tag;
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32)((uint64)key->model_id >> 32),
	                     (uint32)key->model_id, 0x5052);
	return tag;
}

void lock_model_file(const ModelFileKey *key)
{
	LOCKTAG tag = file_lock(key);
	(void)LockAcquire(&tag, ExclusiveLock, false, false);
}

void unlock_model_file(const ModelFileKey *key)
{
	LOCKTAG tag = file_lock(key);
	LockRelease(&tag, ExclusiveLock, false);
}
