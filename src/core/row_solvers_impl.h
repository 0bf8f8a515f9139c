// The body of the row solvers (row_solvers.h), included once per instruction set by
// row_solvers_generic.cpp, row_solvers_avx2.cpp and row_solvers_avx512.cpp with
// ROW_SOLVERS_TABLE naming the table's function and ROW_SOLVERS_NAME its name. Everything here
// has internal linkage, and the SIMD builds rename Eigen's namespace: the linker cannot pick a
// function built for one set for another.
#include "row_solvers.h"

#include "eigen_dense.h"

#include <cmath>

namespace
{

using pgrec::CancelToken;
using pgrec::ExplicitRow;
using pgrec::Hyperparameters;
using pgrec::ItemMatrix;
using Vector = Eigen::Map<Eigen::VectorXf>;
using ConstVector = Eigen::Map<const Eigen::VectorXf>;
using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Rows between two checks of the token in the loss sums.
constexpr size_t kCheckEvery = 4096;

// The scratch of row_scratch_floats(dim) floats, cut into its parts (n = dim + 1).
struct Scratch
{
	Scratch(float *s, int dim)
	    : n(dim + 1), r(s, n), p(s + n, n), ap(s + 2 * n, n), b(s + 3 * n, n),
	      design(s + 4 * n, static_cast<Eigen::Index>(pgrec::kDesignChunk), n),
	      target(s + 4 * n + pgrec::kDesignChunk * n, pgrec::kDesignChunk),
	      normal(s + 4 * n + pgrec::kDesignChunk * (n + 1), n, n),
	      rhs(s + 4 * n + pgrec::kDesignChunk * (n + 1) + n * n, n)
	{
	}
	Eigen::Index n;
	Vector r, p, ap, b;
	Eigen::Map<RowMajor> design;
	Vector target;
	Eigen::Map<Eigen::MatrixXf> normal;
	Vector rhs;
};

void gramian(const float *factors, size_t count, int dim, float *out, const CancelToken &cancel,
             const float *weights)
{
	Eigen::Map<RowMajor> g(out, dim, dim);
	g.setZero();
	for (size_t first = 0; first < count; first += pgrec::kGramianBlock)
	{
		cancel.check();
		size_t rows = count - first < pgrec::kGramianBlock ? count - first : pgrec::kGramianBlock;
		Eigen::Map<const RowMajor> y(factors + first * static_cast<size_t>(dim),
		                             static_cast<Eigen::Index>(rows), dim);
		if (weights)
			g.noalias() +=
			    y.transpose() *
			    ConstVector(weights + first, static_cast<Eigen::Index>(rows)).asDiagonal() * y;
		else
			g.noalias() += y.transpose() * y;
	}
}

// steps steps of conjugate gradient on A x = s.b from x; multiply(v, out) writes A v, A
// symmetric positive definite.
template <class Multiply>
void conjugate_gradient(Vector x, int steps, Multiply &&multiply, Scratch &s)
{
	auto r = s.r.head(x.size()), p = s.p.head(x.size()), ap = s.ap.head(x.size());
	multiply(x, ap);
	r = s.b.head(x.size()) - ap;
	p = r;
	float rs = r.squaredNorm();
	for (int step = 0; step < steps && rs > 1e-20f; step++)
	{
		multiply(p, ap);
		float step_size = rs / p.dot(ap);
		x += step_size * p;
		r -= step_size * ap;
		float rs_next = r.squaredNorm();
		p = r + (rs_next / rs) * p;
		rs = rs_next;
	}
}

// out += sum_j w_j y_j over a row's n entries, w_j = weight(j, y_j), y_j = y_of(j): four rows to
// a pass over out, their weights (dot products, mostly) computed side by side.
template <class Rows, class Out, class Weight>
void add_rows(const Rows &y_of, size_t n, Out &&out, Weight &&weight)
{
	size_t j = 0;
	for (; j + 4 <= n; j += 4)
	{
		auto y0 = y_of(j), y1 = y_of(j + 1), y2 = y_of(j + 2), y3 = y_of(j + 3);
		float w0 = weight(j, y0), w1 = weight(j + 1, y1), w2 = weight(j + 2, y2),
		      w3 = weight(j + 3, y3);
		out += w0 * y0 + w1 * y1 + w2 * y2 + w3 * y3;
	}
	for (; j < n; j++)
	{
		auto y = y_of(j);
		out += weight(j, y) * y;
	}
}

// The design rows [1, q_j] gathered in chunks, their normal equations accumulated by rank
// updates: s.normal (lower triangle) and s.rhs.
void explicit_normal_equations_in(const ItemMatrix &other, double mu, const Hyperparameters &h,
                                  const ExplicitRow &row, Scratch &s)
{
	const int k = other.dim;
	s.normal.setZero();
	s.rhs.setZero();
	for (size_t start = 0; start < row.n; start += pgrec::kDesignChunk)
	{
		size_t m = row.n - start < pgrec::kDesignChunk ? row.n - start : pgrec::kDesignChunk;
		for (size_t j = 0; j < m; j++)
		{
			Eigen::Index at = static_cast<Eigen::Index>(j);
			s.design(at, 0) = 1.0f;
			s.design.row(at).tail(k) = Eigen::Map<const Eigen::RowVectorXf>(
			    other.factors + static_cast<size_t>(row.index[start + j]) * k, k);
			s.target(at) = pgrec::explicit_target(other, mu, row, start + j);
		}
		auto x = s.design.topRows(static_cast<Eigen::Index>(m));
		s.normal.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose());
		s.rhs.noalias() += x.transpose() * s.target.head(static_cast<Eigen::Index>(m));
	}
	double count = std::pow(static_cast<double>(row.n), h.regularization_exponent);
	s.normal.diagonal().array() += static_cast<float>(h.regularization * count);
	s.normal(0, 0) += static_cast<float>((h.bias_regularization - h.regularization) * count);
	if (row.prior)
	{
		ConstVector p0(row.prior, k + 1);
		s.rhs += static_cast<float>(h.regularization * count) * p0;
		s.rhs(0) += static_cast<float>((h.bias_regularization - h.regularization) * count) * p0(0);
	}
}

