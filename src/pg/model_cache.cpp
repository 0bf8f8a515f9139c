// Model cache: a few entries (pgrec.model_cache_size), least recently used evicted. An entry is
// checked against pgrec.models (same model_id?) once per statement snapshot, so a LATERAL join
// calling recommend() per row pays one lookup, and a retrain committed by another connection
// is seen by the next statement. A model is loaded whole under one snapshot: never mixed.
#include "model_cache.h"

#include "core_guard.h"
#include "settings.h"

#include "../core/fold_in.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "access/xact.h"
#include "funcapi.h"
#include "utils/tuplestore.h"
}

#include <cmath>

#define MAX_CACHED_MODELS 64

PGREC_FUNCTION(pgrec_cached_models)

static CachedModel *entries[MAX_CACHED_MODELS];
static uint64 use_counter = 0;

// True when the entry was checked under the snapshot of the running statement.
static bool checked_in_this_snapshot(const CachedModel *e)
{
	if (!ActiveSnapshotSet())
		return false;
	Snapshot snapshot = GetActiveSnapshot();
	return e->checked_lxid == MyProc->lxid && e->checked_cid == GetCurrentCommandId(false) &&
	       e->checked_xmin == snapshot->xmin && e->checked_xmax == snapshot->xmax;
}

static void mark_checked(CachedModel *e)
{
	if (!ActiveSnapshotSet())
		return;
	Snapshot snapshot = GetActiveSnapshot();
	e->checked_lxid = MyProc->lxid;
	e->checked_cid = GetCurrentCommandId(false);
	e->checked_xmin = snapshot->xmin;
	e->checked_xmax = snapshot->xmax;
}

// The model_id pgrec.models has for name in this snapshot, or -1 (SPI connected).
static int64 current_model_id(const char *name)
{
	Oid types[1] = {TEXTOID};
	Datum values[1] = {CStringGetTextDatum(name)};
	bool isnull;

	if (SPI_execute_with_args(
	        "SELECT model_id FROM pgrec.models WHERE name OPERATOR(pg_catalog.=) $1", 1, types,
	        values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pgrec.models");
	return SPI_processed == 0 ? -1
	                          : DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
	                                                        SPI_tuptable->tupdesc, 1, &isnull));
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
	for (size_t r = 0; r < count; r++)
	{
		double norm = 0;
		for (int f = 0; f < dim; f++)
			norm += (double)rows[r * dim + f] * rows[r * dim + f];
		out[r] = norm > 0 ? (float)(1.0 / std::sqrt(norm)) : 0.0f;
	}
	return out;
}

// Sort support for popular_items: more training interactions first, then the smaller index.
static int64 *sort_counts;
static int compare_popularity(const void *a, const void *b)
{
	int32 x = *(const int32 *)a, y = *(const int32 *)b;
	if (sort_counts[x] != sort_counts[y])
		return sort_counts[x] > sort_counts[y] ? -1 : 1;
	return x < y ? -1 : (x > y);
}

// Loads the model into a new entry (SPI connected); its context joins TopMemoryContext only
// once everything is loaded, so an error frees a half-made entry with the statement.
static CachedModel *load_entry(const char *name)
{
	MemoryContext context =
	    AllocSetContextCreate(CurrentMemoryContext, "pgrec cached model", ALLOCSET_DEFAULT_SIZES);
	CachedModel *e = (CachedModel *)MemoryContextAllocZero(context, sizeof(CachedModel));
	e->context = context;
	e->name = MemoryContextStrdup(context, name);
	load_model(name, context, &e->model);
	const LoadedModel &m = e->model;
	e->item_inverse_norms = inverse_norms(context, m.item_factors, m.items, m.factors);
	e->user_inverse_norms = inverse_norms(context, m.user_factors, m.users, m.factors);

	int64 *counts = (int64 *)palloc0(sizeof(int64) * Max(m.items, 1));
	for (int64 s = 0; s < m.seen_ptr[m.users]; s++)
		counts[m.seen_index[s]]++;
	e->popular_items = (int32 *)MemoryContextAllocHuge(context, sizeof(int32) * Max(m.items, 1));
	for (size_t i = 0; i < m.items; i++)
		e->popular_items[i] = (int32)i;
	sort_counts = counts;
	qsort(e->popular_items, m.items, sizeof(int32), compare_popularity);
	pfree(counts);

	MemoryContextSetParent(context, TopMemoryContext);
	return e;
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

	SPI_connect();
	int64 model_id = current_model_id(name);
	if (model_id < 0)
	{
		if (slot >= 0)
			free_entry(slot);
		ereport(ERROR,
		        (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("model \"%s\" does not exist", name),
		         errhint("Train it with pgrec.train() or import it with pgrec.import_model().")));
	}
	if (slot < 0 || entries[slot]->model.model_id != model_id)
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
	SPI_finish();
	mark_checked(entries[slot]);
	entries[slot]->last_used = ++use_counter;
	return entries[slot];
}

// cached_models() -> (name, model_id, users, items, bytes): what this backend holds.
Datum pgrec_cached_models(PG_FUNCTION_ARGS)
{
	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	for (int i = 0; i < MAX_CACHED_MODELS; i++)
	{
		const CachedModel *e = entries[i];
		if (e == NULL)
			continue;
		Datum values[5] = {CStringGetTextDatum(e->name), Int64GetDatum(e->model.model_id),
		                   Int64GetDatum((int64)e->model.users),
		                   Int64GetDatum((int64)e->model.items),
		                   Int64GetDatum((int64)MemoryContextMemAllocated(e->context, true))};
		bool nulls[5] = {false, false, false, false, false};
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum)0;
}

const float *cached_item_gramian(CachedModel *e)
{
	if (e->item_gramian == NULL)
	{
		int k = e->model.factors;
		float *g = (float *)MemoryContextAlloc(e->context, sizeof(float) * k * k);
		CORE_CALL(pgrec::gramian(e->model.item_factors, e->model.items, k, g));
		e->item_gramian = g;
	}
	return e->item_gramian;
}
