// Content-based recommendation: the items' TF-IDF feature rows reduced to `factors` dimensions
// by a truncated SVD (latent semantic analysis), item vectors X V normalised to unit length, so
// that a dot product is a cosine; a user's vector is the weighted mean of the vectors of their
// items: for a model trained on ratings (a rating column) the ratings centred on the user's mean
// when they differ, else the values themselves (implicit counts weigh by their count). The
// model's global mean is its mean rating, 0 without ratings: what a fold-in tells them apart by.
// A new item gets the same projection of its features, a new user the same mean: both exact.
#include "algorithm_registry.h"
#include "factor_init.h"
#include "truncated_svd.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

// Products with A A^T of the randomized SVD: the latent semantic analysis needs the leading
// topics, not the exact decomposition; 2 keep ML-1M's cold-start AUC (bench/cold_start.sh) at
// half the time of svd's 5 (bench/content_speed.sh).
constexpr int kPowerIterations = 2;

// Scales the dim values of v to unit length (a zero vector stays zero).
void normalise(float *v, int dim)
{
	double total = 0.0;
	for (int f = 0; f < dim; f++)
		total += static_cast<double>(v[f]) * v[f];
	if (total <= 0.0)
		return;
	const double scale = 1.0 / std::sqrt(total);
	for (int f = 0; f < dim; f++)
		v[f] = static_cast<float>(v[f] * scale);
}

// The weights of a user's n values in the mean of their items' vectors: ratings centred on their
// mean when they differ, else the values (values null: all 1).
std::vector<double> user_weights(const float *values, size_t n, bool ratings)
{
	std::vector<double> w(n, 1.0);
	if (values == nullptr || n == 0)
		return w;
	if (!ratings)
	{
		std::copy(values, values + n, w.begin());
		return w;
	}
	double mean = 0.0;
	for (size_t j = 0; j < n; j++)
		mean += values[j];
	mean /= static_cast<double>(n);
	bool differ = false;
	for (size_t j = 0; j < n; j++)
		differ |= values[j] != values[0];
	for (size_t j = 0; j < n; j++)
		w[j] = differ ? values[j] - mean : values[j];
	return w;
}

// Items between two checks of the cancellation token.
constexpr size_t kCheckEvery = 4096;

// The user's vector (unnormalised): sum_j w_j q_j over their n items.
void weighted_sum(const ItemMatrix &items, const int32_t *index, const std::vector<double> &w,
                  float *out, const CancelToken &cancel)
{
	const int k = items.dim;
	std::vector<double> sum(static_cast<size_t>(k), 0.0);
	for (size_t j = 0; j < w.size(); j++)
	{
		if (j % kCheckEvery == 0)
			cancel.check();
		const float *q = items.factors + static_cast<size_t>(index[j]) * k;
		for (int f = 0; f < k; f++)
			sum[f] += w[j] * q[f];
	}
	for (int f = 0; f < k; f++)
		out[f] = static_cast<float>(sum[f]);
}

class ContentTrainer : public Trainer
{
  public:
	ContentTrainer(const Interactions &data, const Hyperparameters &h, const FactorBuffers &b)
	    : Trainer(data, h, b)
	{
	}

	// Computes the projection on the first call; later calls keep it.
	void run_epoch(const CancelToken &cancel) override
	{
		if (!done_)
			set_loss(project(cancel), "the latent semantic analysis");
		done_ = true;
	}

	// The mean rating of a model trained on ratings (0 without), which fold-ins centre by.
	double global_mean() const override
	{
		return data_.has_values ? data_.mean_value : 0.0;
	}

	const FeatureModel *feature_model() const override
	{
		return &model_;
	}

