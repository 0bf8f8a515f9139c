// The recommendation functions: recommend(), recommend_for_vector(), similar_items(),
// similar_users() and recommend_for_interactions(), each a top-k over a cached model (exact, or
// approximate through the item index when the call asks), returned as a materialised set of
// (id, score) rows.
#include "postgres_headers.h"

#include "core_guard.h"
#include "embedding.h"
#include "feature_lookup.h"
#include "item_scan.h"
#include "model_cache.h"
#include "rerank.h"
#include "serving.h"
#include "settings.h"

#include "../core/algorithm_registry.h"
#include "../core/neighbors.h"
#include "../core/recommend.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"
}

#include <cmath>

PGREC_FUNCTION(pgrec_recommend)
PGREC_FUNCTION(pgrec_recommend_for_vector)
PGREC_FUNCTION(pgrec_recommend_for_features)
PGREC_FUNCTION(pgrec_similar_items)
PGREC_FUNCTION(pgrec_similar_users)
PGREC_FUNCTION(pgrec_recommend_for_interactions)

static int compare_int32(const void *a, const void *b)
{
	int32 x = *(const int32 *)a, y = *(const int32 *)b;
	return x < y ? -1 : (x > y);
}

// The dense indices of the ids of a bigint[] (argument argno) that the model knows, ascending
// and distinct; NULL elements and unknown ids are ignored. palloc'd.
static pgrec::SortedList known_items(FunctionCallInfo fcinfo, int argno, const LoadedModel *m)
{
	ArrayType *array = PG_GETARG_ARRAYTYPE_P(argno);
	Datum *values;
	bool *nulls;
	int count;
	deconstruct_array(array, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &values, &nulls, &count);
	int32 *items = (int32 *)palloc(sizeof(int32) * Max(count, 1));
	size_t n = 0;
	for (int i = 0; i < count; i++)
	{
		int64 index =
		    nulls[i] ? -1 : pgrec::dense_index(m->item_ids, m->items, DatumGetInt64(values[i]));
		if (index >= 0)
			items[n++] = (int32)index;
	}
	qsort(items, n, sizeof(int32), compare_int32);
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++)
		if (distinct == 0 || items[distinct - 1] != items[i])
			items[distinct++] = items[i];
	return {items, distinct};
}

// The k best items of a source for recommend() and recommend_for_interactions(): re-ranked when
// the call asks for it, else exactly its first k. palloc'd; may ereport.
static pgrec::Recommendation *best_items(const RerankArguments *rerank, const CachedModel *e,
                                         CandidateSource source, const void *state, int64 k,
                                         size_t *count)
{
	if (rerank->active)
		return rerank_items(rerank, e, source, state, k, count);
	return first_items(source, state, e->model.items, k, count);
}

// True for a model scored by neighbour weights rather than factors.
static bool scored_by_neighbors(const CachedModel *e)
{
	return !pgrec::has_factors(*e->model.catalog.algorithm);
}

// Ereports 0A000 for a function that needs vectors of a model that has none (`what`: "item" or
// "user"), naming the functions that serve it.
static void require_factors(const CachedModel *e, const char *what)
{
	if (!scored_by_neighbors(e))
		return;
	bool of_users = e->model.catalog.algorithm->scorer == pgrec::Scorer::UserNeighbors;
	ereport(ERROR,
	        (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
	         errmsg("model \"%s\" has no %s vectors", e->name, what),
	         errdetail("Algorithm %s keeps %s weights instead of factors.",
	                   e->model.catalog.algorithm->name, of_users ? "user-user" : "item-item"),
	         errhint("Use pgrec.recommend(), pgrec.recommend_for_interactions()%s or "
	                 "pgrec.similar_items() with it.",
	                 of_users ? ", pgrec.similar_users()" : "")));
}

// True for a model scored by a network over its factors.
static bool scored_by_network(const CachedModel *e)
{
	return e->model.catalog.algorithm->scorer == pgrec::Scorer::Network;
}

// Ereports 0A000 for a function that scores a query vector by dot products when the model's
// items are scored otherwise.
static void require_dot_products(const CachedModel *e)
{
	if (!scored_by_network(e))
	{
		require_factors(e, "item");
		return;
	}
	ereport(ERROR,
	        (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
	         errmsg("model \"%s\" scores items by a network, not by dot products", e->name),
	         errdetail("Algorithm %s scores a user's factors and an item's through its stored "
	                   "network; a query vector has no score.",
	                   e->model.catalog.algorithm->name),
	         errhint("Use pgrec.recommend() or pgrec.recommend_for_interactions() with it.")));
}

