// Cold start: the factors of a user who is not in a model, solved from their interactions
// against the model's fixed item side with the model's own objective.
#pragma once

#include "recommend.h"
#include "training.h"

namespace pgrec
{

// items[0, n) are dense item indices (distinct), values their ratings (als) or interaction
// values (ials, bpr; 1 when values is null). gramian is items^T items (dim x dim, row-major),
// needed for ials only. Writes dim factors to out_factors and, for als, the bias to *out_bias.
// als and ials solve the user's least-squares problem exactly; bpr runs SGD on the user's BPR
// objective with the item side fixed, seeded by h.seed.
void fold_in_user(const ItemMatrix &model_items, double global_mean, const Hyperparameters &h,
                  const float *gramian, const int32_t *items, const float *values, size_t n,
                  float *out_factors, float *out_bias);

// items^T items of a row-major count x dim matrix, into out (dim x dim).
void gramian(const float *factors, size_t count, int dim, float *out);

} // namespace pgrec
