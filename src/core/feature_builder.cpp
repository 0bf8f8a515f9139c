// The vocabulary and rows of a feature source as it is read, then its matrix aligned with the
// model's dense indices (feature_builder.h).
#include "feature_builder.h"

#include "core_errors.h"
#include "interactions.h"

#include <algorithm>
#include <numeric>

#include "core_only.h"

namespace pgrec
{

bool FeatureBuilder::begin_entity(int64_t id)
{
	current_ = id;
	return seen_.insert(id).second;
}

void FeatureBuilder::add(int32_t column, FeatureKind kind, const char *value, size_t length,
                         float raw)
{
	// The key is built in a buffer kept across calls: no allocation for a known feature.
	std::string &key = key_;
	key.assign(reinterpret_cast<const char *>(&column), sizeof column);
	key.append(value, length);
	auto found = index_.find(key);
	int32_t f;
	if (found != index_.end())
		f = found->second;
	else
	{
		if (kinds_.size() >= static_cast<size_t>(INT32_MAX))
			throw DataError("too many distinct features: at most 2147483647 are supported");
		f = static_cast<int32_t>(kinds_.size());
		index_.emplace(key, f);
		columns_.push_back(column);
		values_.emplace_back(value, length);
		kinds_.push_back(kind);
	}
	entities_.push_back(current_);
	features_.push_back(f);
	raw_.push_back(raw);
}

std::vector<int64_t> FeatureBuilder::entities() const
{
	std::vector<int64_t> out(seen_.begin(), seen_.end());
	std::sort(out.begin(), out.end());
	return out;
}

FeatureMatrix FeatureBuilder::build(const std::vector<int64_t> &ids) const
{
	const size_t n = features_.size();
	std::vector<int32_t> row(n);
	for (size_t e = 0; e < n; e++)
	{
		int64_t r = dense_index(ids.data(), ids.size(), entities_[e]);
		if (r < 0)
			throw DataError("an entity of the features is not in the model");
		row[e] = static_cast<int32_t>(r);
	}
	// Entries by row, then feature, in reading order.
	std::vector<size_t> order(n);
	std::iota(order.begin(), order.end(), size_t(0));
	std::stable_sort(order.begin(), order.end(),
	                 [&](size_t a, size_t b)
	                 { return row[a] != row[b] ? row[a] < row[b] : features_[a] < features_[b]; });
	FeatureMatrix m;
	m.kinds = kinds_;
	SparseRows &rows = m.rows;
	rows.ptr.assign(ids.size() + 1, 0);
	rows.index.reserve(n);
	rows.value.reserve(n);
	for (size_t j = 0; j < n; j++)
	{
		size_t e = order[j];
		if (j > 0 && row[order[j - 1]] == row[e] && features_[order[j - 1]] == features_[e])
		{
			rows.value.back() = std::max(rows.value.back(), raw_[e]); // a repeated category
			continue;
		}
		rows.ptr[static_cast<size_t>(row[e]) + 1]++;
		rows.index.push_back(features_[e]);
		rows.value.push_back(raw_[e]);
	}
	std::partial_sum(rows.ptr.begin(), rows.ptr.end(), rows.ptr.begin());
	fit_feature_weights(&m);
	return m;
}

} // namespace pgrec
