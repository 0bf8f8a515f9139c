// The leading eigenpairs of A A^T for a sparse A, the core of every truncated SVD (svd, the
// latent semantic analysis of content): dense on a small side, randomized subspace iteration
// otherwise.
#include "truncated_svd.h"

#include "core_errors.h"
#include "factor_init.h"
#include "parallel.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core_only.h"

namespace pgrec
{

namespace
{

// Below this ratio of the smallest to the largest pivot of its Cholesky factor a block counts
// as ill-conditioned (one pass of Cholesky QR would leave errors above 1e-8); its Gram matrix is
// then shifted by kShift times its largest diagonal entry.
constexpr double kConditionLimit = 1e-4;
constexpr double kShift = 1e-12;

// Rows per block of the dense block products, between two cancel checks (a few ms each).
constexpr Eigen::Index kRowBlock = 4096;

// Columns the randomized solver samples beyond the k it keeps: a quarter more, at least 20.
constexpr int kMinOversampling = 20;

// The randomized solver's block width for k eigenpairs; a side no wider is decomposed densely.
constexpr size_t sample_width(size_t k)
{
	return k + std::max(static_cast<size_t>(kMinOversampling), k / 4);
}

// Rows gathered between two cancel checks.
constexpr size_t kCheckEvery = 1024;

// The k largest eigenpairs of A A^T, eigenvalues descending, by a dense eigen-decomposition of
// the Gram matrix formed from A^T's rows; for sides no larger than the randomized solver's
// sample.
void dense_eigenpairs(const SparseRows &a, const SparseRows &at, int k, const CancelToken &cancel,
                      Eigen::VectorXd *values, DenseMatrix *vectors)
{
	const Eigen::Index n = static_cast<Eigen::Index>(a.rows());
	Eigen::MatrixXd g = Eigen::MatrixXd::Zero(n, n);
	for (size_t c = 0; c < at.rows(); c++)
	{
		if (c % kCheckEvery == 0)
			cancel.check();
		for (int64_t e = at.ptr[c]; e < at.ptr[c + 1]; e++)
			for (int64_t f = at.ptr[c]; f <= e; f++)
				g(at.index[e], at.index[f]) +=
				    static_cast<double>(at.value[e]) * static_cast<double>(at.value[f]);
	}
	cancel.check();
	Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(g); // reads the lower triangle
	if (solver.info() != Eigen::Success)
		throw DataError("the eigen-decomposition of the truncated SVD did not converge");
	cancel.check();
	// Ascending: the last k, reversed.
	*values = solver.eigenvalues().tail(k).reverse();
	*vectors = solver.eigenvectors().rightCols(k).rowwise().reverse();
}

// y^T y (its lower triangle), summed over blocks of rows with the token checked between them.
Eigen::MatrixXd gram_of_rows(const DenseMatrix &y, const CancelToken &cancel)
{
	Eigen::MatrixXd g = Eigen::MatrixXd::Zero(y.cols(), y.cols());
	for (Eigen::Index first = 0; first < y.rows(); first += kRowBlock)
	{
		cancel.check();
		Eigen::Index rows = std::min(kRowBlock, y.rows() - first);
		g.selfadjointView<Eigen::Lower>().rankUpdate(y.middleRows(first, rows).transpose());
	}
	return g;
}

// Makes the columns of y orthonormal, spanning the same space, by Cholesky QR: y U^-1 with U
// the Cholesky factor of y^T y, in blocks of rows. When y is ill-conditioned (the rounding
// error of one pass grows with its condition number squared) the factor is taken with a tiny
// shift and the pass repeated; columns that depend on earlier ones (a rank-deficient block)
// then come out near zero rather than orthonormal, and their Ritz values near zero.
void orthonormalise(DenseMatrix *y, const CancelToken &cancel)
{
	for (int pass = 0; pass < 2; pass++)
	{
		Eigen::MatrixXd g = gram_of_rows(*y, cancel);
		Eigen::LLT<Eigen::MatrixXd> cholesky(g);
		bool conditioned = cholesky.info() == Eigen::Success &&
		                   cholesky.matrixLLT().diagonal().minCoeff() >
		                       kConditionLimit * cholesky.matrixLLT().diagonal().maxCoeff();
		if (!conditioned)
		{
			double largest = std::max(g.diagonal().maxCoeff(), std::numeric_limits<double>::min());
			g.diagonal().array() += kShift * largest;
			cholesky.compute(g);
		}
		for (Eigen::Index first = 0; first < y->rows(); first += kRowBlock)
		{
			cancel.check();
			auto rows = y->middleRows(first, std::min(kRowBlock, y->rows() - first));
			cholesky.matrixU().solveInPlace<Eigen::OnTheRight>(rows);
		}
		if (conditioned)
			return;
	}
}

// The same by randomized subspace iteration (Halko, Martinsson & Tropp 2011): a seeded block
// of sample_width(k) columns, `power_iterations` products with A A^T (two CSR gathers each,
// split over threads), each followed by orthonormalisation, then the Rayleigh-Ritz pairs of
// the block. The token is checked between the steps and inside the gathers.
void randomized_eigenpairs(const SparseRows &a, const SparseRows &at, int k, int power_iterations,
                           uint64_t seed, int threads, const CancelToken &cancel,
                           Eigen::VectorXd *values, DenseMatrix *vectors)
{
	const int l = static_cast<int>(sample_width(static_cast<size_t>(k)));
	const Eigen::Index n = static_cast<Eigen::Index>(a.rows());
	DenseMatrix q(n, l), t(static_cast<Eigen::Index>(at.rows()), l);
	Random rng(seed);
	for (Eigen::Index i = 0; i < q.size(); i++)
		q.data()[i] = rng.uniform() - 0.5;
	orthonormalise(&q, cancel);
	for (int step = 0; step < power_iterations; step++)
	{
		sparse_times_dense(at, q.data(), l, t.data(), threads, cancel);
		sparse_times_dense(a, t.data(), l, q.data(), threads, cancel);
		orthonormalise(&q, cancel);
	}
	// Q^T A A^T Q = T^T T with T = A^T Q.
	sparse_times_dense(at, q.data(), l, t.data(), threads, cancel);
	Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(gram_of_rows(t, cancel)); // lower
	if (solver.info() != Eigen::Success)
		throw DataError("the eigen-decomposition of the truncated SVD did not converge");
	*values = solver.eigenvalues().tail(k).reverse();
	const Eigen::MatrixXd z = solver.eigenvectors().rightCols(k).rowwise().reverse();
	vectors->resize(n, k);
	for (Eigen::Index first = 0; first < n; first += kRowBlock)
	{
		cancel.check();
		Eigen::Index rows = std::min(kRowBlock, n - first);
		vectors->middleRows(first, rows).noalias() = q.middleRows(first, rows) * z;
	}
}

} // namespace

// out (rows.rows() x width, row-major) = rows * in (row-major, width wide): the sparse matrix
// times a dense one, each output row a gather, split over threads (the same result for any
// thread count).
void sparse_times_dense(const SparseRows &rows, const double *in, int width, double *out,
                        int threads, const CancelToken &cancel)
{
	const size_t w = static_cast<size_t>(width);
	parallel_for(rows.rows(), threads,
	             [&](size_t begin, size_t end, int)
	             {
		             for (size_t r = begin; r < end; r++)
		             {
			             if ((r - begin) % kCheckEvery == 0)
				             cancel.check();
			             Eigen::Map<Eigen::VectorXd> y(out + r * w, width);
			             y.setZero();
			             for (int64_t e = rows.ptr[r]; e < rows.ptr[r + 1]; e++)
				             y += static_cast<double>(rows.value[e]) *
				                  Eigen::Map<const Eigen::VectorXd>(
				                      in + static_cast<size_t>(rows.index[e]) * w, width);
		             }
	             });
}

void leading_eigenpairs(const SparseRows &a, const SparseRows &at, int k, int power_iterations,
                        uint64_t seed, int threads, const CancelToken &cancel,
                        Eigen::VectorXd *values, DenseMatrix *vectors)
{
	if (sample_width(static_cast<size_t>(k)) >= a.rows())
		dense_eigenpairs(a, at, k, cancel, values, vectors);
	else
		randomized_eigenpairs(a, at, k, power_iterations, seed, threads, cancel, values, vectors);
}

void right_singular_vectors(const SparseRows &a, const SparseRows &at, int k, int power_iterations,
                            uint64_t seed, int threads, const CancelToken &cancel,
                            Eigen::VectorXd *lambda, DenseMatrix *v)
{
	// The eigenvectors W of A A^T or of A^T A, whichever side is smaller.
	const bool row_side = a.rows() <= at.rows();
	DenseMatrix w;
	leading_eigenpairs(row_side ? a : at, row_side ? at : a, k, power_iterations, seed, threads,
	                   cancel, lambda, &w);
	// Singular values at most this are beyond the matrix's rank (rounding noise).
	const double negligible = std::sqrt(std::max(lambda->maxCoeff(), 0.0)) * 1e-6;
	// V: W itself, or A^T U S^-1 from the row side (columns whose singular value is
	// negligible are zero).
	if (row_side)
	{
		v->resize(static_cast<Eigen::Index>(at.rows()), k);
		sparse_times_dense(at, w.data(), k, v->data(), threads, cancel);
		for (int f = 0; f < k; f++)
		{
			double s = std::sqrt(std::max((*lambda)(f), 0.0));
			v->col(f) *= s > negligible ? 1.0 / s : 0.0;
		}
	}
	else
	{
		*v = std::move(w);
		for (int f = 0; f < k; f++)
			if (std::sqrt(std::max((*lambda)(f), 0.0)) <= negligible)
				v->col(f).setZero();
	}
	// One sign per component: the largest entry (the first of equals) of V's column positive.
	for (int f = 0; f < k; f++)
	{
		Eigen::Index at_max = 0;
		v->col(f).cwiseAbs().maxCoeff(&at_max);
		if ((*v)(at_max, f) < 0.0)
			v->col(f) *= -1.0;
	}
}

size_t eigenpair_scratch_bytes(size_t rows, size_t columns, size_t k)
{
	// In doubles: the dense side's Gram matrix and its eigenvectors, or the solver's two
	// blocks (both sides' width); then the k eigenvectors.
	size_t n = std::min(rows, columns), l = sample_width(k);
	size_t solver = l >= n ? 2 * n * n : (rows + columns) * l;
	return sizeof(double) * (solver + n * k);
}

} // namespace pgrec