// A neighbourhood model's scoring of a user's weighted rows through the exclusion and
// candidate lists.
struct NeighborRequest
{
	const CachedModel *e;
	pgrec::WeightedRows rows;
	const pgrec::SortedList *excluded;
	int lists;
	const pgrec::SortedList *candidates;
};

// The neighbourhood scoring as a CandidateSource: every item scored by the sum of the user's
// weighted rows, then the top `room`. Ereports on core errors.
static size_t neighbor_items(const void *state, size_t room, pgrec::Recommendation *out)
{
	const NeighborRequest *r = (const NeighborRequest *)state;
	const LoadedModel *m = &r->e->model;
	float *scores = (float *)palloc(sizeof(float) * Max(m->items, 1));
	size_t count;
	CORE_CALL(pgrec::neighbor_scores(*scorer_rows(m), r->rows, m->items, scores);
	          count = pgrec::recommend_from_scores(scores, m->items, r->excluded, r->lists,
	                                               r->candidates, room, out));
	pfree(scores);
	return count;
}

// A network model's scoring of a user's factors through the exclusion and candidate lists.
struct NetworkRequest
{
	const CachedModel *e;
	const float *user;
	const pgrec::SortedList *excluded;
	int lists;
	const pgrec::SortedList *candidates;
};

// The network scoring as a CandidateSource: the candidates (every item without a candidate
// list) scored by the network, then the top `room` (only the candidates' scores are read).
// Ereports on core errors.
static size_t network_items(const void *state, size_t room, pgrec::Recommendation *out)
{
	const NetworkRequest *r = (const NetworkRequest *)state;
	const LoadedModel *m = &r->e->model;
	const pgrec::NetworkScoring *scoring = m->catalog.algorithm->network;
	float *scores =
	    (float *)MemoryContextAllocHuge(CurrentMemoryContext, sizeof(float) * Max(m->items, 1));
	size_t n = r->candidates ? r->candidates->count : m->items;
	float *scored = r->candidates ? (float *)palloc(sizeof(float) * Max(n, 1)) : scores;
	pgrec::ItemMatrix items = model_items(r->e);
	pgrec::CancelToken cancel = backend_cancel_token();
	size_t count;
	CORE_CALL(scoring->scores(m->network, r->user, items,
	                          r->candidates ? r->candidates->items : NULL, n, scored, cancel);
	          if (r->candidates) for (size_t j = 0; j < n; j++) scores[r->candidates->items[j]] =
	              scored[j];
	          count = pgrec::recommend_from_scores(scores, m->items, r->excluded, r->lists,
	                                               r->candidates, room, out));
	if (scored != scores)
		pfree(scored);
	pfree(scores);
	return count;
}

// The best items of a factor model for a user's factors: by the network of a network scorer,
// else by the dot-product scan. palloc'd; may ereport.
static pgrec::Recommendation *best_for_factors(const RerankArguments *rerank, CachedModel *e,
                                               const float *user,
                                               const pgrec::SortedList *excluded, int lists,
                                               const pgrec::SortedList *candidates, int64 k,
                                               bool approximate, int64 probes, size_t *count)
{
	if (scored_by_network(e))
	{
		NetworkRequest request = {e, user, excluded, lists, candidates};
		return best_items(rerank, e, network_items, &request, k, count);
	}
	ScanRequest request = {model_items(e),
	                       scan_method(e, false, candidates != NULL, approximate, probes), user,
	                       excluded, lists, candidates};
	return best_items(rerank, e, scan_items, &request, k, count);
}

// Optional bigint[] filters at arguments candidates_arg and exclude_arg (-1: none).
struct Filters
{
	pgrec::SortedList candidates, exclude;
	bool has_candidates, has_exclude;
};

static Filters read_filters(FunctionCallInfo fcinfo, int candidates_arg, int exclude_arg,
                            const LoadedModel *m)
{
	Filters f = {};
	f.has_candidates = candidates_arg >= 0 && !PG_ARGISNULL(candidates_arg);
	f.has_exclude = exclude_arg >= 0 && !PG_ARGISNULL(exclude_arg);
	if (f.has_candidates)
		f.candidates = known_items(fcinfo, candidates_arg, m);
	if (f.has_exclude)
		f.exclude = known_items(fcinfo, exclude_arg, m);
	return f;
}

// The most popular items through the filters of a call, for a user the model does not know.
struct PopularRequest
{
	const CachedModel *e;
	const Filters *f;
};

