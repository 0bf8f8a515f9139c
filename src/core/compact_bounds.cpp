// The interval arithmetic of the code scans (compact_bounds.h): the kernels' rounding bound of
// compact_rows.h, widened by the rounding of the scale and bias, in branch-free loops over a
// block that the compiler vectorises.
#include "compact_bounds.h"

#include "compact_rows.h"
#include "kernels.h"
#include "scan_blocks.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "core_only.h"

namespace pgrec
{

namespace
{

// Absolute slack for the rounding of subnormal numbers.
constexpr float kTiny = 1e-36f;

} // namespace

LowerBounds::LowerBounds(size_t k) : k_(k)
{
	heap_.reserve(k);
}

void LowerBounds::offer(float lower)
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

CandidateCollector::CandidateCollector(size_t k, size_t most, ScanSlice &out)
    : bounds_(k), most_(most), out_(out)
{
}

void CandidateCollector::add(int32_t item, float lower, float upper)
{
	out_.candidates.push_back({item, upper});
	if (lower > threshold_)
	{
		bounds_.offer(lower);
		threshold_ = bounds_.threshold();
	}
}

bool CandidateCollector::keep_up()
{
	std::vector<Candidate> &c = out_.candidates;
	if (c.size() <= most_)
		return true;
	float threshold = threshold_;
	c.erase(std::remove_if(c.begin(), c.end(),
	                       [threshold](const Candidate &x) { return x.upper < threshold; }),
	        c.end());
	out_.gave_up = c.size() > most_ / 2;
	return !out_.gave_up;
}

size_t best_candidates(const ItemMatrix &m, const float *query, const std::vector<ScanSlice> &slices,
                       size_t k, Recommendation *out, size_t *rescored)
{
	float threshold = -INFINITY;
	for (const ScanSlice &slice : slices)
		threshold = std::max(threshold, slice.threshold);
	TopK best(k);
	size_t group = m.count;
	float group_scores[4];
	for (const ScanSlice &slice : slices)
		for (const Candidate &c : slice.candidates)
			if (c.upper >= threshold)
			{
				best.offer(scanned_score(m, query, static_cast<size_t>(c.item), group, group_scores),
				           c.item);
				(*rescored)++;
			}
	return emit(best, out);
}

bool bound_block(float *approx, const float *step, const float *radius, const float *scale,
                 const float *bias, size_t count, float query_norm, int dim, float *lower,
                 float *upper)
{
	const float rounding = kernel_rounding(dim);
	const float q = 1.25f * query_norm;
	// The rounding bound needs every partial sum of the float dot product finite:
	// |q| |x| <= |q| radius / rounding stays below kLargestBound.
	const float largest_radius = 1.25f * rounding * kLargestBound;
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
		overflows += !(std::fabs(a) + r < kLargestBound);
		lower[j] = a - r;
		upper[j] = a + r;
	}
	return overflows == 0;
}

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

float norm_above(const float *query, int dim)
{
	double sum = 0.0;
	for (int f = 0; f < dim; f++)
		sum += static_cast<double>(query[f]) * query[f];
	return float_above(std::sqrt(sum) * (1.0 + 1e-12));
}

} // namespace pgrec
