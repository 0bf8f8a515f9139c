// The truncated SVD of the interactions normalised by the degrees (interaction counts),
// D_u^-b R D_i^-b ~ U S V^T, by randomized subspace iteration on the Gram matrix of its smaller
// side, served as item factors D_i^b V and user factors R D_i^-b V: with b = 0 PureSVD (Cremonesi,
// Koren & Turrin 2010), with b = 1/2 the ideal low-pass filter of GF-CF (Shen et al. 2021).
// A new row is folded in by the least squares of its values against the fixed side weighted
// by degree^-2b, which gives a trained row its own factors exactly.

#include "algorithm_registry.h"
#include "factor_init.h"
#include "normal_equations.h"
#include "parallel.h"
#include "truncated_svd.h"

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

// Rows scaled between two cancel checks.
constexpr size_t kCheckEvery = 1024;

// Products with A A^T of the randomized solver: more approach the exact truncated SVD. 5 come
// within a few percent of its leading singular values at a fraction of a Lanczos solver's
// time, with Gowalla's Recall@20 above the exact decomposition's (bench/README.md).
constexpr int kPowerIterations = 5;

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

		Eigen::VectorXd lambda;
		DenseMatrix v;
		right_singular_vectors(by_user, by_item, k, kPowerIterations, h_.seed, h_.threads, cancel,
		                       &lambda, &v);
		// User factors R D_i^-b V: each user's row projected, exactly as a new user is folded
		// in; item factors D_i^b V.
		for (size_t i = 0; i < data_.items(); i++)
			v.row(static_cast<Eigen::Index>(i)) *= item_scale[i];
		DenseMatrix p(static_cast<Eigen::Index>(data_.users()), k);
		sparse_times_dense(data_.by_user, v.data(), k, p.data(), h_.threads, cancel);
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
	size_t k = static_cast<size_t>(h.factors);
	// The normalised copy of the data; in doubles, the dense side's matrix and its eigenvectors
	// or the solver's two blocks (both sides' width), then the eigenvectors, V and R V.
	return data.by_user.bytes() + data.by_item.bytes() +
	       eigenpair_scratch_bytes(data.users(), data.items(), k) +
	       sizeof(double) * (data.users() + data.items()) * k;
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
