// Picks, once, the kernel table for the CPU this process runs on.
// Never selects an instruction set the CPU lacks, so an old x86-64 gets the generic kernels.
#include "kernels.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core_only.h"

namespace pgrec
{

namespace
{

// PGREC_KERNELS=generic|avx2|avx512 caps the choice, for tests and benchmarks.
bool allowed(const char *name)
{
	const char *cap = std::getenv("PGREC_KERNELS");
	if (cap == nullptr || *cap == '\0')
		return true;
	if (std::strcmp(cap, "generic") == 0)
		return std::strcmp(name, "generic") == 0;
	if (std::strcmp(cap, "avx2") == 0)
		return std::strcmp(name, "avx512") != 0;
	return true;
}

const KernelTable *choose()
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_cpu_init();
	const KernelTable *avx512 = avx512_kernels();
	if (avx512 && __builtin_cpu_supports("avx512f") && allowed(avx512->name))
		return avx512;
	const KernelTable *avx2 = avx2_kernels();
	if (avx2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
	    allowed(avx2->name))
		return avx2;
#endif
	return generic_kernels();
}

} // namespace

const KernelTable &kernels() noexcept
{
	static const KernelTable *const chosen = choose();
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
