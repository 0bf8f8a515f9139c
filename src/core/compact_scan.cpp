// The compact scan: blocks of int8 codes scored with the SIMD code kernel, each approximate
// score widened to an interval that holds the float score (compact_rows.h, plus the rounding of
// scale and bias), a heap of the k best lower bounds, and the items whose upper bound reaches it
// re-scored with the float kernel in the same groups of four as the float scan.
#include "compact_scan.h"

#include "compact_bounds.h"
#include "kernels.h"
#include "parallel.h"
#include "scan_blocks.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

struct Scan
{
	const ItemMatrix &items;
	const CompactRows &compact;
	const float *query; // zero-padded to the stride
	float query_norm;   // rounded up
	const SortedList *excluded;
	int lists;
	size_t k;
	size_t most_candidates; // per slice
};

void scan_slice(const Scan &s, size_t begin, size_t end, ScanSlice &out)
{
	const ItemMatrix &m = s.items;
	const CompactRows &c = s.compact;
	float approx[kItemBlock], lower[kItemBlock], upper[kItemBlock];
	std::vector<size_t> cursor = mask_cursors(s.excluded, s.lists, begin);
	CandidateCollector found(s.k, s.most_candidates, out);
	for (size_t first = begin; first < end; first += kItemBlock)
	{
		size_t count = std::min(kItemBlock, end - first);
		code_dot_product_batch(c.codes + first * c.stride, count, c.stride, s.query, approx);
		if (!bound_block(approx, c.step + first, c.radius + first, m.scale ? m.scale + first : nullptr,
		                 m.bias ? m.bias + first : nullptr, count, s.query_norm, c.dim, lower, upper))
		{
			out.gave_up = true;
			return;
		}
		mask(s.excluded, s.lists, cursor.data(), first, count, lower);
		for (size_t j = 0; j < count; j++)
		{
			if (lower[j] != -INFINITY && !found.below(upper[j]))
				found.add(static_cast<int32_t>(first + j), lower[j], upper[j]);
		}
		if (!found.keep_up())
			return;
	}
	found.finish();
}

} // namespace

size_t recommend_items_compact(const ItemMatrix &m, const CompactRows &compact,
                               const float *query, const SortedList *excluded,
                               int excluded_lists, size_t k, int threads, Recommendation *out,
                               CompactScanStats *stats)
{
	CompactScanStats local = {0, false};
	CompactScanStats &st = stats ? *stats : local;
	st = {0, false};
	float query_norm = norm_above(query, m.dim);
	if (k == 0 || k > m.count / 32 || !(query_norm < kLargestBound))
	{
		st.float_scan = true;
		return recommend_items(m, query, excluded, excluded_lists, nullptr, k, threads, out);
	}
	std::vector<float> padded(compact.stride, 0.0f);
	std::copy(query, query + m.dim, padded.begin());
	Scan scan = {m,       compact,        padded.data(), query_norm, excluded,
	             excluded_lists, k, std::max<size_t>(4096, m.count / 16)};

	bool parallel = threads > 1 && m.count * static_cast<size_t>(m.dim) >= kParallelScanFloats;
	std::vector<ScanSlice> slices(parallel ? static_cast<size_t>(threads) : 1);
	if (parallel)
	{
		size_t blocks = (m.count + kItemBlock - 1) / kItemBlock;
		parallel_for(blocks, threads,
		             [&](size_t begin, size_t end, int worker)
		             {
			             scan_slice(scan, begin * kItemBlock, std::min(end * kItemBlock, m.count),
			                        slices[static_cast<size_t>(worker)]);
		             });
	}
	else
		scan_slice(scan, 0, m.count, slices[0]);

	for (const ScanSlice &slice : slices)
		if (slice.gave_up)
		{
			st.float_scan = true;
			return recommend_items(m, query, excluded, excluded_lists, nullptr, k, threads, out);
		}
	return best_candidates(m, query, slices, k, out, &st.rescored);
}

} // namespace pgrec
