// Compressed sparse rows, the layout of the interaction matrix, of the features and of the
// stored neighbour lists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pgrec
{

// One side of the matrix in compressed sparse rows: row r holds columns
// index[ptr[r] .. ptr[r+1]) with values value[...], columns ascending.
struct SparseRows
{
	std::vector<int64_t> ptr;
	std::vector<int32_t> index;
	std::vector<float> value;

	size_t rows() const
	{
		return ptr.empty() ? 0 : ptr.size() - 1;
	}
	size_t bytes() const
	{
		return ptr.capacity() * sizeof(int64_t) + index.capacity() * sizeof(int32_t) +
		       value.capacity() * sizeof(float);
	}
};

} // namespace pgrec
