// The dense kernels of the neural trainers (mlp.h, two_tower.cpp) on row-major float buffers: a
// layer's forward pass, its two backward products, a block of scores, a softmax and Adam's
// update. Built for
// baseline x86-64, AVX2 with FMA and AVX-512 (matrix_products_{generic,avx2,avx512}.cpp) and
// chosen at run time from instruction_set.h, as the scan kernels are.
#pragma once

#include <cstddef>

namespace pgrec
{

struct MatrixProducts
{
	const char *name;
	// c (m x n) = a (m x k) b (k x n), or += with accumulate.
	void (*product)(float *c, const float *a, const float *b, ptrdiff_t m, ptrdiff_t k, ptrdiff_t n,
	                bool accumulate);
	// c (k x n) = a^T b, a being m x k and b m x n, or += with accumulate.
	void (*transposed_left)(float *c, const float *a, const float *b, ptrdiff_t m, ptrdiff_t k,
	                        ptrdiff_t n, bool accumulate);
	// c (m x n) = a b^T, a being m x k and b n x k, or += with accumulate.
	void (*transposed_right)(float *c, const float *a, const float *b, ptrdiff_t m, ptrdiff_t k,
	                         ptrdiff_t n, bool accumulate);
	// Replaces the n values x by y = x - offset (some may be -infinity, not all) and then by
	// softmax(y) times scale; returns log sum_j exp(y_j).
	float (*softmax)(float *x, const float *offset, ptrdiff_t n, float scale);
	// out (cols) += the column sums of a (rows x cols).
	void (*add_column_sums)(float *out, const float *a, ptrdiff_t rows, ptrdiff_t cols);
	// delta (n) = delta * scale where activation > 0, else 0: the gradient through a ReLU and
	// an inverted dropout that made activation.
	void (*relu_backward)(float *delta, const float *activation, ptrdiff_t n, float scale);
	// One Adam step of n parameters (mlp.h's adam_update): moments m and v decayed by beta1 and
	// beta2 toward g = gradient + decay * value, then value -= rate * m / (sqrt(v * v_scale) +
	// epsilon); the gradients are zeroed.
	void (*adam)(float *value, float *gradient, float *m, float *v, ptrdiff_t n, float decay,
	             float beta1, float beta2, float rate, float v_scale, float epsilon);
};

// The generic build, the SIMD ones (null when not compiled for x86-64) and the one for this CPU.
const MatrixProducts &generic_matrix_products() noexcept;
const MatrixProducts *avx2_matrix_products() noexcept;
const MatrixProducts *avx512_matrix_products() noexcept;
const MatrixProducts &matrix_products() noexcept;

} // namespace pgrec
