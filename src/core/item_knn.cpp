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

std::unique_ptr<Trainer> make_item_knn_trainer(const Interactions &data, const Hyperparameters &h,
                                               const FactorBuffers &b)
{
	return make_similarity_trainer(data, h, b, false);
}

size_t item_knn_scratch_bytes(const Hyperparameters &h, const Interactions &data)
{
	return similarity_scratch_bytes(h, data.items(), data.users());
}

} // namespace pgrec
