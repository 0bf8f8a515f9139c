// Explicit biased matrix factorisation by alternating least squares: r ~ mu + b_u + b_i + p_u.q_i,
// each side solved per row, exactly (Cholesky) or by warm-started conjugate gradient (cg_steps >
// 0), with weighted-lambda regularisation (lambda * n^exponent);
// a new user is folded in by the same row solve against the fixed items, and a score explained
// by that solve's per-item terms.
#include "algorithm_registry.h"
#include "normal_equations.h"
#include "parallel.h"

#include <cmath>

#include "core_only.h"

namespace pgrec
{

namespace
{

class AlsTrainer : public Trainer
{
  public:
	AlsTrainer(const Interactions &data, const Hyperparameters &h, const FactorBuffers &b)
	    : Trainer(data, h, b), mu_(data.mean_value)
	{
	}

	void run_epoch(const CancelToken &cancel) override
	{
		solve(data_.by_user, b_.user_factors, b_.user_bias,
		      {b_.item_factors, b_.item_bias, nullptr, data_.items(), h_.factors}, cancel);
		solve(data_.by_item, b_.item_factors, b_.item_bias,
		      {b_.user_factors, b_.user_bias, nullptr, data_.users(), h_.factors}, cancel);
		set_loss(training_rmse(data_, mu_, b_, h_), "explicit ALS");
	}

	double global_mean() const override
	{
		return mu_;
	}

  private:
	// Solves every row of one side against the fixed other side.
	void solve(const SparseRows &rows, float *factors, float *bias, const ItemMatrix &other,
	           const CancelToken &cancel)
	{
		const int k = h_.factors;
		parallel_for(rows.rows(), h_.threads,
		             [&](size_t begin, size_t end, int)
		             {
			             RowScratch scratch(k);
			             for (size_t r = begin; r < end; r++)
			             {
				             if ((r - begin) % 64 == 0)
					             cancel.check();
				             int64_t first = rows.ptr[r];
				             solve_explicit_row_by(h_, other, mu_, rows.index.data() + first,
				                                   rows.value.data() + first,
				                                   static_cast<size_t>(rows.ptr[r + 1] - first),
				                                   scratch, factors + r * k, bias + r);
			             }
		             });
	}

	double mu_;
};

} // namespace

std::unique_ptr<Trainer> make_als_trainer(const Interactions &data, const Hyperparameters &h,
                                          const FactorBuffers &b)
{
	return std::unique_ptr<Trainer>(new AlsTrainer(data, h, b));
}

void fold_in_als(const FoldInInput &in, const CancelToken &, float *factors, float *bias)
{
	RowScratch scratch(in.items.dim);
	solve_explicit_row(in.items, in.global_mean, in.h, in.item_indices, in.values, in.n, scratch,
	                   factors, bias);
}

// The fold-in's normal equations over the design rows [1, q_j] with the targets r_j - mu - c_j
// as weights: the shares of p . q_t (the user bias is the same for every item and left out).
void explain_als(const FoldInInput &in, int32_t target, const CancelToken &cancel,
                 float *contributions)
{
	const int n = in.items.dim + 1;
	const ExplicitRow row = {in.item_indices, in.values, in.n, nullptr};
	RowScratch scratch(in.items.dim);
	Eigen::MatrixXf normal(n, n);
	Eigen::VectorXf rhs(n);
	row_solvers(in.items.dim)
	    .explicit_normal_equations(in.items, in.global_mean, in.h, row, scratch.floats.data(),
	                               normal.data(), rhs.data());
	RowSystem system = {normal.cast<double>(), Eigen::VectorXd(in.n), true};
	for (size_t j = 0; j < in.n; j++)
		system.weights(static_cast<Eigen::Index>(j)) =
		    explicit_target(in.items, in.global_mean, row, j);
	explain_row_system(system, in, target, cancel, contributions);
}

} // namespace pgrec
