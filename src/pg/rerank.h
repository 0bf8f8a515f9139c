// Re-ranking inside recommend() and recommend_for_interactions(): the diversity, item_groups and
// max_per_group arguments, the groups of the candidates read through SPI, and the core's MMR.
#pragma once

#include "postgres_headers.h"

#include "model_cache.h"

#include "../core/recommend.h"

// The re-ranking arguments of one call.
struct RerankArguments
{
	double diversity;  // lambda in [0, 1]; 0: relevance order
	char *item_groups; // the group source (table name or query), NULL: no caps
	int32 max_per_group;
	bool active; // diversity above 0 or caps: re-rank; otherwise the plain top k
};

// Reads diversity, item_groups and max_per_group from arguments argno to argno + 2 (a NULL
// diversity is 0). Ereports 22023 on a diversity outside [0, 1] or NaN, a max_per_group below
// 1, and either of item_groups and max_per_group without the other. Strings are palloc'd.
RerankArguments read_rerank_arguments(FunctionCallInfo fcinfo, int argno);

// Where the candidates come from: writes the best `room` items to out, best first, and returns
// how many there are (fewer when fewer qualify). The first n of a larger request must be the
// n of a smaller one (an exact top k with ties broken by index is). May ereport.
typedef size_t (*CandidateSource)(const void *state, size_t room, pgrec::Recommendation *out);

// The up to k items that the active arguments pick out of the pool that source gives: the
// exact top m (pgrec::rerank_pool_size), re-ranked by MMR and capped per group, the pool doubled
// (up to the catalogue) while the caps leave fewer than k. Reads the groups of the pool's items
// only, as the calling user, read-only. Ereports on errors of the group source (42P01, 42703,
// 42804, 21000, ...) and of the core. The result is palloc'd in the current memory context.
pgrec::Recommendation *rerank_items(const RerankArguments *arguments, const CachedModel *entry,
                                    CandidateSource source, const void *state, int64 k,
                                    size_t *count);
