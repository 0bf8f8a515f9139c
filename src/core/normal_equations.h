// The linear algebra the ALS family shares: the Gramian of a factor matrix, the row solves (on
// the row solvers of this CPU, row_solvers.h), the training losses, and a fold-in's system
// with its decomposition into per-item terms.
#pragma once

#include "algorithm_registry.h"
#include "cancel_token.h"
#include "factor_init.h"
#include "recommend.h"
#include "row_solvers.h"
#include "training.h"

#include <cmath>
#include <vector>

namespace pgrec
{

// out (dim x dim, row-major) = factors^T W factors of a row-major count x dim matrix (W the
// diagonal of row weights, or I when weights is null), summed in blocks of rows so that the
// token is checked between blocks, on `threads` threads by fixed column tiles: the same result
// for any thread count.
void gramian(const float *factors, size_t count, int dim, float *out, const CancelToken &cancel,
             const float *weights = nullptr, int threads = 1);

// Scratch of one thread's row solves (any of those below), for dim factors.
struct RowScratch
{
	explicit RowScratch(int dim) : floats(row_scratch_floats(dim))
	{
	}
	std::vector<float> floats;
};

// One row of explicit ALS: the bias b and factors p minimising
//   sum_j (r_j - mu - c_j - b - p.q_j)^2 + lambda n^e |p - p0|^2 + lambda_b n^e (b - b0)^2
// over the row's n entries (columns index[j] of the other side, values r_j; values null: all
// 1), where q_j and c_j are the other side's factors and biases (biases null: 0), and the prior
// (b0, p0) is the dim + 1 floats at prior (null: 0). Writes p to factors and b to *bias. Exact
// (Cholesky): a fold-in, with no previous value to start from.
inline void solve_explicit_row(const ItemMatrix &other, double mu, const Hyperparameters &h,
                               const int32_t *index, const float *values, size_t n,
                               RowScratch &scratch, float *factors, float *bias,
                               const float *prior = nullptr)
{
	row_solvers(other.dim).solve_explicit_row(other, mu, h, {index, values, n, prior}, true,
	                                          scratch.floats.data(), factors, bias);
}

// A training row of explicit ALS, by the solver h chooses: exact (cg_steps 0) or h.cg_steps
// steps of conjugate gradient warm-started at (*bias, factors), without forming the normal
// equations (O(n k) a step instead of O(n k^2 + k^3)).
inline void solve_explicit_row_by(const Hyperparameters &h, const ItemMatrix &other, double mu,
                                  const int32_t *index, const float *values, size_t n,
                                  RowScratch &scratch, float *factors, float *bias,
                                  const float *prior = nullptr)
{
	row_solvers(other.dim).solve_explicit_row(other, mu, h, {index, values, n, prior},
	                                          h.cg_steps == 0, scratch.floats.data(), factors,
	                                          bias);
}

// The rows of one side of implicit ALS: each row's x minimising
//   sum_j (1 + alpha v_j) (1 - x.y_j)^2 + sum_(other rows o) (x.y_o)^2 + lambda |x - x0|^2
// over its entries (rows index[j] of the other side y, dim floats each, values v_j), by
// h.cg_steps steps of conjugate gradient warm-started at x (0: exactly, by Cholesky), or one
// iALS++ sweep of subspaces of h.block_size factors (subspace_sweeps(h)), on its normal
// equations
//   (G + sum_j alpha v_j y_j y_j^T + lambda I) x = sum_j (1 + alpha v_j) y_j + lambda x0,
// g the Gramian of y (dim x dim, row-major), lambda and the prior x0 the row's (ImplicitRows).
// In parallel, in blocks of kRowBlock rows counted from the side's first row: the same blocks,
// so the same factors, for any thread count. Checks the token between blocks.
void solve_implicit_side(const float *g, const float *y, const Hyperparameters &h,
                         const ImplicitRows &rows, size_t count, float *x,
                         const CancelToken &cancel);

// lambda * count^exponent, the regularisation of a row of count entries: with exponent 0 the
// constant lambda, with a positive exponent frequent users and items are regularised more
// (Rendle et al. 2021).
inline float row_regularization(double lambda, double exponent, int64_t count)
{
	return static_cast<float>(lambda * std::pow(static_cast<double>(count), exponent));
}

// row_regularization of every row of a side, by its count of entries.
std::vector<float> row_regularizations(const SparseRows &rows, const Hyperparameters &h);

// The data part of the implicit ALS objective: sum over observed pairs of c (1 - s)^2 plus
// s^2 over every other pair of the users and items whose weights are 1 (weights null: all),
// from the two weighted Gramians; c = 1 + alpha v.
double implicit_data_loss(const Interactions &data, const float *users, const float *items,
                          const Hyperparameters &h, const float *user_weights,
                          const float *item_weights, const CancelToken &cancel);

// The same from the two Gramians (dim x dim, row-major) already at hand.
double implicit_loss_from_gramians(const Interactions &data, const float *users, const float *items,
                                   const float *user_gramian, const float *item_gramian,
                                   const Hyperparameters &h, const CancelToken &cancel);

// The root mean squared error of mu + b_u + c_i + p_u.q_i on the training values, the factors
// and biases those of b (h.factors of them).
double training_rmse(const Interactions &data, double mu, const FactorBuffers &b,
                     const Hyperparameters &h);

// A row's least-squares system as a fold-in builds it: x = A^-1 sum_j w_j d_j over the row's n
// items, d_j the factors of item index[j] preceded by a 1 when `offset` (the bias coordinate
// of explicit ALS). A is symmetric positive semi-definite, its lower triangle read, solved by
// LDLT (which leaves the components of zero pivots at zero).
struct RowSystem
{
	Eigen::MatrixXd a;
	Eigen::VectorXd weights;
	bool offset;
};

// The least-squares projection of a fold-in's input onto its items, which the algorithms'
// systems extend: A = G (input.gramian), w_j = r_j (input.values, or 1), no offset.
RowSystem projection_system(const FoldInInput &in);

// Solves a fold-in's system over its input's items: writes x, without the offset's
// coordinate, to factors.
void solve_row_system(const RowSystem &system, const FoldInInput &in, float *factors);

// The per-item terms of the system's solve (the method of the Python library implicit's
// explain): writes contributions[j] = w_j z^T A^-1 d_j, item j's share of q_t . x, the factor
// part of the score of item `target` (z = q_t, preceded by a 0 when offset: the bias
// coordinate is the same for every item and left out). They add up to q_t . x exactly, as the
// inverse is symmetric; one solve v = A^-1 z, then w_j (v . d_j). Checks the token between
// blocks of items.
void explain_row_system(const RowSystem &system, const FoldInInput &in, int32_t target,
                        const CancelToken &cancel, float *contributions);

} // namespace pgrec
