// Bayesian Personalised Ranking (Rendle et al. 2009) by SGD: for a sampled interaction (u, i)
// and a sampled item j the user did not interact with, raise x_uij = p_u.(q_i - q_j) + b_i - b_j.
// One thread is deterministic for a seed; more threads update shared factors lock-free. A new
// user is folded in by SGD on their BPR objective with the items fixed, and a score explained
// by following that SGD's updates.
#include "algorithm_registry.h"
#include "factor_init.h"
#include "parallel.h"

#include <algorithm>
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

	void run_epoch(const CancelToken &cancel) override
	{
		const int k = h_.factors;
		const float lr = static_cast<float>(h_.learning_rate);
		const float reg = static_cast<float>(h_.regularization);
		const size_t samples = data_.nnz(), n_items = data_.items();
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
				    if ((s - begin) % 4096 == 0)
					    cancel.check();
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
		set_loss(total / static_cast<double>(samples), "BPR");
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

namespace
{

// The most SGD updates of one fold-in: a few milliseconds at 64 factors.
constexpr size_t kFoldInSteps = 20000;

// The fold-in: SGD from p = 0 on the user's BPR objective with the items fixed, min(200 n,
// kFoldInSteps) updates
// p <- (1 - lr reg) p + lr g (q_i - q_j) on a seeded (seen item i, unseen item j) sample each.
// After each update calls step(position of i in the history, lr g, q_i - q_j).
template <class Step>
void bpr_fold_in(const FoldInInput &in, const CancelToken &cancel, float *factors, Step &&step)
{
	const ItemMatrix &m = in.items;
	const int k = m.dim;
	// item_indices are distinct and ascending (the caller's contract), so searchable.
	const int32_t *seen = in.item_indices, *seen_end = in.item_indices + in.n;
	Eigen::Map<Eigen::VectorXf> p(factors, k);
	p.setZero();
	if (in.n >= m.count)
		return;
	Random rng(in.h.seed);
	const float lr = static_cast<float>(in.h.learning_rate),
	            reg = static_cast<float>(in.h.regularization);
	auto row = [&](int32_t i)
	{ return Eigen::Map<const Eigen::VectorXf>(m.factors + static_cast<size_t>(i) * k, k); };
	// As many updates as the user gets over 200 epochs of training, at most kFoldInSteps.
	size_t steps = std::min(200 * in.n, kFoldInSteps);
	Eigen::VectorXf diff(k);
	for (size_t s = 0; s < steps; s++)
	{
		if (s % 4096 == 0)
			cancel.check();
		size_t position = rng.below(in.n);
		int32_t i = seen[position], j;
		do
			j = static_cast<int32_t>(rng.below(m.count));
		while (std::binary_search(seen, seen_end, j));
		diff = row(i) - row(j);
		float x = p.dot(diff) + (m.bias ? m.bias[i] - m.bias[j] : 0.0f);
		float grad = 1.0f / (1.0f + std::exp(x));
		p += lr * (grad * diff - reg * p);
		step(position, static_cast<double>(lr) * grad, diff);
	}
}

} // namespace

void fold_in_bpr(const FoldInInput &in, const CancelToken &cancel, float *factors, float *)
{
	bpr_fold_in(in, cancel, factors, [](size_t, double, const Eigen::VectorXf &) {});
}

// p is the sum of its updates, each decayed by the later ones: p = sum_s lr g_s d^(S-s)
// (q_i(s) - q_j(s)) with d = 1 - lr reg. Update s is credited to its seen item i(s), so the
// shares q_t . p_i add up to q_t . p (the push away from the sampled unseen item goes to the
// seen item it was paired with). Kept as share_i / d^s with d^s renormalised before it
// underflows, so each update costs O(k), not O(n).
void explain_bpr(const FoldInInput &in, int32_t target, const CancelToken &cancel,
                 float *contributions)
{
	const int k = in.items.dim;
	Eigen::Map<const Eigen::VectorXf> q(in.items.factors + static_cast<size_t>(target) * k, k);
	// The factor the update applies, in the precision it is applied in.
	const double decay = 1.0 - static_cast<double>(static_cast<float>(in.h.learning_rate)) *
	                               static_cast<float>(in.h.regularization);
	std::vector<float> p(static_cast<size_t>(k));
	std::vector<double> share(in.n, 0.0);
	double scale = 1.0; // the shares are share[i] * scale
	bpr_fold_in(in, cancel, p.data(),
	            [&](size_t position, double step, const Eigen::VectorXf &diff)
	            {
		            scale *= decay;
		            if (std::fabs(scale) < 1e-150)
		            {
			            for (double &value : share)
				            value *= scale;
			            scale = 1.0;
		            }
		            share[position] += step * static_cast<double>(q.dot(diff)) / scale;
	            });
	for (size_t j = 0; j < in.n; j++)
		contributions[j] = static_cast<float>(share[j] * scale);
}

} // namespace pgrec
