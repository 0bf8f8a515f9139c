// Model cache: a few entries (pgrec.model_cache_size), least recently used evicted. A statement
// with a new snapshot probes the catalog's index of current versions directly (no SPI) for the
// model's version_uuid, which never repeats; the entry is reloaded when the uuid differs or a
// change made by hand was announced. Calls under the same snapshot (a LATERAL join calling
// recommend() per row) reuse the entry without a probe. A model is loaded whole under one
// snapshot: never mixed.
#include "model_cache.h"

#include "cache_invalidation.h"
#include "catalog_access.h"
#include "core_guard.h"
#include "index_file.h"
#include "model_file.h"
#include "owned_object.h"
#include "settings.h"

#include "../core/algorithm_registry.h"
#include "../core/normal_equations.h"
#include "../core/row_norms.h"

extern "C"
{
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
}

#include <cmath>

#define MAX_CACHED_MODELS 64

PGREC_FUNCTION(pgrec_cached_models)

static CachedModel *entries[MAX_CACHED_MODELS];
static uint64 use_counter = 0;

// The snapshot the running statement reads with.
static Snapshot statement_snapshot(void)
{
	return ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();
}

// True when the entry was checked under the snapshot of the running statement and nothing
// was announced since.
static bool checked_in_this_snapshot(const CachedModel *e)
{
	TransactionId horizon;
	if (e->generation != model_change_generation(&horizon))
		return false;
	Snapshot s = statement_snapshot();
	return e->checked_lxid == MyProc->lxid && e->checked_cid == GetCurrentCommandId(false) &&
	       e->checked_xmin == s->xmin && e->checked_xmax == s->xmax && e->checked_xcnt == s->xcnt &&
	       !s->suboverflowed && s->subxcnt == 0 &&
	       (s->xcnt == 0 || memcmp(e->checked_xip, s->xip, sizeof(TransactionId) * s->xcnt) == 0);
}

static void mark_checked(CachedModel *e)
{
	Snapshot s = statement_snapshot();
	if (s->xcnt > e->checked_xip_capacity)
	{
		e->checked_xip =
		    (TransactionId *)MemoryContextAlloc(e->context, sizeof(TransactionId) * s->xcnt);
		e->checked_xip_capacity = s->xcnt;
	}
	if (s->xcnt > 0)
		memcpy(e->checked_xip, s->xip, sizeof(TransactionId) * s->xcnt);
	e->checked_xcnt = s->xcnt;
	e->checked_lxid = MyProc->lxid;
	e->checked_cid = GetCurrentCommandId(false);
	e->checked_xmin = s->xmin;
	e->checked_xmax = s->xmax;
}

// The token of pgrec.cache_edits in this statement's snapshot (which hand edits of the model
// tables it sees); false when the table has no row.
static bool edit_token(pg_uuid_t *out)
{
	Relation rel = table_open(pgrec_relation("cache_edits"), AccessShareLock);
	TableScanDesc scan = table_beginscan(rel, statement_snapshot(), 0, NULL);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	bool found = table_scan_getnextslot(scan, ForwardScanDirection, slot);
	if (found)
	{
		bool isnull;
		Datum token = slot_getattr(slot, 1, &isnull);
		found = !isnull;
		if (found)
			memcpy(out, DatumGetUUIDP(token), sizeof(pg_uuid_t));
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, NoLock);
	return found;
}

