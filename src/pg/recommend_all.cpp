// recommend_all(): the top k of every user of a model, computed in blocks of users with one
// matrix product per block, streamed into the result; and the planner support function that
// tells the planner the recommendation functions return about k rows.
#include "postgres_headers.h"

#include "core_guard.h"
#include "model_cache.h"
#include "settings.h"

#include "../core/neighbors.h"
#include "../core/recommend.h"

extern "C"
{
#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/primnodes.h"
#include "nodes/supportnodes.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"
}

PGREC_FUNCTION(pgrec_recommend_all)
PGREC_FUNCTION(pgrec_rows_support)

// Users per core call: enough to keep both threads busy, few enough for bounded memory.
#define USER_BLOCK 4096

// recommend_all(model_name, k, exclude_seen) -> (user_id, item_id, rank, score)
Datum pgrec_recommend_all(PG_FUNCTION_ARGS)
{
	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		return (Datum)0;
	int32 k_arg = PG_GETARG_INT32(1);
	if (k_arg <= 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("k must be positive, not %d", k_arg)));
	bool exclude_seen = PG_ARGISNULL(2) || PG_GETARG_BOOL(2);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	CachedModel *e = cached_model(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	const LoadedModel *m = &e->model;
	size_t k = (size_t)Min((uint64)k_arg, (uint64)Max(m->items, 1));
	size_t block = Max((size_t)1, Min((size_t)USER_BLOCK, ((size_t)4 << 20) / k));
	pgrec::ItemMatrix matrix = {m->item_factors, m->item_bias, NULL, m->items, m->catalog.factors};

	pgrec::CancelToken cancel = backend_cancel_token();
	MemoryContext block_context =
	    AllocSetContextCreate(CurrentMemoryContext, "pgrec recommend_all", ALLOCSET_DEFAULT_SIZES);
	MemoryContext previous = MemoryContextSwitchTo(block_context);
	for (size_t first = 0; first < m->users; first += block)
	{
		CHECK_FOR_INTERRUPTS();
		size_t count = Min(block, m->users - first);
		pgrec::SortedList *seen = (pgrec::SortedList *)palloc(sizeof(pgrec::SortedList) * count);
		pgrec::WeightedRows *rows =
		    (pgrec::WeightedRows *)palloc(sizeof(pgrec::WeightedRows) * count);
		for (size_t u = 0; u < count; u++)
		{
			seen[u] = {m->seen_index + m->seen_ptr[first + u],
			           (size_t)(m->seen_ptr[first + u + 1] - m->seen_ptr[first + u])};
			rows[u] = stored_user_rows(m, first + u);
		}
		pgrec::Recommendation *out =
		    (pgrec::Recommendation *)palloc(sizeof(pgrec::Recommendation) * count * k);
		size_t *counts = (size_t *)palloc(sizeof(size_t) * count);
		int threads = effective_threads();
		if (scorer_rows(m) != NULL)
			CORE_CALL(pgrec::recommend_neighbors_batch(*scorer_rows(m), m->items, rows,
			                                           exclude_seen ? seen : NULL, count, k,
			                                           threads, cancel, out, counts));
		else if (m->network.count > 0)
			CORE_CALL(pgrec::recommend_network_batch(
			    *m->catalog.algorithm->network, m->network, matrix,
			    m->user_factors + first * m->catalog.factors, count, exclude_seen ? seen : NULL, k,
			    threads, cancel, out, counts));
		else
			CORE_CALL(pgrec::recommend_batch(matrix, m->user_factors + first * m->catalog.factors,
			                                 count, exclude_seen ? seen : NULL, k, threads, cancel,
			                                 out, counts));
		MemoryContextSwitchTo(previous);
		for (size_t u = 0; u < count; u++)
			for (size_t r = 0; r < counts[u]; r++)
			{
				const pgrec::Recommendation &rec = out[u * k + r];
				Datum values[4] = {Int64GetDatum(m->user_ids[first + u]),
				                   Int64GetDatum(m->item_ids[rec.item]),
				                   Int32GetDatum((int32)r + 1), Float4GetDatum(rec.score)};
				bool nulls[4] = {false, false, false, false};
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
		MemoryContextReset(block_context);
		MemoryContextSwitchTo(block_context);
	}
	MemoryContextSwitchTo(previous);
	MemoryContextDelete(block_context);
	return (Datum)0;
}

// Position of the argument named "k" (or "n", the explanation functions' row count) of function
// funcid, or -1.
static int k_argument(Oid funcid)
{
	HeapTuple tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tuple))
		return -1;
	Oid *types;
	char **names, *modes;
	int count = get_func_arg_info(tuple, &types, &names, &modes);
	int position = -1;
	for (int i = 0; i < count && names; i++)
		if (names[i] && (strcmp(names[i], "k") == 0 || strcmp(names[i], "n") == 0))
			position = i;
	ReleaseSysCache(tuple);
	return position;
}

// Planner support: a call with a constant k (or n) returns about k rows.
Datum pgrec_rows_support(PG_FUNCTION_ARGS)
{
	Node *raw = (Node *)PG_GETARG_POINTER(0);
	if (!IsA(raw, SupportRequestRows))
		PG_RETURN_POINTER(NULL);
	SupportRequestRows *request = (SupportRequestRows *)raw;
	if (!IsA(request->node, FuncExpr))
		PG_RETURN_POINTER(NULL);
	FuncExpr *call = (FuncExpr *)request->node;
	int position = k_argument(request->funcid);
	if (position < 0 || position >= list_length(call->args))
		PG_RETURN_POINTER(NULL);
	Node *k = (Node *)list_nth(call->args, position);
	if (!IsA(k, Const) || ((Const *)k)->constisnull)
		PG_RETURN_POINTER(NULL);
	request->rows = Max(1, DatumGetInt32(((Const *)k)->constvalue));
	PG_RETURN_POINTER(request);
}
