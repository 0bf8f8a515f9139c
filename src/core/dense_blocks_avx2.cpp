// The dense block kernels for CPUs with AVX2 and FMA: compiled with -mavx2 -mfma, with Eigen's
// namespace renamed so that none of its functions built here is shared with the generic build.
#include "dense_blocks.h"

#if defined(__AVX2__) && defined(__FMA__)
#define Eigen              EigenAvx2
#define DENSE_BLOCKS_TABLE avx2_dense_block_table
#define DENSE_BLOCKS_NAME  "avx2"
#include "dense_blocks_impl.h"

const pgrec::DenseBlockKernels *pgrec::avx2_dense_blocks() noexcept
{
	return avx2_dense_block_table();
}
#else
const pgrec::DenseBlockKernels *pgrec::avx2_dense_blocks() noexcept
{
	return nullptr;
}
#endif
