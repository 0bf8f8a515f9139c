// ease (Steck 2019, "Embarrassingly Shallow Autoencoders"): the closed-form item-item model
// B = I - P diag(1 / diag(P)) with P = (X^T X + lambda I)^-1, kept to the `neighbors` largest
// weights of each item. P comes from a blocked Cholesky factorisation, the inverse of its
// factor and one product, each split over threads in blocks with a cancel check per block.
#include "neighbors.h"

#include "core_errors.h"
#include "parallel.h"

// GCC 12 at -O3 reports false "may be used uninitialized" warnings inside Eigen's products.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Dense>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <algorithm>
#include <memory>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

using Matrix = Eigen::MatrixXf; // column-major
using Index = Eigen::Index;

// Columns per block of the factorisation, inversion and product.
constexpr Index kBlock = 128;

// Blocks [0, count) over threads, striped so that the costly first blocks are shared.
void striped(size_t count, int threads, const CancelToken &cancel,
             const std::function<void(size_t block)> &body)
{
	size_t workers = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(threads), count));
	parallel_for(workers, static_cast<int>(workers),
	             [&](size_t begin, size_t, int)
	             {
		             for (size_t b = begin; b < count; b += workers)
		             {
			             cancel.check();
			             body(b);
		             }
	             });
}

size_t blocks_of(Index n)
{
	return static_cast<size_t>((n + kBlock - 1) / kBlock);
}

// g (items x items) = X^T X + lambda I, column i by the users of item i.
void gram_matrix(const Interactions &d, double lambda, int threads, const CancelToken &cancel,
                 Matrix &g)
{
	const Index n = static_cast<Index>(d.items());
	g.setZero(n, n);
	striped(blocks_of(n), threads, cancel,
	        [&](size_t b)
	        {
		        Index last = std::min(n, static_cast<Index>(b + 1) * kBlock);
		        for (Index i = static_cast<Index>(b) * kBlock; i < last; i++)
		        {
			        float *column = g.col(i).data();
			        for (int64_t e = d.by_item.ptr[i]; e < d.by_item.ptr[i + 1]; e++)
			        {
				        int32_t u = d.by_item.index[e];
				        float x = d.by_item.value[e];
				        for (int64_t f = d.by_user.ptr[u]; f < d.by_user.ptr[u + 1]; f++)
					        column[d.by_user.index[f]] += x * d.by_user.value[f];
			        }
			        column[i] += static_cast<float>(lambda);
		        }
	        });
}

// Overwrites the lower triangle of a (symmetric positive definite) with its Cholesky factor L.
void cholesky(Matrix &a, int threads, const CancelToken &cancel)
{
	const Index n = a.rows();
	for (Index k = 0; k < n; k += kBlock)
	{
		cancel.check();
		Index kb = std::min(kBlock, n - k), rest = n - k - kb;
		Eigen::Ref<Matrix> diagonal = a.block(k, k, kb, kb);
		Eigen::LLT<Eigen::Ref<Matrix>> llt(diagonal);
		if (llt.info() != Eigen::Success)
			throw NumericDivergence("the Gram matrix is not positive definite: raise "
			                        "regularization");
		if (rest == 0)
			break;
		// The panel below: A21 := A21 L11^-T, by row blocks.
		auto l11 = a.block(k, k, kb, kb).triangularView<Eigen::Lower>();
		striped(blocks_of(rest), threads, cancel,
		        [&](size_t b)
		        {
			        Index r = static_cast<Index>(b) * kBlock;
			        auto panel = a.block(k + kb + r, k, std::min(kBlock, rest - r), kb);
			        l11.transpose().solveInPlace<Eigen::OnTheRight>(panel);
		        });
		// The trailing matrix: A22 -= A21 A21^T, lower part, by column blocks.
		auto a21 = a.block(k + kb, k, rest, kb);
		striped(blocks_of(rest), threads, cancel,
		        [&](size_t b)
		        {
			        Index c = static_cast<Index>(b) * kBlock, width = std::min(kBlock, rest - c);
			        a.block(k + kb + c, k + kb + c, rest - c, width).noalias() -=
			            a21.bottomRows(rest - c) * a21.middleRows(c, width).transpose();
		        });
	}
}

