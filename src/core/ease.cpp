// ease (Steck 2019, "Embarrassingly Shallow Autoencoders"): the closed-form item-item model
// B = I - P diag(1 / diag(P)) with P = (X^T X + lambda I)^-1, kept to the `neighbors` weights
// of each item largest in magnitude. P comes from a blocked Cholesky factorisation L L^T, the
// inverse of L and the lower half of L^-T L^-1, each split over threads in blocks with a cancel
// check per block, on the dense kernels chosen for the CPU (dense_blocks.h).
#include "neighbors.h"

#include "core_errors.h"
#include "parallel.h"

#include "dense_blocks.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

using Index = ptrdiff_t;
using Dense = std::vector<float>; // n x n, column-major

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

// g = X^T X + lambda I, column i by the users of item i.
Dense gram_matrix(const Interactions &d, double lambda, int threads, const CancelToken &cancel)
{
	const Index n = static_cast<Index>(d.items());
	Dense g(static_cast<size_t>(n * n), 0.0f);
	striped(blocks_of(n), threads, cancel,
	        [&](size_t b)
	        {
		        Index last = std::min(n, static_cast<Index>(b + 1) * kBlock);
		        for (Index i = static_cast<Index>(b) * kBlock; i < last; i++)
		        {
			        float *column = g.data() + i * n;
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
	return g;
}

// Overwrites the lower triangle of a (n x n, symmetric positive definite) with its Cholesky
// factor L: right-looking, a block column at a time.
void cholesky(float *a, Index n, int threads, const CancelToken &cancel)
{
	const DenseBlockKernels &kernel = dense_blocks();
	for (Index k = 0; k < n; k += kBlock)
	{
		cancel.check();
		Index kb = std::min(kBlock, n - k), rest = n - k - kb;
		float *diagonal = a + k + k * n;
		if (!kernel.factor_diagonal(diagonal, n, kb))
			throw NumericDivergence("the Gram matrix is not positive definite: raise "
			                        "regularization");
		if (rest == 0)
			break;
		// The panel below: A21 := A21 L11^-T, by row blocks; then the trailing matrix:
		// A22 -= A21 A21^T, lower part, by column blocks.
		float *panel = a + (k + kb) + k * n;
		striped(blocks_of(rest), threads, cancel,
		        [&](size_t b)
		        {
			        Index r = static_cast<Index>(b) * kBlock;
			        kernel.solve_panel(diagonal, panel + r, n, std::min(kBlock, rest - r), kb);
		        });
		striped(blocks_of(rest), threads, cancel,
		        [&](size_t b)
		        {
			        Index c = static_cast<Index>(b) * kBlock, width = std::min(kBlock, rest - c);
			        kernel.subtract_product(a + (k + kb + c) + (k + kb + c) * n, panel + c,
			                                panel + c, n, rest - c, width, kb);
		        });
	}
}

// The lower triangle of P = (L L^T)^-1 = L^-T L^-1 from the factor in the lower triangle of l,
// which is released. Every step works on panels of at most kBlock x n x kBlock, with a cancel
// check before each.
Dense inverse_from_cholesky(Dense &l, Index n, int threads, const CancelToken &cancel)
{
	const DenseBlockKernels &kernel = dense_blocks();
	// L^-1 (lower), a column block at a time: L[c:, c:] X = I[c:, c:c+w] by forward
	// substitution over row panels, X_r = L_rr^-1 (I_r - L[r, c:r] X[c:r]).
	Dense inverse(static_cast<size_t>(n * n), 0.0f);
	striped(blocks_of(n), threads, cancel,
	        [&](size_t b)
	        {
		        Index c = static_cast<Index>(b) * kBlock, width = std::min(kBlock, n - c);
		        float *x = inverse.data() + c * n; // the block's columns, from row 0
		        for (Index j = 0; j < width; j++)
			        x[c + j + j * n] = 1.0f;
		        for (Index r = c; r < n; r += kBlock)
		        {
			        cancel.check();
			        Index rows = std::min(kBlock, n - r);
			        if (r > c)
				        kernel.subtract_plain_product(x + r, l.data() + r + c * n, x + c, n, rows,
				                                      width, r - c);
			        kernel.solve_lower(l.data() + r + r * n, x + r, n, rows, width);
		        }
	        });
	Dense().swap(l);
	// P[r:r+b, c:c+w] = (L^-1)[r:, r:r+b]^T (L^-1)[r:, c:c+w] for r >= c: the rows of L^-1
	// above a column are zero.
	Dense p(static_cast<size_t>(n * n));
	striped(blocks_of(n), threads, cancel,
	        [&](size_t b)
	        {
		        Index c = static_cast<Index>(b) * kBlock, width = std::min(kBlock, n - c);
		        for (Index r = c; r < n; r += kBlock)
		        {
			        cancel.check();
			        kernel.transposed_product(p.data() + r + c * n, inverse.data() + r + r * n,
			                                  inverse.data() + r + c * n, n, n - r,
			                                  std::min(kBlock, n - r), width);
		        }
	        });
	return p;
}

class EaseTrainer : public NeighborTrainer
{
  public:
	using NeighborTrainer::NeighborTrainer;

  protected:
	SparseRows compute(const CancelToken &cancel) override
	{
		const Index n = static_cast<Index>(data_.items());
		Dense g = gram_matrix(data_, h_.regularization, h_.threads, cancel);
		cholesky(g.data(), n, h_.threads, cancel);
		Dense p = inverse_from_cholesky(g, n, h_.threads, cancel);
		// Row i of B: item i lends B_ij = -P_ij / P_jj to item j (P symmetric; its lower
		// triangle holds P(max(i, j), min(i, j))).
		auto at = [&](Index i, Index j)
		{ return p[static_cast<size_t>(std::max(i, j) + std::min(i, j) * n)]; };
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
						        row.emplace_back(static_cast<int32_t>(j), -at(i, j) / at(j, j));
				        for (const auto &entry : row)
					        if (!std::isfinite(entry.second))
						        throw NumericDivergence("the EASE weights are not finite: raise "
						                                "regularization");
				        keep_strongest(row, static_cast<size_t>(h_.neighbors));
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
	// inverse and P), a full row per thread while pruning, and the kept rows.
	return 2 * items * items * sizeof(float) +
	       static_cast<size_t>(h.threads) * items * sizeof(std::pair<int32_t, float>) +
	       kept_rows_bytes(h, items);
}

} // namespace pgrec
