// The compact scan: blocks of int8 codes scored with the SIMD code kernel, each approximate
// score widened to an interval that holds the float score (compact_rows.h, plus the rounding of
// scale and bias), a heap of the k best lower bounds, and the items whose upper bound reaches it
// re-scored with the float kernel in the same groups of four as the float scan.
#include "compact_scan.h"

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

// Beyond this a dot product's partial sums or an interval's arithmetic could overflow: the
// float scan takes over.
constexpr float kLargest = 1e36f;
// Absolute slack for the rounding of subnormal numbers.
constexpr float kTiny = 1e-36f;

struct Candidate
{
	int32_t item;
	float upper;
};

// The k largest lower bounds seen; threshold() is the k-th (-inf until k were seen).
class LowerBounds
{
  public:
	explicit LowerBounds(size_t k) : k_(k)
	{
		heap_.reserve(k);
	}
	float threshold() const
	{
		return heap_.size() == k_ ? heap_.front() : -INFINITY;
	}
	void offer(float lower)
	{
		if (heap_.size() < k_)
		{
			heap_.push_back(lower);
			std::push_heap(heap_.begin(), heap_.end(), std::greater<float>());
		}
		else if (lower > heap_.front())
		{
			std::pop_heap(heap_.begin(), heap_.end(), std::greater<float>());
			heap_.back() = lower;
			std::push_heap(heap_.begin(), heap_.end(), std::greater<float>());
		}
	}

  private:
	size_t k_;
	std::vector<float> heap_; // front is the smallest kept
};

// One slice's scan: its k-th best lower bound and the items that could still beat it.
struct Slice
{
	float threshold = -INFINITY;
	std::vector<Candidate> candidates;
	bool gave_up = false; // an interval overflowed or too many candidates
};

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

// Keeps the candidates whose upper bound reaches threshold.
void prune(std::vector<Candidate> &candidates, float threshold)
{
	candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
	                                [threshold](const Candidate &c) { return c.upper < threshold; }),
	                 candidates.end());
}

void scan_slice(const Scan &s, size_t begin, size_t end, Slice &out)
{
	const ItemMatrix &m = s.items;
	const CompactRows &c = s.compact;
	const float rounding = kernel_rounding(c.dim);
	float approx[kItemBlock], lower[kItemBlock], upper[kItemBlock];
	std::vector<size_t> cursor = mask_cursors(s.excluded, s.lists, begin);
	LowerBounds bounds(s.k);
	float threshold = -INFINITY;
	for (size_t first = begin; first < end; first += kItemBlock)
	{
		size_t count = std::min(kItemBlock, end - first);
		code_dot_product_batch(c.codes + first * c.stride, count, c.stride, s.query, approx);
		// Branch-free loops over the block, which the compiler vectorises.
		const float *step = c.step + first, *radius = c.radius + first;
		const float *scale = m.scale ? m.scale + first : nullptr;
		const float *bias = m.bias ? m.bias + first : nullptr;
		const float q = 1.25f * s.query_norm;
		// The rounding bound needs every partial sum of the float dot product finite:
		// |q| |x| <= |q| radius / rounding stays below kLargest.
		const float largest_radius = 1.25f * rounding * kLargest;
		int overflows = 0;
		for (size_t j = 0; j < count; j++)
			overflows += !(q * radius[j] < largest_radius);
		for (size_t j = 0; j < count; j++)
			approx[j] *= step[j];
		if (scale)
			for (size_t j = 0; j < count; j++)
			{
				approx[j] *= scale[j];
				upper[j] = q * radius[j] * std::fabs(scale[j]) + kTiny * (1.0f + std::fabs(scale[j]));
			}
		else
			for (size_t j = 0; j < count; j++)
				upper[j] = q * radius[j] + 2.0f * kTiny;
		if (bias)
			for (size_t j = 0; j < count; j++)
			{
				approx[j] += bias[j];
				upper[j] += rounding * std::fabs(bias[j]);
			}
		for (size_t j = 0; j < count; j++)
		{
			float a = approx[j], r = upper[j];
			overflows += !(std::fabs(a) + r < kLargest);
			lower[j] = a - r;
			upper[j] = a + r;
		}
		bool bounded = overflows == 0;
		if (!bounded)
		{
			out.gave_up = true;
			return;
		}
		mask(s.excluded, s.lists, cursor.data(), first, count, lower);
		for (size_t j = 0; j < count; j++)
		{
			if (lower[j] == -INFINITY || upper[j] < threshold)
				continue;
			out.candidates.push_back({static_cast<int32_t>(first + j), upper[j]});
			if (lower[j] > threshold)
			{
				bounds.offer(lower[j]);
				threshold = bounds.threshold();
			}
		}
		if (out.candidates.size() > s.most_candidates)
		{
			prune(out.candidates, threshold);
			if (out.candidates.size() > s.most_candidates / 2)
			{
				out.gave_up = true;
				return;
			}
		}
	}
	out.threshold = threshold;
}

// Item i's float score as the float scan computes it: in its group of four rows, or alone in
// the matrix's tail (kernels.h), then scaled and biased. group caches the last group scored.
float scanned_score(const ItemMatrix &m, const float *query, size_t i, size_t &group,
                    float (&group_scores)[4])
{
	size_t dim = static_cast<size_t>(m.dim), start = i - i % 4;
	float score;
	if (start + 4 <= m.count)
	{
		if (group != start)
		{
			dot_product_batch(m.factors + start * dim, 4, dim, query, group_scores);
			group = start;
		}
		score = group_scores[i - start];
	}
	else
		dot_product_batch(m.factors + i * dim, 1, dim, query, &score);
	adjust(m, i, 1, &score);
	return score;
}

// The query's norm rounded up (infinite or NaN when the query is not finite).
float norm_above(const float *query, int dim)
{
	double sum = 0.0;
	for (int f = 0; f < dim; f++)
		sum += static_cast<double>(query[f]) * query[f];
	return float_above(std::sqrt(sum) * (1.0 + 1e-12));
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
	if (k == 0 || k > m.count / 32 || !(query_norm < kLargest))
	{
		st.float_scan = true;
		return recommend_items(m, query, excluded, excluded_lists, nullptr, k, threads, out);
	}
	std::vector<float> padded(compact.stride, 0.0f);
	std::copy(query, query + m.dim, padded.begin());
	Scan scan = {m,       compact,        padded.data(), query_norm, excluded,
	             excluded_lists, k, std::max<size_t>(4096, m.count / 16)};

	bool parallel = threads > 1 && m.count * static_cast<size_t>(m.dim) >= kParallelScanFloats;
	std::vector<Slice> slices(parallel ? static_cast<size_t>(threads) : 1);
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

	// Each slice's threshold has k items at or above it: the best of them bounds the k-th score.
	float threshold = -INFINITY;
	for (const Slice &slice : slices)
	{
		if (slice.gave_up)
		{
			st.float_scan = true;
			return recommend_items(m, query, excluded, excluded_lists, nullptr, k, threads, out);
		}
		threshold = std::max(threshold, slice.threshold);
	}
	TopK best(k);
	size_t group = m.count;
	float group_scores[4];
	for (const Slice &slice : slices)
		for (const Candidate &c : slice.candidates)
			if (c.upper >= threshold)
			{
				best.offer(scanned_score(m, query, static_cast<size_t>(c.item), group, group_scores),
				           c.item);
				st.rescored++;
			}
	return emit(best, out);
}

} // namespace pgrec
