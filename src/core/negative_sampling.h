// The sampling of the trainers that learn from pairs in mini-batches (two_tower, neumf): the
// shuffle of the positives each epoch, and negatives drawn uniformly among the items with
// interactions, optionally ones the user has not seen.
#pragma once

#include "cancel_token.h"
#include "factor_init.h"
#include "interactions.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace pgrec
{

// Fisher-Yates with the trainer's generator (the same order for a seed), checking the token
// every 2^20 swaps.
template <class T> void shuffle_checked(std::vector<T> &v, Random &rng, const CancelToken &cancel)
{
	constexpr size_t kCheckEvery = (size_t{1} << 20) - 1;
	for (size_t j = v.size(); j > 1; j--)
	{
		if ((j & kCheckEvery) == 0)
			cancel.check();
		std::swap(v[j - 1], v[rng.below(j)]);
	}
}

// One epoch of mini-batches: shuffles v, then calls batch(first, count) on its consecutive
// slices of batch_size, checking the token before each; returns the sum of batch's results.
template <class T, class Batch>
double shuffled_batches(std::vector<T> &v, Random &rng, size_t batch_size,
                        const CancelToken &cancel, Batch batch)
{
	shuffle_checked(v, rng, cancel);
	double sum = 0.0;
	for (size_t first = 0; first < v.size(); first += batch_size)
	{
		cancel.check();
		sum += batch(first, std::min(batch_size, v.size() - first));
	}
	return sum;
}

class NegativeSampler
{
  public:
	explicit NegativeSampler(const Interactions &data) : by_user_(&data.by_user)
	{
		for (size_t i = 0; i < data.items(); i++)
			if (data.by_item.ptr[i + 1] > data.by_item.ptr[i])
				warm_.push_back(static_cast<int32_t>(i));
	}

	// How many items have interactions.
	size_t size() const
	{
		return warm_.size();
	}

	// A uniform draw among them.
	int32_t any(Random &rng) const
	{
		return warm_[rng.below(warm_.size())];
	}

	// A draw that user has not seen (the last of a few tries, for a user who has seen almost
	// all).
	int32_t unseen(int32_t user, Random &rng) const
	{
		const int32_t *seen = by_user_->index.data() + by_user_->ptr[user];
		const int32_t *seen_end = by_user_->index.data() + by_user_->ptr[user + 1];
		int32_t j = any(rng);
		for (int tries = 0; tries < 10 && std::binary_search(seen, seen_end, j); tries++)
			j = any(rng);
		return j;
	}

  private:
	const SparseRows *by_user_;
	std::vector<int32_t> warm_;
};

} // namespace pgrec
