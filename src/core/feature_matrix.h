// The side information of items or users that content and hybrid models learn from: each
// entity's raw features as sparse rows, the weights fitted on them (TF-IDF for words and
// categories, standardisation for numbers) and the vectors a trained model gives each feature.
#pragma once

#include "sparse_rows.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pgrec
{

// What a feature column holds: the words of a text (raw value: the word's count), a categorical
// value of a text[] (raw value 1) or a number (raw value: the number).
enum class FeatureKind : uint8_t
{
	Word,
	Category,
	Number
};

// One side's features: row r holds the features of the side's dense index r (no row at all,
// rows() == 0, when the side has no feature source). The weights turn a raw value x of feature
// f into (t(x) - offset[f]) * scale[f], t(x) = 1 + ln x for words (sublinear term frequency)
// and x otherwise.
struct FeatureMatrix
{
	SparseRows rows;
	std::vector<FeatureKind> kinds; // one per feature
	std::vector<float> offset, scale;

	size_t features() const
	{
		return kinds.size();
	}
	size_t bytes() const
	{
		return rows.bytes() + kinds.capacity() + (offset.capacity() + scale.capacity()) * 4;
	}
};

// Fits the weights on the rows: words and categories get the smoothed inverse document frequency
// ln((1 + n) / (1 + df)) + 1 over the n rows with any feature, numbers their mean as offset and
// the inverse of their standard deviation as scale (0 when they are constant); rows without the
// feature are left out of both.
void fit_feature_weights(FeatureMatrix *m);

// How a weighted row is normalised.
enum class RowNorm
{
	L2,  // unit Euclidean length (content: TF-IDF cosine)
	Sum, // absolute values adding up to 1 (hybrid: the mean of the features' embeddings)
};

// Writes the weighted values of one row's n raw features (indices into m's features) to out,
// normalised; a row whose weights are all 0 stays 0.
void weighted_row(const FeatureMatrix &m, const int32_t *features, const float *raw, size_t n,
                  RowNorm norm, float *out);

// All of m's rows weighted and normalised, as weighted_row() does for one.
SparseRows weighted_rows(const FeatureMatrix &m, RowNorm norm);

// The vectors a trained model gives the features of each side (features x dim, row-major) and,
// for models with biases, each feature's bias; empty for a side without features.
struct FeatureEmbeddings
{
	std::vector<float> factors;
	std::vector<float> bias;
};

struct FeatureModel
{
	FeatureEmbeddings items, users;
};

} // namespace pgrec
