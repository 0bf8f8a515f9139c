// Neighbourhood models: a user's scores are a weighted sum of sparse rows. Item-based (item_knn,
// ease): the rows of the item-item weights of the user's items, weight 1 each; user-based
// (user_knn): the interaction rows of the user's neighbours, by their similarity. Building the
// rows, scoring with them and the trainer they share.
#pragma once

#include "cancel_token.h"
#include "interactions.h"
#include "recommend.h"
#include "training.h"

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace pgrec
{

// The similarity measures of item_knn and user_knn, by the index Hyperparameters::similarity holds.
enum Similarity
{
	kCosine,
	kAdjustedCosine,
	kJaccard,
	kPearson
};
constexpr int kSimilarityCount = 4;
// Their names, null-terminated (the values of the hyper-parameter "similarity").
extern const char *const kSimilarityNames[kSimilarityCount + 1];

// Read-only sparse rows with values (neighbour weights, or interactions): row j holds columns
// index[ptr[j] .. ptr[j+1]) ascending.
struct NeighborView
{
	const int64_t *ptr;
	const int32_t *index;
	const float *weight;
	size_t rows;
};

inline NeighborView neighbor_view(const SparseRows &rows)
{
	return {rows.ptr.data(), rows.index.data(), rows.value.data(), rows.rows()};
}

// One row being built: (column, weight) pairs.
using NeighborRow = std::vector<std::pair<int32_t, float>>;

// Keeps the `keep` weights of row largest in magnitude (ties: the smaller column), in column
// order, releasing the memory of the others.
void keep_strongest(NeighborRow &row, size_t keep);

// Bytes of `neighbors` kept weights per item, twice: as rows being built and assembled.
inline size_t kept_rows_bytes(const Hyperparameters &h, size_t items)
{
	return items * static_cast<size_t>(h.neighbors) *
	       (sizeof(std::pair<int32_t, float>) + sizeof(int32_t) + sizeof(float));
}

// The CSR matrix of rows (each in column order); the rows are released as they are copied.
SparseRows assemble_rows(std::vector<NeighborRow> &rows);

// The rows of `old` for a new set of items: new item i gets the row of old item old_of_new[i]
// (none if -1), with each column c renumbered new_of_old[c] (dropped if -1). Both maps must be
// increasing where defined (ids of both sets ascending), so rows stay in column order.
SparseRows renumber_rows(const NeighborView &old, const int64_t *old_of_new, size_t new_items,
                         const int64_t *new_of_old);

// The explainer of the neighbour scorers: contributions[j] is the weight history item j lends
// to target (input.neighbors must be set); they add up to the score exactly.
struct FoldInInput;
void explain_neighbors(const FoldInInput &input, int32_t target, const CancelToken &cancel,
                       float *contributions);

// The rows one user's scores add up: rows[0, n) of a neighbour scorer's matrix, each times its
// weight (weights null: 1 each; item-based scoring sums the rows of the user's items).
struct WeightedRows
{
	const int32_t *rows;
	const float *weights;
	size_t n;
};

// scores[0, columns) = the sum of the weighted rows of s (rows s does not have are skipped).
void neighbor_scores(const NeighborView &s, const WeightedRows &rows, size_t columns,
                     float *scores);

// The k best items of each of `users` users scored by their weighted rows of s, excluding
// excluded[u] (excluded null: none): k slots per user in out, the number filled in counts.
// Split over threads; throws Cancelled when the token fires.
void recommend_neighbors_batch(const NeighborView &s, size_t items, const WeightedRows *rows,
                               const SortedList *excluded, size_t users, size_t k, int threads,
                               const CancelToken &cancel, Recommendation *out, size_t *counts);

// The trainer of a neighbourhood model: its one "epoch" computes the rows; no factors.
class NeighborTrainer : public Trainer
{
  public:
	NeighborTrainer(const Interactions &data, const Hyperparameters &h, const FactorBuffers &b)
	    : Trainer(data, h, b)
	{
	}
	void run_epoch(const CancelToken &cancel) override;
	const SparseRows *neighbors() const override
	{
		return &rows_;
	}

  protected:
	// The model's rows (one per item).
	virtual SparseRows compute(const CancelToken &cancel) = 0;

  private:
	SparseRows rows_;
};

} // namespace pgrec
