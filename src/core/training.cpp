// Hyper-parameter checks, memory estimates and the trainer factory shared by all algorithms.
#include "training.h"

#include "core_errors.h"
#include "factor_init.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core_only.h"

namespace pgrec
{

std::unique_ptr<Trainer> make_als_trainer(const Interactions &, const Hyperparameters &,
                                          const FactorBuffers &);
std::unique_ptr<Trainer> make_ials_trainer(const Interactions &, const Hyperparameters &,
                                           const FactorBuffers &);
std::unique_ptr<Trainer> make_bpr_trainer(const Interactions &, const Hyperparameters &,
                                          const FactorBuffers &);

bool has_biases(Algorithm algorithm)
{
	return algorithm != Algorithm::Ials;
}

DuplicatePolicy duplicate_policy(Algorithm algorithm)
{
	return algorithm == Algorithm::Als ? DuplicatePolicy::Mean : DuplicatePolicy::Sum;
}

void validate(const Hyperparameters &h)
{
	if (h.factors < 1 || h.factors > 4096)
		throw InvalidArgument("factors must be between 1 and 4096, not " +
		                      std::to_string(h.factors));
	if (h.epochs < 1 || h.epochs > 100000)
		throw InvalidArgument("epochs must be between 1 and 100000, not " +
		                      std::to_string(h.epochs));
	if (!(h.regularization >= 0.0) || !std::isfinite(h.regularization))
		throw InvalidArgument("regularization must be a finite number >= 0");
	if (!(h.alpha >= 0.0) || !std::isfinite(h.alpha))
		throw InvalidArgument("alpha must be a finite number >= 0");
	if (!(h.learning_rate > 0.0) || !std::isfinite(h.learning_rate))
		throw InvalidArgument("learning_rate must be a finite number > 0");
	if (h.threads < 1 || h.threads > 64)
		throw InvalidArgument("threads must be between 1 and 64");
	if (h.cg_steps < 1 || h.cg_steps > 100)
		throw InvalidArgument("cg_steps must be between 1 and 100");
	if (!(h.init_scale > 0.0) || !std::isfinite(h.init_scale))
		throw InvalidArgument("init_scale must be a finite number > 0");
}

size_t trainer_scratch_bytes(const Hyperparameters &h, const Interactions &data)
{
	size_t k = static_cast<size_t>(h.factors) + 1;
	size_t per_thread = (256 * k + 3 * k * k + 8 * k) * sizeof(float);
	size_t shared = k * k * sizeof(float) + (data.users() + data.items()) * sizeof(double);
	return shared + per_thread * static_cast<size_t>(h.threads);
}

void init_normal(float *values, size_t count, double scale, Random &rng)
{
	for (size_t i = 0; i < count; i++)
		values[i] = static_cast<float>(rng.normal() * scale);
}

Trainer::Trainer(const Interactions &data, const Hyperparameters &h, const FactorBuffers &b)
    : data_(data), h_(h), b_(b)
{
	Random rng(h.seed);
	size_t k = static_cast<size_t>(h.factors);
	init_normal(b.user_factors, data.users() * k, h.init_scale, rng);
	init_normal(b.item_factors, data.items() * k, h.init_scale, rng);
	if (b.user_bias)
		std::fill(b.user_bias, b.user_bias + data.users(), 0.0f);
	if (b.item_bias)
		std::fill(b.item_bias, b.item_bias + data.items(), 0.0f);
}

void Trainer::set_loss(double loss, const char *what)
{
	if (!std::isfinite(loss))
		throw NumericDivergence(std::string(what) + " diverged: the training loss is not finite");
	loss_ = loss;
}

std::unique_ptr<Trainer> make_trainer(const Interactions &data, const Hyperparameters &h,
                                      const FactorBuffers &buffers)
{
	validate(h);
	switch (h.algorithm)
	{
	case Algorithm::Als:
		return make_als_trainer(data, h, buffers);
	case Algorithm::Ials:
		return make_ials_trainer(data, h, buffers);
	case Algorithm::Bpr:
		return make_bpr_trainer(data, h, buffers);
	}
	throw InvalidArgument("unknown algorithm");
}

} // namespace pgrec
