// Exact top-k selection over a score array with a bounded heap: the k best entries, best first,
// ties broken by the smaller index (the smaller external id, as ids are sorted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pgrec
{

// Fills out with the indices of the k largest finite-or-+inf scores (entries equal to -inf are
// excluded), best first. Returns fewer than k when fewer qualify.
void top_k(const float *scores, size_t n, size_t k, std::vector<int32_t> &out);

} // namespace pgrec
