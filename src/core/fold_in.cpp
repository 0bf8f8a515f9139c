// Fold-in of one user: the same normal equations the trainers solve per row (explicit ALS with
// biases, implicit ALS with confidences), solved densely; BPR by SGD on the user's factors only.
#include "fold_in.h"

#include "core_errors.h"
#include "factor_init.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core_only.h"

namespace pgrec
{

void gramian(const float *factors, size_t count, int dim, float *out)
{
	Eigen::Map<const RowMatrix> y(factors, static_cast<Eigen::Index>(count), dim);
	Eigen::Map<RowMatrix> g(out, dim, dim);
	g.noalias() = y.transpose() * y;
}

namespace
{

Eigen::Map<const Eigen::VectorXf> row(const ItemMatrix &m, int32_t i)
{
	return Eigen::Map<const Eigen::VectorXf>(m.factors + static_cast<size_t>(i) * m.dim, m.dim);
}

void fold_in_explicit(const ItemMatrix &m, double mu, const Hyperparameters &h,
                      const int32_t *items, const float *values, size_t n, float *out_factors,
                      float *out_bias)
{
	const int k = m.dim;
	Eigen::MatrixXd a = Eigen::MatrixXd::Zero(k + 1, k + 1);
	Eigen::VectorXd b = Eigen::VectorXd::Zero(k + 1);
	Eigen::VectorXd x(k + 1);
	for (size_t j = 0; j < n; j++)
	{
		x(0) = 1.0;
		x.tail(k) = row(m, items[j]).cast<double>();
		double target = (values ? values[j] : 1.0f) - mu - (m.bias ? m.bias[items[j]] : 0.0f);
		a.selfadjointView<Eigen::Lower>().rankUpdate(x);
		b += target * x;
	}
	double count = std::pow(static_cast<double>(n), h.regularization_exponent);
	a.diagonal().array() += h.regularization * count;
	a(0, 0) += (h.bias_regularization - h.regularization) * count;
	Eigen::VectorXd w = a.selfadjointView<Eigen::Lower>().ldlt().solve(b);
	*out_bias = static_cast<float>(w(0));
	Eigen::Map<Eigen::VectorXf>(out_factors, k) = w.tail(k).cast<float>();
}

void fold_in_implicit(const ItemMatrix &m, const Hyperparameters &h, const float *g,
                      const int32_t *items, const float *values, size_t n, float *out)
{
	const int k = m.dim;
	Eigen::MatrixXd a = Eigen::Map<const RowMatrix>(g, k, k).cast<double>();
	Eigen::VectorXd b = Eigen::VectorXd::Zero(k);
	for (size_t j = 0; j < n; j++)
	{
		double r = values ? values[j] : 1.0;
		Eigen::VectorXd y = row(m, items[j]).cast<double>();
		a.selfadjointView<Eigen::Lower>().rankUpdate(y, h.alpha * r);
		b += (1.0 + h.alpha * r) * y;
	}
	a.diagonal().array() +=
	    h.regularization * std::pow(static_cast<double>(n), h.regularization_exponent);
	Eigen::VectorXd x = a.selfadjointView<Eigen::Lower>().ldlt().solve(b);
	Eigen::Map<Eigen::VectorXf>(out, k) = x.cast<float>();
}

void fold_in_bpr(const ItemMatrix &m, const Hyperparameters &h, const int32_t *items, size_t n,
                 float *out)
{
	const int k = m.dim;
	std::vector<int32_t> seen(items, items + n);
	std::sort(seen.begin(), seen.end());
	Eigen::Map<Eigen::VectorXf> p(out, k);
	p.setZero();
	if (seen.size() >= m.count)
		return;
	Random rng(h.seed);
	const float lr = static_cast<float>(h.learning_rate),
	            reg = static_cast<float>(h.regularization);
	// As many updates as the user gets over 200 epochs of training.
	size_t steps = 200 * n;
	for (size_t s = 0; s < steps; s++)
	{
		int32_t i = seen[rng.below(seen.size())], j;
		do
			j = static_cast<int32_t>(rng.below(m.count));
		while (std::binary_search(seen.begin(), seen.end(), j));
		Eigen::VectorXf diff = row(m, i) - row(m, j);
		float x = p.dot(diff) + (m.bias ? m.bias[i] - m.bias[j] : 0.0f);
		float grad = 1.0f / (1.0f + std::exp(x));
		p += lr * (grad * diff - reg * p);
	}
}

} // namespace

void fold_in_user(const ItemMatrix &m, double global_mean, const Hyperparameters &h, const float *g,
                  const int32_t *items, const float *values, size_t n, float *out_factors,
                  float *out_bias)
{
	if (n == 0)
		throw DataError("no known items to fold the user in from");
	switch (h.algorithm)
	{
	case Algorithm::Als:
		fold_in_explicit(m, global_mean, h, items, values, n, out_factors, out_bias);
		break;
	case Algorithm::Ials:
		fold_in_implicit(m, h, g, items, values, n, out_factors);
		break;
	case Algorithm::Bpr:
		fold_in_bpr(m, h, items, n, out_factors);
		break;
	}
	for (int f = 0; f < m.dim; f++)
		if (!std::isfinite(out_factors[f]))
			throw NumericDivergence("the folded-in user's factors are not finite");
}

} // namespace pgrec
