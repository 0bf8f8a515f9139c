// A trained model's stored vocabulary of one side's features (pgrec.feature_factors): each
// feature's kind and weights and the vector the model learnt for it, found by column and value,
// so that new users and items are projected with the model's own features.
#pragma once

#include "algorithm_registry.h"
#include "feature_builder.h"
#include "feature_matrix.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace pgrec
{

class FeatureVocabulary
{
  public:
	// Appends the next stored feature (features are numbered in the order added): its column,
	// kind, value (empty for a number), weights, k factors and bias.
	void add(const std::string &column, FeatureKind kind, const std::string &value, float offset,
	         float scale, const float *factors, int k, float bias);

	// The stored index of each feature of builder (whose columns are named column_names), or
	// -1 for one the model does not know (or knows with another kind).
	std::vector<int32_t> map(const FeatureBuilder &builder,
	                         const std::vector<std::string> &column_names) const;

	// Writes the factors and *bias of an entity from its n raw features (indices into
	// builder's features) through map; returns false when none is known.
	bool project(const AlgorithmEntry &algorithm, FeatureSide side, const Hyperparameters &h,
	             const std::vector<int32_t> &map, const int32_t *features, const float *raw,
	             size_t n, float *factors, float *bias) const;

	size_t size() const
	{
		return weights_.kinds.size();
	}

	// About the bytes the vocabulary holds: weights, vectors and the index with its keys.
	size_t bytes() const
	{
		return bytes_;
	}

  private:
	static std::string key(const std::string &column, FeatureKind kind, const std::string &value);

	FeatureMatrix weights_; // kinds, offset, scale; no rows
	FeatureEmbeddings embeddings_;
	std::unordered_map<std::string, int32_t> index_;
	size_t bytes_ = 0;
};

} // namespace pgrec
