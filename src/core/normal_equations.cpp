// The implicit sides in blocks of rows and the training losses of the ALS family (per-row sums),
// on the row solvers in parallel, and the LDLT solve of a fold-in's system with its per-item
// decomposition.
#include "normal_equations.h"

#include "parallel.h"

#include <algorithm>
#include <cmath>

#include "core_only.h"

namespace pgrec
{

void gramian(const float *factors, size_t count, int dim, float *out, const CancelToken &cancel,
             const float *weights, int threads)
{
	const RowSolvers &solvers = row_solvers(dim);
	const size_t tiles = static_cast<size_t>((dim + kGramianColumns - 1) / kGramianColumns);
	std::fill(out, out + static_cast<size_t>(dim) * dim, 0.0f);
	for (size_t first = 0; first < count; first += kGramianBlock)
	{
		cancel.check();
		size_t rows = std::min(kGramianBlock, count - first);
		parallel_for(tiles, std::min<int>(threads, static_cast<int>(tiles)),
		             [&](size_t begin, size_t end, int)
		             {
			             for (size_t t = begin; t < end; t++)
			             {
				             int column = static_cast<int>(t) * kGramianColumns;
				             solvers.add_gramian_columns(
				                 factors + first * static_cast<size_t>(dim), rows, dim,
				                 weights ? weights + first : nullptr, column,
				                 std::min(kGramianColumns, dim - column), out);
			             }
		             });
	}
}

void solve_implicit_side(const float *g, const float *y, const Hyperparameters &h,
                         const ImplicitRows &rows, size_t count, float *x,
                         const CancelToken &cancel)
{
	const size_t blocks = (count + kRowBlock - 1) / kRowBlock;
	const RowSolvers &solvers = row_solvers(h.factors);
	parallel_for(blocks, h.threads,
	             [&](size_t begin, size_t end, int)
	             {
		             RowScratch scratch(h.factors);
		             std::vector<float> predictions;
		             for (size_t b = begin; b < end; b++)
		             {
			             if ((b - begin) % 8 == 0)
				             cancel.check();
			             size_t first = b * kRowBlock;
			             size_t n = std::min(kRowBlock, count - first);
			             if (subspace_sweeps(h))
				             predictions.resize(std::max(
				                 predictions.size(),
				                 static_cast<size_t>(rows.ptr[first + n] - rows.ptr[first])));
			             solvers.solve_implicit_rows(g, y, h, rows, first, n,
			                                         scratch.floats.data(), predictions.data(),
			                                         x);
		             }
	             });
}

std::vector<float> row_regularizations(const SparseRows &rows, const Hyperparameters &h)
{
	std::vector<float> lambda(rows.rows());
	for (size_t r = 0; r < rows.rows(); r++)
		lambda[r] = row_regularization(h.regularization, h.regularization_exponent,
		                               rows.ptr[r + 1] - rows.ptr[r]);
	return lambda;
}

double implicit_data_loss(const Interactions &data, const float *users, const float *items,
                          const Hyperparameters &h, const float *user_weights,
                          const float *item_weights, const CancelToken &cancel)
{
	const int k = h.factors;
	RowMatrix gx(k, k), gy(k, k);
	gramian(users, data.users(), k, gx.data(), cancel, user_weights, h.threads);
	gramian(items, data.items(), k, gy.data(), cancel, item_weights, h.threads);
	return implicit_loss_from_gramians(data, users, items, gx.data(), gy.data(), h, cancel);
}

double implicit_loss_from_gramians(const Interactions &data, const float *users, const float *items,
                                   const float *user_gramian, const float *item_gramian,
                                   const Hyperparameters &h, const CancelToken &cancel)
{
	const int k = h.factors;
	double all_pairs = (Eigen::Map<const RowMatrix>(user_gramian, k, k).cast<double>().array() *
	                    Eigen::Map<const RowMatrix>(item_gramian, k, k).cast<double>().array())
	                       .sum();
	const SparseRows &rows = data.by_user;
	double observed = parallel_sum(data.users(), h.threads,
	                               [&](size_t begin, size_t end)
	                               {
		                               return row_solvers(k).implicit_observed_loss(
		                                   rows.ptr.data(), rows.index.data(), rows.value.data(),
		                                   begin, end, h.alpha, users, items, k, cancel);
	                               });
	return observed + all_pairs;
}

double training_rmse(const Interactions &data, double mu, const FactorBuffers &b,
                     const Hyperparameters &h)
{
	const SparseRows &rows = data.by_user;
	double total =
	    parallel_sum(data.users(), h.threads,
	                 [&](size_t begin, size_t end)
	                 {
		                 return row_solvers(h.factors).squared_errors(
		                     rows.ptr.data(), rows.index.data(), rows.value.data(), begin, end, mu,
		                     b.user_factors, b.user_bias, b.item_factors, b.item_bias, h.factors);
	                 });
	return std::sqrt(total / static_cast<double>(std::max<size_t>(data.nnz(), 1)));
}

namespace
{

// Items between two checks of the token in a fold-in's decomposition.
constexpr size_t kCheckEvery = 4096;

// The factors of item c.
Eigen::Map<const Eigen::VectorXf> factors_of(const ItemMatrix &items, int32_t c)
{
	return Eigen::Map<const Eigen::VectorXf>(items.factors + static_cast<size_t>(c) * items.dim,
	                                         items.dim);
}

} // namespace

RowSystem projection_system(const FoldInInput &in)
{
	const int k = in.items.dim;
	RowSystem system = {Eigen::Map<const RowMatrix>(in.gramian, k, k).cast<double>(),
	                    Eigen::VectorXd(in.n), false};
	for (size_t j = 0; j < in.n; j++)
		system.weights(static_cast<Eigen::Index>(j)) = in.values ? in.values[j] : 1.0;
	return system;
}

void solve_row_system(const RowSystem &system, const FoldInInput &in, float *factors)
{
	const int k = in.items.dim;
	Eigen::VectorXd b = Eigen::VectorXd::Zero(system.a.rows());
	for (size_t j = 0; j < in.n; j++)
	{
		double w = system.weights(static_cast<Eigen::Index>(j));
		if (system.offset)
			b(0) += w;
		b.tail(k) += w * factors_of(in.items, in.item_indices[j]).cast<double>();
	}
	Eigen::VectorXd x = system.a.selfadjointView<Eigen::Lower>().ldlt().solve(b);
	Eigen::Map<Eigen::VectorXf>(factors, k) = x.tail(k).cast<float>();
}

void explain_row_system(const RowSystem &system, const FoldInInput &in, int32_t target,
                        const CancelToken &cancel, float *contributions)
{
	const ItemMatrix &items = in.items;
	Eigen::VectorXd z = Eigen::VectorXd::Zero(system.a.rows());
	z.tail(items.dim) = factors_of(items, target).cast<double>();
	Eigen::VectorXd v = system.a.selfadjointView<Eigen::Lower>().ldlt().solve(z);
	// v . d_j: the offset's coordinate (d_j(0) = 1) plus the factors'.
	double v0 = system.offset ? v(0) : 0.0;
	auto v_factors = v.tail(items.dim);
	for (size_t j = 0; j < in.n; j++)
	{
		if (j % kCheckEvery == 0)
			cancel.check();
		double share = v0 + v_factors.dot(factors_of(items, in.item_indices[j]).cast<double>());
		contributions[j] = static_cast<float>(system.weights(static_cast<Eigen::Index>(j)) * share);
	}
}

} // namespace pgrec
