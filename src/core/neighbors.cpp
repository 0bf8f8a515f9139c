// What the neighbourhood models share: pruning rows to their strongest weights, assembling them
// into CSR, scoring by sparse accumulation of weighted rows and top-k for blocks of users.
#include "neighbors.h"

#include "algorithm_registry.h"
#include "core_errors.h"
#include "parallel.h"

#include <algorithm>
#include <cmath>

#include "core_only.h"

namespace pgrec
{

const char *const kSimilarityNames[kSimilarityCount + 1] = {"cosine", "adjusted_cosine", "jaccard",
                                                            "pearson", nullptr};

void keep_strongest(NeighborRow &row, size_t keep)
{
	auto stronger = [](const std::pair<int32_t, float> &a, const std::pair<int32_t, float> &b)
	{
		float x = std::fabs(a.second), y = std::fabs(b.second);
		return x > y || (x == y && a.first < b.first);
	};
	if (row.size() > keep)
	{
		std::nth_element(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(keep), row.end(),
		                 stronger);
		row.resize(keep);
	}
	row.shrink_to_fit(); // rows are kept until all are assembled: only their kept entries
	std::sort(row.begin(), row.end());
}

SparseRows assemble_rows(std::vector<NeighborRow> &rows)
{
	SparseRows out;
	out.ptr.assign(rows.size() + 1, 0);
	for (size_t r = 0; r < rows.size(); r++)
		out.ptr[r + 1] = out.ptr[r] + static_cast<int64_t>(rows[r].size());
	out.index.reserve(static_cast<size_t>(out.ptr.back()));
	out.value.reserve(static_cast<size_t>(out.ptr.back()));
	for (NeighborRow &row : rows)
	{
		for (const auto &entry : row)
		{
			out.index.push_back(entry.first);
			out.value.push_back(entry.second);
		}
		NeighborRow().swap(row);
	}
	return out;
}

SparseRows renumber_rows(const NeighborView &old, const int64_t *old_of_new, size_t new_items,
                         const int64_t *new_of_old)
{
	SparseRows out;
	out.ptr.assign(new_items + 1, 0);
	for (size_t i = 0; i < new_items; i++)
	{
		int64_t j = old_of_new[i];
		for (int64_t e = j < 0 ? 0 : old.ptr[j]; j >= 0 && e < old.ptr[j + 1]; e++)
			if (new_of_old[old.index[e]] >= 0)
			{
				out.index.push_back(static_cast<int32_t>(new_of_old[old.index[e]]));
				out.value.push_back(old.weight[e]);
			}
		out.ptr[i + 1] = static_cast<int64_t>(out.index.size());
	}
	return out;
}

void explain_neighbors(const FoldInInput &input, int32_t target, const CancelToken &,
                       float *contributions)
{
	if (input.neighbors == nullptr)
		throw InvalidArgument("a neighbourhood model is explained by its item-item weights");
	const NeighborView &s = *input.neighbors;
	for (size_t j = 0; j < input.n; j++)
	{
		size_t row = static_cast<size_t>(input.item_indices[j]);
		const int32_t *begin = s.index + s.ptr[row], *end = s.index + s.ptr[row + 1];
		const int32_t *at = std::lower_bound(begin, end, target);
		contributions[j] = at != end && *at == target ? s.weight[at - s.index] : 0.0f;
	}
}

void neighbor_scores(const NeighborView &s, const WeightedRows &rows, size_t columns, float *scores)
{
	std::fill(scores, scores + columns, 0.0f);
	for (size_t h = 0; h < rows.n; h++)
	{
		size_t j = static_cast<size_t>(rows.rows[h]);
		if (j >= s.rows)
			continue;
		float w = rows.weights ? rows.weights[h] : 1.0f;
		for (int64_t e = s.ptr[j]; e < s.ptr[j + 1]; e++)
			scores[s.index[e]] += w * s.weight[e];
	}
}

void recommend_neighbors_batch(const NeighborView &s, size_t items, const WeightedRows *rows,
                               const SortedList *excluded, size_t users, size_t k, int threads,
                               const CancelToken &cancel, Recommendation *out, size_t *counts)
{
	constexpr size_t kUsersPerCheck = 64;
	size_t blocks = (users + kUsersPerCheck - 1) / kUsersPerCheck;
	parallel_for(blocks, threads,
	             [&](size_t begin, size_t end, int)
	             {
		             std::vector<float> scores(std::max<size_t>(items, 1));
		             for (size_t b = begin; b < end; b++)
		             {
			             cancel.check();
			             size_t last = std::min(users, (b + 1) * kUsersPerCheck);
			             for (size_t u = b * kUsersPerCheck; u < last; u++)
			             {
				             neighbor_scores(s, rows[u], items, scores.data());
				             counts[u] = recommend_from_scores(
				                 scores.data(), items, excluded ? excluded + u : nullptr,
				                 excluded ? 1 : 0, nullptr, k, out + u * k);
			             }
		             }
	             });
}

void NeighborTrainer::run_epoch(const CancelToken &cancel)
{
	rows_ = compute(cancel);
	set_loss(0.0, "the neighbourhood model");
}

} // namespace pgrec