// The popular items as a CandidateSource: in order, scored -rank (so that re-ranking takes
// popularity for relevance; the rows show NULL scores).
static size_t popular_items(const void *state, size_t room, pgrec::Recommendation *rows)
{
	const CachedModel *e = ((const PopularRequest *)state)->e;
	const Filters &f = *((const PopularRequest *)state)->f;
	size_t n = 0;
	for (size_t p = 0; p < e->model.items && n < room; p++)
	{
		int32 item = e->popular_items[p];
		bool excluded_item = f.has_exclude && bsearch(&item, f.exclude.items, f.exclude.count,
		                                              sizeof(int32), compare_int32);
		bool candidate = !f.has_candidates || bsearch(&item, f.candidates.items, f.candidates.count,
		                                              sizeof(int32), compare_int32);
		if (!excluded_item && candidate)
			rows[n++] = {item, -(float)p};
	}
	return n;
}

// recommend(model_name, user_id, k, exclude_seen, candidates, exclude, diversity, item_groups,
// max_per_group): the user's k best items, re-ranked when asked (rerank.h). A user the model
// does not know gets the most popular items, with NULL scores.
Datum pgrec_recommend(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return return_nothing(fcinfo);
	int64 k = read_positive(fcinfo, 2, "k");
	bool exclude_seen = PG_ARGISNULL(3) || PG_GETARG_BOOL(3);
	RerankArguments rerank = read_rerank_arguments(fcinfo, 6);
	int64 probes;
	bool approximate = wants_approximate(fcinfo, 9, &probes);
	CachedModel *e = cached_model(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	const LoadedModel *m = &e->model;
	Filters f = read_filters(fcinfo, 4, 5, m);
	int64 user = pgrec::dense_index(m->user_ids, m->users, PG_GETARG_INT64(1));

	pgrec::SortedList excluded[2];
	int lists = 0;
	if (f.has_exclude)
		excluded[lists++] = f.exclude;
	if (user < 0)
	{
		// Popular items, in order, through the same filters.
		PopularRequest popular = {e, &f};
		size_t n;
		pgrec::Recommendation *rows = best_items(&rerank, e, popular_items, &popular, k, &n);
		return return_rows(fcinfo, rows, n, m->item_ids, true);
	}
	pgrec::SortedList seen = {m->seen_index + m->seen_ptr[user],
	                          (size_t)(m->seen_ptr[user + 1] - m->seen_ptr[user])};
	if (exclude_seen)
		excluded[lists++] = seen;
	const pgrec::SortedList *candidates = f.has_candidates ? &f.candidates : NULL;
	size_t count;
	pgrec::Recommendation *rows;
	if (scored_by_neighbors(e))
	{
		NeighborRequest request = {e, stored_user_rows(m, (size_t)user), excluded, lists,
		                           candidates};
		rows = best_items(&rerank, e, neighbor_items, &request, k, &count);
	}
	else
		rows = best_for_factors(&rerank, e, m->user_factors + user * m->catalog.factors, excluded,
		                        lists, candidates, k, approximate, probes, &count);
	return return_rows(fcinfo, rows, count, m->item_ids, false);
}

// recommend_for_vector(model_name, query, k, candidates, exclude): the items that score best
// against any vector of the model's dimensions (e.g. avg() of the items a visitor viewed).
Datum pgrec_recommend_for_vector(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return return_nothing(fcinfo);
	int64 k = read_positive(fcinfo, 2, "k");
	int64 probes;
	bool approximate = wants_approximate(fcinfo, 5, &probes);
	CachedModel *e = cached_model(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	require_dot_products(e);
	Embedding *query = PG_GETARG_EMBEDDING_P(1);
	if (query->dim != e->model.catalog.factors)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("the query has %d dimensions, the model has %d", query->dim,
		                       e->model.catalog.factors)));
	Filters f = read_filters(fcinfo, 3, 4, &e->model);
	size_t count;
	pgrec::Recommendation *rows =
	    top_items(model_items(e), scan_method(e, false, f.has_candidates, approximate, probes),
	              query->x, f.has_exclude ? &f.exclude : NULL, f.has_exclude ? 1 : 0,
	              f.has_candidates ? &f.candidates : NULL, k, &count);
	return return_rows(fcinfo, rows, count, e->model.item_ids, false);
}

