// The body of the dense block kernels (dense_blocks.h), included once per instruction set by
// dense_blocks_generic.cpp and dense_blocks_avx2.cpp with DENSE_BLOCKS_TABLE naming the table's
// function. Only Eigen code on raw pointers: the AVX2 build renames Eigen's namespace, so no
// function compiled for AVX2 can be shared with (and picked by the linker for) the generic build.
#include "dense_blocks.h"

#include "eigen_dense.h"

namespace
{

using Block = Eigen::Map<Eigen::MatrixXf, 0, Eigen::OuterStride<>>;
using ConstBlock = Eigen::Map<const Eigen::MatrixXf, 0, Eigen::OuterStride<>>;

Block block(float *data, ptrdiff_t ld, ptrdiff_t rows, ptrdiff_t cols)
{
	return Block(data, rows, cols, Eigen::OuterStride<>(ld));
}

ConstBlock block(const float *data, ptrdiff_t ld, ptrdiff_t rows, ptrdiff_t cols)
{
	return ConstBlock(data, rows, cols, Eigen::OuterStride<>(ld));
}

bool factor_diagonal(float *a, ptrdiff_t ld, ptrdiff_t kb)
{
	Block d = block(a, ld, kb, kb);
	Eigen::LLT<Eigen::Ref<Eigen::MatrixXf, 0, Eigen::OuterStride<>>> llt(d);
	return llt.info() == Eigen::Success;
}

void solve_panel(const float *l, float *panel, ptrdiff_t ld, ptrdiff_t rows, ptrdiff_t kb)
{
	Block p = block(panel, ld, rows, kb);
	block(l, ld, kb, kb)
	    .transpose()
	    .triangularView<Eigen::Upper>()
	    .solveInPlace<Eigen::OnTheRight>(p);
}

void subtract_product(float *c, const float *a, const float *b, ptrdiff_t ld, ptrdiff_t rows,
                      ptrdiff_t width, ptrdiff_t kb)
{
	block(c, ld, rows, width).noalias() -=
	    block(a, ld, rows, kb) * block(b, ld, width, kb).transpose();
}

void subtract_plain_product(float *c, const float *a, const float *b, ptrdiff_t ld, ptrdiff_t rows,
                            ptrdiff_t width, ptrdiff_t inner)
{
	block(c, ld, rows, width).noalias() -= block(a, ld, rows, inner) * block(b, ld, inner, width);
}

void solve_lower(const float *l, float *x, ptrdiff_t ld, ptrdiff_t rows, ptrdiff_t width)
{
	Block target = block(x, ld, rows, width);
	block(l, ld, rows, rows).triangularView<Eigen::Lower>().solveInPlace(target);
}

void transposed_product(float *out, const float *a, const float *b, ptrdiff_t ld, ptrdiff_t rows,
                        ptrdiff_t cols, ptrdiff_t width)
{
	block(out, ld, cols, width).noalias() =
	    block(a, ld, rows, cols).transpose() * block(b, ld, rows, width);
}

} // namespace

const pgrec::DenseBlockKernels *DENSE_BLOCKS_TABLE() noexcept
{
	static const pgrec::DenseBlockKernels table = {
	    DENSE_BLOCKS_NAME,      factor_diagonal, solve_panel,       subtract_product,
	    subtract_plain_product, solve_lower,     transposed_product};
	return &table;
}
