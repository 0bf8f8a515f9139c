// The parts of the hybrid (LightFM-style) trainer its tests check: composing an entity's vector
// from its id and feature embeddings, WARP's choice of a negative, one sample's loss and gradient.
#pragma once

#include "algorithm_registry.h"
#include "factor_init.h"
#include "interactions.h"
#include "kernels.h"
#include "sparse_rows.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace pgrec
{

// The losses of kLossNames, by index: the ranking losses trained by SGD (hybrid.cpp) and the
// squared ones by alternating least squares (hybrid_als.cpp).
enum class HybridLoss
{
	Warp = 0,
	Bpr = 1,
	Ials = 2,
	Squared = kSquaredLoss
};

// Whether the loss is one of the squared ones, trained by alternating least squares.
inline bool squared_loss(int loss)
{
	return loss == static_cast<int>(HybridLoss::Ials) ||
	       loss == static_cast<int>(HybridLoss::Squared);
}

// The ridge of the squared losses' regression of the warm vectors on the feature rows, each
// warm row weighing 1: on the ML-1M cold-start split 3 gave NDCG@20 0.2641 and cold AUC 0.7515,
// 10 gave 0.2645 and 0.7495 (regularization 7; bench/README.md).
constexpr float kFeatureRidge = 3.0f;

// How hybrid weighs an entity's feature row: the mean of its features' embeddings (RowNorm::Sum,
// LightFM's normalisation) for the ranking losses, unit length for the squared ones (on ML-1M
// cold start: AUC 0.735 with Sum, 0.747 with L2, bench/README.md).
inline RowNorm hybrid_row_norm(const Hyperparameters &h)
{
	return squared_loss(h.loss) ? RowNorm::L2 : RowNorm::Sum;
}

// Throws DataError unless each side's features have no rows or one per user or item, with
// feature indices in range.
void check_hybrid_features(const Interactions &data);

// The trainer of the squared losses.
std::unique_ptr<Trainer> make_hybrid_als_trainer(const Interactions &data, const Hyperparameters &h,
                                                 const FactorBuffers &b);

// The negatives WARP draws for one positive before giving up (LightFM's max_sampled, 10 there):
// on ML-1M 30 gave NDCG@20 0.241 against 0.233 (3 seeds each) for a quarter more time, which
// ten more epochs at 10 do not buy; 50 and 100 gave no more (bench/README.md).
constexpr int kWarpMaxSampled = 30;

// One side's parameters with their Adagrad accumulators (same shapes, "_sq"): an id embedding per
// entity (entities x k; zero and never updated for one without interactions), a feature embedding
// per feature (features x k), the biases of both (null: a side without biases, the users), and
// the side's feature rows weighted and normalised with RowNorm::Sum (rows() == 0: no features).
struct HybridSide
{
	float *id_factors, *id_factors_sq;
	float *id_bias, *id_bias_sq;
	float *feature_factors, *feature_factors_sq;
	float *feature_bias, *feature_bias_sq;
	const SparseRows *rows;
};

// Adds sum_j w_j E_{f_j} over n (feature f_j, weight w_j) pairs to out (k floats) and returns
// sum_j w_j c_{f_j} (0 without feature biases): the part of a vector and bias due to features.
inline float add_feature_embeddings(const float *embeddings, const float *bias, int k,
                                    const int32_t *features, const float *weights, size_t n,
                                    float *out)
{
	const KernelTable &kernel = kernels();
	float b = 0.0f;
	for (size_t j = 0; j < n; j++)
	{
		const float w = weights[j];
		kernel.add_scaled(out, embeddings + static_cast<size_t>(features[j]) * k, w,
		                  static_cast<size_t>(k));
		if (bias)
			b += w * bias[features[j]];
	}
	return b;
}

// Writes entity r's vector e_r + sum_f w_rf E_f to out (k floats) and returns its bias
// c_r + sum_f w_rf c_f (0 for a side without biases).
inline float compose(const HybridSide &s, int k, int32_t r, float *out)
{
	const float *e = s.id_factors + static_cast<size_t>(r) * k;
	for (int c = 0; c < k; c++)
		out[c] = e[c];
	float b = s.id_bias ? s.id_bias[r] : 0.0f;
	if (s.rows->rows() > 0)
	{
		int64_t first = s.rows->ptr[r];
		b += add_feature_embeddings(s.feature_factors, s.feature_bias, k,
		                            s.rows->index.data() + first, s.rows->value.data() + first,
		                            static_cast<size_t>(s.rows->ptr[r + 1] - first), out);
	}
	return b;
}

// WARP's negative for a positive scoring score_i: draws items from candidates[0, n) with rng,
// at most kWarpMaxSampled, until one the user has not seen (ascending in [seen, seen_end)) scores
// above score_i - 1, and returns it with its score and the draws taken (-1: none in time). A
// draw of a seen item counts, as in LightFM. screen(c) is a cheap, maybe stale, score of c:
// a draw it puts at or below score_i - 1 is rejected without more; exact(c) scores the others,
// and decides. With screen == exact this is the plain rule (seen first, then the score).
template <class Screen, class Exact>
int32_t warp_negative(Random &rng, const int32_t *candidates, size_t n, const int32_t *seen,
                      const int32_t *seen_end, float score_i, Screen &&screen, Exact &&exact,
                      float *score_j, int *draws)
{
	const float margin = score_i - 1.0f;
	for (int d = 1; d <= kWarpMaxSampled; d++)
	{
		const int32_t c = candidates[rng.below(n)];
		if (screen(c) <= margin || std::binary_search(seen, seen_end, c))
			continue;
		*score_j = exact(c);
		if (*score_j > margin)
		{
			*draws = d;
			return c;
		}
	}
	*draws = kWarpMaxSampled;
	return -1;
}

// One sample's loss as a function of x = s_ui - s_uj (the positive's score minus the
// negative's): BPR -log sigmoid(x), WARP warp_weight * max(0, 1 - x). Writes dloss/dx to *slope.
inline double pair_loss(HybridLoss loss, double x, double warp_weight, double *slope)
{
	if (loss == HybridLoss::Bpr)
	{
		*slope = -1.0 / (1.0 + std::exp(x));
		return x > 0 ? std::log1p(std::exp(-x)) : -x + std::log1p(std::exp(x));
	}
	*slope = x < 1.0 ? -warp_weight : 0.0;
	return x < 1.0 ? warp_weight * (1.0 - x) : 0.0;
}

// Calls vector(param, accumulator, direction, scale) for each k-vector of parameters that the
// score difference x of (u, i, j) depends on, the loss's gradient there being scale * direction,
// and scalar(param, accumulator, gradient) for each item bias; slope is dloss/dx, p the user's
// composed vector and diff = q_i - q_j, both taken before any update.
template <class Vector, class Scalar>
void for_each_gradient(const HybridSide &users, const HybridSide &items, int k, int32_t u,
                       int32_t i, int32_t j, float slope, const float *p, const float *diff,
                       Vector &&vector, Scalar &&scalar)
{
	// Entity r's id embedding and its features' embeddings (and biases), where dx/d(vector) is
	// scale * direction.
	auto visit = [&](const HybridSide &s, int32_t r, float scale, const float *direction)
	{
		const size_t row = static_cast<size_t>(r) * k;
		vector(s.id_factors + row, s.id_factors_sq + row, direction, scale);
		if (s.id_bias)
			scalar(s.id_bias + r, s.id_bias_sq + r, scale);
		if (s.rows->rows() == 0)
			return;
		for (int64_t e = s.rows->ptr[r]; e < s.rows->ptr[r + 1]; e++)
		{
			const size_t f = static_cast<size_t>(s.rows->index[e]);
			const float w = scale * s.rows->value[e];
			vector(s.feature_factors + f * k, s.feature_factors_sq + f * k, direction, w);
			if (s.feature_bias)
				scalar(s.feature_bias + f, s.feature_bias_sq + f, w);
		}
	};
	visit(users, u, slope, diff); // x = p_u . (q_i - q_j) + b_i - b_j
	visit(items, i, slope, p);
	visit(items, j, -slope, p);
}

} // namespace pgrec