// recommend_for_features(model_name, features, k, candidates, exclude): the items that score
// best for a visitor known only by features (jsonb, feature_lookup.h): the user features of a
// model that has them, else a description of the items wanted by their item features. With
// none of the features known, the most popular items, with NULL scores.
Datum pgrec_recommend_for_features(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return return_nothing(fcinfo);
	int64 k = read_positive(fcinfo, 2, "k");
	CachedModel *e = cached_model(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	const ModelCatalog &catalog = e->model.catalog;
	if (catalog.item_features == NULL && catalog.user_features == NULL)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("model \"%s\" was trained without features", catalog.name),
		                errhint("Train it with item_features or user_features, with an algorithm "
		                        "that learns from them.")));
	Filters f = read_filters(fcinfo, 3, 4, &e->model);
	float *query = (float *)palloc0(sizeof(float) * catalog.factors);
	float bias = 0.0f;
	if (!project_feature_object(e, visitor_feature_side(e), PG_GETARG_JSONB_P(1), query, &bias))
	{
		PopularRequest popular = {e, &f};
		size_t n;
		pgrec::Recommendation *rows = first_items(popular_items, &popular, e->model.items, k, &n);
		return return_rows(fcinfo, rows, n, e->model.item_ids, true);
	}
	size_t count;
	pgrec::Recommendation *rows =
	    top_items(model_items(e), scan_method(e, false, f.has_candidates, false, 0), query,
	              f.has_exclude ? &f.exclude : NULL, f.has_exclude ? 1 : 0,
	              f.has_candidates ? &f.candidates : NULL, k, &count);
	return return_rows(fcinfo, rows, count, e->model.item_ids, false);
}

// The k items (users false) or users most similar by cosine to the one at dense index `index`
// of the model, itself excluded.
static Datum similar_rows(FunctionCallInfo fcinfo, CachedModel *e, bool users, int64 index,
                          int64 k, bool approximate, int64 probes)
{
	if (index < 0)
		return return_nothing(fcinfo);
	const LoadedModel *m = &e->model;
	const float *factors = users ? m->user_factors : m->item_factors;
	const float *inverse_norms = users ? e->user_inverse_norms : e->item_inverse_norms;
	size_t count = users ? m->users : m->items;
	int dim = m->catalog.factors;
	const int64 *ids = users ? m->user_ids : m->item_ids;
	float *query = (float *)palloc(sizeof(float) * dim);
	for (int f = 0; f < dim; f++)
		query[f] = factors[index * dim + f] * inverse_norms[index];
	int32 self = (int32)index;
	pgrec::SortedList excluded = {&self, 1};
	pgrec::ItemMatrix matrix = {factors, NULL, inverse_norms, count, dim};
	size_t n;
	pgrec::Recommendation *rows =
	    top_items(matrix, scan_method(e, users, false, approximate, probes), query, &excluded, 1,
	              NULL, k, &n);
	return return_rows(fcinfo, rows, n, ids, false);
}

// The k of n neighbours (dense indices `neighbors`, ids: of items or of users) with the largest
// weights, largest first.
static Datum strongest_neighbors(FunctionCallInfo fcinfo, const int32 *neighbors,
                                 const float *weights, size_t n, const int64 *ids, int64 k)
{
	size_t count;
	pgrec::Recommendation *rows = (pgrec::Recommendation *)palloc(
	    sizeof(pgrec::Recommendation) * Max((size_t)Min((uint64)k, (uint64)n), 1));
	float *scores = (float *)palloc(sizeof(float) * Max(n, 1));
	memcpy(scores, weights, sizeof(float) * n);
	CORE_CALL(count = pgrec::recommend_from_scores(scores, n, NULL, 0, NULL,
	                                               (size_t)Min((uint64)k, (uint64)n), rows));
	for (size_t r = 0; r < count; r++)
		rows[r].item = neighbors[rows[r].item];
	return return_rows(fcinfo, rows, count, ids, false);
}

// The k rows (ids: of items or of users) that row `index` of a neighbourhood model's weights s
// gives the largest weights to.
static Datum similar_by_weights(FunctionCallInfo fcinfo, const pgrec::NeighborView &s,
                                const int64 *ids, int64 index, int64 k)
{
	if (index < 0)
		return return_nothing(fcinfo);
	return strongest_neighbors(fcinfo, s.index + s.ptr[index], s.weight + s.ptr[index],
	                           (size_t)(s.ptr[index + 1] - s.ptr[index]), ids, k);
}

