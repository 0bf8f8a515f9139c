// Approximate top-k over an inverted-file index of a model's items: the items are clustered by
// k-means (kmeans.h) into lists, and a query scans, through the compact copy of the rows in list
// order (compact_rows.h, compact_bounds.h), only the lists whose centroids score best against
// it. The items found carry exactly the scores of the exact scan (recommend_items); probing
// every list gives the exact result.
#pragma once

#include "compact_rows.h"
#include "recommend.h"

#include <cstddef>
#include <cstdint>

namespace pgrec
{

struct IvfIndex
{
	size_t lists;
	int dim;
	float *centroids; // lists x (dim + 1): the mean factors and item bias of each list
	int64_t *offsets; // lists + 1: list l holds entries [offsets[l], offsets[l + 1])
	int32_t *items;   // the items of each list, ascending within a list
	CompactRows rows; // the items' compact rows, in the order of `items`
};

// The number of lists for a catalogue of count items (about its square root).
size_t ivf_lists(size_t count);

// The lists probed by default: 3% of them (at least 10), enough for a recall of 0.95 at 10 on
// clustered data (bench/README.md).
size_t ivf_default_probes(size_t lists);

// The bytes of the arrays of an index of count items of dim factors in `lists` lists.
size_t ivf_bytes(size_t count, int dim, size_t lists);

// Builds the index of items (factors and bias; the scale is not used) into out, whose arrays the
// caller allocated (ivf_bytes) and whose lists (at most items.count), dim and rows' count, dim
// and stride it set. Deterministic for a seed and thread count. Throws Cancelled when the token
// fires.
void build_ivf(const ItemMatrix &items, uint64_t seed, int threads, const CancelToken &cancel,
               IvfIndex &out);

// What an approximate search did, for tests and benchmarks.
struct IvfStats
{
	size_t probed;   // lists
	size_t scanned;  // items read through their codes
	size_t rescored; // items scored in float
};

// The k best items for query among the items of the `probes` lists that score best against it
// (and more lists while they hold fewer than k items that qualify), best first, ties by smaller
// index, with recommend_items()'s scores; items in the exclusion lists are skipped. The lists
// are ranked by q . centroid + bias, or by cosine when items.scale is set (similar_items).
// stats may be null.
size_t recommend_items_ivf(const ItemMatrix &items, const IvfIndex &index, const float *query,
                           const SortedList *excluded, int excluded_lists, size_t k, size_t probes,
                           int threads, Recommendation *out, IvfStats *stats);

} // namespace pgrec
