// The hot loops of the ALS family on raw float arrays: the Gramian, the exact and the
// conjugate-gradient solves of one explicit or implicit row, and the per-row sums of the
// training losses. Built three times, for baseline x86-64, AVX2 with FMA and AVX-512
// (row_solvers_*.cpp), each with Eigen's namespace renamed so that no function built for one
// set is shared with another; row_solvers(dim) picks the build for this CPU.
#pragma once

#include "cancel_token.h"
#include "recommend.h"
#include "training.h"

#include <cstddef>
#include <cstdint>

namespace pgrec
{

// Rows per block of the Gramian: about 16 MB of factors at 64 dimensions between checks. With
// weights, a block's weighted rows are a temporary (kGramianBlock x dim floats in all).
constexpr size_t kGramianBlock = 65536;

// Columns of the Gramian computed as one product, in parallel: a fixed width, so that every
// thread count sums each entry alike.
constexpr int kGramianColumns = 64;

// Design rows of an explicit row gathered at once by the exact solve.
constexpr size_t kDesignChunk = 256;

// Implicit rows solved together by conjugate gradient or iALS++ subspaces
// (RowSolvers::solve_implicit_rows).
constexpr size_t kRowBlock = 128;

// Whether implicit rows are solved by iALS++ subspace sweeps (h.block_size in (0, factors)).
inline bool subspace_sweeps(const Hyperparameters &h)
{
	return h.block_size > 0 && h.block_size < h.factors;
}

// Floats of scratch one thread's row solves need for dim factors: the vectors of the conjugate
// gradient, the gathered design rows and their targets, a normal matrix and its right side,
// and the three matrices of a block of implicit rows.
constexpr size_t row_scratch_floats(int dim)
{
	const size_t n = static_cast<size_t>(dim) + 1;
	return 3 * n + kDesignChunk * n + kDesignChunk + n * n + n +
	       3 * kRowBlock * static_cast<size_t>(dim);
}

// Bytes of memory one thread's row solves take for dim factors: the scratch and Eigen's
// product workspace (up to two dim x dim matrices).
constexpr size_t row_solver_thread_bytes(int dim)
{
	return (row_scratch_floats(dim) + 2 * static_cast<size_t>(dim) * static_cast<size_t>(dim)) *
	       sizeof(float);
}

// The rows of one explicit ALS problem: entries index[j] of the other side with values r_j
// (values null: all 1), fitted as r_j - mu - c_j by the row's bias and factors, c_j the other
// side's bias (null: 0). The prior (null: 0) is the dim + 1 floats (bias first) the row is
// regularised towards.
struct ExplicitRow
{
	const int32_t *index;
	const float *values;
	size_t n;
	const float *prior;
};

// The target of entry j of an explicit row: r_j - mu - c_j. Static: each build keeps its own.
static inline float explicit_target(const ItemMatrix &other, double mu, const ExplicitRow &row,
                                    size_t j)
{
	float value = row.values ? row.values[j] : 1.0f;
	return value - static_cast<float>(mu) - (other.bias ? other.bias[row.index[j]] : 0.0f);
}

// The rows of one side of implicit ALS: row r has the entries ptr[r] to ptr[r + 1] of index
// (rows of the other side) and value, the regularisation lambda[r] and the prior
// prior + r * prior_stride (prior null: 0). With skip_empty, rows without entries are left as
// they are.
struct ImplicitRows
{
	const int64_t *ptr;
	const int32_t *index;
	const float *value;
	const float *lambda;
	const float *prior;
	size_t prior_stride;
	bool skip_empty;
};

struct RowSolvers
{
	const char *name;
	// Columns [first_column, first_column + columns) of out (dim x dim, row-major) +=
	// factors^T W factors over the rows x dim row-major factors (W the diagonal of the row
	// weights; null: I).
	void (*add_gramian_columns)(const float *factors, size_t rows, int dim, const float *weights,
	                            int first_column, int columns, float *out);
	// The regularised normal equations of an explicit row (lower triangle of the (dim + 1)^2
	// column-major normal, and rhs), as the exact solve forms them.
	void (*explicit_normal_equations)(const ItemMatrix &other, double mu, const Hyperparameters &h,
	                                  const ExplicitRow &row, float *scratch, float *normal,
	                                  float *rhs);
	// The explicit row's bias and factors, exactly (Cholesky) when exact, else by h.cg_steps
	// steps of conjugate gradient from their current values.
	void (*solve_explicit_row)(const ItemMatrix &other, double mu, const Hyperparameters &h,
	                           const ExplicitRow &row, bool exact, float *scratch, float *factors,
	                           float *bias);
	// Rows [first, first + count) of implicit ALS (normal_equations.h), count at most
	// kRowBlock, against y (rows of dim = h.factors floats) with Gramian g (dim x dim): with
	// h.block_size in (0, dim), by one iALS++ sweep of subspaces of that many factors, exactly
	// solved; else exactly (cg_steps 0) or by h.cg_steps steps of conjugate gradient from their
	// current values, the block's rows side by side. x holds the side's rows (dim floats
	// each); predictions, one float per entry of the block's rows, is the subspace sweep's
	// scratch (unused otherwise).
	void (*solve_implicit_rows)(const float *g, const float *y, const Hyperparameters &h,
	                            const ImplicitRows &rows, size_t first, size_t count,
	                            float *scratch, float *predictions, float *x);
	// Sum over the entries of rows [begin, end) of a CSR side (ptr, index, value) of
	// (v - mu - b_r - c_i - p_r . q_i)^2 (biases null: 0).
	double (*squared_errors)(const int64_t *ptr, const int32_t *index, const float *value,
	                         size_t begin, size_t end, double mu, const float *row_factors,
	                         const float *row_bias, const float *column_factors,
	                         const float *column_bias, int dim);
	// Sum over the entries of rows [begin, end) of c (1 - s)^2 - s^2, s = x_r . y_i and
	// c = 1 + alpha v: the observed part of the implicit ALS objective.
	double (*implicit_observed_loss)(const int64_t *ptr, const int32_t *index, const float *value,
	                                 size_t begin, size_t end, double alpha,
	                                 const float *row_factors, const float *column_factors, int dim,
	                                 const CancelToken &cancel);
};

// Factors up to which the AVX2 build serves rows on AVX-512 CPUs too: measured on ML-1M
// (bench/README.md), one core, AVX-512 against AVX2 is 1.4 times slower an epoch of `als` at 64
// factors, even at 128, and 1.25 times faster for `ials` at 256.
constexpr int kNarrowRowDim = 128;

// The builds for each set (null when not compiled in), and the one for rows of dim factors:
// that of instruction_set(), but AVX2 rather than AVX-512 up to kNarrowRowDim.
const RowSolvers &generic_row_solvers() noexcept;
const RowSolvers *avx2_row_solvers() noexcept;
const RowSolvers *avx512_row_solvers() noexcept;
const RowSolvers &row_solvers(int dim) noexcept;

} // namespace pgrec
