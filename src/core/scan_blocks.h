// The pieces the float scan (recommend.cpp) and the compact scan (compact_scan.cpp) share, so
// that both compute an item's score with the same operations: blocks of item rows, the scale and
// bias applied to a block's dot products, the masking of excluded items, the heap's output.
#pragma once

#include "recommend.h"
#include "top_k.h"

#include <cmath>
#include <vector>

namespace pgrec
{

// Rows scored per block: the block's scores stay in L1.
constexpr size_t kItemBlock = 1024;

// Applies scale and bias to scores of items [first, first + count).
inline void adjust(const ItemMatrix &m, size_t first, size_t count, float *scores)
{
	if (m.scale)
		for (size_t j = 0; j < count; j++)
			scores[j] *= m.scale[first + j];
	if (m.bias)
		for (size_t j = 0; j < count; j++)
			scores[j] += m.bias[first + j];
}

// Sets to -inf the scores of listed items inside [first, first + count); cursor[l] walks list l.
inline void mask(const SortedList *lists, int n, size_t *cursor, size_t first, size_t count,
                 float *scores)
{
	for (int l = 0; l < n; l++)
	{
		const SortedList &list = lists[l];
		size_t &c = cursor[l];
		while (c < list.count && static_cast<size_t>(list.items[c]) < first + count)
		{
			if (static_cast<size_t>(list.items[c]) >= first)
				scores[list.items[c] - first] = -INFINITY;
			c++;
		}
	}
}

// The cursors of mask() for a scan starting at item begin.
std::vector<size_t> mask_cursors(const SortedList *lists, int n, size_t begin);

// Moves the heap's entries to out, best first; returns their number.
size_t emit(TopK &best, Recommendation *out);

} // namespace pgrec
