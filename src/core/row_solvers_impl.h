// The body of the row solvers (row_solvers.h), included once per instruction set by
// row_solvers_generic.cpp, row_solvers_avx2.cpp and row_solvers_avx512.cpp with
// ROW_SOLVERS_TABLE naming the table's function and ROW_SOLVERS_NAME its name. Everything here
// has internal linkage, and the SIMD builds rename Eigen's namespace: the linker cannot pick a
// function built for one set for another.
#include "row_solvers.h"

#include "eigen_dense.h"

#include <algorithm>
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
// How many rows ahead iALS++ asks the caches for the factors it will read (prefetch_subspace),
// and how many entries ahead the CG products do (add_rows).
constexpr size_t kPrefetchRows = 4;
constexpr size_t kPrefetchEntries = 8;

// The scratch of row_scratch_floats(dim) floats, cut into its parts (n = dim + 1).
struct Scratch
{
	Scratch(float *s, int dim)
	    : n(dim + 1), r(s, n), p(s + n, n), ap(s + 2 * n, n),
	      design(s + 3 * n, static_cast<Eigen::Index>(pgrec::kDesignChunk), n),
	      target(s + 3 * n + pgrec::kDesignChunk * n, pgrec::kDesignChunk),
	      normal(s + 3 * n + pgrec::kDesignChunk * (n + 1), n, n),
	      rhs(s + 3 * n + pgrec::kDesignChunk * (n + 1) + n * n, n),
	      block_r(rhs.data() + n), block_p(block_r + pgrec::kRowBlock * dim),
	      block_ap(block_p + pgrec::kRowBlock * dim)
	{
	}
	Eigen::Index n;
	Vector r, p, ap;
	Eigen::Map<RowMajor> design;
	Vector target;
	Eigen::Map<Eigen::MatrixXf> normal;
	Vector rhs;
	// kRowBlock rows of dim floats each: the residuals, directions and products of a block of
	// implicit rows in conjugate gradient; the rows' changes and G x in iALS++.
	float *block_r, *block_p, *block_ap;
};

void add_gramian_columns(const float *factors, size_t rows, int dim, const float *weights,
                         int first_column, int columns, float *out)
{
	Eigen::Map<const RowMajor> y(factors, static_cast<Eigen::Index>(rows), dim);
	Eigen::Map<RowMajor, 0, Eigen::OuterStride<>> g(out + first_column, dim, columns,
	                                                Eigen::OuterStride<>(dim));
	auto tile = y.middleCols(first_column, columns);
	if (weights)
		g.noalias() += y.transpose() *
		               (ConstVector(weights, static_cast<Eigen::Index>(rows)).asDiagonal() * tile);
	else
		g.noalias() += y.transpose() * tile;
}

