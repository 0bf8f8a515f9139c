// The interaction matrix a model trains on: external user/item ids mapped to dense indices,
// stored as CSR by user and by item, with duplicates merged.
#pragma once

#include "cancel_token.h"
#include "feature_matrix.h"
#include "sparse_rows.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pgrec
{

// How repeated (user, item) pairs are merged.
enum class DuplicatePolicy
{
	Mean, // explicit ratings: the mean rating
	Sum   // implicit feedback: interactions add up
};

struct Interactions
{
	std::vector<int64_t> user_ids; // external id of each dense user index, ascending
	std::vector<int64_t> item_ids; // external id of each dense item index, ascending
	SparseRows by_user;            // users x items
	SparseRows by_item;            // items x users
	size_t duplicates = 0;         // input rows merged into an earlier (user, item)
	double mean_value = 0.0;       // mean of the merged values
	float min_value = 0.0f, max_value = 0.0f;
	bool has_values = false; // built with values (a rating column), not all 1
	// The features of the users and of the items, row r for dense index r (no rows: none).
	FeatureMatrix user_features, item_features;

	size_t users() const
	{
		return user_ids.size();
	}
	size_t items() const
	{
		return item_ids.size();
	}
	size_t nnz() const
	{
		return by_user.index.size();
	}
	size_t bytes() const
	{
		return (user_ids.capacity() + item_ids.capacity()) * sizeof(int64_t) + by_user.bytes() +
		       by_item.bytes() + user_features.bytes() + item_features.bytes();
	}
};

// Builds the matrix from n (user, item, value) triples; values may be null (all 1). Throws
// DataError when n is 0, Cancelled when the token fires.
Interactions build_interactions(const int64_t *users, const int64_t *items, const float *values,
                                size_t n, DuplicatePolicy policy,
                                const CancelToken &cancel = no_cancel());

// Adds to m the users and items of the given ids it does not have, with no interactions (those
// known only by their features); the ids need not be sorted or distinct.
void add_entities(Interactions *m, const int64_t *users, size_t n_users, const int64_t *items,
                  size_t n_items, const CancelToken &cancel = no_cancel());

// Bytes build_interactions needs per input triple at its peak: id copies or id tables and
// dense indices (2 x (8 + 4)), the sort order (8), both CSR sides (2 x 8).
constexpr size_t kInteractionPeakBytesPerRow = 48;

// The transpose of a CSR matrix given by its arrays (`rows` rows, `columns` columns): row c
// lists the rows with column c, ascending, with their values. Checks the token between blocks
// of entries.
SparseRows transpose(const int64_t *ptr, const int32_t *index, const float *value, size_t rows,
                     size_t columns, const CancelToken &cancel);

// The id map: the dense index of an external id in the ascending ids[0, count), or -1.
int64_t dense_index(const int64_t *ids, size_t count, int64_t id);

// Merges repeated items of one user's n (item, value) pairs as build_interactions merges
// repeated (user, item) rows; leaves the distinct items ascending in items[0, result) with their
// merged values. Linear in n after a sort.
size_t merge_repeated(int32_t *items, float *values, size_t n, DuplicatePolicy policy);

} // namespace pgrec
