// Implicit-feedback ALS (Hu, Koren & Volinsky 2008): confidence c = 1 + alpha * r on observed
// pairs, weight 1 and preference 0 elsewhere, solved per row by warm-started conjugate gradient
// on the shared Gramian, so the cost grows with k^2, not k^3 (Takacs et al. 2011). A new user
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
	    : Trainer(data, h, b)
	{
	}

	void run_epoch(const CancelToken &cancel) override
	{
		solve(data_.by_user, b_.user_factors, b_.item_factors, data_.items(), cancel);
		solve(data_.by_item, b_.item_factors, b_.user_factors, data_.users(), cancel);
		set_loss(training_loss(cancel), "implicit ALS");
	}

  private:
	RowMatrix gramian_of(const float *factors, size_t rows, const CancelToken &cancel) const
	{
		RowMatrix g(h_.factors, h_.factors);
		gramian(factors, rows, h_.factors, g.data(), cancel);
		return g;
	}

	// lambda * count^exponent: with exponent 0 the constant lambda of Hu et al., with a positive
	// exponent frequent users and items are regularised more (Rendle et al. 2021).
	float row_regularization(const SparseRows &rows, size_t row) const
	{
		double count = static_cast<double>(rows.ptr[row + 1] - rows.ptr[row]);
		return static_cast<float>(h_.regularization * std::pow(count, h_.regularization_exponent));
	}

	// Updates every row of x against the fixed side y (y_rows rows).
	void solve(const SparseRows &rows, float *x, const float *y, size_t y_rows,
	           const CancelToken &cancel)
	{
		const int k = h_.factors;
		RowMatrix g = gramian_of(y, y_rows, cancel);
		const float alpha = static_cast<float>(h_.alpha);

		parallel_for(rows.rows(), h_.threads,
		             [&](size_t begin, size_t end, int)
		             {
			             Eigen::VectorXf r(k), p(k), ap(k), b(k);
			             // A v = G v + lambda_row v + sum_j alpha r_j (y_j . v) y_j
			             auto multiply =
			                 [&](size_t row, const Eigen::VectorXf &v, Eigen::VectorXf &out)
			             {
				             out.noalias() = g * v + row_regularization(rows, row) * v;
				             for (int64_t e = rows.ptr[row]; e < rows.ptr[row + 1]; e++)
				             {
					             Eigen::Map<const Eigen::VectorXf> yj(
					                 y + static_cast<size_t>(rows.index[e]) * k, k);
					             out += (alpha * rows.value[e] * yj.dot(v)) * yj;
				             }
			             };
			             for (size_t row = begin; row < end; row++)
			             {
				             if ((row - begin) % 256 == 0)
					             cancel.check();
				             Eigen::Map<Eigen::VectorXf> xr(x + row * k, k);
				             b.setZero();
				             for (int64_t e = rows.ptr[row]; e < rows.ptr[row + 1]; e++)
					             b += (1.0f + alpha * rows.value[e]) *
					                  Eigen::Map<const Eigen::VectorXf>(
					                      y + static_cast<size_t>(rows.index[e]) * k, k);
				             multiply(row, xr, ap);
				             r = b - ap;
				             p = r;
				             float rs = r.squaredNorm();
				             for (int step = 0; step < h_.cg_steps && rs > 1e-20f; step++)
				             {
					             multiply(row, p, ap);
					             float step_size = rs / p.dot(ap);
					             xr += step_size * p;
					             r -= step_size * ap;
					             float rs_next = r.squaredNorm();
					             p = r + (rs_next / rs) * p;
					             rs = rs_next;
				             }
			             }
		             });
	}

	// The objective per observed interaction: sum over observed of c(1 - s)^2, plus s^2 over
	// all other pairs (from the two Gramians), plus the regularisation.
	double training_loss(const CancelToken &cancel) const
	{
		const int k = h_.factors;
		RowMatrix gx = gramian_of(b_.user_factors, data_.users(), cancel);
		RowMatrix gy = gramian_of(b_.item_factors, data_.items(), cancel);
		double all_pairs = (gx.cast<double>().array() * gy.cast<double>().array()).sum();
		double observed = parallel_sum(
		    data_.users(), h_.threads,
		    [&](size_t begin, size_t end)
		    {
			    double s = 0.0;
			    for (size_t u = begin; u < end; u++)
			    {
				    Eigen::Map<const Eigen::VectorXf> xu(b_.user_factors + u * k, k);
				    for (int64_t e = data_.by_user.ptr[u]; e < data_.by_user.ptr[u + 1]; e++)
				    {
					    Eigen::Map<const Eigen::VectorXf> yi(
					        b_.item_factors + static_cast<size_t>(data_.by_user.index[e]) * k, k);
					    double score = xu.dot(yi);
					    double c = 1.0 + h_.alpha * data_.by_user.value[e];
					    s += c * (1.0 - score) * (1.0 - score) - score * score;
				    }
			    }
			    return s;
		    });
		double reg = h_.regularization * (gx.trace() + gy.trace());
		return (observed + all_pairs + reg) / static_cast<double>(data_.nnz());
	}
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
