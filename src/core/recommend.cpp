// Top-k scans: for one query, blocks of item rows are scored with the SIMD batch kernel into a
// small buffer that stays in cache and fed to a bounded heap; for many queries, blocks of users
// are scored with one matrix product each.
#include "recommend.h"

#include "algorithm_registry.h"

#include "factor_init.h"
#include "kernels.h"
#include "parallel.h"
#include "scan_blocks.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

// True when item is in the sorted list.
bool listed(const SortedList &list, int32_t item)
{
	return std::binary_search(list.items, list.items + list.count, item);
}

// Scans items [begin, end) into best, masking the excluded lists.
void scan_range(const ItemMatrix &m, const float *query, const SortedList *excluded, int lists,
                size_t begin, size_t end, TopK &best)
{
	float scores[kItemBlock];
	std::vector<size_t> cursor = mask_cursors(excluded, lists, begin);
	for (size_t first = begin; first < end; first += kItemBlock)
	{
		size_t count = std::min(kItemBlock, end - first);
		dot_product_batch(m.factors + first * m.dim, count, m.dim, query, scores);
		adjust(m, first, count, scores);
		mask(excluded, lists, cursor.data(), first, count, scores);
		for (size_t j = 0; j < count; j++)
			if (!best.full_and_below(scores[j]))
				best.offer(scores[j], static_cast<int32_t>(first + j));
	}
}

} // namespace

std::vector<size_t> mask_cursors(const SortedList *lists, int n, size_t begin)
{
	std::vector<size_t> cursor(static_cast<size_t>(std::max(n, 0)));
	for (int l = 0; l < n; l++)
		cursor[l] = static_cast<size_t>(std::lower_bound(lists[l].items,
		                                                 lists[l].items + lists[l].count,
		                                                 static_cast<int32_t>(begin)) -
		                                lists[l].items);
	return cursor;
}

size_t emit(TopK &best, Recommendation *out)
{
	size_t n = 0;
	for (const auto &e : best.take_sorted())
		out[n++] = {e.second, e.first};
	return n;
}

size_t recommend_items(const ItemMatrix &m, const float *query, const SortedList *excluded,
                       int excluded_lists, const SortedList *candidates, size_t k, int threads,
                       Recommendation *out)
{
	TopK best(k);
	if (candidates)
	{
		for (size_t c = 0; c < candidates->count; c++)
		{
			int32_t i = candidates->items[c];
			bool skip = false;
			for (int l = 0; l < excluded_lists && !skip; l++)
				skip = listed(excluded[l], i);
			if (skip)
				continue;
			float score = dot_product(m.factors + static_cast<size_t>(i) * m.dim, query, m.dim);
			adjust(m, static_cast<size_t>(i), 1, &score);
			best.offer(score, i);
		}
		return emit(best, out);
	}
	if (threads <= 1 || m.count * static_cast<size_t>(m.dim) < kParallelScanFloats)
	{
		scan_range(m, query, excluded, excluded_lists, 0, m.count, best);
		return emit(best, out);
	}
	// Each thread keeps the top k of its slice; the union's top k is the answer.
	std::vector<std::vector<std::pair<float, int32_t>>> partial(static_cast<size_t>(threads));
	size_t blocks = (m.count + kItemBlock - 1) / kItemBlock;
	parallel_for(blocks, threads,
	             [&](size_t begin, size_t end, int worker)
	             {
		             TopK local(k);
		             scan_range(m, query, excluded, excluded_lists, begin * kItemBlock,
		                        std::min(end * kItemBlock, m.count), local);
		             partial[static_cast<size_t>(worker)] = local.take_sorted();
	             });
	for (const auto &list : partial)
		for (const auto &entry : list)
			best.offer(entry.first, entry.second);
	return emit(best, out);
}

size_t recommend_from_scores(float *scores, size_t count, const SortedList *excluded,
                             int excluded_lists, const SortedList *candidates, size_t k,
                             Recommendation *out)
{
	std::vector<size_t> cursor = mask_cursors(excluded, excluded_lists, 0);
	mask(excluded, excluded_lists, cursor.data(), 0, count, scores);
	TopK best(k);
	if (candidates)
	{
		for (size_t c = 0; c < candidates->count; c++)
			best.offer(scores[candidates->items[c]], candidates->items[c]);
		return emit(best, out);
	}
	for (size_t i = 0; i < count; i++)
		if (!best.full_and_below(scores[i]))
			best.offer(scores[i], static_cast<int32_t>(i));
	return emit(best, out);
}

void recommend_batch(const ItemMatrix &m, const float *queries, size_t users,
                     const SortedList *seen, size_t k, int threads, const CancelToken &cancel,
                     Recommendation *out, size_t *counts)
{
	// Users per block: a score block of at most 4M floats (16 MB) per thread.
	size_t block =
	    std::max<size_t>(1, std::min<size_t>(256, (4u << 20) / std::max<size_t>(m.count, 1)));
	size_t blocks = (users + block - 1) / block;
	Eigen::Map<const RowMatrix> items(m.factors, static_cast<Eigen::Index>(m.count), m.dim);

	parallel_for(blocks, threads,
	             [&](size_t begin, size_t end, int)
	             {
		             RowMatrix scores;
		             for (size_t b = begin; b < end; b++)
		             {
			             cancel.check();
			             size_t first = b * block, count = std::min(block, users - first);
			             Eigen::Map<const RowMatrix> q(queries + first * m.dim,
			                                           static_cast<Eigen::Index>(count), m.dim);
			             scores.noalias() = q * items.transpose();
			             for (size_t u = 0; u < count; u++)
			             {
				             float *row = scores.data() + u * m.count;
				             adjust(m, 0, m.count, row);
				             if (seen)
					             for (size_t s = 0; s < seen[first + u].count; s++)
						             row[seen[first + u].items[s]] = -INFINITY;
				             TopK best(k);
				             for (size_t i = 0; i < m.count; i++)
					             if (!best.full_and_below(row[i]))
						             best.offer(row[i], static_cast<int32_t>(i));
				             counts[first + u] = emit(best, out + (first + u) * k);
			             }
		             }
	             });
}

void recommend_network_batch(const NetworkScoring &scoring, const Network &network,
                             const ItemMatrix &items, const float *queries, size_t users,
                             const SortedList *seen, size_t k, int threads,
                             const CancelToken &cancel, Recommendation *out, size_t *counts)
{
	parallel_for(users, threads,
	             [&](size_t begin, size_t end, int)
	             {
		             std::vector<float> scores(items.count);
		             for (size_t u = begin; u < end; u++)
		             {
			             scoring.scores(network, queries + u * static_cast<size_t>(items.dim),
			                            items, nullptr, items.count, scores.data(), cancel);
			             counts[u] = recommend_from_scores(scores.data(), items.count,
			                                               seen ? seen + u : nullptr, seen ? 1 : 0,
			                                               nullptr, k, out + u * k);
		             }
	             });
}

} // namespace pgrec
