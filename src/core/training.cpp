// What all trainers share: the memory estimate, seeded initialisation and the loss check.
#include "training.h"

#include "core_errors.h"
#include "factor_init.h"
#include "row_solvers.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core_only.h"

namespace pgrec
{

size_t factor_scratch_bytes(const Hyperparameters &h, const Interactions &data)
{
	size_t k = static_cast<size_t>(h.factors) + 1;
	// The row solvers' memory per thread; the two Gramians and the rows' regularisations.
	size_t per_thread = row_solver_thread_bytes(h.factors);
	size_t shared = 2 * k * k * sizeof(float) + (data.users() + data.items()) * sizeof(double);
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

} // namespace pgrec
