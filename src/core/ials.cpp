// Implicit-feedback ALS (Hu, Koren & Volinsky 2008): confidence c = 1 + alpha * r on observed
// pairs, weight 1 and preference 0 elsewhere, solved per row by warm-started conjugate gradient
// on the shared Gramian, so the cost grows with k^2, not k^3 (Takacs et al. 2011), or by one
// iALS++ sweep of subspaces (Rendle et al. 2021) with block_size. A new user
// is folded in by an exact (LDLT) solve of the same normal equations, and a score explained by
// that solve's per-item terms.
#include "algorithm_registry.h"
#include "normal_equations.h"
#include "parallel.h"

#include <algorithm>
#include <cmath>

#include "core_only.h"

namespace pgrec
{

namespace
{

class IalsTrainer : public Trainer
{
  public:
	IalsTrainer(const Interactions &data, const Hyperparameters &h, const FactorBuffers &b)
	    : Trainer(data, h, b), user_lambda_(row_regularizations(data.by_user, h)),
	      item_lambda_(row_regularizations(data.by_item, h))
	{
	}

	// Each side against the other's Gramian; the items' Gramian, made for the loss, serves the
	// next epoch's users.
	void run_epoch(const CancelToken &cancel) override
	{
		if (item_gramian_.size() == 0)
			item_gramian_ = gramian_of(b_.item_factors, data_.items(), cancel);
		solve(data_.by_user, user_lambda_, b_.user_factors, b_.item_factors, item_gramian_, cancel);
		user_gramian_ = gramian_of(b_.user_factors, data_.users(), cancel);
		solve(data_.by_item, item_lambda_, b_.item_factors, b_.user_factors, user_gramian_, cancel);
		item_gramian_ = gramian_of(b_.item_factors, data_.items(), cancel);
		set_loss(training_loss(cancel), "implicit ALS");
	}

  private:
	RowMatrix gramian_of(const float *factors, size_t rows, const CancelToken &cancel) const
	{
		RowMatrix g(h_.factors, h_.factors);
		gramian(factors, rows, h_.factors, g.data(), cancel, nullptr, h_.threads);
		return g;
	}

	// Updates every row of x (regularised by lambda) against the fixed side y with Gramian g.
	void solve(const SparseRows &rows, const std::vector<float> &lambda, float *x, const float *y,
	           const RowMatrix &g, const CancelToken &cancel)
	{
		solve_implicit_side(g.data(), y, h_,
		                    {rows.ptr.data(), rows.index.data(), rows.value.data(), lambda.data(),
		                     nullptr, 0, false},
		                    rows.rows(), x, cancel);
	}

	// The objective per observed interaction: sum over observed of c(1 - s)^2, plus s^2 over
	// all other pairs (from the two Gramians), plus the regularisation.
	double training_loss(const CancelToken &cancel) const
	{
		const size_t k = static_cast<size_t>(h_.factors);
		double data_loss =
		    implicit_loss_from_gramians(data_, b_.user_factors, b_.item_factors,
		                                user_gramian_.data(), item_gramian_.data(), h_, cancel);
		double squares =
		    Eigen::Map<const Eigen::VectorXf>(b_.user_factors, data_.users() * k).squaredNorm() +
		    Eigen::Map<const Eigen::VectorXf>(b_.item_factors, data_.items() * k).squaredNorm();
		double reg = h_.regularization * squares;
		return (data_loss + reg) / static_cast<double>(data_.nnz());
	}

	std::vector<float> user_lambda_, item_lambda_;
	RowMatrix user_gramian_, item_gramian_;
};

} // namespace

std::unique_ptr<Trainer> make_ials_trainer(const Interactions &data, const Hyperparameters &h,
                                           const FactorBuffers &b)
{
	return std::unique_ptr<Trainer>(new IalsTrainer(data, h, b));
}

namespace
{

// A user's normal equations against the fixed items: A = G + sum_j alpha r_j y_j y_j^T +
// lambda n^e I and weights w_j = 1 + alpha r_j (the confidence of a preference of 1). Checks
// the token every 4096 items.
RowSystem implicit_system(const FoldInInput &in, const CancelToken &cancel)
{
	const int k = in.items.dim;
	RowSystem system = projection_system(in);
	for (size_t j = 0; j < in.n; j++)
	{
		if (j % 4096 == 0)
			cancel.check();
		double r = system.weights(static_cast<Eigen::Index>(j));
		Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXf>(
		                        in.items.factors + static_cast<size_t>(in.item_indices[j]) * k, k)
		                        .cast<double>();
		system.a.selfadjointView<Eigen::Lower>().rankUpdate(y, in.h.alpha * r);
		system.weights(static_cast<Eigen::Index>(j)) = 1.0 + in.h.alpha * r;
	}
	system.a.diagonal().array() +=
	    in.h.regularization * std::pow(static_cast<double>(in.n), in.h.regularization_exponent);
	return system;
}

} // namespace

// alpha, unless given: 1 / sqrt(density), rounded to 0.1 and kept in [1, 100]. The rarer the
// interactions, the more one observed interaction should outweigh the unobserved ones: about 39
// on Gowalla (density 0.00066), 6 on MovieLens-1M (0.027); bench/README.md has the numbers.
void ials_data_defaults(Hyperparameters *h, unsigned given, const Interactions &data)
{
	if ((given & kAlpha) || data.users() == 0 || data.items() == 0)
		return;
	double density = static_cast<double>(data.nnz()) /
	                 (static_cast<double>(data.users()) * static_cast<double>(data.items()));
	h->alpha = std::min(100.0, std::max(1.0, std::round(10.0 / std::sqrt(density)) / 10.0));
}

void fold_in_ials(const FoldInInput &in, const CancelToken &cancel, float *factors, float *)
{
	solve_row_system(implicit_system(in, cancel), in, factors);
}

void explain_ials(const FoldInInput &in, int32_t target, const CancelToken &cancel,
                  float *contributions)
{
	explain_row_system(implicit_system(in, cancel), in, target, cancel, contributions);
}

} // namespace pgrec
