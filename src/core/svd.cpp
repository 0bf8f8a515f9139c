// The truncated SVD of the interactions normalised by the degrees (interaction counts),
// D_u^-b R D_i^-b ~ U S V^T, by randomized subspace iteration on the Gram matrix of its smaller
// side, served as item factors D_i^b V and user factors R D_i^-b V: with b = 0 PureSVD (Cremonesi,
// Koren & Turrin 2010), with b = 1/2 the ideal low-pass filter of GF-CF (Shen et al. 2021).
// A new row is folded in by the least squares of its values against the fixed side weighted
// by degree^-2b, which gives a trained row its own factors exactly.

// GCC 12 at -O3 reports false "may be used uninitialized" warnings inside Eigen's blocked
// Householder and self-adjoint products, which the eigen solvers instantiate: silenced for
// the library headers only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Dense>
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
#include <limits>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

using DenseMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Products with A A^T of the randomized solver: more approach the exact truncated SVD. 5 come
// within a few percent of its leading singular values at a fraction of a Lanczos solver's
// time, with Gowalla's Recall@20 above the exact decomposition's (bench/README.md).
constexpr int kPowerIterations = 5;

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
// of sample_width(k) columns, kPowerIterations products with A A^T (two CSR gathers each,
// split over threads), each followed by orthonormalisation, then the Rayleigh-Ritz pairs of
// the block. The token is checked between the steps and inside the gathers.
void randomized_eigenpairs(const SparseRows &a, const SparseRows &at, const Hyperparameters &h,
                           const CancelToken &cancel, Eigen::VectorXd *values, DenseMatrix *vectors)
{
	const int k = h.factors, l = static_cast<int>(sample_width(static_cast<size_t>(k)));
	const Eigen::Index n = static_cast<Eigen::Index>(a.rows());
	DenseMatrix q(n, l), t(static_cast<Eigen::Index>(at.rows()), l);
	Random rng(h.seed);
	for (Eigen::Index i = 0; i < q.size(); i++)
		q.data()[i] = rng.uniform() - 0.5;
	orthonormalise(&q, cancel);
	for (int step = 0; step < kPowerIterations; step++)
	{
		gather(at, q.data(), l, t.data(), h.threads, cancel);
		gather(a, t.data(), l, q.data(), h.threads, cancel);
		orthonormalise(&q, cancel);
	}
	// Q^T A A^T Q = T^T T with T = A^T Q.
	gather(at, q.data(), l, t.data(), h.threads, cancel);
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
	// Writes the factors; returns the relative Frobenius error |A - A_k| / |A| of the rank-k
	// approximation of the normalised matrix A over all entries (missing ones 0), which the
	// truncated SVD minimises.
	double decompose(const CancelToken &cancel)
	{
		const int k = h_.factors;
		const double b = h_.normalization;
		const std::vector<double> user_scale = degree_powers(data_.by_user, -b),
		                          item_scale = degree_powers(data_.by_item, -b);
		SparseRows user_copy, item_copy; // the normalised matrix, unless b = 0
		const SparseRows *normal_users = &data_.by_user, *normal_items = &data_.by_item;
		if (b != 0.0)
		{
			user_copy = scaled(data_.by_user, user_scale, item_scale, cancel);
			item_copy = scaled(data_.by_item, item_scale, user_scale, cancel);
			normal_users = &user_copy;
			normal_items = &item_copy;
		}
		const SparseRows &by_user = *normal_users, &by_item = *normal_items;
		double total = 0.0; // |A|_F^2
		for (float v : by_user.value)
			total += static_cast<double>(v) * v;
		if (total == 0.0)
		{
			std::fill(b_.user_factors, b_.user_factors + data_.users() * static_cast<size_t>(k),
			          0.0f);
			std::fill(b_.item_factors, b_.item_factors + data_.items() * static_cast<size_t>(k),
			          0.0f);
			return 0.0;
		}

		// The eigenvectors W of A A^T on the smaller side, eigenvalues s^2.
		const bool user_side = data_.users() <= data_.items();
		const SparseRows &a = user_side ? by_user : by_item;
		const SparseRows &at = user_side ? by_item : by_user;
		const size_t n = a.rows();
		Eigen::VectorXd lambda;
		DenseMatrix w;
		if (sample_width(static_cast<size_t>(k)) >= n)
			dense_eigenpairs(a, at, k, cancel, &lambda, &w);
		else
			randomized_eigenpairs(a, at, h_, cancel, &lambda, &w);

		// V: W itself, or A^T U S^-1 from the user side (columns whose singular value is
		// negligible, beyond the matrix's rank, are zero).
		DenseMatrix v;
		if (user_side)
		{
			v.resize(static_cast<Eigen::Index>(data_.items()), k);
			gather(by_item, w.data(), k, v.data(), h_.threads, cancel);
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
		// User factors R D_i^-b V: each user's row projected, exactly as a new user is folded
		// in; item factors D_i^b V.
		for (size_t i = 0; i < data_.items(); i++)
			v.row(static_cast<Eigen::Index>(i)) *= item_scale[i];
		DenseMatrix p(static_cast<Eigen::Index>(data_.users()), k);
		gather(data_.by_user, v.data(), k, p.data(), h_.threads, cancel);
		for (size_t i = 0; i < data_.items(); i++)
			v.row(static_cast<Eigen::Index>(i)) *= 1.0 / (item_scale[i] * item_scale[i]);
		MatrixMap(b_.item_factors, v.rows(), k) = v.cast<float>();
		MatrixMap(b_.user_factors, p.rows(), k) = p.cast<float>();

		double kept = 0.0;
		for (int f = 0; f < k; f++)
			kept += std::max(lambda(f), 0.0);
		return std::sqrt(std::max(0.0, 1.0 - kept / total));
	}

	// Each row's interaction count to the power e.
	static std::vector<double> degree_powers(const SparseRows &rows, double e)
	{
		std::vector<double> out(rows.rows(), 1.0);
		if (e != 0.0)
			for (size_t r = 0; r < rows.rows(); r++)
				out[r] = std::pow(static_cast<double>(rows.ptr[r + 1] - rows.ptr[r]), e);
		return out;
	}

	// rows with each value r_ij times row_scale[i] column_scale[j], split over threads.
	SparseRows scaled(const SparseRows &rows, const std::vector<double> &row_scale,
	                  const std::vector<double> &column_scale, const CancelToken &cancel) const
	{
		SparseRows out = rows;
		parallel_for(rows.rows(), h_.threads,
		             [&](size_t begin, size_t end, int)
		             {
			             for (size_t r = begin; r < end; r++)
			             {
				             if ((r - begin) % kCheckEvery == 0)
					             cancel.check();
				             for (int64_t e = rows.ptr[r]; e < rows.ptr[r + 1]; e++)
					             out.value[e] = static_cast<float>(
					                 rows.value[e] * row_scale[r] *
					                 column_scale[static_cast<size_t>(rows.index[e])]);
			             }
		             });
		return out;
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
	// The normalised copy of the data; in doubles, the dense side's matrix and its eigenvectors
	// or the solver's two blocks (both sides' width), then the eigenvectors, V and R V.
	size_t l = sample_width(k);
	size_t solver = l >= n ? 2 * n * n : (data.users() + data.items()) * l;
	return data.by_user.bytes() + data.by_item.bytes() +
	       sizeof(double) * (solver + n * k + (data.users() + data.items()) * k);
}

double svd_fold_in_weight(const Hyperparameters &h, double degree)
{
	// A row without interactions (none in a trained model) counts as one.
	return h.normalization == 0.0 ? 1.0 : std::pow(std::max(degree, 1.0), -2.0 * h.normalization);
}

namespace
{

// The least-squares projection of the row onto the fixed side Y, its rows weighted by W =
// D^-2b: x = (Y^T W Y)^-1 sum_j w_j r_j y_j. For a user against the item factors D_i^b V this
// is r_u D_i^-b V, the trained users' projection (V^T V = I); for a new item against the user
// factors R D_i^-b V = D_u^b U S it is S^-1 U^T D_u^-b r_i, the item's row of D_i^b V when
// the decomposition is exact (with the randomized solver's Ritz vectors, the least-squares
// projection). LDLT leaves the components of zero pivots (columns beyond the rank) at zero.
RowSystem weighted_projection(const FoldInInput &in)
{
	RowSystem system = projection_system(in);
	if (in.degrees)
		for (size_t j = 0; j < in.n; j++)
			system.weights(static_cast<Eigen::Index>(j)) *=
			    svd_fold_in_weight(in.h, in.degrees[in.item_indices[j]]);
	return system;
}

} // namespace

void fold_in_svd(const FoldInInput &in, const CancelToken &, float *factors, float *)
{
	solve_row_system(weighted_projection(in), in, factors);
}

// The projection is linear in the row: item j's share of the score is w_j r_j q_t^T G^+ y_j.
void explain_svd(const FoldInInput &in, int32_t target, const CancelToken &cancel,
                 float *contributions)
{
	explain_row_system(weighted_projection(in), in, target, cancel, contributions);
}

} // namespace pgrec
