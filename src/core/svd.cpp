// PureSVD (Cremonesi, Koren & Turrin 2010): the truncated SVD R ~ U S V^T of the interactions,
// by Spectra's Lanczos solver on R R^T or R^T R, served as item factors V and user factors R V.

// GCC 12 at -O3 reports false "may be used uninitialized" warnings inside Eigen's blocked
// Householder and self-adjoint products, which the eigen solvers instantiate: silenced for
// the library headers only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Dense>
#include <Spectra/SymEigsSolver.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include "algorithm_registry.h"
#include "factor_init.h"
#include "normal_equations.h"
#include "parallel.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

using DenseMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Restarts Spectra may take; the solver's default.
constexpr int kMaxRestarts = 1000;

// Relative accuracy of the eigenvalues (Spectra's tol: residual < tol * |lambda|).
constexpr double kTolerance = 1e-8;

// Up to this many eigenpairs short of the full side, a dense eigen-decomposition is used: the
// Lanczos solver needs more basis vectors than eigenpairs (and fewer than the side's size).
constexpr int kDenseMargin = 20;

// Rows gathered between two cancel checks.
constexpr size_t kCheckEvery = 1024;

// out (rows.rows() x width, row-major) = rows * in (row-major, width wide): the sparse matrix
// times a dense one, each output row a gather, split over threads (the same result for any
// thread count).
void gather(const SparseRows &rows, const double *in, int width, double *out, int threads,
            const CancelToken &cancel)
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

// The operator A A^T of Spectra's solver, never formed: A is given by its rows (n x m) and by
// the rows of its transpose (m x n). Checks the token in every product, so a cancel stops the
// solver within one product and the solver's own work between two.
class GramOperator
{
  public:
	using Scalar = double;

	GramOperator(const SparseRows &a, const SparseRows &a_transposed, int threads,
	             const CancelToken &cancel)
	    : a_(a), at_(a_transposed), threads_(threads), cancel_(cancel), t_(a_transposed.rows())
	{
	}

	Eigen::Index rows() const
	{
		return static_cast<Eigen::Index>(a_.rows());
	}

	Eigen::Index cols() const
	{
		return rows();
	}

	// y = A (A^T x).
	void perform_op(const double *x, double *y) const
	{
		cancel_.check();
		gather(at_, x, 1, t_.data(), threads_, cancel_);
		gather(a_, t_.data(), 1, y, threads_, cancel_);
	}

  private:
	const SparseRows &a_, &at_;
	int threads_;
	const CancelToken &cancel_;
	mutable std::vector<double> t_;
};

// The k largest eigenpairs of A A^T, eigenvalues descending, by a dense eigen-decomposition of
// the Gram matrix formed from A^T's rows; for small sides and for k close to the side's size.
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

// The same by Spectra's implicitly restarted Lanczos solver, started from a seeded vector.
void lanczos_eigenpairs(const SparseRows &a, const SparseRows &at, const Hyperparameters &h,
                        const CancelToken &cancel, Eigen::VectorXd *values, DenseMatrix *vectors)
{
	const int k = h.factors;
	const Eigen::Index n = static_cast<Eigen::Index>(a.rows());
	GramOperator op(a, at, h.threads, cancel);
	Eigen::Index ncv = std::min<Eigen::Index>(n, std::max(2 * k + 1, k + kDenseMargin));
	Spectra::SymEigsSolver<GramOperator> solver(op, k, ncv);
	Random rng(h.seed);
	Eigen::VectorXd start(n);
	for (Eigen::Index i = 0; i < n; i++)
		start(i) = rng.uniform() - 0.5;
	solver.init(start.data());
	solver.compute(Spectra::SortRule::LargestAlge, kMaxRestarts, kTolerance,
	               Spectra::SortRule::LargestAlge);
	if (solver.info() != Spectra::CompInfo::Successful)
	{
		char text[160];
		std::snprintf(text, sizeof text,
		              "the truncated SVD did not converge in %d restarts of the Lanczos solver",
		              kMaxRestarts);
		throw DataError(text);
	}
	*values = solver.eigenvalues();
	*vectors = solver.eigenvectors();
}

class SvdTrainer : public Trainer
{
  public:
	SvdTrainer(const Interactions &data, const Hyperparameters &h, const FactorBuffers &b)
	    : Trainer(data, h, b)
	{
	}

	// Computes the decomposition on the first call; later calls (retrain with epochs) keep it.
	void run_epoch(const CancelToken &cancel) override
	{
		if (!done_)
			set_loss(decompose(cancel), "the truncated SVD");
		done_ = true;
	}

