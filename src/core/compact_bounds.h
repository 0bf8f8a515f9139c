// The bounds that the scans over int8 codes share (compact_scan.h, ivf_index.h): a block of code
// dot products widened to intervals that hold the float scores, the k best lower bounds, the
// candidates that could still reach them, and an item's score exactly as the float scan computes
// it, so that the items these scans return carry recommend_items()'s scores bit for bit.
#pragma once

#include "recommend.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pgrec
{

// Beyond this a dot product's partial sums or an interval's arithmetic could overflow: the
// callers fall back to float scoring.
constexpr float kLargestBound = 1e36f;

struct Candidate
{
	int32_t item;
	float upper;
};

// The k largest lower bounds seen; threshold() is the k-th (-inf until k were seen).
class LowerBounds
{
  public:
	explicit LowerBounds(size_t k);
	float threshold() const
	{
		return heap_.size() == k_ ? heap_.front() : -__builtin_inff();
	}
	void offer(float lower);

  private:
	size_t k_;
	std::vector<float> heap_; // front is the smallest kept
};

// What one slice of a code scan found: its k-th best lower bound and the items whose upper
// bound reaches it, or that it gave up (an interval overflowed, or too many items tie).
struct ScanSlice
{
	float threshold = -__builtin_inff();
	std::vector<Candidate> candidates;
	bool gave_up = false;
};

// Fills a slice while it is scanned.
class CandidateCollector
{
  public:
	// At most `most` candidates are kept between prunings.
	CandidateCollector(size_t k, size_t most, ScanSlice &out);
	// True when an item of this upper bound cannot reach the k best.
	bool below(float upper) const
	{
		return upper < threshold_;
	}
	void add(int32_t item, float lower, float upper);
	// After a block: past `most` candidates, drops those below the threshold; false (and the
	// slice gave up) when more than half of `most` remain.
	bool keep_up();
	// Ends the slice.
	void finish()
	{
		out_.threshold = threshold_;
	}

  private:
	LowerBounds bounds_;
	float threshold_ = -__builtin_inff();
	size_t most_;
	ScanSlice &out_;
};

// The k best of the slices' candidates, scored by scanned_score(), best first; *rescored counts
// the items scored. Each slice's threshold has k items at or above it, so the best threshold
// bounds the k-th score and only candidates at or above it are scored.
size_t best_candidates(const ItemMatrix &m, const float *query, const std::vector<ScanSlice> &slices,
                       size_t k, Recommendation *out, size_t *rescored);

// Turns the code dot products approx[0, count) of rows with these steps and radii (compact_rows.h)
// into intervals [lower, upper] that hold the rows' float scores against a query of norm at
// most query_norm, with the rows' scale and bias (either may be null) applied. approx is
// overwritten. False when an interval could overflow (the caller must score in float).
bool bound_block(float *approx, const float *step, const float *radius, const float *scale,
                 const float *bias, size_t count, float query_norm, int dim, float *lower,
                 float *upper);

// Item i's float score as the float scan computes it: in its group of four rows, or alone in
// the matrix's tail (kernels.h), then scaled and biased. group and group_scores cache the last
// group scored (set group to m.count before the first call).
float scanned_score(const ItemMatrix &m, const float *query, size_t i, size_t &group,
                    float (&group_scores)[4]);

// The query's norm rounded up (infinite or NaN when the query is not finite).
float norm_above(const float *query, int dim);

} // namespace pgrec
