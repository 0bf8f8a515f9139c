// Maximal marginal relevance (Carbonell & Goldstein 1998) and group caps over a candidate pool:
// k rounds, each an O(pool) argmax plus one row of similarities to the item just picked.
#include "rerank.h"

#include "core_errors.h"
#include "kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

// The default pool: one similarity() call per pair.
class PairwisePool final : public PoolSimilarity
{
  public:
	PairwisePool(const ItemSimilarity &similarity, const int32_t *items, size_t count)
	    : similarity_(similarity), items_(items), count_(count)
	{
	}
	void row(size_t p, float *out) const override
	{
		for (size_t q = 0; q < count_; q++)
			out[q] = similarity_.similarity(items_[p], items_[q]);
	}

  private:
	const ItemSimilarity &similarity_;
	const int32_t *items_;
	size_t count_;
};

// Writes the unit vector of row item of factors to out (zeros for a zero vector).
void normalised_row(const float *factors, const float *inverse_norms, int dim, int32_t item,
                    float *out)
{
	const float *row = factors + static_cast<size_t>(item) * dim;
	for (int f = 0; f < dim; f++)
		out[f] = row[f] * inverse_norms[item];
}

// Cosine over a contiguous block of the pool's normalised rows: one batch per row.
class CosineBlockPool final : public PoolSimilarity
{
  public:
	CosineBlockPool(const float *factors, const float *inverse_norms, int dim, const int32_t *items,
	                size_t count)
	    : block_(count * static_cast<size_t>(dim)), count_(count), dim_(dim)
	{
		for (size_t p = 0; p < count; p++)
			normalised_row(factors, inverse_norms, dim, items[p], block_.data() + p * dim);
	}
	void row(size_t p, float *out) const override
	{
		dot_product_batch(block_.data(), count_, static_cast<size_t>(dim_),
		                  block_.data() + p * dim_, out);
	}

  private:
	std::vector<float> block_;
	size_t count_;
	int dim_;
};

// Cosine over the factors in place, for pools too large to copy.
class CosineGatherPool final : public PoolSimilarity
{
  public:
	CosineGatherPool(const float *factors, const float *inverse_norms, int dim,
	                 const int32_t *items, size_t count)
	    : factors_(factors), inverse_norms_(inverse_norms), dim_(dim), items_(items), count_(count),
	      query_(static_cast<size_t>(dim))
	{
	}
	void row(size_t p, float *out) const override
	{
		normalised_row(factors_, inverse_norms_, dim_, items_[p], query_.data());
		for (size_t q = 0; q < count_; q++)
		{
			int32_t item = items_[q];
			out[q] = dot_product(factors_ + static_cast<size_t>(item) * dim_, query_.data(),
			                     static_cast<size_t>(dim_)) *
			         inverse_norms_[item];
		}
	}

  private:
	const float *factors_;
	const float *inverse_norms_;
	int dim_;
	const int32_t *items_;
	size_t count_;
	mutable std::vector<float> query_; // scratch of row(): one call at a time
};

// Dense group ids of the pool positions (-1: no group), equal keys sharing one; sets *groups.
std::vector<int32_t> group_ids(const GroupCaps &caps, size_t count, size_t *groups)
{
	std::vector<size_t> keyed;
	for (size_t p = 0; p < count; p++)
		if (caps.keys[p])
			keyed.push_back(p);
	std::sort(keyed.begin(), keyed.end(),
	          [&](size_t a, size_t b) { return std::strcmp(caps.keys[a], caps.keys[b]) < 0; });
	std::vector<int32_t> ids(count, -1);
	int32_t next = -1;
	for (size_t r = 0; r < keyed.size(); r++)
	{
		if (r == 0 || std::strcmp(caps.keys[keyed[r - 1]], caps.keys[keyed[r]]) != 0)
			next++;
		ids[keyed[r]] = next;
	}
	*groups = static_cast<size_t>(next + 1);
	return ids;
}

// The picks' counts per group; admits an item while its group has room.
class CapCounter
{
  public:
	CapCounter(const GroupCaps *caps, size_t count) : max_(caps ? caps->max_per_group : 0)
	{
		if (!caps)
			return;
		size_t groups;
		group_of_ = group_ids(*caps, count, &groups);
		picked_.assign(groups, 0);
	}
	bool admits(size_t p) const
	{
		return group_of_.empty() || group_of_[p] < 0 || picked_[group_of_[p]] < max_;
	}
	void pick(size_t p)
	{
		if (!group_of_.empty() && group_of_[p] >= 0)
			picked_[group_of_[p]]++;
	}