// The k items most similar to item `index` of a user_knn model by its similarity measure over
// the training users, computed from their interactions.
static Datum similar_by_users(FunctionCallInfo fcinfo, CachedModel *e, int64 index, int64 k)
{
	if (index < 0)
		return return_nothing(fcinfo);
	const pgrec::UserIndex *users = cached_user_index(e);
	size_t room = (size_t)Min((uint64)k, (uint64)e->model.items), n;
	int32 *neighbors = (int32 *)palloc(sizeof(int32) * Max(room, 1));
	float *weights = (float *)palloc(sizeof(float) * Max(room, 1));
	CORE_CALL(n = users->similar_items((int32)index, room, neighbors, weights));
	return strongest_neighbors(fcinfo, neighbors, weights, n, e->model.item_ids, k);
}

// similar_items(model_name, item_id, k): items by cosine similarity of their factors, by the
// weights of an item neighbourhood model, or for user_knn by its similarity between items over
// the training users.
Datum pgrec_similar_items(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return return_nothing(fcinfo);
	int64 k = read_positive(fcinfo, 2, "k");
	int64 probes;
	bool approximate = wants_approximate(fcinfo, 3, &probes);
	CachedModel *e = cached_model(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	const LoadedModel *m = &e->model;
	int64 item = pgrec::dense_index(m->item_ids, m->items, PG_GETARG_INT64(1));
	if (m->catalog.algorithm->scorer == pgrec::Scorer::ItemNeighbors)
		return similar_by_weights(fcinfo, m->neighbors, m->item_ids, item, k);
	if (m->catalog.algorithm->scorer == pgrec::Scorer::UserNeighbors)
		return similar_by_users(fcinfo, e, item, k);
	require_factors(e, "item");
	return similar_rows(fcinfo, e, false, item, k, approximate, probes);
}

// similar_users(model_name, user_id, k): users by cosine similarity of their factors, or the
// stored neighbours of a user_knn user; 0A000 for item neighbourhood models.
Datum pgrec_similar_users(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return return_nothing(fcinfo);
	int64 k = read_positive(fcinfo, 2, "k");
	CachedModel *e = cached_model(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	const LoadedModel *m = &e->model;
	if (m->catalog.algorithm->scorer == pgrec::Scorer::UserNeighbors)
		return similar_by_weights(fcinfo, m->neighbors, m->user_ids,
		                          pgrec::dense_index(m->user_ids, m->users, PG_GETARG_INT64(1)), k);
	require_factors(e, "user");
	return similar_rows(fcinfo, e, true,
	                    pgrec::dense_index(m->user_ids, m->users, PG_GETARG_INT64(1)), k, false, 0);
}

// recommend_for_interactions(model_name, item_ids, ratings, k, candidates, exclude, diversity,
// item_groups, max_per_group): folds in a user who is not in the model from the items they
// interacted with and recommends for them, excluding those items, re-ranked when asked.
// Unknown ids are ignored; at least one must be known.
Datum pgrec_recommend_for_interactions(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3))
		return return_nothing(fcinfo);
	int64 k = read_positive(fcinfo, 3, "k");
	RerankArguments rerank = read_rerank_arguments(fcinfo, 6);
	CachedModel *e = cached_model(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	const LoadedModel *m = &e->model;
	Visitor v = read_visitor(
	    fcinfo, 1, 2, e,
	    "Recommend popular items instead, e.g. pgrec.recommend() for an unknown user.");
	Filters f = read_filters(fcinfo, 4, 5, m);
	pgrec::SortedList history = {v.items, v.count};
	pgrec::SortedList excluded[2] = {history, f.exclude};
	const pgrec::SortedList *candidates = f.has_candidates ? &f.candidates : NULL;
	size_t count;
	// A neighbourhood model scores the visitor's items (or their neighbours) directly; a factor
	// model folds them in.
	if (scored_by_neighbors(e))
	{
		NeighborRequest request = {e, visitor_rows(e, v.items, v.values, v.count), excluded,
		                           f.has_exclude ? 2 : 1, candidates};
		pgrec::Recommendation *rows = best_items(&rerank, e, neighbor_items, &request, k, &count);
		return return_rows(fcinfo, rows, count, m->item_ids, false);
	}
	pgrec::ItemMatrix matrix = model_items(e);
	pgrec::FoldInInput input = fold_in_input(e, matrix, v.items, v.values, v.count, -1);
	float *user = (float *)palloc(sizeof(float) * m->catalog.factors);
	float bias = 0.0f;
	pgrec::CancelToken cancel = backend_cancel_token();
	CORE_CALL(pgrec::fold_in_user(*m->catalog.algorithm, input, cancel, user, &bias));
	pgrec::Recommendation *rows = best_for_factors(&rerank, e, user, excluded, f.has_exclude ? 2 : 1,
	                                               candidates, k, false, 0, &count);
	return return_rows(fcinfo, rows, count, m->item_ids, false);
}
