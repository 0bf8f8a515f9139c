// The dense block kernels for baseline x86-64 (or any other CPU).
#define DENSE_BLOCKS_TABLE generic_dense_block_table
#define DENSE_BLOCKS_NAME  "generic"
#include "dense_blocks_impl.h"

const pgrec::DenseBlockKernels &pgrec::generic_dense_blocks() noexcept
{
	return *generic_dense_block_table();
}
