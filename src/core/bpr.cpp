// Bayesian Personalised Ranking (Rendle et al. 2009) by SGD: for a sampled interaction (u, i)
// and a sampled item j the user did not interact with, raise x_uij = p_u.(q_i - q_j) + b_i - b_j.
// One thread is deterministic for a seed; more threads update shared factors lock-free.
#include "training.h"

#include "core_errors.h"
#include "factor_init.h"
#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

class BprTrainer : public Trainer
{
  public:
	BprTrainer(const Interactions &data, const Hyperparameters &h, const FactorBuffers &b)
	    : Trainer(data, h, b)
	{
		// Sampling an interaction uniformly: the user owning entry e of the CSR.
		owner_.resize(data.nnz());
		for (size_t u = 0; u < data.users(); u++)
			std::fill(owner_.begin() + data.by_user.ptr[u],
			          owner_.begin() + data.by_user.ptr[u + 1], static_cast<int32_t>(u));
	}

	bool run_epoch(const volatile sig_atomic_t *interrupt) override
	{
		const int k = h_.factors;
		const float lr = static_cast<float>(h_.learning_rate);
		const float reg = static_cast<float>(h_.regularization);
		const size_t samples = data_.nnz(), n_items = data_.items();
		std::atomic<bool> stop(false);
		epoch_++;

		double total = parallel_sum(
		    samples, h_.threads,
		    [&](size_t begin, size_t end)
		    {
			    // One stream per slice: the same for a seed, epoch and thread count.
			    Random rng(h_.seed * 0x9e3779b97f4a7c15ULL + epoch_ * 1000003ULL + begin);
			    Eigen::VectorXf diff(k), pu_old(k);
			    double loss = 0.0;
			    for (size_t s = begin; s < end; s++)
			    {
				    if ((s - begin) % 4096 == 0 &&
				        (stop.load(std::memory_order_relaxed) || interrupted(interrupt)))
				    {
					    stop = true;
					    return loss;
				    }
				    size_t e = rng.below(samples);
				    int32_t u = owner_[e], i = data_.by_user.index[e];
				    const int32_t *seen = data_.by_user.index.data() + data_.by_user.ptr[u];
				    const int32_t *seen_end = data_.by_user.index.data() + data_.by_user.ptr[u + 1];
				    if (static_cast<size_t>(seen_end - seen) >= n_items)
					    continue; // the user has seen everything: no negative exists
				    int32_t j;
				    do
					    j = static_cast<int32_t>(rng.below(n_items));
				    while (std::binary_search(seen, seen_end, j));

				    Eigen::Map<Eigen::VectorXf> pu(b_.user_factors + static_cast<size_t>(u) * k, k);
				    Eigen::Map<Eigen::VectorXf> qi(b_.item_factors + static_cast<size_t>(i) * k, k);
				    Eigen::Map<Eigen::VectorXf> qj(b_.item_factors + static_cast<size_t>(j) * k, k);
				    diff = qi - qj;
				    float x = pu.dot(diff) + b_.item_bias[i] - b_.item_bias[j];
				    float g = 1.0f / (1.0f + std::exp(x)); // sigmoid(-x)
				    loss += std::log1p(std::exp(-static_cast<double>(x)));
				    pu_old = pu;
				    pu += lr * (g * diff - reg * pu);
				    qi += lr * (g * pu_old - reg * qi);
				    qj += lr * (-g * pu_old - reg * qj);
				    b_.item_bias[i] += lr * (g - reg * b_.item_bias[i]);
				    b_.item_bias[j] += lr * (-g - reg * b_.item_bias[j]);
			    }
			    return loss;
		    });
		if (stop)
			return false;
		set_loss(total / static_cast<double>(samples), "BPR");
		return true;
	}

  private:
	uint64_t epoch_ = 0;
	std::vector<int32_t> owner_;
};

} // namespace

std::unique_ptr<Trainer> make_bpr_trainer(const Interactions &data, const Hyperparameters &h,
                                          const FactorBuffers &b)
{
	return std::unique_ptr<Trainer>(new BprTrainer(data, h, b));
}

} // namespace pgrec
