// Unit tests of the row solvers: the exact solves satisfy their normal equations, conjugate
// gradient with as many steps as unknowns reaches them, and every build this CPU runs agrees
// with the generic one.
#include "normal_equations.h"
#include "row_solvers.h"

#include <Eigen/Dense>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace
{

// The builds this CPU can run.
std::vector<const pgrec::RowSolvers *> runnable_builds()
{
	std::vector<const pgrec::RowSolvers *> builds = {&pgrec::generic_row_solvers()};
#if defined(__x86_64__)
	__builtin_cpu_init();
	bool fma = __builtin_cpu_supports("fma");
	if (pgrec::avx2_row_solvers() && __builtin_cpu_supports("avx2") && fma)
		builds.push_back(pgrec::avx2_row_solvers());
	if (pgrec::avx512_row_solvers() && __builtin_cpu_supports("avx512f") && fma)
		builds.push_back(pgrec::avx512_row_solvers());
#endif
	return builds;
}

// A random problem: `columns` rows of the other side (dim factors, biases), one row's n
// distinct entries with ratings in [1, 5], and a prior of dim + 1 floats.
struct Problem
{
	Problem(int dim, size_t columns, size_t n, unsigned seed) : dim(dim), columns(columns)
	{
		std::mt19937 rng(seed);
		std::normal_distribution<float> normal(0.0f, 0.3f);
		factors.resize(columns * dim);
		bias.resize(columns);
		for (float &f : factors)
			f = normal(rng);
		for (float &b : bias)
			b = normal(rng);
		for (size_t j = 0; j < n; j++)
		{
			index.push_back(static_cast<int32_t>((j * 7 + seed) % columns));
			values.push_back(static_cast<float>(rng() % 5 + 1));
		}
		for (int d = 0; d <= dim; d++)
			prior.push_back(normal(rng));
		h.factors = dim;
		h.regularization = 0.1;
		h.bias_regularization = 0.05;
		h.regularization_exponent = 0.5;
		h.alpha = 2.0;
	}
	pgrec::ItemMatrix other() const
	{
		return {factors.data(), bias.data(), nullptr, columns, dim};
	}
	pgrec::ExplicitRow row() const
	{
		return {index.data(), values.data(), index.size(), prior.data()};
	}
	int dim;
	size_t columns;
	std::vector<float> factors, bias, values, prior;
	std::vector<int32_t> index;
	pgrec::Hyperparameters h;
};

float max_difference(const std::vector<float> &a, const std::vector<float> &b)
{
	float d = 0.0f;
	for (size_t i = 0; i < a.size(); i++)
		d = std::max(d, std::fabs(a[i] - b[i]));
	return d;
}

TEST(RowSolvers, ExactExplicitRowSolvesItsNormalEquations)
{
	Problem p(9, 50, 300, 3); // more entries than one design chunk
	const pgrec::RowSolvers &s = pgrec::generic_row_solvers();
	std::vector<float> scratch(pgrec::row_scratch_floats(p.dim)), normal(100), rhs(10);
	s.explicit_normal_equations(p.other(), 3.5, p.h, p.row(), scratch.data(), normal.data(),
	                            rhs.data());
	std::vector<float> x(p.dim, 0.0f);
	float bias = 0.0f;
	s.solve_explicit_row(p.other(), 3.5, p.h, p.row(), true, scratch.data(), x.data(), &bias);
	std::vector<float> w = {bias};
	w.insert(w.end(), x.begin(), x.end());
	for (int r = 0; r <= p.dim; r++)
	{
		double lhs = 0.0;
		for (int c = 0; c <= p.dim; c++) // the lower triangle holds the symmetric matrix
			lhs += normal[r >= c ? c * 10 + r : r * 10 + c] * w[c];
		EXPECT_NEAR(lhs, rhs[r], 1e-2 * (1.0 + std::fabs(rhs[r])));
	}
}

TEST(RowSolvers, ConjugateGradientReachesTheExactSolves)
{
	Problem p(6, 40, 120, 5);
	const pgrec::RowSolvers &s = pgrec::generic_row_solvers();
	std::vector<float> scratch(pgrec::row_scratch_floats(p.dim));
	std::vector<float> exact(p.dim, 0.0f), cg(p.dim, 0.0f);
	float exact_bias = 0.0f, cg_bias = 0.0f;
	p.h.cg_steps = 40;
	s.solve_explicit_row(p.other(), 3.5, p.h, p.row(), true, scratch.data(), exact.data(),
	                     &exact_bias);
	s.solve_explicit_row(p.other(), 3.5, p.h, p.row(), false, scratch.data(), cg.data(), &cg_bias);
	EXPECT_LT(max_difference(exact, cg), 1e-4f);
	EXPECT_NEAR(exact_bias, cg_bias, 1e-4f);
}

// A side of implicit rows against Problem's factors: a full block of kRowBlock rows and a
// partial one of 13, row 7 without entries, priors with a stride wider than a row.
struct ImplicitSide
{
	ImplicitSide(const Problem &p) : stride(p.dim + 2)
	{
		std::mt19937 rng(11);
		ptr.push_back(0);
		for (size_t r = 0; r < kRows; r++)
		{
			size_t n = r == 7 ? 0 : 1 + rng() % 12;
			for (size_t j = 0; j < n; j++)
			{
				index.push_back(static_cast<int32_t>((r * 5 + j * 3) % p.columns));
				values.push_back(static_cast<float>(rng() % 4 + 1));
			}
			ptr.push_back(static_cast<int64_t>(index.size()));
			lambda.push_back(0.3f + 0.1f * static_cast<float>(n));
		}
		for (size_t i = 0; i < kRows * stride; i++)
			prior.push_back(static_cast<float>(rng() % 100) / 100.0f - 0.5f);
		g.resize(p.dim * p.dim);
		pgrec::gramian(p.factors.data(), p.columns, p.dim, g.data(), pgrec::no_cancel());
	}
	pgrec::ImplicitRows rows() const
	{
		return {ptr.data(), index.data(), values.data(), lambda.data(), prior.data(), stride, true};
	}
	// Solves rows [first, first + count) with build from x = 0.1 everywhere, sweeps times;
	// returns all rows.
	std::vector<float> solve(const pgrec::RowSolvers &build, const Problem &p, size_t first,
	                         size_t count, int sweeps = 1) const
	{
		std::vector<float> x(kRows * p.dim, 0.1f), scratch(pgrec::row_scratch_floats(p.dim));
		std::vector<float> predictions(index.size());
		for (int sweep = 0; sweep < sweeps; sweep++)
			build.solve_implicit_rows(g.data(), p.factors.data(), p.h, rows(), first, count,
			                          scratch.data(), predictions.data(), x.data());
		return x;
	}
	static constexpr size_t kRows = pgrec::kRowBlock + 13;
	size_t stride;
	std::vector<int64_t> ptr;
	std::vector<int32_t> index;
	std::vector<float> values, lambda, prior, g;
};

TEST(RowSolvers, ImplicitBlocksReachTheExactSolvesRowByRow)
{
	Problem p(6, 40, 1, 5);
	ImplicitSide side(p);
	const pgrec::RowSolvers &s = pgrec::generic_row_solvers();
	p.h.cg_steps = 0;
	std::vector<float> exact = side.solve(s, p, 0, pgrec::kRowBlock);
	p.h.cg_steps = 40;
	std::vector<float> cg = side.solve(s, p, 0, pgrec::kRowBlock);
	EXPECT_LT(max_difference(exact, cg), 1e-3f);
	EXPECT_GT(std::fabs(exact[0] - 0.1f), 1e-3f);
	for (int d = 0; d < p.dim; d++) // the empty row is left alone
		EXPECT_EQ(cg[7 * p.dim + d], 0.1f);
	// A row solved in its block or alone: the same up to float rounding.
	p.h.cg_steps = 3;
	const size_t last = ImplicitSide::kRows - 1;
	std::vector<float> block = side.solve(s, p, pgrec::kRowBlock, 13),
	                   alone = side.solve(s, p, last, 1);
	for (int d = 0; d < p.dim; d++)
		EXPECT_NEAR(block[last * p.dim + d], alone[last * p.dim + d], 1e-5f);
	EXPECT_EQ(block[(pgrec::kRowBlock - 1) * p.dim], 0.1f); // rows before the block are untouched
}

// iALS++: repeated sweeps over the subspaces reach the exact solves, for subspaces that divide
// the factors (2 of 6) and that do not (4 of 6: a last subspace of 2), and for the widths built
// at compile time (16 and 32 of 40: last subspaces of 8); a block as wide as the row is the
// exact solve itself. The empty row is left alone.
TEST(RowSolvers, SubspaceSweepsReachTheExactSolves)
{
	const pgrec::RowSolvers &s = pgrec::generic_row_solvers();
	for (int dim : {6, 40})
	{
		Problem p(dim, 200, 1, 5);
		ImplicitSide side(p);
		p.h.cg_steps = 0;
		std::vector<float> exact = side.solve(s, p, 0, pgrec::kRowBlock);
		for (int block : dim == 6 ? std::vector<int>{2, 4} : std::vector<int>{16, 32})
		{
			p.h.block_size = block;
			std::vector<float> one = side.solve(s, p, 0, pgrec::kRowBlock);
			std::vector<float> many = side.solve(s, p, 0, pgrec::kRowBlock, 60);
			EXPECT_GT(max_difference(exact, one), 1e-3f) << "dim " << dim << " block " << block;
			EXPECT_LT(max_difference(exact, many), 1e-3f) << "dim " << dim << " block " << block;
			for (int d = 0; d < p.dim; d++)
				EXPECT_EQ(many[7 * p.dim + d], 0.1f);
		}
		p.h.block_size = p.dim;
		EXPECT_EQ(side.solve(s, p, 0, pgrec::kRowBlock), exact);
	}
}

// Each subspace step is exact, so one sweep from the same start lowers every row's objective
// 1/2 x^T A x - b^T x (A and b of normal_equations.h, in double here) below the start's.
TEST(RowSolvers, OneSubspaceSweepLowersEveryRowsObjective)
{
	Problem p(6, 40, 1, 5);
	ImplicitSide side(p);
	const int k = p.dim;
	p.h.block_size = 4;
	std::vector<float> x = side.solve(pgrec::generic_row_solvers(), p, 0, pgrec::kRowBlock);
	Eigen::MatrixXd g(k, k);
	for (int a = 0; a < k; a++)
		for (int b = 0; b < k; b++)
			g(a, b) = side.g[a * k + b];
	for (size_t r = 0; r < pgrec::kRowBlock; r++)
	{
		if (side.ptr[r + 1] == side.ptr[r])
			continue;
		Eigen::MatrixXd a = g + side.lambda[r] * Eigen::MatrixXd::Identity(k, k);
		Eigen::VectorXd rhs(k);
		for (int d = 0; d < k; d++)
			rhs(d) = side.lambda[r] * side.prior[r * side.stride + d];
		for (int64_t e = side.ptr[r]; e < side.ptr[r + 1]; e++)
		{
			Eigen::VectorXd y(k);
			for (int d = 0; d < k; d++)
				y(d) = p.factors[static_cast<size_t>(side.index[e]) * k + d];
			double w = p.h.alpha * side.values[e];
			a += w * y * y.transpose();
			rhs += (1.0 + w) * y;
		}
		auto objective = [&](const Eigen::VectorXd &v) { return 0.5 * v.dot(a * v) - rhs.dot(v); };
		Eigen::VectorXd start = Eigen::VectorXd::Constant(k, 0.1), after(k);
		for (int d = 0; d < k; d++)
			after(d) = x[r * k + d];
		EXPECT_LT(objective(after), objective(start) - 1e-6) << "row " << r;
	}
}

// The exact solves against dense double-precision systems built here from their definitions
// (normal_equations.h), with priors, a prior stride wider than a row and per-row lambdas.
TEST(RowSolvers, ExactSolvesMatchDenseReferences)
{
	Problem p(5, 30, 20, 4);
	const int k = p.dim;
	Eigen::MatrixXd q(p.columns, k);
	for (size_t c = 0; c < p.columns; c++)
		for (int d = 0; d < k; d++)
			q(c, d) = p.factors[c * k + d];

	ImplicitSide side(p);
	p.h.cg_steps = 0;
	std::vector<float> x = side.solve(pgrec::generic_row_solvers(), p, 0, pgrec::kRowBlock);
	for (size_t r : {size_t{0}, size_t{3}, size_t{100}})
	{
		Eigen::MatrixXd a = q.transpose() * q;
		Eigen::VectorXd b = Eigen::VectorXd::Zero(k);
		a.diagonal().array() += side.lambda[r];
		for (int64_t e = side.ptr[r]; e < side.ptr[r + 1]; e++)
		{
			Eigen::VectorXd y = q.row(side.index[e]).transpose();
			a += p.h.alpha * side.values[e] * y * y.transpose();
			b += (1.0 + p.h.alpha * side.values[e]) * y;
		}
		for (int d = 0; d < k; d++)
			b(d) += side.lambda[r] * side.prior[r * side.stride + d];
		Eigen::VectorXd expected = a.ldlt().solve(b);
		for (int d = 0; d < k; d++)
			EXPECT_NEAR(x[r * k + d], expected(d), 1e-3 * (1.0 + std::fabs(expected(d))));
	}

	// Explicit: design rows (1, q_j), targets r_j - mu - c_j, lambda n^e on the factors and
	// lambda_b n^e on the bias, towards the prior (bias first).
	const double mu = 3.2, count = std::pow(static_cast<double>(p.index.size()), 0.5);
	Eigen::MatrixXd a = Eigen::MatrixXd::Zero(k + 1, k + 1);
	Eigen::VectorXd b = Eigen::VectorXd::Zero(k + 1);
	for (size_t j = 0; j < p.index.size(); j++)
	{
		Eigen::VectorXd d(k + 1);
		d(0) = 1.0;
		d.tail(k) = q.row(p.index[j]).transpose();
		a += d * d.transpose();
		b += (p.values[j] - mu - p.bias[p.index[j]]) * d;
	}
	for (int d = 0; d <= k; d++)
	{
		double lambda = (d == 0 ? p.h.bias_regularization : p.h.regularization) * count;
		a(d, d) += lambda;
		b(d) += lambda * p.prior[d];
	}
	Eigen::VectorXd expected = a.ldlt().solve(b);
	std::vector<float> factors(k, 0.0f), scratch(pgrec::row_scratch_floats(k));
	float bias = 0.0f;
	pgrec::generic_row_solvers().solve_explicit_row(p.other(), mu, p.h, p.row(), true,
	                                                scratch.data(), factors.data(), &bias);
	EXPECT_NEAR(bias, expected(0), 1e-3 * (1.0 + std::fabs(expected(0))));
	for (int d = 0; d < k; d++)
		EXPECT_NEAR(factors[d], expected(d + 1), 1e-3 * (1.0 + std::fabs(expected(d + 1))));
}

// solve_implicit_side gives the same factors, bit for bit, with one thread or two, by conjugate
// gradient and by iALS++ subspaces (141 rows: two blocks).
TEST(RowSolvers, ImplicitSidesDoNotDependOnTheThreadCount)
{
	Problem p(16, 40, 1, 9);
	ImplicitSide side(p);
	p.h.cg_steps = 3;
	for (int block : {0, 5}) // conjugate gradient, iALS++ subspaces
	{
		p.h.block_size = block;
		std::vector<float> one(ImplicitSide::kRows * p.dim, 0.1f), two = one;
		p.h.threads = 1;
		pgrec::solve_implicit_side(side.g.data(), p.factors.data(), p.h, side.rows(),
		                           ImplicitSide::kRows, one.data(), pgrec::no_cancel());
		p.h.threads = 2;
		pgrec::solve_implicit_side(side.g.data(), p.factors.data(), p.h, side.rows(),
		                           ImplicitSide::kRows, two.data(), pgrec::no_cancel());
		EXPECT_EQ(one, two) << "block " << block;
		EXPECT_NE(one[0], 0.1f);
	}
}

// The Gramian by column tiles on one thread or three: the same bits, and W-weighted sums of
// outer products to float rounding.
TEST(RowSolvers, GramianTilesDoNotDependOnTheThreadCount)
{
	const int dim = 150; // two full tiles and a partial one
	Problem p(dim, 70, 1, 2);
	std::vector<float> weights(p.columns), one(dim * dim), three(dim * dim);
	for (size_t c = 0; c < p.columns; c++)
		weights[c] = 1.0f + static_cast<float>(c % 4);
	pgrec::gramian(p.factors.data(), p.columns, dim, one.data(), pgrec::no_cancel(), weights.data(),
	               1);
	pgrec::gramian(p.factors.data(), p.columns, dim, three.data(), pgrec::no_cancel(),
	               weights.data(), 3);
	EXPECT_EQ(one, three);
	for (int a : {0, 63, 64, 149})
		for (int b : {0, 70, 128, 149})
		{
			double sum = 0.0;
			for (size_t c = 0; c < p.columns; c++)
				sum += weights[c] * p.factors[c * dim + a] * p.factors[c * dim + b];
			EXPECT_NEAR(one[a * dim + b], sum, 1e-4);
		}
}

// Every build this CPU runs gives the generic results, to float rounding, at dimensions around
// the SIMD widths.
TEST(RowSolvers, EveryBuildAgreesWithTheGenericOne)
{
	const pgrec::RowSolvers &generic = pgrec::generic_row_solvers();
	for (int dim : {3, 8, 16, 17, 64, 65, 256})
	{
		Problem p(dim, 90, 70, static_cast<unsigned>(dim));
		p.h.cg_steps = 3;
		std::vector<float> scratch(pgrec::row_scratch_floats(dim));
		std::vector<int64_t> ptr = {0, 30, 70};
		std::vector<float> rows(2 * dim, 0.1f);
		for (const pgrec::RowSolvers *build : runnable_builds())
		{
			SCOPED_TRACE(std::string(build->name) + " at " + std::to_string(dim));
			std::vector<float> g_ref(dim * dim, 0.0f), g(dim * dim, 0.0f), weights(p.columns);
			for (size_t c = 0; c < p.columns; c++)
				weights[c] = 0.5f + static_cast<float>(c % 3);
			generic.add_gramian_columns(p.factors.data(), p.columns, dim, weights.data(), 0, dim,
			                            g_ref.data());
			build->add_gramian_columns(p.factors.data(), p.columns, dim, weights.data(), 0, dim,
			                           g.data());
			EXPECT_LT(max_difference(g_ref, g), 1e-4f);
			for (bool exact : {true, false})
			{
				std::vector<float> x_ref(dim, 0.2f), x(dim, 0.2f);
				float b_ref = 0.1f, b = 0.1f;
				generic.solve_explicit_row(p.other(), 3.0, p.h, p.row(), exact, scratch.data(),
				                           x_ref.data(), &b_ref);
				build->solve_explicit_row(p.other(), 3.0, p.h, p.row(), exact, scratch.data(),
				                          x.data(), &b);
				EXPECT_LT(max_difference(x_ref, x), 1e-4f);
				EXPECT_NEAR(b_ref, b, 1e-4f);
			}
			ImplicitSide side(p);
			for (int steps : {0, 3})
			{
				p.h.cg_steps = steps;
				EXPECT_LT(max_difference(side.solve(generic, p, 0, pgrec::kRowBlock),
				                         side.solve(*build, p, 0, pgrec::kRowBlock)),
				          1e-4f);
			}
			p.h.block_size = (dim + 1) / 2; // iALS++ subspaces, the last one narrower when dim is odd
			EXPECT_LT(max_difference(side.solve(generic, p, 0, pgrec::kRowBlock),
			                         side.solve(*build, p, 0, pgrec::kRowBlock)),
			          1e-4f);
			p.h.block_size = 0;
			double e_ref = generic.squared_errors(ptr.data(), p.index.data(), p.values.data(), 0, 2,
			                                      3.0, rows.data(), p.prior.data(),
			                                      p.factors.data(), p.bias.data(), dim);
			double e = build->squared_errors(ptr.data(), p.index.data(), p.values.data(), 0, 2, 3.0,
			                                 rows.data(), p.prior.data(), p.factors.data(),
			                                 p.bias.data(), dim);
			EXPECT_NEAR(e, e_ref, 1e-5 * e_ref);
			double l_ref = generic.implicit_observed_loss(
			    ptr.data(), p.index.data(), p.values.data(), 0, 2, 2.0, rows.data(),
			    p.factors.data(), dim, pgrec::no_cancel());
			double l = build->implicit_observed_loss(ptr.data(), p.index.data(), p.values.data(), 0,
			                                         2, 2.0, rows.data(), p.factors.data(), dim,
			                                         pgrec::no_cancel());
			EXPECT_NEAR(l, l_ref, 1e-5 * std::fabs(l_ref));
		}
	}
}

// The dispatcher serves narrow rows with AVX2 on an AVX-512 CPU, wide ones with AVX-512.
TEST(RowSolvers, DispatchFollowsTheMeasuredRule)
{
	std::vector<const pgrec::RowSolvers *> builds = runnable_builds();
	if (std::getenv("PGREC_KERNELS") != nullptr)
		GTEST_SKIP() << "PGREC_KERNELS caps the choice";
	const pgrec::RowSolvers *widest = builds.back();
	const pgrec::RowSolvers *narrow =
	    widest == pgrec::avx512_row_solvers() ? builds[builds.size() - 2] : widest;
	EXPECT_EQ(&pgrec::row_solvers(64), narrow);
	EXPECT_EQ(&pgrec::row_solvers(pgrec::kNarrowRowDim), narrow);
	EXPECT_EQ(&pgrec::row_solvers(pgrec::kNarrowRowDim + 1), widest);
}

} // namespace
