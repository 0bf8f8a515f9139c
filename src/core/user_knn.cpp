// user_knn: user-based collaborative filtering (Herlocker et al. 1999). Each user keeps their
// `neighbors` most similar users by the similarities of item_knn on the transposed matrix
// (similarity.h: the rows are the users, the columns the items); a user's score for item i is
// the sum over their neighbours v of w_uv * r_vi.
#include "user_knn.h"

#include "algorithm_registry.h"
#include "core_errors.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

// The value of row r at column c, or null if it has none.
const float *entry(const NeighborView &s, int32_t r, int32_t c)
{
	const int32_t *begin = s.index + s.ptr[r], *end = s.index + s.ptr[r + 1];
	const int32_t *at = std::lower_bound(begin, end, c);
	return at != end && *at == c ? s.weight + (at - s.index) : nullptr;
}

} // namespace

std::unique_ptr<Trainer> make_user_knn_trainer(const Interactions &data, const Hyperparameters &h,
                                               const FactorBuffers &b)
{
	return make_similarity_trainer(data, h, b, true);
}

size_t user_knn_scratch_bytes(const Hyperparameters &h, const Interactions &data)
{
	return similarity_scratch_bytes(h, data.users(), data.items());
}

UserIndex::UserIndex(const NeighborView &interactions, size_t items, const Hyperparameters &h,
                     const CancelToken &cancel)
    : by_item_(transpose(interactions.ptr, interactions.index, interactions.weight,
                         interactions.rows, items, cancel)),
      similarity_(interactions, neighbor_view(by_item_), h.similarity, h.shrinkage),
      keep_(static_cast<size_t>(h.neighbors)), scratch_(interactions.rows),
      item_similarity_(neighbor_view(by_item_), interactions, h.similarity, h.shrinkage),
      item_scratch_(items)
{
}

namespace
{

// Copies a similarity row to rows and weights; returns its size.
size_t copy_row(const NeighborRow &row, int32_t *rows, float *weights)
{
	for (size_t r = 0; r < row.size(); r++)
	{
		rows[r] = row[r].first;
		weights[r] = row[r].second;
	}
	return row.size();
}

} // namespace

size_t UserIndex::visitor_neighbors(const int32_t *items, const float *values, size_t n,
                                    int32_t *rows, float *weights) const
{
	std::vector<float> ones(values ? 0 : n, 1.0f);
	NeighborRow row;
	similarity_.similar(items, values ? values : ones.data(), n, -1, keep_, scratch_, row);
	return copy_row(row, rows, weights);
}

size_t UserIndex::similar_items(int32_t item, size_t keep, int32_t *rows, float *weights) const
{
	const NeighborView &items = item_similarity_.rows();
	int64_t begin = items.ptr[item];
	NeighborRow row;
	item_similarity_.similar(items.index + begin, items.weight + begin,
	                         static_cast<size_t>(items.ptr[item + 1] - begin), item, keep,
	                         item_scratch_, row);
	return copy_row(row, rows, weights);
}

// contributions[j] = the sum over the user's neighbours v of w_uv r_v,target shared among the
// user's items j by their products x_uj x_vj in the similarity's dot product: the weight
// w_uv = dot_uv / denominator_uv is linear in them, so the shares add up to the score exactly.
void explain_user_neighbors(const FoldInInput &input, int32_t target, const CancelToken &cancel,
                            float *contributions)
{
	if (input.user_neighbors == nullptr)
		throw InvalidArgument("a user_knn model is explained by its users' neighbours");
	const RowSimilarity &s = input.user_neighbors->index->similarity();
	const WeightedRows &neighbors = input.user_neighbors->row;
	const NeighborView &users = s.rows();
	std::vector<float> ones(input.values ? 0 : input.n, 1.0f), x(input.n);
	std::vector<double> products(input.n), shares(input.n, 0.0);
	s.query_values(input.item_indices, input.values ? input.values : ones.data(), input.n,
	               x.data());
	for (size_t h = 0; h < neighbors.n; h++)
	{
		cancel.check();
		int32_t v = neighbors.rows[h];
		const float *r_target = entry(users, v, target);
		float lent = r_target ? neighbors.weights[h] * *r_target : 0.0f;
		if (lent == 0.0f)
			continue;
		double dot = 0.0;
		for (size_t j = 0; j < input.n; j++)
		{
			const float *r = entry(users, v, input.item_indices[j]);
			products[j] =
			    r ? static_cast<double>(x[j]) * s.value(v, input.item_indices[j], *r) : 0.0;
			dot += products[j];
		}
		for (size_t j = 0; j < input.n && dot != 0.0; j++)
			shares[j] += lent * products[j] / dot;
	}
	for (size_t j = 0; j < input.n; j++)
		contributions[j] = static_cast<float>(shares[j]);
}

SparseRows refreshed_user_rows(const UserIndex &old, const NeighborView &old_rows,
                               const int64_t *old_of_new, const NeighborView &current,
                               const int64_t *old_item, const int64_t *new_of_old,
                               const CancelToken &cancel)
{
	size_t users = old.similarity().rows().rows;
	std::vector<NeighborRow> rows(current.rows);
	std::vector<int32_t> items, neighbors(users);
	std::vector<float> values, weights(users);
	for (size_t u = 0; u < current.rows; u++)
	{
		cancel.check();
		NeighborRow &row = rows[u];
		auto add = [&](int32_t v, float w)
		{
			if (new_of_old[v] >= 0)
				row.emplace_back(static_cast<int32_t>(new_of_old[v]), w);
		};
		if (old_of_new[u] >= 0)
		{
			int64_t o = old_of_new[u];
			for (int64_t e = old_rows.ptr[o]; e < old_rows.ptr[o + 1]; e++)
				add(old_rows.index[e], old_rows.weight[e]);
			continue;
		}
		items.clear();
		values.clear();
		for (int64_t e = current.ptr[u]; e < current.ptr[u + 1]; e++)
			if (old_item[current.index[e]] >= 0)
			{
				items.push_back(static_cast<int32_t>(old_item[current.index[e]]));
				values.push_back(current.weight[e]);
			}
		size_t n = old.visitor_neighbors(items.data(), values.data(), items.size(),
		                                 neighbors.data(), weights.data());
		for (size_t r = 0; r < n; r++)
			add(neighbors[r], weights[r]);
	}
	return assemble_rows(rows);
}

} // namespace pgrec
