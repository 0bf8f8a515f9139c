// Kernels for x86-64 CPUs with AVX-512F: 16-wide vectors.
// Compiled with -mavx512f; only called after the CPU has been checked.
#if defined(__AVX512F__)
#define KERNEL_WIDTH 16
#include "kernels_simd.h"

PGREC_DEFINE_KERNEL_TABLE(avx512_kernels, "avx512")
#else
#include "kernels.h"

const pgrec::KernelTable *pgrec::avx512_kernels() noexcept
{
	return nullptr;
}
#endif
