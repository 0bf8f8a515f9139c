// How the serving functions (recommend.cpp) scan a model's item or user vectors: the method a
// call asks for (exactly, through the compact copy when there is one, or approximately through
// the item index with exact => false), the scan as a candidate source (rerank.h), and the
// first k items of a source.
#pragma once

#include "postgres_headers.h"

#include "model_cache.h"
#include "rerank.h"

#include "../core/compact_rows.h"
#include "../core/ivf_index.h"
#include "../core/recommend.h"

// How a call searches: exactly (through the compact copy of the matrix when there is one), or
// approximately through the index's best `probes` lists.
struct ScanMethod
{
	const pgrec::CompactRows *compact;
	const pgrec::IvfIndex *index;
	size_t probes;
};

// A top-k scan against query through the exclusion and candidate lists.
struct ScanRequest
{
	pgrec::ItemMatrix matrix;
	ScanMethod method;
	const float *query;
	const pgrec::SortedList *excluded;
	int lists;
	const pgrec::SortedList *candidates;
};

// The first k items of a candidate source (rerank.h), in a palloc'd array. May ereport.
pgrec::Recommendation *first_items(CandidateSource source, const void *state, size_t catalogue,
                                   int64 k, size_t *count);

// The scan as a CandidateSource: the core top `room`. Ereports on core errors.
size_t scan_items(const void *state, size_t room, pgrec::Recommendation *out);

// Runs the core top-k; the result array (room for k) is palloc'd. Ereports on core errors.
pgrec::Recommendation *top_items(const pgrec::ItemMatrix &matrix, ScanMethod method,
                                 const float *query, const pgrec::SortedList *excluded, int lists,
                                 const pgrec::SortedList *candidates, int64 k, size_t *count);

// The arguments exact (at exact_arg) and probes (the next one) of a call: true when it asks for
// the approximate search, with the lists to probe in *probes (0: the index's default).
bool wants_approximate(FunctionCallInfo fcinfo, int exact_arg, int64 *probes);

// How a call without candidates searches the items of e (users false) or its users: with the
// item index when it asked for the approximate search, else exactly through the compact copy.
// A call with candidates scores them in float. May ereport.
ScanMethod scan_method(CachedModel *e, bool users, bool has_candidates, bool approximate,
                       int64 probes);
