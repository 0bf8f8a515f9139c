// Kernels for x86-64 CPUs with AVX2 and FMA: 8-wide vectors.
// Compiled with -mavx2 -mfma; only called after the CPU has been checked.
#if defined(__AVX2__) && defined(__FMA__)
#define KERNEL_WIDTH 8
#include "kernels_simd.h"

PGREC_DEFINE_KERNEL_TABLE(avx2_kernels, "avx2")
#else
#include "kernels.h"

const pgrec::KernelTable *pgrec::avx2_kernels() noexcept
{
	return nullptr;
}
#endif
