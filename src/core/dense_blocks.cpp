// Picks, once, the dense block kernels for this CPU: the AVX2 build wherever the chosen
// instruction set (instruction_set.h) has AVX2 and FMA, AVX-512 included.
#include "dense_blocks.h"

#include "instruction_set.h"

#include "core_only.h"

namespace pgrec
{

const DenseBlockKernels &dense_blocks() noexcept
{
	static const DenseBlockKernels *const chosen =
	    widest_build<DenseBlockKernels>(&generic_dense_blocks(), avx2_dense_blocks(), nullptr);
	return *chosen;
}

} // namespace pgrec