// p = (L L^T)^-1 = L^-T L^-1 from the factor in the lower triangle of l; l is overwritten.
void inverse_from_cholesky(Matrix &l, int threads, const CancelToken &cancel, Matrix &p)
{
	const Index n = l.rows();
	// L^-1 (lower), column block by column block: L[c:, c:] X = I[c:, c:c+w].
	Matrix inverse = Matrix::Zero(n, n);
	striped(blocks_of(n), threads, cancel,
	        [&](size_t b)
	        {
		        Index c = static_cast<Index>(b) * kBlock, width = std::min(kBlock, n - c);
		        auto x = inverse.block(c, c, n - c, width);
		        x.topRows(width).setIdentity();
		        l.block(c, c, n - c, n - c).triangularView<Eigen::Lower>().solveInPlace(x);
	        });
	l.resize(0, 0);
	// P[:, c:c+w] = (L^-1)[c:, :]^T (L^-1)[c:, c:c+w]: the rows above c are zero.
	p.resize(n, n);
	striped(blocks_of(n), threads, cancel,
	        [&](size_t b)
	        {
		        Index c = static_cast<Index>(b) * kBlock, width = std::min(kBlock, n - c);
		        p.middleCols(c, width).noalias() =
		            inverse.bottomRows(n - c).transpose() * inverse.block(c, c, n - c, width);
	        });
}

class EaseTrainer : public NeighborTrainer
{
  public:
	using NeighborTrainer::NeighborTrainer;

  protected:
	SparseRows compute(const CancelToken &cancel) override
	{
		Matrix g, p;
		gram_matrix(data_, h_.regularization, h_.threads, cancel, g);
		cholesky(g, h_.threads, cancel);
		inverse_from_cholesky(g, h_.threads, cancel, p);
		// Row i of B: item i lends B_ij = -P_ij / P_jj to item j (P is symmetric: column i).
		const Index n = p.rows();
		std::vector<NeighborRow> rows(static_cast<size_t>(n));
		striped(blocks_of(n), h_.threads, cancel,
		        [&](size_t b)
		        {
			        Index last = std::min(n, static_cast<Index>(b + 1) * kBlock);
			        for (Index i = static_cast<Index>(b) * kBlock; i < last; i++)
			        {
				        NeighborRow &row = rows[static_cast<size_t>(i)];
				        row.reserve(static_cast<size_t>(n));
				        for (Index j = 0; j < n; j++)
					        if (j != i)
						        row.emplace_back(static_cast<int32_t>(j), -p(j, i) / p(j, j));
				        keep_strongest(row, static_cast<size_t>(h_.neighbors));
				        row.shrink_to_fit();
			        }
		        });
		return assemble_rows(rows);
	}
};

} // namespace

std::unique_ptr<Trainer> make_ease_trainer(const Interactions &data, const Hyperparameters &h,
                                           const FactorBuffers &b)
{
	return std::make_unique<EaseTrainer>(data, h, b);
}

size_t ease_scratch_bytes(const Hyperparameters &h, const Interactions &data)
{
	size_t items = data.items();
	// Two dense items x items matrices at the peak (the factor and its inverse, then the
	// inverse and P), a full row per thread while pruning, and the kept rows twice.
	return 2 * items * items * sizeof(float) +
	       static_cast<size_t>(h.threads) * items * sizeof(std::pair<int32_t, float>) +
	       items * static_cast<size_t>(h.neighbors) *
	           (sizeof(std::pair<int32_t, float>) + sizeof(int32_t) + sizeof(float));
}

} // namespace pgrec
