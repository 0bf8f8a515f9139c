// Exact top-k recommendation over an item matrix: one user vector (a fused scan of SIMD dot
// products and a bounded heap, at memory speed) or many users (blocked matrix products).
#pragma once

#include "cancel_token.h"

#include <cstddef>
#include <cstdint>

namespace pgrec
{

// The items of a model: row-major factors; score_i = (q . item_i) * scale_i + bias_i, where
// scale (e.g. inverse norms for cosine) and bias may be null.
struct ItemMatrix
{
	const float *factors;
	const float *bias;
	const float *scale;
	size_t count;
	int dim;
};

// Ascending, distinct dense item indices.
struct SortedList
{
	const int32_t *items;
	size_t count;
};

struct Recommendation
{
	int32_t item;
	float score;
};

// Writes to out (room for k) the k best items for query, best first, ties by smaller index;
// items in any of the exclusion lists are skipped; with candidates non-null only those items
// are scored. Matrices of more than kParallelScanFloats floats are scanned by `threads`
// threads. Returns how many were written (fewer than k when fewer items qualify).
size_t recommend_items(const ItemMatrix &items, const float *query, const SortedList *excluded,
                       int excluded_lists, const SortedList *candidates, size_t k, int threads,
                       Recommendation *out);

// The same over scores already computed (scores[0, count), modified: excluded items become
// -inf): the k best, with the exclusion lists and candidates of recommend_items.
size_t recommend_from_scores(float *scores, size_t count, const SortedList *excluded,
                             int excluded_lists, const SortedList *candidates, size_t k,
                             Recommendation *out);

// Below this many floats (16 MB) one thread scans the whole matrix: threads cost more than
// they save on matrices that fit in cache.
constexpr size_t kParallelScanFloats = 4u << 20;

// The same for `users` query vectors (row-major, users x dim) at once, excluding for user u the
// list seen[u] (seen may be null): writes k slots per user to out and the number filled to
// counts[u]. Uses blocked matrix products over `threads` threads; throws Cancelled when the
// token fires.
void recommend_batch(const ItemMatrix &items, const float *queries, size_t users,
                     const SortedList *seen, size_t k, int threads, const CancelToken &cancel,
                     Recommendation *out, size_t *counts);

struct Network;
struct NetworkScoring;

// The same for a model scored by a network (Scorer::Network): users rows of user factors
// (users x items.dim) scored by scoring over the stored network, users split between threads.
void recommend_network_batch(const NetworkScoring &scoring, const Network &network,
                             const ItemMatrix &items, const float *queries, size_t users,
                             const SortedList *seen, size_t k, int threads,
                             const CancelToken &cancel, Recommendation *out, size_t *counts);

} // namespace pgrec
