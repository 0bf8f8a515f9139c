// The similarity of sparse rows over the columns they share, shared by item_knn (rows: items,
// columns: users) and user_knn (rows: users, columns: items): cosine, adjusted cosine, Jaccard or
// Pearson, shrunk, computed by sparse accumulation through the transpose.
#pragma once

#include "cancel_token.h"
#include "interactions.h"
#include "neighbors.h"
#include "training.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace pgrec
{

// The accumulators of one thread's similarity queries, one slot per row.
struct SimilarityScratch
{
	explicit SimilarityScratch(size_t rows) : dot(rows, 0.0), touched(rows, 0)
	{
	}
	std::vector<double> dot;
	std::vector<uint8_t> touched;
	std::vector<int32_t> list;
};

// The rows of a matrix, as compared by a similarity. Adjusted cosine centres a value by its
// column's mean (item_knn: the user's mean; user_knn: the item's), Pearson by its row's own mean
// (item_knn: the item's; user_knn: the user's). Both views must outlive it.
class RowSimilarity
{
  public:
	RowSimilarity(const NeighborView &rows, const NeighborView &columns, int similarity,
	              double shrinkage);
	const NeighborView &rows() const
	{
		return rows_;
	}
	// The value that entry (row, column) with `value` brings to the similarity.
	float value(int32_t row, int32_t column, float value) const;
	// The values a query row of n (column, value) pairs brings (its own mean for Pearson).
	void query_values(const int32_t *columns, const float *values, size_t n, float *out) const;
	// The denominator of the similarity of a query (norm: as norm() gives it) and row r whose
	// accumulated product is dot.
	double denominator(double query_norm, int32_t r, double dot) const;
	// The norm of transformed values (their count for Jaccard).
	double norm(const float *x, size_t n) const;
	// Into out: the positive similarities of the query row (columns ascending) to the rows,
	// row `self` skipped (-1: none), the `keep` strongest in row order (keep_strongest).
	void similar(const int32_t *columns, const float *values, size_t n, int64_t self, size_t keep,
	             SimilarityScratch &scratch, NeighborRow &out) const;

  private:
	NeighborView rows_, columns_;
	int similarity_;
	double shrinkage_;
	std::vector<float> row_means_, column_means_;
	std::vector<double> norms_;
};

// Every row's similar rows (itself excluded), the `keep` strongest each, over `threads` threads;
// throws Cancelled when the token fires.
SparseRows similar_rows(const RowSimilarity &s, size_t keep, int threads,
                        const CancelToken &cancel);

// Bytes similar_rows takes for `rows` rows over `columns` columns: per thread a dense accumulator
// and marks; shared: norms, means and the kept rows.
inline size_t similarity_scratch_bytes(const Hyperparameters &h, size_t rows, size_t columns)
{
	return static_cast<size_t>(h.threads) * rows * (sizeof(double) + 1 + sizeof(int32_t)) +
	       (columns + 2 * rows) * sizeof(double) + kept_rows_bytes(h, rows);
}

// The trainer of item_knn (of_users false: rows are items) and user_knn (rows are users): its
// rows are similar_rows with the model's similarity, shrinkage and neighbors.
std::unique_ptr<Trainer> make_similarity_trainer(const Interactions &data, const Hyperparameters &h,
                                                 const FactorBuffers &b, bool of_users);

} // namespace pgrec
