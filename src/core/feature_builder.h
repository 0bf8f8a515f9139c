// Collects one side's features as a feature source is read: the vocabulary of (column, value)
// features, each entity's raw values, and the matrix aligned with the model's dense indices.
#pragma once

#include "cancel_token.h"
#include "feature_matrix.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace pgrec
{

class FeatureBuilder
{
  public:
	// Starts the row of entity id; false if the source had a row for it already.
	bool begin_entity(int64_t id);

	// Adds raw value `raw` of the feature (column, kind, value) to the current entity's row; the
	// value names a word or a category (for a number column, pass an empty value). A category
	// repeated in one row counts once.
	void add(int32_t column, FeatureKind kind, const char *value, size_t length, float raw);

	// The entities with a row, ascending.
	std::vector<int64_t> entities() const;

	// The features as a matrix whose row r is entity ids[r] (ids ascending, holding every entity
	// with a row), with fitted weights. Checks the token between blocks of entries.
	FeatureMatrix build(const std::vector<int64_t> &ids,
	                    const CancelToken &cancel = no_cancel()) const;

	// The vocabulary: feature f is value values()[f] of column columns()[f].
	const std::vector<int32_t> &columns() const
	{
		return columns_;
	}
	const std::vector<std::string> &values() const
	{
		return values_;
	}
	const std::vector<FeatureKind> &kinds() const
	{
		return kinds_;
	}
	size_t entries() const
	{
		return features_.size();
	}
	// Bytes held: the entries (and the matrix build() makes of them) and the vocabulary.
	size_t bytes() const
	{
		return entries() * kEntryBytes + vocabulary_bytes_;
	}

  private:
	std::unordered_map<std::string, int32_t> index_; // column number's bytes, then the value
	std::string key_;
	std::vector<int32_t> columns_;
	std::vector<std::string> values_;
	std::vector<FeatureKind> kinds_;
	std::unordered_set<int64_t> seen_;
	int64_t current_ = 0;
	// The entries in reading order: entity, feature, raw value.
	std::vector<int64_t> entities_;
	std::vector<int32_t> features_;
	std::vector<float> raw_;
	size_t vocabulary_bytes_ = 0;
	// Per entry: entity, feature and value here, then row, sort slot and matrix entry in build().
	static constexpr size_t kEntryBytes = 8 + 4 + 4 + 4 + 8 + 8;
	// Per distinct feature beyond its value: the hash node, the key and the vectors' slots.
	static constexpr size_t kFeatureBytes = 96;
};

} // namespace pgrec