  private:
	// Writes the item and user factors and the features' embeddings V; returns the relative
	// Frobenius error of the rank-k approximation of the TF-IDF matrix.
	double project(const CancelToken &cancel)
	{
		const int k = h_.factors;
		const FeatureMatrix &m = data_.item_features;
		SparseRows x = weighted_rows(m, RowNorm::L2);
		SparseRows xt =
		    transpose(x.ptr.data(), x.index.data(), x.value.data(), x.rows(), m.features(), cancel);
		double total = 0.0;
		for (float v : x.value)
			total += static_cast<double>(v) * v;
		Eigen::VectorXd lambda;
		DenseMatrix v;
		if (total > 0.0)
			right_singular_vectors(x, xt, k, kPowerIterations, h_.seed, h_.threads, cancel, &lambda,
			                       &v);
		else
			v = DenseMatrix::Zero(static_cast<Eigen::Index>(m.features()), k);
		model_.items.factors.resize(m.features() * static_cast<size_t>(k));
		MatrixMap(model_.items.factors.data(), v.rows(), k) = v.cast<float>();

		DenseMatrix q(static_cast<Eigen::Index>(data_.items()), k);
		sparse_times_dense(x, v.data(), k, q.data(), h_.threads, cancel);
		MatrixMap(b_.item_factors, q.rows(), k) = q.cast<float>();
		for (size_t i = 0; i < data_.items(); i++)
			normalise(b_.item_factors + i * static_cast<size_t>(k), k);

		const ItemMatrix items = {b_.item_factors, nullptr, nullptr, data_.items(), k};
		for (size_t u = 0; u < data_.users(); u++)
		{
			if (u % 4096 == 0)
				cancel.check();
			const int64_t first = data_.by_user.ptr[u];
			const size_t n = static_cast<size_t>(data_.by_user.ptr[u + 1] - first);
			float *p = b_.user_factors + u * static_cast<size_t>(k);
			weighted_sum(items, data_.by_user.index.data() + first,
			             user_weights(data_.by_user.value.data() + first, n, data_.has_values), p,
			             no_cancel());
			normalise(p, k);
		}
		if (total == 0.0)
			return 0.0;
		double kept = 0.0;
		for (int f = 0; f < k; f++)
			kept += std::max(lambda(f), 0.0);
		return std::sqrt(std::max(0.0, 1.0 - kept / total));
	}

	FeatureModel model_;
	bool done_ = false;
};

} // namespace

std::unique_ptr<Trainer> make_content_trainer(const Interactions &data, const Hyperparameters &h,
                                              const FactorBuffers &b)
{
	const FeatureMatrix &m = data.item_features;
	if (m.rows.rows() != data.items())
		throw InvalidArgument("algorithm content needs item features");
	size_t rank = std::min(data.items(), m.features());
	if (h.factors < 1 || static_cast<size_t>(h.factors) > rank)
	{
		char text[200];
		std::snprintf(text, sizeof text,
		              "factors must be at most %zu for algorithm content (the number of %s), not "
		              "%d",
		              rank, data.items() <= m.features() ? "items" : "item features", h.factors);
		throw InvalidArgument(text);
	}
	return std::unique_ptr<Trainer>(new ContentTrainer(data, h, b));
}

size_t content_scratch_bytes(const Hyperparameters &h, const Interactions &data)
{
	const FeatureMatrix &m = data.item_features;
	size_t k = static_cast<size_t>(h.factors);
	// The weighted rows and their transpose, the solver, V and X V in doubles, V in floats.
	return 2 * m.rows.bytes() + eigenpair_scratch_bytes(data.items(), m.features(), k) +
	       sizeof(double) * (m.features() + data.items()) * k + sizeof(float) * m.features() * k;
}

void fold_in_content(const FoldInInput &in, const CancelToken &cancel, float *factors, float *)
{
	weighted_sum(in.items, in.item_indices, user_weights(in.values, in.n, in.global_mean != 0.0),
	             factors, cancel);
	normalise(factors, in.items.dim);
}

// The score q_t . p with p = s / |s|, s = sum_j w_j q_j: item j's share is w_j q_j . q_t / |s|.
void explain_content(const FoldInInput &in, int32_t target, const CancelToken &cancel,
                     float *contributions)
{
	const int k = in.items.dim;
	std::vector<double> w = user_weights(in.values, in.n, in.global_mean != 0.0);
	std::vector<float> s(static_cast<size_t>(k));
	weighted_sum(in.items, in.item_indices, w, s.data(), cancel);
	double length = 0.0;
	for (float x : s)
		length += static_cast<double>(x) * x;
	length = std::sqrt(length);
	const float *qt = in.items.factors + static_cast<size_t>(target) * k;
	for (size_t j = 0; j < in.n; j++)
	{
		const float *q = in.items.factors + static_cast<size_t>(in.item_indices[j]) * k;
		double dot = 0.0;
		for (int f = 0; f < k; f++)
			dot += static_cast<double>(q[f]) * qt[f];
		contributions[j] = length > 0.0 ? static_cast<float>(w[j] * dot / length) : 0.0f;
	}
}

void project_content(const Hyperparameters &, const FeatureMatrix &m,
                     const FeatureEmbeddings &embeddings, const int32_t *features, const float *raw,
                     size_t n, int dim, float *factors, float *)
{
	std::vector<float> w(n);
	weighted_row(m, features, raw, n, RowNorm::L2, w.data());
	std::vector<double> sum(static_cast<size_t>(dim), 0.0);
	for (size_t j = 0; j < n; j++)
	{
		const float *e = embeddings.factors.data() + static_cast<size_t>(features[j]) * dim;
		for (int f = 0; f < dim; f++)
			sum[f] += static_cast<double>(w[j]) * e[f];
	}
	for (int f = 0; f < dim; f++)
		factors[f] = static_cast<float>(sum[f]);
	normalise(factors, dim);
}

} // namespace pgrec
