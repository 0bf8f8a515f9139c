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

namespace
{

// The most entries any block of kRowBlock rows of a side holds.
size_t max_block_entries(const SparseRows &rows)
{
	size_t most = 0;
	for (size_t first = 0; first < rows.rows(); first += kRowBlock)
	{
		size_t end = std::min(rows.rows(), first + kRowBlock);
		most = std::max(most, static_cast<size_t>(rows.ptr[end] - rows.ptr[first]));
	}
	return most;
}

} // namespace

size_t factor_scratch_bytes(const Hyperparameters &h, const Interactions &data)
{
	size_t k = static_cast<size_t>(h.factors) + 1;
	// The row solvers' memory per thread; the two Gramians and the rows' regularisations.
	size_t per_thread = row_solver_thread_bytes(h.factors);
	// iALS++ keeps a prediction per entry of the block of rows it solves.
	if (subspace_sweeps(h))
		per_thread += std::max(max_block_entries(data.by_user), max_block_entries(data.by_item)) *
		              sizeof(float);
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