  private:
	size_t max_;
	std::vector<int32_t> group_of_;
	std::vector<size_t> picked_;
};

} // namespace

std::unique_ptr<PoolSimilarity> ItemSimilarity::for_pool(const int32_t *items, size_t count) const
{
	return std::make_unique<PairwisePool>(*this, items, count);
}

float WeightSimilarity::weight(int32_t from, int32_t to) const
{
	const int32_t *begin = weights_.index + weights_.ptr[from],
	              *end = weights_.index + weights_.ptr[from + 1];
	const int32_t *at = std::lower_bound(begin, end, to);
	return at != end && *at == to ? weights_.weight[at - weights_.index] : 0.0f;
}

float WeightSimilarity::similarity(int32_t a, int32_t b) const
{
	return std::max(weight(a, b), weight(b, a));
}

float CosineSimilarity::similarity(int32_t a, int32_t b) const
{
	return dot_product(factors_ + static_cast<size_t>(a) * dim_,
	                   factors_ + static_cast<size_t>(b) * dim_, static_cast<size_t>(dim_)) *
	       inverse_norms_[a] * inverse_norms_[b];
}

std::unique_ptr<PoolSimilarity> CosineSimilarity::for_pool(const int32_t *items, size_t count) const
{
	if (count * static_cast<size_t>(dim_) <= kPoolBlockFloats)
		return std::make_unique<CosineBlockPool>(factors_, inverse_norms_, dim_, items, count);
	return std::make_unique<CosineGatherPool>(factors_, inverse_norms_, dim_, items, count);
}

size_t rerank_pool_size(size_t k, size_t catalogue) noexcept
{
	size_t wanted = k > SIZE_MAX / 10 ? SIZE_MAX : std::max<size_t>(10 * k, 100);
	return std::min(wanted, catalogue);
}

size_t rerank(const Recommendation *pool, size_t count, size_t k, const RerankOptions &options,
              const CancelToken &cancel, Recommendation *out)
{
	const double lambda = options.diversity;
	if (!(lambda >= 0.0 && lambda <= 1.0))
		throw InvalidArgument("diversity must be between 0 and 1");
	if (lambda > 0.0 && !options.similarity)
		throw InvalidArgument("diversity needs an item similarity");
	CapCounter caps(options.caps, count);
	size_t picked = 0;
	if (lambda == 0.0)
	{
		// Relevance order: the first items that the caps admit.
		for (size_t p = 0; p < count && picked < k; p++)
			if (caps.admits(p))
			{
				caps.pick(p);
				out[picked++] = pool[p];
			}
		return picked;
	}

	std::vector<int32_t> items(count);
	float high = -INFINITY, low = INFINITY;
	for (size_t p = 0; p < count; p++)
	{
		items[p] = pool[p].item;
		high = std::max(high, pool[p].score);
		low = std::min(low, pool[p].score);
	}
	std::vector<double> relevance(count, 1.0);
	if (high > low)
		for (size_t p = 0; p < count; p++)
			relevance[p] =
			    (static_cast<double>(pool[p].score) - low) / (static_cast<double>(high) - low);
	std::unique_ptr<PoolSimilarity> similarity = options.similarity->for_pool(items.data(), count);
	std::vector<float> nearest(count, -INFINITY), row(count);
	enum : char
	{
		kOpen,
		kPicked,
		kBlocked
	};
	std::vector<char> state(count, kOpen);
	while (picked < k)
	{
		cancel.check();
		size_t best = count;
		double best_value = 0.0;
		for (size_t p = 0; p < count; p++)
		{
			if (state[p] != kOpen)
				continue;
			if (!caps.admits(p))
			{
				state[p] = kBlocked; // counts only grow: it stays out
				continue;
			}
			double penalty = picked ? nearest[p] : 0.0;
			double value = (1.0 - lambda) * relevance[p] - lambda * penalty;
			if (best == count || value > best_value)
			{
				best = p;
				best_value = value;
			}
		}
		if (best == count)
			break;
		state[best] = kPicked;
		caps.pick(best);
		out[picked++] = pool[best];
		if (picked == k)
			break;
		similarity->row(best, row.data());
		for (size_t p = 0; p < count; p++)
			nearest[p] = std::max(nearest[p], row[p]);
	}
	return picked;
}

} // namespace pgrec
