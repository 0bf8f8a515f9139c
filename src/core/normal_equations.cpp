// The Gramian in row blocks, the explicit ALS row solve (the design matrix [1, q_j] gathered
// in chunks, its normal equations accumulated by rank updates and solved by Cholesky), and the
// LDLT solve of a fold-in's system with its per-item decomposition.
#include "normal_equations.h"

#include "parallel.h"

#include <algorithm>
#include <cmath>

#include "core_only.h"

namespace pgrec
{

namespace
{

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
    : design(kChunk, dim + 1), target(kChunk), rhs(dim + 1), normal(dim + 1, dim + 1), cg(dim + 1)
{
}

void explicit_normal_equations(const ItemMatrix &other, double mu, const Hyperparameters &h,
                               const int32_t *index, const float *values, size_t n,
                               ExplicitRowScratch &s, const float *prior)
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
	if (prior)
	{
		Eigen::Map<const Eigen::VectorXf> p0(prior, k + 1);
		s.rhs += static_cast<float>(h.regularization * count) * p0;
		s.rhs(0) += static_cast<float>((h.bias_regularization - h.regularization) * count) * p0(0);
	}
}

void solve_explicit_row(const ItemMatrix &other, double mu, const Hyperparameters &h,
                        const int32_t *index, const float *values, size_t n, ExplicitRowScratch &s,
                        float *factors, float *bias, const float *prior)
{
	explicit_normal_equations(other, mu, h, index, values, n, s, prior);
	Eigen::VectorXf w = s.normal.selfadjointView<Eigen::Lower>().llt().solve(s.rhs);
	*bias = w(0);
	Eigen::Map<Eigen::VectorXf>(factors, other.dim) = w.tail(other.dim);
}

CgScratch::CgScratch(int dim) : r(dim), p(dim), ap(dim), b(dim)
{
}

void solve_implicit_row(const RowMatrix &g, const float *y, const Hyperparameters &h, float lambda,
                        const int32_t *index, const float *values, size_t n, const float *prior,
                        CgScratch &s, float *x)
{
	const int k = h.factors;
	const float alpha = static_cast<float>(h.alpha);
	auto y_of = [&](size_t j)
	{ return Eigen::Map<const Eigen::VectorXf>(y + static_cast<size_t>(index[j]) * k, k); };
	// out = A v = G v + lambda v + sum_j alpha v_j (y_j . v) y_j
	auto multiply = [&](const Eigen::VectorXf &v, Eigen::VectorXf &out)
	{
		out.noalias() = g * v + lambda * v;
		for (size_t j = 0; j < n; j++)
			out += (alpha * values[j] * y_of(j).dot(v)) * y_of(j);
	};
	Eigen::Map<Eigen::VectorXf> xr(x, k);
	s.b.setZero();
	for (size_t j = 0; j < n; j++)
		s.b += (1.0f + alpha * values[j]) * y_of(j);
	if (prior)
		s.b += lambda * Eigen::Map<const Eigen::VectorXf>(prior, k);
	if (h.cg_steps > 0)
	{
		conjugate_gradient(xr, h.cg_steps, multiply, s);
		return;
	}
	Eigen::MatrixXf a = g;
	a.diagonal().array() += lambda;
	for (size_t j = 0; j < n; j++)
		a.selfadjointView<Eigen::Lower>().rankUpdate(y_of(j), alpha * values[j]);
	xr = a.selfadjointView<Eigen::Lower>().llt().solve(s.b);
}

void solve_explicit_row_cg(const ItemMatrix &other, double mu, const Hyperparameters &h,
                           const int32_t *index, const float *values, size_t n, CgScratch &s,
                           float *factors, float *bias, const float *prior)
{
	const int k = other.dim;
	const float count =
	    static_cast<float>(std::pow(static_cast<double>(n), h.regularization_exponent));
	const float lambda = static_cast<float>(h.regularization) * count;
	const float lambda_b = static_cast<float>(h.bias_regularization) * count;
	auto y_of = [&](size_t j) {
		return Eigen::Map<const Eigen::VectorXf>(other.factors + static_cast<size_t>(index[j]) * k,
		                                         k);
	};
	// out = A v = sum_j d_j (d_j . v) + diag(lambda_b, lambda, ...) v, d_j = (1, y_j)
	auto multiply = [&](const Eigen::VectorXf &v, Eigen::VectorXf &out)
	{
		out = lambda * v;
		out(0) = lambda_b * v(0);
		auto tail = out.tail(k);
		for (size_t j = 0; j < n; j++)
		{
			float dv = v(0) + y_of(j).dot(v.tail(k));
			out(0) += dv;
			tail += dv * y_of(j);
		}
	};
	s.b.setZero();
	for (size_t j = 0; j < n; j++)
	{
		float t = explicit_target(other, mu, index, values, j);
		s.b(0) += t;
		s.b.tail(k) += t * y_of(j);
	}
	if (prior)
	{
		s.b(0) += lambda_b * prior[0];
		s.b.tail(k) += lambda * Eigen::Map<const Eigen::VectorXf>(prior + 1, k);
	}
	Eigen::VectorXf w(k + 1);
	w(0) = *bias;
	w.tail(k) = Eigen::Map<const Eigen::VectorXf>(factors, k);
	conjugate_gradient(Eigen::Map<Eigen::VectorXf>(w.data(), k + 1), h.cg_steps, multiply, s);
	*bias = w(0);
	Eigen::Map<Eigen::VectorXf>(factors, k) = w.tail(k);
}

double implicit_data_loss(const Interactions &data, const float *users, const float *items,
                          const Hyperparameters &h, const float *user_weights,
                          const float *item_weights, const CancelToken &cancel)
{
	const int k = h.factors;
	RowMatrix gx(k, k), gy(k, k);
	gramian(users, data.users(), k, gx.data(), cancel, user_weights);
	gramian(items, data.items(), k, gy.data(), cancel, item_weights);
	double all_pairs = (gx.cast<double>().array() * gy.cast<double>().array()).sum();
	double observed =
	    parallel_sum(data.users(), h.threads,
	                 [&](size_t begin, size_t end)
	                 {
		                 double s = 0.0;
		                 for (size_t u = begin; u < end; u++)
		                 {
			                 if ((u - begin) % 4096 == 0)
				                 cancel.check();
			                 Eigen::Map<const Eigen::VectorXf> xu(users + u * k, k);
			                 for (int64_t e = data.by_user.ptr[u]; e < data.by_user.ptr[u + 1]; e++)
			                 {
				                 Eigen::Map<const Eigen::VectorXf> yi(
				                     items + static_cast<size_t>(data.by_user.index[e]) * k, k);
				                 double score = xu.dot(yi);
				                 double c = 1.0 + h.alpha * data.by_user.value[e];
				                 s += c * (1.0 - score) * (1.0 - score) - score * score;
			                 }
		                 }
		                 return s;
	                 });
	return observed + all_pairs;
}

double training_rmse(const Interactions &data, double mu, const FactorBuffers &b,
                     const Hyperparameters &h)
{
	const int k = h.factors;
	double total =
	    parallel_sum(data.users(), h.threads,
	                 [&](size_t begin, size_t end)
	                 {
		                 double s = 0.0;
		                 for (size_t u = begin; u < end; u++)
		                 {
			                 Eigen::Map<const Eigen::VectorXf> p(b.user_factors + u * k, k);
			                 for (int64_t e = data.by_user.ptr[u]; e < data.by_user.ptr[u + 1]; e++)
			                 {
				                 int32_t i = data.by_user.index[e];
				                 double pred = mu + b.user_bias[u] + b.item_bias[i] +
				                               p.dot(Eigen::Map<const Eigen::VectorXf>(
				                                   b.item_factors + static_cast<size_t>(i) * k, k));
				                 double err = data.by_user.value[e] - pred;
				                 s += err * err;
			                 }
		                 }
		                 return s;
	                 });
	return std::sqrt(total / static_cast<double>(std::max<size_t>(data.nnz(), 1)));
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
