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
		: data_(data), h_(h), b_(b), rng_seed_(h.seed)
	{
		Random rng(h.seed);
		size_t k = static_cast<size_t>(h.factors);
		init_normal(b.user_factors, data.users() * k, h.init_scale, rng);
		init_normal(b.item_factors, data.items() * k, h.init_scale, rng);
		std::fill(b.user_bias, b.user_bias + data.users(), 0.0f);
		std::fill(b.item_bias, b.item_bias + data.items(), 0.0f);
		// Sampling an interaction uniformly: the user owning entry e of the CSR.
		owner_.resize(data.nnz());
		for (size_t u = 0; u < data.users(); u++)
			std::fill(owner_.begin() + data.by_user.ptr[u], owner_.begin() + data.by_user.ptr[u + 1],
					  static_cast<int32_t>(u));
	}

	bool run_epoch(const volatile sig_atomic_t *interrupt) override
	{
		const int k = h_.factors;
		const float lr = static_cast<float>(h_.learning_rate);
		const float reg = static_cast<float>(h_.regularization);
		const size_t samples = data_.nnz(), n_items = data_.items();
		std::vector<double> partial(static_cast<size_t>(h_.threads), 0.0);
		std::atomic<bool> stop(false);
		epoch_++;

		parallel_for(samples, h_.threads, [&](size_t begin, size_t end, int w) {
			Random rng(rng_seed_ * 0x9e3779b97f4a7c15ULL + epoch_ * 1000003ULL + static_cast<uint64_t>(w));
			Eigen::VectorXf diff(k), pu_old(k);
			double loss = 0.0;
			for (size_t s = begin; s < end; s++)
			{
				if ((s - begin) % 4096 == 0 && (stop.load(std::memory_order_relaxed) || interrupted(interrupt)))
				{
					stop = true;
					return;
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
			partial[w] = loss;
		});
		if (stop)
			return false;
		double total = 0.0;
		for (double l : partial)
			total += l;
		loss_ = total / static_cast<double>(samples);
		if (!std::isfinite(loss_))
			throw NumericDivergence("BPR diverged: the training loss is not finite");
		return true;
	}

	double loss() const override
	{
		return loss_;
	}

	double global_mean() const override
	{
		return 0.0;
	}

  private:
	const Interactions &data_;
	Hyperparameters h_;
	FactorBuffers b_;
	uint64_t rng_seed_;
	uint64_t epoch_ = 0;
	std::vector<int32_t> owner_;
	double loss_ = 0.0;
};

} // namespace

std::unique_ptr<Trainer> make_bpr_trainer(const Interactions &data, const Hyperparameters &h,
										  const FactorBuffers &b)
{
	return std::unique_ptr<Trainer>(new BprTrainer(data, h, b));
}

} // namespace pgrec
