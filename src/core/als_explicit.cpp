// Explicit biased matrix factorisation by alternating least squares: r ~ mu + b_u + b_i + p_u.q_i,
// each side solved exactly per row (Cholesky) with weighted-lambda regularisation (lambda * n).
#include "training.h"

#include "core_errors.h"
#include "factor_init.h"
#include "parallel.h"

#include <atomic>
#include <cmath>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

// Rows of the design matrix gathered at once; bounds the scratch memory per thread.
constexpr int64_t kChunk = 256;

class AlsTrainer : public Trainer
{
  public:
	AlsTrainer(const Interactions &data, const Hyperparameters &h, const FactorBuffers &b)
	    : Trainer(data, h, b), mu_(data.mean_value)
	{
	}

	bool run_epoch(const volatile sig_atomic_t *interrupt) override
	{
		if (!solve(data_.by_user, b_.user_factors, b_.user_bias, b_.item_factors, b_.item_bias,
		           interrupt))
			return false;
		if (!solve(data_.by_item, b_.item_factors, b_.item_bias, b_.user_factors, b_.user_bias,
		           interrupt))
			return false;
		set_loss(training_rmse(), "explicit ALS");
		return true;
	}

	double global_mean() const override
	{
		return mu_;
	}

  private:
	// Solves every row of one side against the fixed other side; false if interrupted.
	bool solve(const SparseRows &rows, float *factors, float *bias, const float *other,
	           const float *other_bias, const volatile sig_atomic_t *interrupt)
	{
		const int k = h_.factors, n = k + 1;
		std::atomic<bool> stop(false);
		parallel_for(
		    rows.rows(), h_.threads,
		    [&](size_t begin, size_t end, int)
		    {
			    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> x(kChunk, n);
			    Eigen::VectorXf target(kChunk), rhs(n);
			    Eigen::MatrixXf a(n, n);
			    for (size_t r = begin; r < end; r++)
			    {
				    if ((r - begin) % 64 == 0 &&
				        (stop.load(std::memory_order_relaxed) || interrupted(interrupt)))
				    {
					    stop = true;
					    return;
				    }
				    a.setZero();
				    rhs.setZero();
				    int64_t first = rows.ptr[r], last = rows.ptr[r + 1];
				    for (int64_t start = first; start < last; start += kChunk)
				    {
					    int64_t m = std::min(kChunk, last - start);
					    for (int64_t j = 0; j < m; j++)
					    {
						    int32_t c = rows.index[start + j];
						    x(j, 0) = 1.0f;
						    x.row(j).tail(k) = Eigen::Map<const Eigen::RowVectorXf>(
						        other + static_cast<size_t>(c) * k, k);
						    target(j) =
						        rows.value[start + j] - static_cast<float>(mu_) - other_bias[c];
					    }
					    auto xm = x.topRows(m);
					    a.selfadjointView<Eigen::Lower>().rankUpdate(xm.transpose());
					    rhs.noalias() += xm.transpose() * target.head(m);
				    }
				    double count =
				        std::pow(static_cast<double>(last - first), h_.regularization_exponent);
				    a.diagonal().array() += static_cast<float>(h_.regularization * count);
				    a(0, 0) +=
				        static_cast<float>((h_.bias_regularization - h_.regularization) * count);
				    Eigen::VectorXf w = a.selfadjointView<Eigen::Lower>().llt().solve(rhs);
				    bias[r] = w(0);
				    Eigen::Map<Eigen::VectorXf>(factors + r * k, k) = w.tail(k);
			    }
		    });
		return !stop;
	}

	double training_rmse() const
	{
		const int k = h_.factors;
		double total = parallel_sum(
		    data_.users(), h_.threads,
		    [&](size_t begin, size_t end)
		    {
			    double s = 0.0;
			    for (size_t u = begin; u < end; u++)
			    {
				    Eigen::Map<const Eigen::VectorXf> p(b_.user_factors + u * k, k);
				    for (int64_t e = data_.by_user.ptr[u]; e < data_.by_user.ptr[u + 1]; e++)
				    {
					    int32_t i = data_.by_user.index[e];
					    double pred = mu_ + b_.user_bias[u] + b_.item_bias[i] +
					                  p.dot(Eigen::Map<const Eigen::VectorXf>(
					                      b_.item_factors + static_cast<size_t>(i) * k, k));
					    double err = data_.by_user.value[e] - pred;
					    s += err * err;
				    }
			    }
			    return s;
		    });
		return std::sqrt(total / static_cast<double>(data_.nnz()));
	}

	double mu_;
};

} // namespace

std::unique_ptr<Trainer> make_als_trainer(const Interactions &data, const Hyperparameters &h,
                                          const FactorBuffers &b)
{
	return std::unique_ptr<Trainer>(new AlsTrainer(data, h, b));
}

} // namespace pgrec
