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

// Entries between two checks of the cancellation token.
constexpr size_t kCheckEvery = 1u << 16;

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
		vocabulary_bytes_ += kFeatureBytes + 2 * length;
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

FeatureMatrix FeatureBuilder::build(const std::vector<int64_t> &ids,
                                    const CancelToken &cancel) const
{
	const size_t n = features_.size();
	std::vector<int32_t> row(n);
	for (size_t e = 0; e < n; e++)
	{
		if (e % kCheckEvery == 0)
			cancel.check();
		if (e > 0 && entities_[e] == entities_[e - 1])
		{
			row[e] = row[e - 1]; // an entity's entries are consecutive
			continue;
		}
		int64_t r = dense_index(ids.data(), ids.size(), entities_[e]);
		if (r < 0)
			throw DataError("an entity of the features is not in the model");
		row[e] = static_cast<int32_t>(r);
	}
	// Entries by row (a counting sort, stable), then by feature within each row; a category
	// repeated in a row keeps one entry.
	FeatureMatrix m;
	m.kinds = kinds_;
	SparseRows &rows = m.rows;
	std::vector<int64_t> start(ids.size() + 1, 0);
	for (size_t e = 0; e < n; e++)
		start[static_cast<size_t>(row[e]) + 1]++;
	std::partial_sum(start.begin(), start.end(), start.begin());
	std::vector<std::pair<int32_t, float>> sorted(n);
	std::vector<int64_t> next(start.begin(), start.end() - 1);
	for (size_t e = 0; e < n; e++)
		sorted[static_cast<size_t>(next[static_cast<size_t>(row[e])]++)] = {features_[e], raw_[e]};
	rows.ptr.assign(ids.size() + 1, 0);
	rows.index.reserve(n);
	rows.value.reserve(n);
	for (size_t r = 0; r < ids.size(); r++)
	{
		if (r % 4096 == 0)
			cancel.check();
		auto first = sorted.begin() + start[r], last = sorted.begin() + start[r + 1];
		std::stable_sort(first, last,
		                 [](const std::pair<int32_t, float> &a, const std::pair<int32_t, float> &b)
		                 { return a.first < b.first; });
		for (auto it = first; it != last; ++it)
		{
			if (it != first && (it - 1)->first == it->first)
			{
				rows.value.back() = std::max(rows.value.back(), it->second);
				continue;
			}
			rows.ptr[r + 1]++;
			rows.index.push_back(it->first);
			rows.value.push_back(it->second);
		}
	}
	std::partial_sum(rows.ptr.begin(), rows.ptr.end(), rows.ptr.begin());
	fit_feature_weights(&m);
	return m;
}

} // namespace pgrec
