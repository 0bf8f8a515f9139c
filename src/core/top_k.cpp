// Bounded-heap top-k: one comparison per score against the current k-th best, O(n log k).
#include "top_k.h"

#include <algorithm>

#include "core_only.h"

namespace pgrec
{

namespace
{

// Heap order whose front is the worst entry: "a before b" when a is better than b.
bool heap_order(const std::pair<float, int32_t> &a, const std::pair<float, int32_t> &b)
{
	return a.first > b.first || (a.first == b.first && a.second < b.second);
}

} // namespace

TopK::TopK(size_t k) : k_(k)
{
	heap_.reserve(std::min<size_t>(k, 1u << 20));
}

void TopK::push(float score, int32_t index)
{
	heap_.emplace_back(score, index);
	std::push_heap(heap_.begin(), heap_.end(), heap_order);
}

void TopK::replace_worst(float score, int32_t index)
{
	std::pop_heap(heap_.begin(), heap_.end(), heap_order);
	heap_.back() = {score, index};
	std::push_heap(heap_.begin(), heap_.end(), heap_order);
}

std::vector<std::pair<float, int32_t>> TopK::take_sorted()
{
	std::vector<std::pair<float, int32_t>> out;
	out.swap(heap_);
	std::sort(out.begin(), out.end(), heap_order);
	return out;
}

void top_k(const float *scores, size_t n, size_t k, std::vector<int32_t> &out)
{
	TopK best(k);
	for (size_t i = 0; i < n; i++)
		best.offer(scores[i], static_cast<int32_t>(i));
	out.clear();
	for (const auto &entry : best.take_sorted())
		out.push_back(entry.second);
}

} // namespace pgrec
