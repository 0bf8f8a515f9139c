// The inverse norms of a factor matrix's rows, for cosine similarity (similar_items(), the
// cached models of src/pg/model_cache.h), on several threads.
#pragma once

#include <cstddef>

namespace pgrec
{

// out[r] = 1 / |row r| of count rows of dim floats (0 for a zero row), the norm summed in double.
void inverse_norms(const float *rows, size_t count, int dim, int threads, float *out);

} // namespace pgrec