void explicit_normal_equations(const ItemMatrix &other, double mu, const Hyperparameters &h,
                               const ExplicitRow &row, float *scratch, float *normal, float *rhs)
{
	Scratch s(scratch, other.dim);
	explicit_normal_equations_in(other, mu, h, row, s);
	Eigen::Map<Eigen::MatrixXf>(normal, s.n, s.n) = s.normal;
	Vector(rhs, s.n) = s.rhs;
}

// The explicit row by conjugate gradient, without the normal matrix: A v = sum_j d_j (d_j . v)
// + diag(lambda_b, lambda, ...) v over the design rows d_j = (1, q_j).
void explicit_row_cg(const ItemMatrix &other, double mu, const Hyperparameters &h,
                     const ExplicitRow &row, Scratch &s, float *factors, float *bias)
{
	const int k = other.dim;
	const float count =
	    static_cast<float>(std::pow(static_cast<double>(row.n), h.regularization_exponent));
	const float lambda = static_cast<float>(h.regularization) * count;
	const float lambda_b = static_cast<float>(h.bias_regularization) * count;
	auto y_of = [&](size_t j)
	{ return ConstVector(other.factors + static_cast<size_t>(row.index[j]) * k, k); };
	auto multiply = [&](const auto &v, auto &&out)
	{
		out = lambda * v;
		float sum = lambda_b * v(0);
		const float v0 = v(0);
		add_rows(y_of, row.n, out.tail(k),
		         [&](size_t, const ConstVector &y)
		         {
			         float dv = v0 + y.dot(v.tail(k));
			         sum += dv;
			         return dv;
		         });
		out(0) = sum;
	};
	float b0 = 0.0f;
	s.b.tail(k).setZero();
	add_rows(y_of, row.n, s.b.tail(k),
	         [&](size_t j, const ConstVector &)
	         {
		         float t = pgrec::explicit_target(other, mu, row, j);
		         b0 += t;
		         return t;
	         });
	s.b(0) = b0;
	if (row.prior)
	{
		s.b(0) += lambda_b * row.prior[0];
		s.b.tail(k) += lambda * ConstVector(row.prior + 1, k);
	}
	// (bias, factors) as one vector of k + 1 unknowns, in the rhs slot of the scratch.
	s.rhs(0) = *bias;
	s.rhs.tail(k) = ConstVector(factors, k);
	conjugate_gradient(s.rhs, h.cg_steps, multiply, s);
	*bias = s.rhs(0);
	Vector(factors, k) = s.rhs.tail(k);
}

