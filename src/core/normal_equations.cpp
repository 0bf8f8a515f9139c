// The Gramian in row blocks, the explicit ALS row solve (the design matrix [1, q_j] gathered
// in chunks, its normal equations accumulated by rank updates and solved by Cholesky), and the
// LDLT solve of a fold-in's system with its per-item decomposition.
#include "normal_equations.h"

#include <algorithm>
#include <cmath>

#include "core_only.h"

namespace pgrec
{

namespace
{

// Rows per block of the Gramian: about 16 MB of factors at 64 dimensions between checks.
constexpr size_t kGramianBlock = 65536;

// Items between two checks of the token in a fold-in's decomposition.
constexpr size_t kCheckEvery = 4096;

// Rows of the design matrix gathered at once; bounds the scratch memory per thread.
constexpr size_t kChunk = 256;

} // namespace

void gramian(const float *factors, size_t count, int dim, float *out, const CancelToken &cancel,
             const float *weights)
{
	Eigen::Map<RowMatrix> g(out, dim, dim);
	g.setZero();
	for (size_t first = 0; first < count; first += kGramianBlock)
	{
		cancel.check();
		size_t rows = std::min(kGramianBlock, count - first);
		Eigen::Map<const RowMatrix> y(factors + first * static_cast<size_t>(dim),
		                              static_cast<Eigen::Index>(rows), dim);
		if (weights)
			g.noalias() +=
			    y.transpose() *
			    Eigen::Map<const Eigen::VectorXf>(weights + first, static_cast<Eigen::Index>(rows))
			        .asDiagonal() *
			    y;
		else
			g.noalias() += y.transpose() * y;
	}
}

ExplicitRowScratch::ExplicitRowScratch(int dim)
    : design(kChunk, dim + 1), target(kChunk), rhs(dim + 1), normal(dim + 1, dim + 1)
{
}

void explicit_normal_equations(const ItemMatrix &other, double mu, const Hyperparameters &h,
                               const int32_t *index, const float *values, size_t n,
                               ExplicitRowScratch &s)
{
	const int k = other.dim;
	s.normal.setZero();
	s.rhs.setZero();
	for (size_t start = 0; start < n; start += kChunk)
	{
		size_t m = std::min(kChunk, n - start);
		for (size_t j = 0; j < m; j++)
		{
			int32_t c = index[start + j];
			Eigen::Index row = static_cast<Eigen::Index>(j);
			s.design(row, 0) = 1.0f;
			s.design.row(row).tail(k) =
			    Eigen::Map<const Eigen::RowVectorXf>(other.factors + static_cast<size_t>(c) * k, k);
			s.target(row) = explicit_target(other, mu, index, values, start + j);
		}
		auto x = s.design.topRows(static_cast<Eigen::Index>(m));
		s.normal.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose());
		s.rhs.noalias() += x.transpose() * s.target.head(static_cast<Eigen::Index>(m));
	}
	double count = std::pow(static_cast<double>(n), h.regularization_exponent);
	s.normal.diagonal().array() += static_cast<float>(h.regularization * count);
	s.normal(0, 0) += static_cast<float>((h.bias_regularization - h.regularization) * count);
}

void solve_explicit_row(const ItemMatrix &other, double mu, const Hyperparameters &h,
                        const int32_t *index, const float *values, size_t n, ExplicitRowScratch &s,
                        float *factors, float *bias)
{
	explicit_normal_equations(other, mu, h, index, values, n, s);
	Eigen::VectorXf w = s.normal.selfadjointView<Eigen::Lower>().llt().solve(s.rhs);
	*bias = w(0);
	Eigen::Map<Eigen::VectorXf>(factors, other.dim) = w.tail(other.dim);
}

namespace
{

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