// The version_uuid of the current version of name in this statement's snapshot, read with one
// probe of the index of current versions; false if there is none.
static bool current_version_uuid(const char *name, pg_uuid_t *out)
{
	Oid relid = pgrec_relation("model_versions");
	Oid index = pgrec_relation("model_versions_current");
	watch_cache_invalidation_relation(pgrec_relation("cache_invalidation"));
	Relation rel = table_open(relid, AccessShareLock);
	ScanKeyData key;
	ScanKeyEntryInitialize(&key, 0, get_attnum(relid, "name"), BTEqualStrategyNumber, InvalidOid,
	                       DEFAULT_COLLATION_OID, F_TEXTEQ, CStringGetTextDatum(name));
	SysScanDesc scan = systable_beginscan(rel, index, true, statement_snapshot(), 1, &key);
	HeapTuple tuple = systable_getnext(scan);
	bool found = HeapTupleIsValid(tuple);
	if (found)
	{
		bool isnull;
		Datum uuid =
		    heap_getattr(tuple, get_attnum(relid, "version_uuid"), RelationGetDescr(rel), &isnull);
		memcpy(out, DatumGetUUIDP(uuid), sizeof(pg_uuid_t));
	}
	systable_endscan(scan);
	table_close(rel, NoLock);
	return found;
}

static void free_entry(int slot)
{
	MemoryContextDelete(entries[slot]->context);
	entries[slot] = NULL;
}

// 1 / |row| for each of count rows of dim floats, 0 for a zero row, in context.
static float *inverse_norms(MemoryContext context, const float *rows, size_t count, int dim)
{
	float *out = (float *)MemoryContextAllocHuge(context, sizeof(float) * Max(count, 1));
	CORE_CALL(pgrec::inverse_norms(rows, count, dim, effective_threads(), out));
	return out;
}

// The seed of every index build: one index per version, whichever server builds it.
static const uint64 kIndexSeed = 42;

// Sort support for popular_items: more training interactions first, then the smaller index.
static int64 *sort_counts;
static int compare_popularity(const void *a, const void *b)
{
	int32 x = *(const int32 *)a, y = *(const int32 *)b;
	if (sort_counts[x] != sort_counts[y])
		return sort_counts[x] > sort_counts[y] ? -1 : 1;
	return x < y ? -1 : (x > y);
}

// A new compact copy of the item (users false) or user factors of e, in a child context of the
// entry that joins it only when complete. May ereport.
static pgrec::CompactRows *new_compact_rows(CachedModel *e, bool users)
{
	const LoadedModel &m = e->model;
	size_t count = users ? m.users : m.items;
	int dim = m.catalog.factors;
	MemoryContext context =
	    AllocSetContextCreate(CurrentMemoryContext, "pgrec compact rows", ALLOCSET_DEFAULT_SIZES);
	size_t stride = pgrec::compact_stride(dim);
	pgrec::CompactRows *c =
	    (pgrec::CompactRows *)MemoryContextAlloc(context, sizeof(pgrec::CompactRows));
	c->count = count;
	c->dim = dim;
	c->stride = stride;
	c->codes = (int8_t *)MemoryContextAllocHuge(context, Max(count, 1) * stride);
	c->step = (float *)MemoryContextAllocHuge(context, sizeof(float) * Max(count, 1));
	c->radius = (float *)MemoryContextAllocHuge(context, sizeof(float) * Max(count, 1));
	pgrec::CancelToken cancel = backend_cancel_token();
	CORE_CALL(pgrec::compact_rows(users ? m.user_factors : m.item_factors, *c,
	                              effective_threads(), cancel));
	MemoryContextSetParent(context, e->context);
	return c;
}

// A new entry for name in its own context under parent.
static CachedModel *new_entry(const char *name, uint64 generation, MemoryContext parent)
{
	MemoryContext context =
	    AllocSetContextCreate(parent, "pgrec cached model", ALLOCSET_DEFAULT_SIZES);
	CachedModel *e = (CachedModel *)MemoryContextAllocZero(context, sizeof(CachedModel));
	e->context = context;
	e->name = MemoryContextStrdup(context, name);
	e->generation = generation;
	return e;
}

