// Picks, once, the dense block kernels for this CPU: AVX2 only where the CPU has AVX2 and FMA
// and the scan kernels are not capped to generic (PGREC_KERNELS, kernels.cpp).
#include "dense_blocks.h"

#include "kernels.h"

#include <cstring>

#include "core_only.h"

namespace pgrec
{

const DenseBlockKernels &dense_blocks() noexcept
{
	static const DenseBlockKernels *const chosen = []
	{
#if defined(__x86_64__) || defined(__i386__)
		__builtin_cpu_init();
		const DenseBlockKernels *avx2 = avx2_dense_blocks();
		if (avx2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
		    std::strcmp(kernels().name, "generic") != 0)
			return avx2;
#endif
		return &generic_dense_blocks();
	}();
	return *chosen;
}

} // namespace pgrec