  private:
	// Writes the factors; returns the relative Frobenius error |R - R_k| / |R| of the rank-k
	// approximation over all entries (missing ones 0), which the truncated SVD minimises.
	double decompose(const CancelToken &cancel)
	{
		const int k = h_.factors;
		const size_t width = static_cast<size_t>(k);
		double total = 0.0; // |R|_F^2
		for (float v : data_.by_user.value)
			total += static_cast<double>(v) * v;
		if (total == 0.0)
		{
			std::fill(b_.user_factors, b_.user_factors + data_.users() * width, 0.0f);
			std::fill(b_.item_factors, b_.item_factors + data_.items() * width, 0.0f);
			return 0.0;
		}

		// The eigenvectors W of A A^T on the smaller side, eigenvalues s^2.
		const bool user_side = data_.users() <= data_.items();
		const SparseRows &a = user_side ? data_.by_user : data_.by_item;
		const SparseRows &at = user_side ? data_.by_item : data_.by_user;
		const size_t n = a.rows();
		Eigen::VectorXd lambda;
		DenseMatrix w;
		if (static_cast<size_t>(k) + kDenseMargin >= n)
			dense_eigenpairs(a, at, k, cancel, &lambda, &w);
		else
			lanczos_eigenpairs(a, at, h_, cancel, &lambda, &w);

		// Item factors V: W itself, or R^T U S^-1 from the user side (columns whose singular
		// value is negligible, beyond the matrix's rank, are zero).
		DenseMatrix v;
		if (user_side)
		{
			v.resize(static_cast<Eigen::Index>(data_.items()), k);
			gather(data_.by_item, w.data(), k, v.data(), h_.threads, cancel);
			for (int f = 0; f < k; f++)
			{
				double s = std::sqrt(std::max(lambda(f), 0.0));
				v.col(f) *= s > negligible(lambda) ? 1.0 / s : 0.0;
			}
		}
		else
		{
			v = std::move(w);
			for (int f = 0; f < k; f++)
				if (std::sqrt(std::max(lambda(f), 0.0)) <= negligible(lambda))
					v.col(f).setZero();
		}
		// One sign per component: the largest entry (the first of equals) of V's column positive.
		for (int f = 0; f < k; f++)
		{
			Eigen::Index at_max = 0;
			v.col(f).cwiseAbs().maxCoeff(&at_max);
			if (v(at_max, f) < 0.0)
				v.col(f) *= -1.0;
		}
		// User factors R V: each user's row projected, exactly as a new user is folded in.
		DenseMatrix p(static_cast<Eigen::Index>(data_.users()), k);
		gather(data_.by_user, v.data(), k, p.data(), h_.threads, cancel);
		MatrixMap(b_.item_factors, v.rows(), k) = v.cast<float>();
		MatrixMap(b_.user_factors, p.rows(), k) = p.cast<float>();

		double kept = 0.0;
		for (int f = 0; f < k; f++)
			kept += std::max(lambda(f), 0.0);
		return std::sqrt(std::max(0.0, 1.0 - kept / total));
	}

	// Singular values at most this are beyond the matrix's rank (rounding noise).
	static double negligible(const Eigen::VectorXd &lambda)
	{
		return std::sqrt(std::max(lambda.maxCoeff(), 0.0)) * 1e-6;
	}

	bool done_ = false;
};

} // namespace

std::unique_ptr<Trainer> make_svd_trainer(const Interactions &data, const Hyperparameters &h,
                                          const FactorBuffers &b)
{
	size_t side = std::min(data.users(), data.items());
	if (h.factors < 1 || static_cast<size_t>(h.factors) > side)
	{
		char text[200];
		std::snprintf(text, sizeof text,
		              "factors must be at most %zu for algorithm svd (the number of %s), not %d",
		              side, data.users() <= data.items() ? "users" : "items", h.factors);
		throw InvalidArgument(text);
	}
	return std::unique_ptr<Trainer>(new SvdTrainer(data, h, b));
}

size_t svd_scratch_bytes(const Hyperparameters &h, const Interactions &data)
{
	size_t n = std::min(data.users(), data.items()), k = static_cast<size_t>(h.factors);
	// The solver's basis (or the dense side's matrix), the eigenvectors, V, R V and the
	// operator's intermediate vector, all in doubles.
	size_t ncv = std::min(n, std::max(2 * k + 1, k + static_cast<size_t>(kDenseMargin)));
	size_t basis = k + kDenseMargin >= n ? 2 * n * n : n * (ncv + 2);
	return sizeof(double) * (basis + n * k + (data.users() + data.items()) * k +
	                         std::max(data.users(), data.items()));
}

// The least-squares projection of the row onto the fixed side Y: x = (Y^T Y)^-1 sum_j r_j y_j.
// For a user against the orthonormal V this is r_u V, PureSVD's projection; for a new item
// against the user factors U S it is S^-1 U^T r_i, the item's row of V. LDLT leaves the
// components of zero pivots (columns beyond the rank) at zero.
void fold_in_svd(const FoldInInput &in, const CancelToken &, float *factors, float *)
{
	solve_row_system(projection_system(in), in, factors);
}

// The projection is linear in the row: item j's share of the score is r_j q_t^T G^+ y_j (with
// an orthonormal V, r_j q_t . q_j).
void explain_svd(const FoldInInput &in, int32_t target, const CancelToken &cancel,
                 float *contributions)
{
	explain_row_system(projection_system(in), in, target, cancel, contributions);
}

} // namespace pgrec