// Fills the arrays derived from the model: norms, item degrees, items by popularity.
static void derive_arrays(CachedModel *e)
{
	const LoadedModel &m = e->model;
	MemoryContext context = e->context;
	e->item_inverse_norms = inverse_norms(context, m.item_factors, m.items, m.catalog.factors);
	e->user_inverse_norms = inverse_norms(context, m.user_factors, m.users, m.catalog.factors);

	int64 *counts = (int64 *)palloc0(sizeof(int64) * Max(m.items, 1));
	for (int64 s = 0; s < m.seen_ptr[m.users]; s++)
		counts[m.seen_index[s]]++;
	e->item_degrees = (float *)MemoryContextAllocHuge(context, sizeof(float) * Max(m.items, 1));
	for (size_t i = 0; i < m.items; i++)
		e->item_degrees[i] = (float)counts[i];
	e->popular_items = (int32 *)MemoryContextAllocHuge(context, sizeof(int32) * Max(m.items, 1));
	for (size_t i = 0; i < m.items; i++)
		e->popular_items[i] = (int32)i;
	sort_counts = counts;
	qsort(e->popular_items, m.items, sizeof(int32), compare_popularity);
	pfree(counts);
}

// Maps the shared file of key into a new entry for catalog; NULL when there is none usable.
static CachedModel *mapped_entry(const char *name, uint64 generation, const ModelCatalog *catalog,
                                 const ModelFileKey *key, MemoryContext parent)
{
	CachedModel *e = new_entry(name, generation, parent);
	e->model.catalog = *catalog;
	if (map_model_file(key, e))
		return e;
	MemoryContextDelete(e->context);
	return NULL;
}

// Loads the current version of name into a new entry: from the shared cache file of the version
// and of the hand edits this snapshot sees when there is one, else from the tables (then written
// to such a file and mapped from it, so that the server keeps one copy). Its context joins
// TopMemoryContext only once everything is loaded, so an error frees a half-made entry with the
// statement. The entry counts as up to date with the announcements only if its snapshot sees
// all of them.
static CachedModel *load_entry(const char *name)
{
	TransactionId horizon;
	uint64 generation = model_change_generation(&horizon);
	bool sees_all = !TransactionIdIsValid(horizon) ||
	                TransactionIdFollowsOrEquals(statement_snapshot()->xmin, horizon);
	if (!sees_all)
		generation--;

	// Created before SPI_connect, whose context SPI_finish deletes.
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext catalog_context =
	    AllocSetContextCreate(caller, "pgrec catalog", ALLOCSET_SMALL_SIZES);
	SPI_connect();
	ModelCatalog catalog;
	require_model_catalog(name, catalog_context, &catalog);
	ModelFileKey key = {hash_bytes((const unsigned char *)name, (int)strlen(name)),
	                    catalog.model_id, {}, {}};
	memcpy(&key.version_uuid, DatumGetUUIDP(catalog.version_uuid), sizeof(pg_uuid_t));
	bool shared = pgrec_shared_cache && edit_token(&key.edit_token);
	CachedModel *e = shared ? mapped_entry(name, generation, &catalog, &key, caller) : NULL;
	// One connection at a time loads a version that has no file yet; the others wait, then map
	// what it wrote.
	bool locked = shared && e == NULL;
	if (locked)
	{
		lock_model_file(&key);
		e = mapped_entry(name, generation, &catalog, &key, caller);
	}
	if (e == NULL)
	{
		e = new_entry(name, generation, caller);
		load_model(&catalog, e->context, &e->model);
		derive_arrays(e);
	}
	SPI_finish();
	if (shared && e->mapping == NULL)
	{
		const LoadedModel &m = e->model;
		if (pgrec::has_factors(*catalog.algorithm) &&
		    m.items * (size_t)catalog.factors >= (size_t)COMPACT_SCAN_MIN_FLOATS)
			e->compact_items = new_compact_rows(e, false);
		write_model_file(&key, e);
		CachedModel *mapped = mapped_entry(name, generation, &catalog, &key, caller);
		if (mapped != NULL)
		{
			MemoryContextDelete(e->context);
			e = mapped;
		}
	}
	if (locked)
		unlock_model_file(&key);
	e->has_file_key = shared;
	e->file_key = key;
	// The catalog's strings (in catalog_context) go with the entry, which outlives the statement.
	MemoryContextSetParent(catalog_context, e->context);
	MemoryContextSetParent(e->context, TopMemoryContext);
	return e;
}

