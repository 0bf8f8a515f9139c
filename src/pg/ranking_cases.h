// What pgrec.evaluate() and pgrec.evaluate_fold_in() share: grouping held-out rows into ranking
// cases and the result row of their figures.
#pragma once

#include "postgres_headers.h"

extern "C"
{
#include "access/tupdesc.h"
}

#include "../core/evaluation.h"

// Sorts the held-out rows (dense indices, -1 for unknown) by user and item and groups those of
// known users into ranking cases (rows below threshold, when set, are not relevant); the cases
// and their items are allocated in context. Returns the number of cases.
size_t build_ranking_cases(pgrec::TestRating *rows, size_t count, bool threshold_set,
                           double threshold, MemoryContext context, pgrec::RankingCase **cases);

// The result row (rmse, mae, precision_at_k, recall_at_k, ndcg_at_k, hit_rate_at_k, map_at_k,
// coverage, users, test_interactions) in desc; rmse and mae are NULL when not finite.
Datum evaluation_result(TupleDesc desc, const pgrec::RatingErrors &errors,
                        const pgrec::RankingMetrics &metrics, size_t test_interactions);
