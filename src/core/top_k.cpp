// Bounded-heap top-k: one comparison per score against the current k-th best, O(n log k).
#include "top_k.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core_only.h"

namespace pgrec
{

void top_k(const float *scores, size_t n, size_t k, std::vector<int32_t> &out)
{
	out.clear();
	if (k == 0)
		return;
	// "a is better than b": higher score, or equal score and smaller index.
	auto better = [](const std::pair<float, int32_t> &a, const std::pair<float, int32_t> &b) {
		return a.first > b.first || (a.first == b.first && a.second < b.second);
	};
	// A heap whose front is the worst of the kept entries.
	std::vector<std::pair<float, int32_t>> heap;
	heap.reserve(k);
	for (size_t i = 0; i < n; i++)
	{
		float s = scores[i];
		if (s == -INFINITY)
			continue;
		std::pair<float, int32_t> entry(s, static_cast<int32_t>(i));
		if (heap.size() < k)
		{
			heap.push_back(entry);
			std::push_heap(heap.begin(), heap.end(), better);
		}
		else if (better(entry, heap.front()))
		{
			std::pop_heap(heap.begin(), heap.end(), better);
			heap.back() = entry;
			std::push_heap(heap.begin(), heap.end(), better);
		}
	}
	std::sort(heap.begin(), heap.end(), better);
	out.reserve(heap.size());
	for (const auto &e : heap)
		out.push_back(e.second);
}

} // namespace pgrec