// True when the entry is the version current in this snapshot and nothing was announced since
// it was loaded.
static bool entry_is_current(const CachedModel *e, const pg_uuid_t *uuid)
{
	TransactionId horizon;
	return e->generation == model_change_generation(&horizon) &&
	       memcmp(DatumGetUUIDP(e->model.catalog.version_uuid), uuid, sizeof(pg_uuid_t)) == 0;
}

CachedModel *cached_model(const char *name)
{
	int slot = -1, free_slot = -1, oldest = -1;
	int capacity = Min(pgrec_model_cache_size, MAX_CACHED_MODELS);

	for (int i = 0; i < MAX_CACHED_MODELS; i++)
	{
		if (entries[i] == NULL)
		{
			if (free_slot < 0 && i < capacity)
				free_slot = i;
			continue;
		}
		if (strcmp(entries[i]->name, name) == 0)
			slot = i;
		else if (i >= capacity)
			free_entry(i); // the cache was made smaller
		else if (oldest < 0 || entries[i]->last_used < entries[oldest]->last_used)
			oldest = i;
	}
	if (slot >= 0 && checked_in_this_snapshot(entries[slot]))
	{
		entries[slot]->last_used = ++use_counter;
		return entries[slot];
	}

	pg_uuid_t uuid;
	if (!current_version_uuid(name, &uuid))
	{
		if (slot >= 0)
			free_entry(slot);
		ereport(ERROR,
		        (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("model \"%s\" does not exist", name),
		         errhint("Train it with pgrec.train() or import it with pgrec.import_model().")));
	}
	if (slot < 0 || !entry_is_current(entries[slot], &uuid))
	{
		CachedModel *loaded = load_entry(name);
		if (slot >= 0)
			free_entry(slot);
		else if (free_slot >= 0)
			slot = free_slot;
		else
		{
			slot = oldest;
			free_entry(slot);
		}
		entries[slot] = loaded;
	}
	mark_checked(entries[slot]);
	entries[slot]->last_used = ++use_counter;
	return entries[slot];
}

// cached_models() -> (name, model_id, users, items, bytes, shared_bytes): what this backend
// holds, in its own memory and mapped from the shared cache.
Datum pgrec_cached_models(PG_FUNCTION_ARGS)
{
	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	for (int i = 0; i < MAX_CACHED_MODELS; i++)
	{
		const CachedModel *e = entries[i];
		if (e == NULL)
			continue;
		Datum values[6] = {CStringGetTextDatum(e->name), Int64GetDatum(e->model.catalog.model_id),
		                   Int64GetDatum((int64)e->model.users),
		                   Int64GetDatum((int64)e->model.items),
		                   Int64GetDatum((int64)MemoryContextMemAllocated(e->context, true)),
		                   Int64GetDatum((int64)(e->shared_bytes + e->index_shared_bytes))};
		bool nulls[6] = {false, false, false, false, false, false};
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum)0;
}

const float *cached_item_gramian(CachedModel *e)
{
	if (e->item_gramian == NULL)
	{
		int k = e->model.catalog.factors;
		float *g = (float *)MemoryContextAlloc(e->context, sizeof(float) * k * k);
		pgrec::CancelToken cancel = backend_cancel_token();
		const LoadedModel &m = e->model;
		pgrec::ItemMatrix items = {m.item_factors, m.item_bias, NULL, m.items, k};
		CORE_CALL(pgrec::fold_in_gramian(*m.catalog.algorithm, m.catalog.hyperparameters, items,
		                                 e->item_degrees, g, cancel));
		e->item_gramian = g;
	}
	return e->item_gramian;
}

