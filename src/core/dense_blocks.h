// The single-threaded dense kernels of ease's blocked Cholesky factorisation and inverse, on
// column-major float blocks inside an n x n matrix (leading dimension ld). Built twice, for
// baseline x86-64 and for AVX2 with FMA (dense_blocks_avx2.cpp), and chosen at run time as the
// scan kernels are (kernels.h): Eigen's vectorisation is fixed when it is compiled.
#pragma once

#include <cstddef>

namespace pgrec
{

struct DenseBlockKernels
{
	const char *name;
	// The kb x kb block at a, overwritten (lower triangle) by its Cholesky factor; false when
	// it is not positive definite.
	bool (*factor_diagonal)(float *a, ptrdiff_t ld, ptrdiff_t kb);
	// panel (rows x kb) := panel L^-T, L the lower triangle of the kb x kb block at l.
	void (*solve_panel)(const float *l, float *panel, ptrdiff_t ld, ptrdiff_t rows, ptrdiff_t kb);
	// c (rows x width) -= a (rows x kb) b^T, b being width x kb.
	void (*subtract_product)(float *c, const float *a, const float *b, ptrdiff_t ld, ptrdiff_t rows,
	                         ptrdiff_t width, ptrdiff_t kb);
	// c (rows x width) -= a (rows x inner) b, b being inner x width.
	void (*subtract_plain_product)(float *c, const float *a, const float *b, ptrdiff_t ld,
	                               ptrdiff_t rows, ptrdiff_t width, ptrdiff_t inner);
	// x (rows x width) := L^-1 x, L the lower triangle of the rows x rows block at l.
	void (*solve_lower)(const float *l, float *x, ptrdiff_t ld, ptrdiff_t rows, ptrdiff_t width);
	// out (cols x width) = a^T b: a is rows x cols, b rows x width; out has leading dimension ld.
	void (*transposed_product)(float *out, const float *a, const float *b, ptrdiff_t ld,
	                           ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t width);
};

// The generic build, the AVX2 one (null when not compiled for x86-64) and the one for this CPU
// (AVX2 wherever instruction_set() is not generic).
const DenseBlockKernels &generic_dense_blocks() noexcept;
const DenseBlockKernels *avx2_dense_blocks() noexcept;
const DenseBlockKernels &dense_blocks() noexcept;

} // namespace pgrec
