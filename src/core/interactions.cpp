// Builds the CSR interaction matrices from (user, item, value) triples: sorts the triples,
// maps ids to dense indices, merges duplicates and transposes.
#include "interactions.h"

#include "core_errors.h"

#include <algorithm>
#include <numeric>

#include "core_only.h"

namespace pgrec
{

namespace
{

// Sorted distinct values of ids[0, n).
std::vector<int64_t> distinct_sorted(const int64_t *ids, size_t n)
{
	std::vector<int64_t> out(ids, ids + n);
	std::sort(out.begin(), out.end());
	out.erase(std::unique(out.begin(), out.end()), out.end());
	out.shrink_to_fit();
	return out;
}

// Dense index of every id, by binary search in the sorted distinct ids.
std::vector<int32_t> dense_indices(const int64_t *ids, size_t n, const std::vector<int64_t> &sorted)
{
	std::vector<int32_t> out(n);
	for (size_t k = 0; k < n; k++)
		out[k] = static_cast<int32_t>(std::lower_bound(sorted.begin(), sorted.end(), ids[k]) -
		                              sorted.begin());
	return out;
}

// The transpose of a CSR matrix with `columns` columns.
SparseRows transpose(const SparseRows &m, size_t columns)
{
	SparseRows t;
	t.ptr.assign(columns + 1, 0);
	for (int32_t c : m.index)
		t.ptr[c + 1]++;
	std::partial_sum(t.ptr.begin(), t.ptr.end(), t.ptr.begin());
	t.index.resize(m.index.size());
	t.value.resize(m.value.size());
	std::vector<int64_t> next(t.ptr.begin(), t.ptr.end() - 1);
	for (size_t r = 0; r < m.rows(); r++)
		for (int64_t k = m.ptr[r]; k < m.ptr[r + 1]; k++)
		{
			int64_t slot = next[m.index[k]]++;
			t.index[slot] = static_cast<int32_t>(r);
			t.value[slot] = m.value[k];
		}
	return t;
}

} // namespace

Interactions build_interactions(const int64_t *users, const int64_t *items, const float *values,
                                size_t n, DuplicatePolicy policy)
{
	if (n == 0)
		throw DataError("no interactions to train on");
	if (n > static_cast<size_t>(INT32_MAX))
		throw DataError("too many interactions: at most 2147483647 are supported");

	Interactions m;
	m.user_ids = distinct_sorted(users, n);
	m.item_ids = distinct_sorted(items, n);
	std::vector<int32_t> u = dense_indices(users, n, m.user_ids);
	std::vector<int32_t> i = dense_indices(items, n, m.item_ids);

	// Row-major order of the triples; stable so duplicates keep their input order.
	std::vector<uint32_t> order(n);
	std::iota(order.begin(), order.end(), 0u);
	std::stable_sort(order.begin(), order.end(),
	                 [&](uint32_t a, uint32_t b)
	                 { return u[a] != u[b] ? u[a] < u[b] : i[a] < i[b]; });

	SparseRows &rows = m.by_user;
	rows.ptr.assign(m.users() + 1, 0);
	rows.index.reserve(n);
	rows.value.reserve(n);
	size_t run = 0; // entries merged into the current (user, item)
	double total = 0.0;
	for (size_t k = 0; k < n; k++)
	{
		uint32_t t = order[k];
		float v = values ? values[t] : 1.0f;
		if (k > 0 && u[t] == u[order[k - 1]] && i[t] == i[order[k - 1]])
		{
			m.duplicates++;
			run++;
			float &merged = rows.value.back();
			merged = policy == DuplicatePolicy::Sum ? merged + v : merged + (v - merged) / run;
			continue;
		}
		run = 1;
		rows.ptr[u[t] + 1]++;
		rows.index.push_back(i[t]);
		rows.value.push_back(v);
	}
	std::partial_sum(rows.ptr.begin(), rows.ptr.end(), rows.ptr.begin());
	rows.index.shrink_to_fit();
	rows.value.shrink_to_fit();

	m.min_value = *std::min_element(rows.value.begin(), rows.value.end());
	m.max_value = *std::max_element(rows.value.begin(), rows.value.end());
	for (float v : rows.value)
		total += v;
	m.mean_value = total / static_cast<double>(rows.value.size());
	m.by_item = transpose(rows, m.items());
	return m;
}

int64_t find_index(const std::vector<int64_t> &ids, int64_t id)
{
	auto it = std::lower_bound(ids.begin(), ids.end(), id);
	return it != ids.end() && *it == id ? it - ids.begin() : -1;
}

} // namespace pgrec
