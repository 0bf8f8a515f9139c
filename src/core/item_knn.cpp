// item_knn: item-based collaborative filtering (Sarwar et al. 2001, Deshpande & Karypis 2004).
// Each item keeps its `neighbors` most similar items by cosine, adjusted cosine, Jaccard or
// Pearson similarity over the users who interacted with both (similarity.h: the rows are the
// items, the columns the users), shrunk by `shrinkage`.
#include "neighbors.h"
#include "similarity.h"

#include <memory>

#include "core_only.h"

namespace pgrec
{

namespace
{

class ItemKnnTrainer : public NeighborTrainer
{
  public:
	using NeighborTrainer::NeighborTrainer;

  protected:
	SparseRows compute(const CancelToken &cancel) override
	{
		RowSimilarity s(neighbor_view(data_.by_item), neighbor_view(data_.by_user), h_.similarity,
		                h_.shrinkage);
		return similar_rows(s, static_cast<size_t>(h_.neighbors), h_.threads, cancel);
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
	return similarity_scratch_bytes(h, data.items(), data.users());
}

} // namespace pgrec
