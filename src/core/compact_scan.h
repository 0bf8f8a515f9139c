// Exact top-k over the compact copy of an item matrix (compact_rows.h): the int8 codes are
// scanned, each score is bounded, and only the items whose upper bound can still reach the k-th
// best lower bound are re-scored in float, exactly as recommend_items() scores them. The result
// is recommend_items()'s, bit for bit, for every input.
#pragma once

#include "compact_rows.h"
#include "recommend.h"

namespace pgrec
{

// What a compact scan did, for tests and benchmarks.
struct CompactScanStats
{
	size_t rescored;  // items scored in float
	bool float_scan;  // fell back to recommend_items (bounds overflowed or too many candidates)
};

// recommend_items(items, query, excluded, excluded_lists, nullptr, k, threads, out) read through
// compact (the compact copy of items.factors). stats may be null.
size_t recommend_items_compact(const ItemMatrix &items, const CompactRows &compact,
                               const float *query, const SortedList *excluded,
                               int excluded_lists, size_t k, int threads, Recommendation *out,
                               CompactScanStats *stats);

} // namespace pgrec
