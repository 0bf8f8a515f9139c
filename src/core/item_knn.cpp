// item_knn: item-based collaborative filtering (Sarwar et al. 2001, Deshpande & Karypis 2004).
// Each item keeps its `neighbors` most similar items by cosine, adjusted cosine, Jaccard or
// Pearson similarity over the users who interacted with both, computed by sparse accumulation
// (the work is the sum over users of their item count squared), shrunk by `shrinkage`.
#include "neighbors.h"

#include "parallel.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

// The value an interaction brings to the similarity: as given (cosine), minus its user's mean
// (adjusted cosine), minus its item's mean (Pearson), 1 (Jaccard: the overlap counts).
class Values
{
  public:
	Values(const Interactions &data, int similarity) : similarity_(similarity)
	{
		if (similarity == kAdjustedCosine)
			means_ = row_means(data.by_user);
		else if (similarity == kPearson)
			means_ = row_means(data.by_item);
	}
	float operator()(int32_t user, int32_t item, float value) const
	{
		switch (similarity_)
		{
		case kAdjustedCosine:
			return value - means_[static_cast<size_t>(user)];
		case kPearson:
			return value - means_[static_cast<size_t>(item)];
		case kJaccard:
			return 1.0f;
		default:
			return value;
		}
	}

  private:
	static std::vector<float> row_means(const SparseRows &rows)
	{
		std::vector<float> means(rows.rows(), 0.0f);
		for (size_t r = 0; r < rows.rows(); r++)
		{
			double sum = 0;
			for (int64_t e = rows.ptr[r]; e < rows.ptr[r + 1]; e++)
				sum += rows.value[e];
			int64_t n = rows.ptr[r + 1] - rows.ptr[r];
			means[r] = n > 0 ? static_cast<float>(sum / static_cast<double>(n)) : 0.0f;
		}
		return means;
	}

	int similarity_;
	std::vector<float> means_;
};

class ItemKnnTrainer : public NeighborTrainer
{
  public:
	using NeighborTrainer::NeighborTrainer;

  protected:
	SparseRows compute(const CancelToken &cancel) override
	{
		const Interactions &d = data_;
		const size_t items = d.items();
		const Values value(d, h_.similarity);
		// Norms (cosine-like measures) or interaction counts (Jaccard) of the items.
		std::vector<double> norm(items, 0.0);
		for (size_t i = 0; i < items; i++)
		{
			for (int64_t e = d.by_item.ptr[i]; e < d.by_item.ptr[i + 1]; e++)
			{
				float x = value(d.by_item.index[e], static_cast<int32_t>(i), d.by_item.value[e]);
				norm[i] += static_cast<double>(x) * x;
			}
			if (h_.similarity != kJaccard)
				norm[i] = std::sqrt(norm[i]);
		}
		std::vector<NeighborRow> rows(items);
		parallel_for(items, h_.threads,
		             [&](size_t begin, size_t end, int)
		             {
			             std::vector<double> dot(items, 0.0);
			             std::vector<uint8_t> touched(items, 0);
			             std::vector<int32_t> list;
			             for (size_t i = begin; i < end; i++)
			             {
				             cancel.check();
				             accumulate(static_cast<int32_t>(i), value, dot, touched, list);
				             NeighborRow &row = rows[i];
				             for (int32_t j : list)
				             {
					             double denominator =
					                 h_.similarity == kJaccard
					                     ? norm[i] + norm[static_cast<size_t>(j)] - dot[j]
					                     : norm[i] * norm[static_cast<size_t>(j)];
					             denominator += h_.shrinkage;
					             double s = denominator > 0 ? dot[j] / denominator : 0.0;
					             if (s > 0)
						             row.emplace_back(j, static_cast<float>(s));
					             dot[j] = 0.0;
					             touched[j] = 0;
				             }
				             keep_strongest(row, static_cast<size_t>(h_.neighbors));
			             }
		             });
		return assemble_rows(rows);
	}

  private:
	// dot[j] = the sum over the users of item i of their values for i and j (j != i); list gets
	// the j touched, in order of first touch.
	void accumulate(int32_t i, const Values &value, std::vector<double> &dot,
	                std::vector<uint8_t> &touched, std::vector<int32_t> &list) const
	{
		const Interactions &d = data_;
		list.clear();
		for (int64_t e = d.by_item.ptr[i]; e < d.by_item.ptr[i + 1]; e++)
		{
			int32_t u = d.by_item.index[e];
			double xi = value(u, i, d.by_item.value[e]);
			for (int64_t f = d.by_user.ptr[u]; f < d.by_user.ptr[u + 1]; f++)
			{
				int32_t j = d.by_user.index[f];
				if (j == i)
					continue;
				if (!touched[j])
				{
					touched[j] = 1;
					list.push_back(j);
				}
				dot[j] += xi * value(u, j, d.by_user.value[f]);
			}
		}
	}
};

} // namespace

std::unique_ptr<Trainer> make_item_knn_trainer(const Interactions &data, const Hyperparameters &h,
                                               const FactorBuffers &b)
{
	return std::make_unique<ItemKnnTrainer>(data, h, b);
}

size_t item_knn_scratch_bytes(const Hyperparameters &h, const Interactions &data)
{
	size_t items = data.items();
	// Per thread: a dense accumulator and marks; shared: norms, means and the kept rows.
	return static_cast<size_t>(h.threads) * items * (sizeof(double) + 1 + sizeof(int32_t)) +
	       (data.users() + 2 * items) * sizeof(double) + kept_rows_bytes(h, items);
}

} // namespace pgrec
