// The scans of the serving functions (item_scan.h): the core's float, compact and approximate
// top-k behind one candidate source, and the exact and probes arguments read into a method.
#include "item_scan.h"

#include "core_guard.h"
#include "serving.h"
#include "settings.h"

#include "../core/compact_scan.h"

// The first k items of a candidate source (rerank.h), in a palloc'd array. May ereport.
pgrec::Recommendation *first_items(CandidateSource source, const void *state, size_t catalogue,
                                   int64 k, size_t *count)
{
	size_t room = (size_t)Min((uint64)k, (uint64)Max(catalogue, 1));
	pgrec::Recommendation *out =
	    (pgrec::Recommendation *)palloc(sizeof(pgrec::Recommendation) * room);
	*count = source(state, room, out);
	return out;
}

// The scan as a CandidateSource: the core top `room`. Ereports on core errors.
size_t scan_items(const void *state, size_t room, pgrec::Recommendation *out)
{
	const ScanRequest *r = (const ScanRequest *)state;
	size_t count;
	int threads = effective_threads();
	if (r->method.index && r->candidates == NULL)
		CORE_CALL(count = pgrec::recommend_items_ivf(r->matrix, *r->method.index, r->query,
		                                             r->excluded, r->lists, room, r->method.probes,
		                                             threads, out, NULL));
	else if (r->method.compact && r->candidates == NULL)
		CORE_CALL(count = pgrec::recommend_items_compact(r->matrix, *r->method.compact, r->query,
		                                                 r->excluded, r->lists, room, threads, out,
		                                                 NULL));
	else
		CORE_CALL(count = pgrec::recommend_items(r->matrix, r->query, r->excluded, r->lists,
		                                         r->candidates, room, threads, out));
	return count;
}

// Runs the core top-k; the result array (room for k) is palloc'd. Ereports on core errors.
pgrec::Recommendation *top_items(const pgrec::ItemMatrix &matrix, ScanMethod method,
                                 const float *query, const pgrec::SortedList *excluded, int lists,
                                 const pgrec::SortedList *candidates, int64 k, size_t *count)
{
	ScanRequest request = {matrix, method, query, excluded, lists, candidates};
	return first_items(scan_items, &request, matrix.count, k, count);
}

// The arguments exact (at exact_arg) and probes (the next one) of a call: true when it asks for
// the approximate search, with the lists to probe in *probes (0: the index's default).
bool wants_approximate(FunctionCallInfo fcinfo, int exact_arg, int64 *probes)
{
	*probes = 0;
	if (PG_NARGS() < exact_arg + 2)
		return false; // an older SQL definition
	bool exact = PG_ARGISNULL(exact_arg) || PG_GETARG_BOOL(exact_arg);
	bool has_probes = !PG_ARGISNULL(exact_arg + 1);
	if (has_probes && exact)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("probes applies to approximate search only"),
		                errhint("Pass exact => false to search the approximate index.")));
	*probes = has_probes ? read_positive(fcinfo, exact_arg + 1, "probes") : 0;
	return !exact;
}

// How a call without candidates searches the items of e (users false) or its users: with the
// item index when it asked for the approximate search, else exactly through the compact copy.
// A call with candidates scores them in float. May ereport.
ScanMethod scan_method(CachedModel *e, bool users, bool has_candidates, bool approximate,
                       int64 probes)
{
	ScanMethod method = {NULL, NULL, 0};
	if (has_candidates)
		return method;
	method.index = approximate && !users ? cached_item_index(e) : NULL;
	if (method.index != NULL)
		method.probes = probes > 0 ? (size_t)probes : pgrec::ivf_default_probes(method.index->lists);
	else
		method.compact = cached_compact_rows(e, users);
	return method;
}
