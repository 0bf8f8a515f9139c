// Re-ranking a candidate pool for recommend(): maximal marginal relevance (diversity) and caps
// on the items of one group, over a pluggable item-item similarity.
#pragma once

#include "cancel_token.h"
#include "neighbors.h"
#include "recommend.h"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace pgrec
{

// The similarities among the items of one candidate pool, by position in the pool.
class PoolSimilarity
{
  public:
	virtual ~PoolSimilarity() = default;
	// out[q] = similarity(pool[p], pool[q]) for every position q of the pool.
	virtual void row(size_t p, float *out) const = 0;
};

// The similarity of two items of a model (dense indices): symmetric, about [-1, 1], 1 for two
// identical items. Each kind of model supplies its own: CosineSimilarity for models with item
// vectors; a neighbourhood model would answer from its stored item-item weights.
class ItemSimilarity
{
  public:
	virtual ~ItemSimilarity() = default;
	virtual float similarity(int32_t a, int32_t b) const = 0;
	// The similarities among items[0 .. count) (the array must outlive the result). The default
	// calls similarity() for each pair asked for; an implementation may precompute instead.
	virtual std::unique_ptr<PoolSimilarity> for_pool(const int32_t *items, size_t count) const;
};

// The stored weights of a neighbourhood model as a similarity: the larger of w_ab and w_ba (0
// when neither item keeps the other). The view must outlive the object.
class WeightSimilarity final : public ItemSimilarity
{
  public:
	explicit WeightSimilarity(const NeighborView &weights) : weights_(weights)
	{
	}
	float similarity(int32_t a, int32_t b) const override;

  private:
	float weight(int32_t from, int32_t to) const;
	NeighborView weights_;
};

// Pools of at most this many floats (4 MB) get a contiguous block of normalised rows.
constexpr size_t kPoolBlockFloats = 1u << 20;

// Cosine similarity of item factor vectors; a zero vector is similar to nothing (0).
class CosineSimilarity final : public ItemSimilarity
{
  public:
	// factors: row-major, dim floats per item; inverse_norms[i] = 1 / |factors_i| (0 for a
	// zero vector), as the model cache keeps them. Both must outlive the object.
	CosineSimilarity(const float *factors, const float *inverse_norms, int dim)
	    : factors_(factors), inverse_norms_(inverse_norms), dim_(dim)
	{
	}
	float similarity(int32_t a, int32_t b) const override;
	// A block of the pool's normalised rows (pools up to kPoolBlockFloats), so that a row of
	// similarities is one SIMD batch; larger pools read the factors in place.
	std::unique_ptr<PoolSimilarity> for_pool(const int32_t *items, size_t count) const override;

  private:
	const float *factors_;
	const float *inverse_norms_;
	int dim_;
};

// Caps on the groups of the pool's items: keys[p] names the group of pool position p (equal
// strings are one group; null: no group, never capped).
struct GroupCaps
{
	const char *const *keys;
	size_t max_per_group; // > 0
};

// How to re-rank. diversity is lambda in [0, 1]; similarity is needed when it is above 0.
struct RerankOptions
{
	double diversity;
	const ItemSimilarity *similarity;
	const GroupCaps *caps; // null: no caps
};

// The candidate pool for k results out of a catalogue of n items: min(max(10 k, 100), n).
// Never throws: the pg zone calls it outside the core guard.
size_t rerank_pool_size(size_t k, size_t catalogue) noexcept;

// Writes to out (room for k) up to k items of pool[0 .. count) (best first, as the scan
// returns it), with their scores, in the order maximal marginal relevance picks them: each
// pick maximises (1 - diversity) rel(i) - diversity max_{j picked} sim(i, j), where rel is the
// score scaled to [0, 1] over the pool ((s - min) / (max - min); 1 when all are equal), ties
// to the earlier position. With caps, an item whose group already has max_per_group picks is
// never picked. Diversity 0 without caps gives the first k. Returns how many were written:
// k, or fewer when fewer items of the pool satisfy the caps. Throws InvalidArgument for a
// diversity outside [0, 1] (or diversity without similarity), Cancelled when the token fires.
size_t rerank(const Recommendation *pool, size_t count, size_t k, const RerankOptions &options,
              const CancelToken &cancel, Recommendation *out);

} // namespace pgrec