const pgrec::CompactRows *cached_compact_rows(CachedModel *e, bool users)
{
	const LoadedModel &m = e->model;
	size_t count = users ? m.users : m.items;
	bool wanted = pgrec_compact_scan == COMPACT_SCAN_ON ||
	              (pgrec_compact_scan == COMPACT_SCAN_AUTO &&
	               count * (size_t)m.catalog.factors >= (size_t)COMPACT_SCAN_MIN_FLOATS);
	if (!wanted || !pgrec::has_factors(*m.catalog.algorithm))
		return NULL;
	pgrec::CompactRows *&slot = users ? e->compact_users : e->compact_items;
	if (slot == NULL)
		slot = new_compact_rows(e, users);
	return slot;
}

// A new approximate-search index of e's items, in a child context of the current one. May
// ereport.
static pgrec::IvfIndex *new_item_index(const CachedModel *e, MemoryContext *context)
{
	const LoadedModel &m = e->model;
	size_t n = m.items, lists = pgrec::ivf_lists(n);
	int dim = m.catalog.factors;
	size_t stride = pgrec::compact_stride(dim);
	*context = AllocSetContextCreate(CurrentMemoryContext, "pgrec item index", ALLOCSET_DEFAULT_SIZES);
	MemoryContext c = *context;
	pgrec::IvfIndex *index = (pgrec::IvfIndex *)MemoryContextAllocZero(c, sizeof(pgrec::IvfIndex));
	index->lists = lists;
	index->dim = dim;
	index->centroids = (float *)MemoryContextAllocHuge(c, sizeof(float) * lists * (dim + 1));
	index->offsets = (int64_t *)MemoryContextAllocHuge(c, sizeof(int64_t) * (lists + 1));
	index->items = (int32_t *)MemoryContextAllocHuge(c, sizeof(int32_t) * n);
	index->rows = {(int8_t *)MemoryContextAllocHuge(c, n * stride),
	               (float *)MemoryContextAllocHuge(c, sizeof(float) * n),
	               (float *)MemoryContextAllocHuge(c, sizeof(float) * n), n, dim, stride};
	pgrec::ItemMatrix items = {m.item_factors, m.item_bias, NULL, n, dim};
	pgrec::CancelToken cancel = backend_cancel_token();
	CORE_CALL(pgrec::build_ivf(items, kIndexSeed, effective_threads(), cancel, *index));
	return index;
}

const pgrec::IvfIndex *cached_item_index(CachedModel *e)
{
	if (e->item_index != NULL || e->model.items == 0 || !pgrec::has_factors(*e->model.catalog.algorithm))
		return e->item_index;
	const ModelFileKey *key = &e->file_key;
	if (e->has_file_key && map_index_file(key, e))
		return e->item_index;
	// One connection at a time builds a version's index; the others wait, then map it.
	if (e->has_file_key)
	{
		lock_index_file(key);
		if (map_index_file(key, e))
		{
			unlock_index_file(key);
			return e->item_index;
		}
	}
	MemoryContext context;
	pgrec::IvfIndex *built = new_item_index(e, &context);
	if (e->has_file_key)
	{
		write_index_file(key, e, built);
		bool mapped = map_index_file(key, e);
		unlock_index_file(key);
		if (mapped)
		{
			MemoryContextDelete(context);
			return e->item_index;
		}
	}
	MemoryContextSetParent(context, e->context);
	e->item_index = built;
	return built;
}

// A user index in a memory context: built inside the core guard after the holder is owned.
struct UserIndexHolder
{
	std::unique_ptr<pgrec::UserIndex> index;
};

const pgrec::UserIndex *new_user_index(const LoadedModel *m, MemoryContext context)
{
	UserIndexHolder *holder = new_owned_by<UserIndexHolder>(context);
	pgrec::CancelToken cancel = backend_cancel_token();
	CORE_CALL(holder->index = std::make_unique<pgrec::UserIndex>(
	              m->seen, m->items, m->catalog.hyperparameters, cancel));
	return holder->index.get();
}

const pgrec::UserIndex *cached_user_index(CachedModel *e)
{
	if (e->user_index == NULL)
		e->user_index = new_user_index(&e->model, e->context);
	return e->user_index;
}
