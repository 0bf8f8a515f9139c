// inverse_norms() (row_norms.h): each row's squared norm summed in double, in order, so that the
// result is the same for any thread count.
#include "row_norms.h"

#include "parallel.h"

#include <cmath>

#include "core_only.h"

namespace pgrec
{

void inverse_norms(const float *rows, size_t count, int dim, int threads, float *out)
{
	size_t d = static_cast<size_t>(dim);
	parallel_for(count, count * d >= (size_t{1} << 20) ? threads : 1,
	             [&](size_t begin, size_t end, int)
	             {
		             for (size_t r = begin; r < end; r++)
		             {
			             double norm = 0;
			             for (size_t f = 0; f < d; f++)
				             norm += static_cast<double>(rows[r * d + f]) * rows[r * d + f];
			             out[r] = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.0f;
		             }
	             });
}

} // namespace pgrec