void solve_explicit_row(const ItemMatrix &other, double mu, const Hyperparameters &h,
                        const ExplicitRow &row, bool exact, float *scratch, float *factors,
                        float *bias)
{
	Scratch s(scratch, other.dim);
	if (!exact)
	{
		explicit_row_cg(other, mu, h, row, s, factors, bias);
		return;
	}
	explicit_normal_equations_in(other, mu, h, row, s);
	Eigen::LLT<Eigen::Ref<Eigen::MatrixXf>> llt(s.normal);
	llt.solveInPlace(s.rhs);
	*bias = s.rhs(0);
	Vector(factors, other.dim) = s.rhs.tail(other.dim);
}

// out = A v = G v + lambda v + sum_j alpha v_j (y_j . v) y_j
void solve_implicit_row(const float *gramian, const float *y, const Hyperparameters &h,
                        float lambda, const int32_t *index, const float *values, size_t n,
                        const float *prior, float *scratch, float *x)
{
	const int k = h.factors;
	Scratch s(scratch, k);
	const float alpha = static_cast<float>(h.alpha);
	Eigen::Map<const RowMajor> g(gramian, k, k);
	auto y_of = [&](size_t j) { return ConstVector(y + static_cast<size_t>(index[j]) * k, k); };
	auto multiply = [&](const auto &v, auto &&out)
	{
		out.noalias() = g * v;
		out += lambda * v;
		add_rows(y_of, n, out,
		         [&](size_t j, const ConstVector &y) { return alpha * values[j] * y.dot(v); });
	};
	Vector xr(x, k);
	auto b = s.b.head(k);
	b.setZero();
	add_rows(y_of, n, b, [&](size_t j, const ConstVector &) { return 1.0f + alpha * values[j]; });
	if (prior)
		b += lambda * ConstVector(prior, k);
	if (h.cg_steps > 0)
	{
		conjugate_gradient(xr, h.cg_steps, multiply, s);
		return;
	}
	auto a = s.normal.topLeftCorner(k, k);
	a = g;
	a.diagonal().array() += lambda;
	for (size_t j = 0; j < n; j++)
		a.selfadjointView<Eigen::Lower>().rankUpdate(y_of(j), alpha * values[j]);
	Eigen::LLT<Eigen::Ref<Eigen::MatrixXf>, Eigen::Lower> llt(a);
	xr = b;
	llt.solveInPlace(xr);
}

double squared_errors(const int64_t *ptr, const int32_t *index, const float *value, size_t begin,
                      size_t end, double mu, const float *row_factors, const float *row_bias,
                      const float *column_factors, const float *column_bias, int dim)
{
	double s = 0.0;
	for (size_t r = begin; r < end; r++)
	{
		ConstVector p(row_factors + r * dim, dim);
		double base = mu + (row_bias ? row_bias[r] : 0.0f);
		for (int64_t e = ptr[r]; e < ptr[r + 1]; e++)
		{
			int32_t c = index[e];
			double pred = base + (column_bias ? column_bias[c] : 0.0f) +
			              p.dot(ConstVector(column_factors + static_cast<size_t>(c) * dim, dim));
			double err = value[e] - pred;
			s += err * err;
		}
	}
	return s;
}

double implicit_observed_loss(const int64_t *ptr, const int32_t *index, const float *value,
                              size_t begin, size_t end, double alpha, const float *row_factors,
                              const float *column_factors, int dim, const CancelToken &cancel)
{
	double s = 0.0;
	for (size_t r = begin; r < end; r++)
	{
		if ((r - begin) % kCheckEvery == 0)
			cancel.check();
		ConstVector x(row_factors + r * dim, dim);
		for (int64_t e = ptr[r]; e < ptr[r + 1]; e++)
		{
			double score =
			    x.dot(ConstVector(column_factors + static_cast<size_t>(index[e]) * dim, dim));
			double c = 1.0 + alpha * value[e];
			s += c * (1.0 - score) * (1.0 - score) - score * score;
		}
	}
	return s;
}

const pgrec::RowSolvers *ROW_SOLVERS_TABLE()
{
	static const pgrec::RowSolvers table = {
	    ROW_SOLVERS_NAME,   gramian,        explicit_normal_equations, solve_explicit_row,
	    solve_implicit_row, squared_errors, implicit_observed_loss};
	return &table;
}

} // namespace
