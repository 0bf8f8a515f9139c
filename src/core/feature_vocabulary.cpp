// The stored vocabulary of a trained model's features (feature_vocabulary.h): lookup by column,
// kind and value, and the projection of a new entity's features through it.
#include "feature_vocabulary.h"

#include "core_errors.h"

#include <utility>

#include "core_only.h"

namespace pgrec
{

namespace
{

// Bytes of one entry of the index beyond its key's characters: the node (its string, value and
// link), the bucket and the allocator's headers.
constexpr size_t kIndexNodeBytes = 80;

} // namespace

std::string FeatureVocabulary::key(const std::string &column, FeatureKind kind,
                                   const std::string &value)
{
	std::string k = column;
	k.push_back('\0');
	k.push_back(static_cast<char>('0' + static_cast<int>(kind)));
	k.append(value);
	return k;
}

void FeatureVocabulary::add(const std::string &column, FeatureKind kind, const std::string &value,
                            float offset, float scale, const float *factors, int k, float bias)
{
	int32_t f = static_cast<int32_t>(weights_.kinds.size());
	std::string entry_key = key(column, kind, value);
	// The key's characters and its index entry, the vector and the three weights, the kind.
	bytes_ += entry_key.size() + kIndexNodeBytes + (static_cast<size_t>(k) + 3) * sizeof(float) +
	          sizeof(FeatureKind);
	if (!index_.emplace(std::move(entry_key), f).second)
		throw DataError("a feature of column \"" + column + "\" is stored twice");
	weights_.kinds.push_back(kind);
	weights_.offset.push_back(offset);
	weights_.scale.push_back(scale);
	embeddings_.factors.insert(embeddings_.factors.end(), factors, factors + k);
	embeddings_.bias.push_back(bias);
}

std::vector<int32_t> FeatureVocabulary::map(const FeatureBuilder &builder,
                                            const std::vector<std::string> &column_names) const
{
	std::vector<int32_t> out(builder.kinds().size(), -1);
	for (size_t f = 0; f < out.size(); f++)
	{
		auto found = index_.find(key(column_names[static_cast<size_t>(builder.columns()[f])],
		                             builder.kinds()[f], builder.values()[f]));
		if (found != index_.end())
			out[f] = found->second;
	}
	return out;
}

bool FeatureVocabulary::project(const AlgorithmEntry &algorithm, FeatureSide side,
                                const Hyperparameters &h, const std::vector<int32_t> &map,
                                const int32_t *features, const float *raw, size_t n, float *factors,
                                float *bias) const
{
	std::vector<int32_t> known;
	std::vector<float> values;
	for (size_t j = 0; j < n; j++)
		if (map[static_cast<size_t>(features[j])] >= 0)
		{
			known.push_back(map[static_cast<size_t>(features[j])]);
			values.push_back(raw[j]);
		}
	if (known.empty())
		return false;
	project_features(algorithm, side, h, weights_, embeddings_, known.data(), values.data(),
	                 known.size(), factors, bias);
	return true;
}

} // namespace pgrec
