// What the serving functions (recommend.cpp, explain.cpp) share: reading k and a visitor's
// items and ratings, the fold-in input over a cached model, and returning (id, value) rows.
#pragma once

#include "postgres_headers.h"

#include "model_cache.h"

#include "../core/algorithm_registry.h"
#include "../core/recommend.h"

// Reads the integer argument argno, called name in the message; ereports 22023 unless it is
// positive.
int64 read_positive(FunctionCallInfo fcinfo, int argno, const char *name);

// The item matrix of a model for scoring by dot product plus item bias.
pgrec::ItemMatrix model_items(const CachedModel *e);

// A visitor's distinct known items (dense indices, ascending) and their merged values.
struct Visitor
{
	int32 *items;
	float *values;
	size_t count;
};

// Reads a visitor of model e from a bigint[] of item ids (argument ids_arg) and a real[] of
// ratings (argument ratings_arg, NULL allowed: all 1) as recommend_for_interactions does: the
// ratings are required by models trained on explicit ratings and must be one per item and
// finite (22023), no element may be NULL (22004), unknown ids are ignored but one at least must
// be known (22000, with none_known_hint unless it is null), repeated items merge as training
// merges them. Ereports; palloc'd.
Visitor read_visitor(FunctionCallInfo fcinfo, int ids_arg, int ratings_arg, CachedModel *e,
                     const char *none_known_hint);

// The rows a neighbour scorer sums for a visitor of model e with count items (ascending; values
// null: all 1): the items themselves (item-based) or their neighbours among the training users
// (user_knn, palloc'd). May ereport.
pgrec::WeightedRows visitor_rows(CachedModel *e, const int32 *items, const float *values,
                                 size_t count);

// The fold-in input of count items (values null: all 1) against the model's items `matrix`,
// which must outlive it; makes the model's Gramian if its algorithm needs one, and for user_knn
// the neighbours of user `user` (stored; -1: a visitor's, found). May ereport; palloc'd.
pgrec::FoldInInput fold_in_input(CachedModel *e, const pgrec::ItemMatrix &matrix,
                                 const int32 *items, const float *values, size_t count, int64 user);

// Returns the rows (id from ids[item], score; score NULL when null_scores) as the set result.
Datum return_rows(FunctionCallInfo fcinfo, const pgrec::Recommendation *rows, size_t count,
                  const int64 *ids, bool null_scores);

// Returns no rows, for a NULL model, id or k (the functions behave as if STRICT on those).
Datum return_nothing(FunctionCallInfo fcinfo);