// steps steps of conjugate gradient on A x = b from x, s.r holding the residual b - A x;
// multiply(v, out) writes A v, A symmetric positive definite.
template <class Multiply>
void conjugate_gradient(Vector x, int steps, Multiply &&multiply, Scratch &s)
{
	auto r = s.r.head(x.size()), p = s.p.head(x.size()), ap = s.ap.head(x.size());
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

// Asks the caches for floats [p, p + count), part of a row read at random, which the hardware
// does not foresee. Always inlined: GCC takes a function that only prefetches for one without
// effects and drops its calls.
[[gnu::always_inline]] inline void prefetch_floats(const float *p, int count)
{
	constexpr int kLineFloats = 64 / sizeof(float);
	for (int at = 0; at < count; at += kLineFloats)
		__builtin_prefetch(p + at);
}

// out += sum_j w_j y_j over a row's n entries, w_j = weight(j, y_j), y_j = y_of(j): four rows to
// a pass over out, their weights (dot products, mostly) computed side by side, the rows
// kPrefetchEntries ahead asked for meanwhile.
template <class Rows, class Out, class Weight>
void add_rows(const Rows &y_of, size_t n, Out &&out, Weight &&weight)
{
	size_t j = 0;
	for (; j + 4 <= n; j += 4)
	{
		for (size_t ahead = j + kPrefetchEntries; ahead < j + kPrefetchEntries + 4 && ahead < n;
		     ahead++)
		{
			auto y = y_of(ahead);
			prefetch_floats(y.data(), static_cast<int>(y.size()));
		}
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
	// (bias, factors) as one vector x of k + 1 unknowns, in the rhs slot of the scratch.
	auto x = s.rhs;
	x(0) = *bias;
	x.tail(k) = ConstVector(factors, k);
	// The residual b - A x in one pass over the ratings: sum_j e_j [1, y_j] with e_j = t_j -
	// x0 - y_j . x, and the regularisation's pull towards the prior (or 0).
	auto r = s.r.head(k + 1);
	r(0) = -lambda_b * x(0);
	r.tail(k) = -lambda * x.tail(k);
	if (row.prior)
	{
		r(0) += lambda_b * row.prior[0];
		r.tail(k) += lambda * ConstVector(row.prior + 1, k);
	}
	float e_sum = 0.0f;
	add_rows(y_of, row.n, r.tail(k),
	         [&](size_t j, const ConstVector &y)
	         {
		         float e = pgrec::explicit_target(other, mu, row, j) - x(0) - y.dot(x.tail(k));
		         e_sum += e;
		         return e;
	         });
	r(0) += e_sum;
	conjugate_gradient(x, h.cg_steps, multiply, s);
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

// The rows of a CSR side (entries index[j] of the other side y, values v_j, dim floats each).
struct RowEntries
{
	const float *y;
	int dim;
	const int32_t *index;
	const float *values;
	size_t n;
	ConstVector operator()(size_t j) const
	{
		return ConstVector(y + static_cast<size_t>(index[j]) * dim, dim);
	}
};

// The entries of row r of an implicit side.
RowEntries entries_of(const float *y, int dim, const pgrec::ImplicitRows &rows, size_t r)
{
	int64_t first = rows.ptr[r];
	return {y, dim, rows.index + first, rows.value + first,
	        static_cast<size_t>(rows.ptr[r + 1] - first)};
}

// b = sum_j (1 + alpha v_j) y_j + lambda x0 (prior x0 null: 0), the right side of a row.
template <class Out>
void implicit_rhs(const RowEntries &e, float alpha, float lambda, const float *prior, Out &&b)
{
	b.setZero();
	add_rows(e, e.n, b, [&](size_t j, const ConstVector &) { return 1.0f + alpha * e.values[j]; });
	if (prior)
		b += lambda * ConstVector(prior, e.dim);
}

// One row exactly: Cholesky of G + lambda I + sum_j alpha v_j y_j y_j^T.
void implicit_row_exact(const Eigen::Map<const RowMajor> &g, const RowEntries &e, float alpha,
                        float lambda, const float *prior, Scratch &s, float *x)
{
	const int k = e.dim;
	auto a = s.normal.topLeftCorner(k, k);
	a = g;
	a.diagonal().array() += lambda;
	for (size_t j = 0; j < e.n; j++)
		a.selfadjointView<Eigen::Lower>().rankUpdate(e(j), alpha * e.values[j]);
	Eigen::LLT<Eigen::Ref<Eigen::MatrixXf>, Eigen::Lower> llt(a);
	Vector xr(x, k);
	implicit_rhs(e, alpha, lambda, prior, xr);
	llt.solveInPlace(xr);
}

// The rows of one block by conjugate gradient side by side: A v = G v + lambda v +
// sum_j alpha v_j (y_j . v) y_j, whose Gramian term for the whole block is one product of its
// vectors with G, compute-bound however wide G is; the rest per row. Each row keeps its own
// step sizes, and stops when its residual vanishes, as alone.
void implicit_block_cg(const Eigen::Map<const RowMajor> &g, const float *y,
                       const Hyperparameters &h, const pgrec::ImplicitRows &rows, size_t first,
                       size_t count, Scratch &s, float *x)
{
	const int k = h.factors;
	const float alpha = static_cast<float>(h.alpha);
	const Eigen::Index m = static_cast<Eigen::Index>(count);
	bool active[pgrec::kRowBlock];
	float rs[pgrec::kRowBlock];
	auto block = [&](float *v) { return Eigen::Map<RowMajor>(v, m, k); };
	auto row = [&](float *v, size_t i) { return Vector(v + i * k, k); };
	float *xb = x + first * k;
	auto multiply = [&](float *v, float *out)
	{
		block(out).noalias() = block(v) * g; // (G v)^T = v^T G, G symmetric
		for (size_t i = 0; i < count; i++)
		{
			if (!active[i])
				continue;
			const RowEntries e = entries_of(y, k, rows, first + i);
			Vector vi = row(v, i), oi = row(out, i);
			oi += rows.lambda[first + i] * vi;
			add_rows(e, e.n, oi,
			         [&](size_t j, const ConstVector &yj)
			         { return alpha * e.values[j] * yj.dot(vi); });
		}
	};
	// The residuals r = b - A x of the rows' current values in one pass over their entries:
	// sum_j (1 + w_j - w_j y_j . x) y_j + lambda (prior - x) - G x, w_j = alpha v_j.
	block(s.block_ap).noalias() = block(xb) * g;
	for (size_t i = 0; i < count; i++)
	{
		const size_t r = first + i;
		const RowEntries e = entries_of(y, k, rows, r);
		active[i] = !(rows.skip_empty && e.n == 0);
		if (!active[i])
			continue;
		Vector ri = row(s.block_r, i), xi = row(xb, i);
		ri = -row(s.block_ap, i) - rows.lambda[r] * xi;
		if (rows.prior)
			ri += rows.lambda[r] * ConstVector(rows.prior + r * rows.prior_stride, k);
		add_rows(e, e.n, ri,
		         [&](size_t j, const ConstVector &yj)
		         {
			         const float w = alpha * e.values[j];
			         return 1.0f + w - w * yj.dot(xi);
		         });
		row(s.block_p, i) = ri;
		rs[i] = ri.squaredNorm();
	}
	for (int step = 0; step < h.cg_steps; step++)
	{
		multiply(s.block_p, s.block_ap);
		for (size_t i = 0; i < count; i++)
		{
			if (!active[i] || rs[i] <= 1e-20f)
				continue;
			Vector p = row(s.block_p, i), ap = row(s.block_ap, i), r = row(s.block_r, i);
			float step_size = rs[i] / p.dot(ap);
			row(xb, i) += step_size * p;
			r -= step_size * ap;
			float rs_next = r.squaredNorm();
			p = r + (rs_next / rs[i]) * p;
			rs[i] = rs_next;
		}
	}
}

// Asks the caches for factors [from, from + b) of every entry of row r: a subspace step reads a
// few cache lines of each of a row's entries, at random.
[[gnu::always_inline]] inline void prefetch_subspace(const float *y, int k,
                                                     const pgrec::ImplicitRows &rows, size_t r,
                                                     int from, int b)
{
	for (int64_t j = rows.ptr[r]; j < rows.ptr[r + 1]; j++)
		prefetch_floats(y + static_cast<size_t>(rows.index[j]) * k + from, b);
}

// One subspace [from, from + b) of every row of a block, for iALS++ (implicit_block_subspace):
// each row's b factors solved exactly (Cholesky) with the rest of the row fixed,
//   (G_BB + lambda I + sum_j w_j y_jB y_jB^T) x_B = sum_j (c_j - w_j r_j) y_jB + lambda prior_B
//                                                  - (G x - G_BB x_B)_B,
// w_j = alpha v_j, c_j = 1 + w_j and r_j = s_j - x_B . y_jB, s_j = x . y_j the row's prediction
// of entry j (in p). B is b at compile time, so that the b x b system is a fixed-size matrix
// on the stack and its products unroll, or Eigen::Dynamic. Leaves each row's change of x_B in
// delta.
template <int B>
void subspace_pass(const Eigen::Map<const RowMajor> &g, const float *y, const Hyperparameters &h,
                   const pgrec::ImplicitRows &rows, size_t first, size_t count,
                   const bool *active, int from, int b, Eigen::Map<RowMajor> &xs,
                   const Eigen::Map<RowMajor> &gx, Eigen::Map<RowMajor> &delta, float *p)
{
	using Square = Eigen::Matrix<float, B, B>;
	using Column = Eigen::Matrix<float, B, 1>;
	const int k = h.factors;
	const float alpha = static_cast<float>(h.alpha);
	const int64_t base = rows.ptr[first];
	const Square g_bb = g.block(from, from, b, b);
	Square a(b, b);
	Column x0(b), x1(b);
	for (size_t i = 0; i < count && i < kPrefetchRows; i++)
		prefetch_subspace(y, k, rows, first + i, from, b);
	for (size_t i = 0; i < count; i++)
	{
		const Eigen::Index at = static_cast<Eigen::Index>(i);
		auto d = delta.row(at).head(b);
		d.setZero();
		if (i + kPrefetchRows < count)
			prefetch_subspace(y, k, rows, first + i + kPrefetchRows, from, b);
		if (!active[i])
			continue;
		const size_t r = first + i;
		const RowEntries e = entries_of(y, k, rows, r);
		float *pi = p + (rows.ptr[r] - base);
		x0 = xs.row(at).segment(from, b).transpose();
		a = g_bb;
		a.diagonal().array() += rows.lambda[r];
		x1.noalias() = g_bb * x0 - gx.row(at).segment(from, b).transpose();
		if (rows.prior)
			x1 += rows.lambda[r] * ConstVector(rows.prior + r * rows.prior_stride + from, b);
		for (size_t j = 0; j < e.n; j++)
		{
			const Eigen::Map<const Column> yb(y + static_cast<size_t>(e.index[j]) * k + from, b);
			const float w = alpha * e.values[j];
			x1 += (1.0f + w - w * (pi[j] - yb.dot(x0))) * yb;
			a.noalias() += (w * yb) * yb.transpose();
		}
		Eigen::LLT<Square, Eigen::Lower> llt(a);
		x1 = llt.solve(x1);
		xs.row(at).segment(from, b) = x1.transpose();
		x1 -= x0;
		d = x1.transpose();
		for (size_t j = 0; j < e.n; j++)
			pi[j] += Eigen::Map<const Column>(y + static_cast<size_t>(e.index[j]) * k + from, b)
			             .dot(x1);
	}
}

// The rows of one block by iALS++ (Rendle et al. 2021): one sweep over the factors in subspaces
// of h.block_size (subspace_pass). The rows' predictions on their entries (in p, the block's
// entries in order) and the block's G x (in s.block_ap) are kept current as each subspace
// moves, so a subspace costs O(n b^2 + b^3 + b k) a row. The subspaces run outermost, so that
// G's rows of one stay in the cache while the block's rows use them.
void implicit_block_subspace(const Eigen::Map<const RowMajor> &g, const float *y,
                             const Hyperparameters &h, const pgrec::ImplicitRows &rows,
                             size_t first, size_t count, Scratch &s, float *x, float *p)
{
	const int k = h.factors;
	const Eigen::Index m = static_cast<Eigen::Index>(count);
	const int64_t base = rows.ptr[first];
	Eigen::Map<RowMajor> xs(x + first * k, m, k), gx(s.block_ap, m, k), delta(s.block_r, m, k);
	bool active[pgrec::kRowBlock];
	for (size_t i = 0; i < count; i++)
	{
		const RowEntries e = entries_of(y, k, rows, first + i);
		active[i] = !(rows.skip_empty && e.n == 0);
		float *pi = p + (rows.ptr[first + i] - base);
		for (size_t j = 0; j < e.n; j++)
			pi[j] = e(j).dot(xs.row(static_cast<Eigen::Index>(i)));
	}
	gx.noalias() = xs * g; // (G x)^T = x^T G, G symmetric
	for (int from = 0; from < k; from += h.block_size)
	{
		const int b = std::min(k - from, h.block_size);
		if (b == 16)
			subspace_pass<16>(g, y, h, rows, first, count, active, from, b, xs, gx, delta, p);
		else if (b == 32)
			subspace_pass<32>(g, y, h, rows, first, count, active, from, b, xs, gx, delta, p);
		else
			subspace_pass<Eigen::Dynamic>(g, y, h, rows, first, count, active, from, b, xs, gx,
			                              delta, p);
		gx.noalias() += delta.leftCols(b) * g.middleRows(from, b);
	}
}

void solve_implicit_rows(const float *gramian, const float *y, const Hyperparameters &h,
                         const pgrec::ImplicitRows &rows, size_t first, size_t count,
                         float *scratch, float *predictions, float *x)
{
	const int k = h.factors;
	if (count > pgrec::kRowBlock)
		throw pgrec::InvalidArgument("a block of implicit rows has more than kRowBlock rows");
	Scratch s(scratch, k);
	Eigen::Map<const RowMajor> g(gramian, k, k);
	if (pgrec::subspace_sweeps(h))
	{
		implicit_block_subspace(g, y, h, rows, first, count, s, x, predictions);
		return;
	}
	if (h.cg_steps > 0)
	{
		implicit_block_cg(g, y, h, rows, first, count, s, x);
		return;
	}
	for (size_t r = first; r < first + count; r++)
	{
		const RowEntries e = entries_of(y, k, rows, r);
		if (!(rows.skip_empty && e.n == 0))
			implicit_row_exact(g, e, static_cast<float>(h.alpha), rows.lambda[r],
			                   rows.prior ? rows.prior + r * rows.prior_stride : nullptr, s,
			                   x + r * k);
	}
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
	    ROW_SOLVERS_NAME,    add_gramian_columns, explicit_normal_equations, solve_explicit_row,
	    solve_implicit_rows, squared_errors,      implicit_observed_loss};
	return &table;
}

} // namespace
