// Builds the CSR interaction matrices from (user, item, value) triples: sorts the triples,
// maps ids to dense indices (by a table for compact ids), merges duplicates and transposes.
#include "interactions.h"

#include "core_errors.h"

#include <algorithm>
#include <numeric>

#include "core_only.h"

namespace pgrec
{

namespace
{

// Entries between two checks of the cancellation token in the loops below.
constexpr size_t kCheckEvery = 1u << 16;

// The ids of one side: the distinct ids, ascending, and each entry's index among them.
struct IndexedIds
{
	std::vector<int64_t> sorted;
	std::vector<int32_t> index;
};

// By sorting a copy of the ids and a binary search per entry: for any ids.
IndexedIds index_by_sorting(const int64_t *ids, size_t n, const CancelToken &cancel)
{
	IndexedIds out;
	out.sorted.assign(ids, ids + n);
	std::sort(out.sorted.begin(), out.sorted.end());
	out.sorted.erase(std::unique(out.sorted.begin(), out.sorted.end()), out.sorted.end());
	out.sorted.shrink_to_fit();
	out.index.resize(n);
	for (size_t k = 0; k < n; k++)
	{
		if (k % kCheckEvery == 0)
			cancel.check();
		out.index[k] =
		    static_cast<int32_t>(dense_index(out.sorted.data(), out.sorted.size(), ids[k]));
	}
	return out;
}

// The same by a table over [low, low + range), range at most 2 n: the usual serial ids, in two
// linear passes instead of a sort.
IndexedIds index_by_table(const int64_t *ids, size_t n, int64_t low, size_t range,
                          const CancelToken &cancel)
{
	std::vector<int32_t> slot(range, 0);
	size_t distinct = 0;
	for (size_t k = 0; k < n; k++)
	{
		int32_t &seen = slot[static_cast<size_t>(ids[k] - low)];
		distinct += seen == 0;
		seen = 1;
	}
	IndexedIds out;
	out.sorted.reserve(distinct);
	for (size_t v = 0; v < range; v++)
		if (slot[v])
		{
			slot[v] = static_cast<int32_t>(out.sorted.size());
			out.sorted.push_back(low + static_cast<int64_t>(v));
		}
	cancel.check();
	out.index.resize(n);
	for (size_t k = 0; k < n; k++)
		out.index[k] = slot[static_cast<size_t>(ids[k] - low)];
	return out;
}

IndexedIds index_ids(const int64_t *ids, size_t n, const CancelToken &cancel)
{
	auto [low, high] = std::minmax_element(ids, ids + n);
	// high - low as unsigned cannot overflow; compared with 2 n before adding 1.
	uint64_t span = static_cast<uint64_t>(*high) - static_cast<uint64_t>(*low);
	if (span < 2 * static_cast<uint64_t>(n))
		return index_by_table(ids, n, *low, static_cast<size_t>(span) + 1, cancel);
	return index_by_sorting(ids, n, cancel);
}

// The triples in row-major order, duplicates in input order: a counting sort by user (stable),
// then each user's run sorted by item.
std::vector<uint32_t> row_major_order(const std::vector<int32_t> &u, const std::vector<int32_t> &i,
                                      size_t users, const CancelToken &cancel)
{
	std::vector<int64_t> start(users + 1, 0);
	for (int32_t user : u)
		start[user + 1]++;
	std::partial_sum(start.begin(), start.end(), start.begin());
	std::vector<uint32_t> order(u.size());
	std::vector<int64_t> next(start.begin(), start.end() - 1);
	for (size_t t = 0; t < u.size(); t++)
	{
		if (t % kCheckEvery == 0)
			cancel.check();
		order[next[u[t]]++] = static_cast<uint32_t>(t);
	}
	for (size_t user = 0; user < users; user++)
	{
		if (user % 4096 == 0)
			cancel.check();
		std::stable_sort(order.begin() + start[user], order.begin() + start[user + 1],
		                 [&](uint32_t a, uint32_t b) { return i[a] < i[b]; });
	}
	return order;
}

} // namespace

Interactions build_interactions(const int64_t *users, const int64_t *items, const float *values,
                                size_t n, DuplicatePolicy policy, const CancelToken &cancel)
{
	if (n == 0)
		throw DataError("no interactions to train on");
	if (n > static_cast<size_t>(INT32_MAX))
		throw DataError("too many interactions: at most 2147483647 are supported");

	Interactions m;
	m.has_values = values != nullptr;
	IndexedIds by_user = index_ids(users, n, cancel);
	IndexedIds by_item = index_ids(items, n, cancel);
	m.user_ids = std::move(by_user.sorted);
	m.item_ids = std::move(by_item.sorted);
	const std::vector<int32_t> &u = by_user.index, &i = by_item.index;
	std::vector<uint32_t> order = row_major_order(u, i, m.users(), cancel);

	SparseRows &rows = m.by_user;
	rows.ptr.assign(m.users() + 1, 0);
	rows.index.reserve(n);
	rows.value.reserve(n);
	size_t run = 0; // entries merged into the current (user, item)
	double total = 0.0;
	for (size_t k = 0; k < n; k++)
	{
		if (k % kCheckEvery == 0)
			cancel.check();
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
	cancel.check();
	m.by_item = transpose(rows.ptr.data(), rows.index.data(), rows.value.data(), rows.rows(),
	                      m.items(), cancel);
	return m;
}

SparseRows transpose(const int64_t *ptr, const int32_t *index, const float *value, size_t rows,
                     size_t columns, const CancelToken &cancel)
{
	SparseRows t;
	t.ptr.assign(columns + 1, 0);
	int64_t nnz = rows > 0 ? ptr[rows] : 0;
	for (int64_t e = 0; e < nnz; e++)
		t.ptr[static_cast<size_t>(index[e]) + 1]++;
	std::partial_sum(t.ptr.begin(), t.ptr.end(), t.ptr.begin());
	t.index.resize(static_cast<size_t>(nnz));
	t.value.resize(static_cast<size_t>(nnz));
	std::vector<int64_t> next(t.ptr.begin(), t.ptr.end() - 1);
	for (size_t r = 0; r < rows; r++)
		for (int64_t e = ptr[r]; e < ptr[r + 1]; e++)
		{
			if (static_cast<size_t>(e) % kCheckEvery == 0)
				cancel.check();
			int64_t slot = next[static_cast<size_t>(index[e])]++;
			t.index[static_cast<size_t>(slot)] = static_cast<int32_t>(r);
			t.value[static_cast<size_t>(slot)] = value[e];
		}
	return t;
}

namespace
{

// The union of the ascending ids and ids[0, n), ascending, and where each of the former went.
std::vector<int64_t> merged_ids(const std::vector<int64_t> &sorted, const int64_t *ids, size_t n,
                                std::vector<int32_t> *moved)
{
	std::vector<int64_t> all(ids, ids + n);
	all.insert(all.end(), sorted.begin(), sorted.end());
	std::sort(all.begin(), all.end());
	all.erase(std::unique(all.begin(), all.end()), all.end());
	moved->resize(sorted.size());
	for (size_t r = 0; r < sorted.size(); r++)
		(*moved)[r] = static_cast<int32_t>(dense_index(all.data(), all.size(), sorted[r]));
	return all;
}

} // namespace

void add_entities(Interactions *m, const int64_t *users, size_t n_users, const int64_t *items,
                  size_t n_items, const CancelToken &cancel)
{
	std::vector<int32_t> user_moved, item_moved;
	std::vector<int64_t> user_ids = merged_ids(m->user_ids, users, n_users, &user_moved);
	std::vector<int64_t> item_ids = merged_ids(m->item_ids, items, n_items, &item_moved);
	if (user_ids.size() > static_cast<size_t>(INT32_MAX) ||
	    item_ids.size() > static_cast<size_t>(INT32_MAX))
		throw DataError("too many users or items: at most 2147483647 are supported");
	cancel.check();
	const SparseRows &old = m->by_user;
	SparseRows rows;
	rows.ptr.assign(user_ids.size() + 1, 0);
	for (size_t r = 0; r < old.rows(); r++)
		rows.ptr[static_cast<size_t>(user_moved[r]) + 1] = old.ptr[r + 1] - old.ptr[r];
	std::partial_sum(rows.ptr.begin(), rows.ptr.end(), rows.ptr.begin());
	rows.index.resize(old.index.size());
	rows.value.resize(old.value.size());
	for (size_t r = 0; r < old.rows(); r++)
	{
		int64_t to = rows.ptr[static_cast<size_t>(user_moved[r])];
		for (int64_t e = old.ptr[r]; e < old.ptr[r + 1]; e++, to++)
		{
			if (static_cast<size_t>(e) % kCheckEvery == 0)
				cancel.check();
			rows.index[static_cast<size_t>(to)] = item_moved[static_cast<size_t>(old.index[e])];
			rows.value[static_cast<size_t>(to)] = old.value[e];
		}
	}
	m->user_ids = std::move(user_ids);
	m->item_ids = std::move(item_ids);
	m->by_user = std::move(rows);
	m->by_item = transpose(m->by_user.ptr.data(), m->by_user.index.data(), m->by_user.value.data(),
	                       m->users(), m->items(), cancel);
}

int64_t dense_index(const int64_t *ids, size_t count, int64_t id)
{
	const int64_t *it = std::lower_bound(ids, ids + count, id);
	return it != ids + count && *it == id ? it - ids : -1;
}

size_t merge_repeated(int32_t *items, float *values, size_t n, DuplicatePolicy policy)
{
	std::vector<size_t> order(n);
	std::iota(order.begin(), order.end(), size_t(0));
	std::stable_sort(order.begin(), order.end(),
	                 [&](size_t a, size_t b) { return items[a] < items[b]; });
	std::vector<int32_t> merged_items;
	std::vector<float> merged_values;
	size_t run = 0;
	for (size_t t : order)
	{
		if (!merged_items.empty() && merged_items.back() == items[t])
		{
			run++;
			float &merged = merged_values.back();
			merged = policy == DuplicatePolicy::Sum ? merged + values[t]
			                                        : merged + (values[t] - merged) / run;
			continue;
		}
		run = 1;
		merged_items.push_back(items[t]);
		merged_values.push_back(values[t]);
	}
	std::copy(merged_items.begin(), merged_items.end(), items);
	std::copy(merged_values.begin(), merged_values.end(), values);
	return merged_items.size();
}

} // namespace pgrec
