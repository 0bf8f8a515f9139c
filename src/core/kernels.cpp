// Picks, once, the kernel table of the instruction set chosen for this CPU (instruction_set.h),
// so an old x86-64 gets the generic kernels; and the double-precision references.
#include "kernels.h"

#include "instruction_set.h"

#include <cmath>

#include "core_only.h"

namespace pgrec
{

const KernelTable &kernels() noexcept
{
	static const KernelTable *const chosen =
	    widest_build(generic_kernels(), avx2_kernels(), avx512_kernels());
	return *chosen;
}

double dot_product_double(const float *a, const float *b, size_t n) noexcept
{
	double s = 0.0;
	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

double l2_squared_distance_double(const float *a, const float *b, size_t n) noexcept
{
	double s = 0.0;
	for (size_t i = 0; i < n; i++)
	{
		double d = (double)a[i] - b[i];
		s += d * d;
	}
	return s;
}

double l1_distance_double(const float *a, const float *b, size_t n) noexcept
{
	double s = 0.0;
	for (size_t i = 0; i < n; i++)
		s += std::fabs((double)a[i] - b[i]);
	return s;
}

} // namespace pgrec
