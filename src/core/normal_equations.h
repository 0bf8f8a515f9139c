// The linear algebra the ALS family shares: the Gramian of a factor matrix and the exact
// solve of one row's regularised least-squares problem of explicit (biased) ALS.
#pragma once

#include "cancel_token.h"
#include "factor_init.h"
#include "recommend.h"
#include "training.h"

namespace pgrec
{

// out (dim x dim, row-major) = factors^T factors of a row-major count x dim matrix, summed in
// blocks of rows so that the token is checked between blocks.
void gramian(const float *factors, size_t count, int dim, float *out, const CancelToken &cancel);

// Scratch of solve_explicit_row for one thread, sized for dim factors.
struct ExplicitRowScratch
{
	explicit ExplicitRowScratch(int dim);
	RowMatrix design;
	Eigen::VectorXf target, rhs;
	Eigen::MatrixXf normal;
};

// One row of explicit ALS: the bias b and factors p minimising
//   sum_j (r_j - mu - c_j - b - p.q_j)^2 + lambda n^e |p|^2 + lambda_b n^e b^2
// over the row's n entries (columns index[j] of the other side, values r_j; values null: all
// 1), where q_j and c_j are the other side's factors and biases (biases null: 0). Writes p to
// factors and b to *bias.
void solve_explicit_row(const ItemMatrix &other, double mu, const Hyperparameters &h,
                        const int32_t *index, const float *values, size_t n,
                        ExplicitRowScratch &scratch, float *factors, float *bias);

} // namespace pgrec
