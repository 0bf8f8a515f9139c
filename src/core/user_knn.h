// user_knn's pieces beyond its trainer: the index of the training users that visitors' neighbours
// are found in, the explainer's input, and the neighbour rows of a refreshed model.
#pragma once

#include "cancel_token.h"
#include "neighbors.h"
#include "similarity.h"
#include "training.h"

#include <cstddef>
#include <cstdint>

namespace pgrec
{

// The training users of a user_knn model: their interactions (rows: users, columns: items, with
// values; must outlive it), the inverted index item -> users and the similarity over them. Its
// queries share one scratch: one thread at a time (the backend's).
class UserIndex
{
  public:
	// Throws Cancelled when the token fires while the index is built.
	UserIndex(const NeighborView &interactions, size_t items, const Hyperparameters &h,
	          const CancelToken &cancel);
	const RowSimilarity &similarity() const
	{
		return similarity_;
	}
	// Writes to rows and weights (room for the model's `neighbors`) the training users most
	// similar to a visitor's n items (ascending, with values; null: 1 each), strongest kept, in
	// user order; returns how many. The same similarity as training, with no user skipped.
	size_t visitor_neighbors(const int32_t *items, const float *values, size_t n, int32_t *rows,
	                         float *weights) const;
	// Writes to rows and weights (room for keep) the items most similar to `item` by
	// item_knn's form of the model's similarity over the training users' values, itself left
	// out, the keep strongest in item order; returns how many.
	size_t similar_items(int32_t item, size_t keep, int32_t *rows, float *weights) const;

  private:
	SparseRows by_item_;
	RowSimilarity similarity_;
	size_t keep_;
	mutable SimilarityScratch scratch_;
	RowSimilarity item_similarity_; // item_knn's measure between the items' users
	mutable SimilarityScratch item_scratch_;
};

// What the user_knn explainer reads (FoldInInput::user_neighbors): the training users and the
// neighbour row of the user explained (stored for a known user, found for a visitor).
struct UserNeighbors
{
	const UserIndex *index;
	WeightedRows row;
};

// The neighbour rows of a refreshed user_knn model over the users of `current` (its interaction
// rows): a known user (old_of_new[u] >= 0) keeps its row of old_rows, a new one gets its
// neighbours among the old users from its items known to them (old_item[i] >= 0); neighbours
// are renumbered by new_of_old (dropped if -1). Both maps increase where defined. Throws
// Cancelled when the token fires.
SparseRows refreshed_user_rows(const UserIndex &old, const NeighborView &old_rows,
                               const int64_t *old_of_new, const NeighborView &current,
                               const int64_t *old_item, const int64_t *new_of_old,
                               const CancelToken &cancel);

} // namespace pgrec
