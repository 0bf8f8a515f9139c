// The body of the matrix kernels (matrix_products.h), included once per instruction set by
// matrix_products_generic.cpp, _avx2.cpp and _avx512.cpp with MATRIX_PRODUCTS_TABLE naming the
// table's function and MATRIX_PRODUCTS_NAME its name. Everything here has internal linkage and
// the SIMD builds rename Eigen's namespace, so the linker cannot share a function between builds.
#include "matrix_products.h"

#include "eigen_dense.h"

#include <cmath>

namespace
{

using Matrix = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
using ConstMatrix =
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

void product(float *c, const float *a, const float *b, ptrdiff_t m, ptrdiff_t k, ptrdiff_t n,
             bool accumulate)
{
	Matrix out(c, m, n);
	if (accumulate)
		out.noalias() += ConstMatrix(a, m, k) * ConstMatrix(b, k, n);
	else
		out.noalias() = ConstMatrix(a, m, k) * ConstMatrix(b, k, n);
}

void transposed_left(float *c, const float *a, const float *b, ptrdiff_t m, ptrdiff_t k,
                     ptrdiff_t n, bool accumulate)
{
	Matrix out(c, k, n);
	if (accumulate)
		out.noalias() += ConstMatrix(a, m, k).transpose() * ConstMatrix(b, m, n);
	else
		out.noalias() = ConstMatrix(a, m, k).transpose() * ConstMatrix(b, m, n);
}

void transposed_right(float *c, const float *a, const float *b, ptrdiff_t m, ptrdiff_t k,
                      ptrdiff_t n, bool accumulate)
{
	Matrix out(c, m, n);
	if (accumulate)
		out.noalias() += ConstMatrix(a, m, k) * ConstMatrix(b, n, k).transpose();
	else
		out.noalias() = ConstMatrix(a, m, k) * ConstMatrix(b, n, k).transpose();
}

float softmax(float *x, const float *offset, ptrdiff_t n, float scale)
{
	Eigen::Map<Eigen::ArrayXf> a(x, n);
	a -= Eigen::Map<const Eigen::ArrayXf>(offset, n);
	const float top = a.maxCoeff();
	a = (a - top).exp();
	const float sum = a.sum();
	a *= scale / sum;
	return top + std::log(sum);
}

void add_column_sums(float *out, const float *a, ptrdiff_t rows, ptrdiff_t cols)
{
	Eigen::Map<Eigen::RowVectorXf>(out, cols) += ConstMatrix(a, rows, cols).colwise().sum();
}

void relu_backward(float *delta, const float *activation, ptrdiff_t n, float scale)
{
	Eigen::Map<Eigen::ArrayXf> d(delta, n);
	d = (Eigen::Map<const Eigen::ArrayXf>(activation, n) > 0.0f).select(d * scale, 0.0f);
}

void adam(float *value, float *gradient, float *m, float *v, ptrdiff_t n, float decay, float beta1,
          float beta2, float rate, float v_scale, float epsilon)
{
	Eigen::Map<Eigen::ArrayXf> w(value, n), g(gradient, n), first(m, n), second(v, n);
	g += decay * w;
	first = beta1 * first + (1.0f - beta1) * g;
	second = beta2 * second + (1.0f - beta2) * g.square();
	w -= rate * first / ((second * v_scale).sqrt() + epsilon);
	g.setZero();
}

} // namespace

const pgrec::MatrixProducts *MATRIX_PRODUCTS_TABLE() noexcept
{
	static const pgrec::MatrixProducts table = {MATRIX_PRODUCTS_NAME, product, transposed_left,
	                                            transposed_right,     softmax, add_column_sums,
	                                            relu_backward,        adam};
	return &table;
}
