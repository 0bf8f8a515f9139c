// Offline evaluation of a trained model: rating errors (RMSE, MAE) for explicit models and
// full-ranking top-k metrics (precision, recall, NDCG, hit rate, MAP, coverage).
#pragma once

#include "algorithm_registry.h"
#include "cancel_token.h"
#include "interactions.h"
#include "neighbors.h"

#include <cstddef>
#include <cstdint>

namespace pgrec
{

// A trained model as contiguous row-major matrices (dense indices of its interactions).
struct ModelView
{
	const float *user_factors; // users x factors
	const float *item_factors; // items x factors
	const float *user_bias;    // null without biases
	const float *item_bias;    // null without biases
	double global_mean;
	size_t users, items;
	int factors;
	const NeighborView *neighbors; // non-null: a neighbour scorer's rows, not factors
	// Per user, the rows of neighbors its scores add up (null: its training items, weight 1).
	const WeightedRows *user_rows;
	// Non-null: the stored network that scores a user's factors against the items' (a Network
	// scorer), with its algorithm's scoring.
	const Network *network = nullptr;
	const NetworkScoring *scoring = nullptr;
};

// One held-out rating: dense indices, -1 for a user or item the model does not know.
struct TestRating
{
	int64_t user;
	int64_t item;
	float rating;
};

struct RatingErrors
{
	double rmse;
	double mae;
	size_t count;
};

// RMSE and MAE of the model's predictions, clipped to [min_rating, max_rating]; unknown users
// or items are predicted from what is known (global mean and the known bias).
RatingErrors rating_errors(const ModelView &model, const TestRating *test, size_t count,
                           float min_rating, float max_rating);

// The relevant held-out items of one user: dense item indices (ascending, distinct), plus how
// many relevant items the model does not know (relevant, but never recommendable).
struct RankingCase
{
	int64_t user;
	const int32_t *items;
	size_t item_count;
	size_t unknown_items;
};

// The training items of each user of the model, in CSR form (see SparseRows).
struct SparseView
{
	const int64_t *ptr;
	const int32_t *index;
};

struct RankingMetrics
{
	double precision = 0, recall = 0, ndcg = 0, hit_rate = 0, map = 0, coverage = 0;
	size_t users = 0;
};

// What recall divides the hits by: the user's relevant items (the LightGCN convention) or
// their number capped at k (Liang et al. 2018, so that a perfect list scores 1).
enum class RecallDenominator
{
	Relevant,
	CappedAtK
};

// Ranks, for each case, every item the user has no training interaction with by
// p_u.q_i + b_i (or the sum of its weighted neighbour rows) and compares the top k
// with the relevant items. Recall is hits over the user's relevant items (or their number capped
// at k), averaged over users. Throws Cancelled when the token fires.
RankingMetrics ranking_metrics(const ModelView &model, SparseView train, const RankingCase *cases,
                               size_t case_count, int k, int threads, const CancelToken &cancel,
                               RecallDenominator recall = RecallDenominator::Relevant);

} // namespace pgrec
