// Exact top-k selection with a bounded heap: the k best entries, best first, ties broken by the
// smaller index (the smaller external id, as ids are sorted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace pgrec
{

// Collects the k best (score, index) pairs offered to it, in O(log k) per kept entry.
class TopK
{
  public:
	explicit TopK(size_t k);
	// Offers one entry; -inf scores are never kept.
	void offer(float score, int32_t index)
	{
		if (k_ == 0 || score == -__builtin_inff())
			return;
		if (heap_.size() < k_)
			push(score, index);
		else if (better(score, index, heap_.front().first, heap_.front().second))
			replace_worst(score, index);
	}
	// True when the heap is full and score could not enter it whatever its index.
	bool full_and_below(float score) const
	{
		return heap_.size() == k_ && score < heap_.front().first;
	}
	// The kept entries, best first; the collector is empty afterwards.
	std::vector<std::pair<float, int32_t>> take_sorted();

  private:
	static bool better(float a, int32_t ai, float b, int32_t bi)
	{
		return a > b || (a == b && ai < bi);
	}
	void push(float score, int32_t index);
	void replace_worst(float score, int32_t index);

	size_t k_;
	std::vector<std::pair<float, int32_t>> heap_; // front is the worst kept entry
};

// Fills out with the indices of the k largest scores (entries equal to -inf excluded), best
// first. Returns fewer than k when fewer qualify.
void top_k(const float *scores, size_t n, size_t k, std::vector<int32_t> &out);

} // namespace pgrec
