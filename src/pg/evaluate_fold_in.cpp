// pgrec.evaluate_fold_in(): how well users the model has never seen are served. Each held-out
// user is folded in from their history (a neighbourhood model scores the history, or for
// user_knn the history's neighbours among the training users, directly),
// then every item outside the history is ranked and the top k compared with their truth.
#include "postgres_headers.h"

#include "core_guard.h"
#include "interaction_source.h"
#include "model_cache.h"
#include "owned_object.h"
#include "ranking_cases.h"
#include "serving.h"
#include "settings.h"

#include "../core/algorithm_registry.h"

extern "C"
{
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
}

#include <cmath>

PGREC_FUNCTION(pgrec_evaluate_fold_in)

enum FoldInEvaluateArg
{
	ARG_MODEL_NAME,
	ARG_HISTORY_SOURCE,
	ARG_TRUTH_SOURCE,
	ARG_USER_COLUMN,
	ARG_ITEM_COLUMN,
	ARG_RATING_COLUMN,
	ARG_K
};

// The histories of the held-out users, by the model's dense item indices.
struct Histories
{
	pgrec::Interactions data; // users: held-out ids; "items": the model's dense indices
	std::vector<int64_t> ptr; // per held-out user, into index/value
	std::vector<int32_t> index;
	std::vector<float> value;
};

// The matrix's item indices are its own: maps them back to the model's (may throw bad_alloc).
static void model_indices(Histories *h)
{
	const pgrec::SparseRows &by_user = h->data.by_user;
	h->ptr = by_user.ptr;
	h->index.resize(by_user.index.size());
	for (size_t e = 0; e < by_user.index.size(); e++)
		h->index[e] = (int32_t)h->data.item_ids[by_user.index[e]];
	h->value = by_user.value;
}

// Builds the histories from the rows read: items the model does not know are dropped, repeated
// items merged as training merges them.
static void build_histories(const InteractionArrays &rows, const LoadedModel *m,
                            pgrec::DuplicatePolicy policy, bool has_rating, Histories *out)
{
	int64 *items = (int64 *)palloc(sizeof(int64) * Max(rows.count, 1));
	int64 *users = (int64 *)palloc(sizeof(int64) * Max(rows.count, 1));
	float *values = (float *)palloc(sizeof(float) * Max(rows.count, 1));
	size_t n = 0;
	for (size_t r = 0; r < rows.count; r++)
	{
		int64 index = pgrec::dense_index(m->item_ids, m->items, rows.items[r]);
		if (index < 0)
			continue;
		users[n] = rows.users[r];
		items[n] = index;
		values[n++] = rows.values[r];
	}
	if (n == 0)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("no history item is in model \"%s\"", m->catalog.name)));
	pgrec::CancelToken cancel = backend_cancel_token();
	CORE_CALL(out->data = pgrec::build_interactions(users, items, has_rating ? values : NULL, n,
	                                                policy, cancel);
	          model_indices(out));
}

// The neighbours of every held-out user among the training users (user_knn), in context.
static pgrec::WeightedRows *user_neighbor_rows(CachedModel *e, const Histories &h,
                                               MemoryContext context)
{
	size_t users = h.data.users();
	pgrec::WeightedRows *rows = (pgrec::WeightedRows *)MemoryContextAllocHuge(
	    context, sizeof(pgrec::WeightedRows) * Max(users, 1));
	for (size_t u = 0; u < users; u++)
	{
		if (u % 64 == 0)
			CHECK_FOR_INTERRUPTS();
		size_t begin = (size_t)h.ptr[u], n = (size_t)(h.ptr[u + 1] - h.ptr[u]);
		rows[u] = visitor_rows(e, h.index.data() + begin, h.value.data() + begin, n);
	}
	return rows;
}

// Folds every held-out user in (factor models): users x factors, and their biases.
static void fold_in_users(CachedModel *e, const Histories &h, float *factors, float *bias)
{
	const LoadedModel *m = &e->model;
	const pgrec::AlgorithmEntry &algorithm = *m->catalog.algorithm;
	pgrec::ItemMatrix items = {m->item_factors, m->item_bias, NULL, m->items, m->catalog.factors};
	pgrec::CancelToken cancel = backend_cancel_token();
	size_t users = h.data.users();
	int k = m->catalog.factors;
	for (size_t u = 0; u < users; u++)
	{
		if (u % 64 == 0)
			CHECK_FOR_INTERRUPTS();
		size_t begin = (size_t)h.ptr[u], n = (size_t)(h.ptr[u + 1] - h.ptr[u]);
		pgrec::FoldInInput input =
		    fold_in_input(e, items, h.index.data() + begin, h.value.data() + begin, n, -1);
		CORE_CALL(pgrec::fold_in_user(algorithm, input, cancel, factors + u * k, bias + u));
	}
}

Datum pgrec_evaluate_fold_in(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(ARG_MODEL_NAME) || PG_ARGISNULL(ARG_USER_COLUMN) ||
	    PG_ARGISNULL(ARG_ITEM_COLUMN) || PG_ARGISNULL(ARG_K) || PG_ARGISNULL(ARG_HISTORY_SOURCE) ||
	    PG_ARGISNULL(ARG_TRUTH_SOURCE))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("model name, sources, user column, item column and k must not be "
		                       "NULL")));
	const char *user_column = NameStr(*PG_GETARG_NAME(ARG_USER_COLUMN));
	const char *item_column = NameStr(*PG_GETARG_NAME(ARG_ITEM_COLUMN));
	const char *rating_column =
	    PG_ARGISNULL(ARG_RATING_COLUMN) ? NULL : NameStr(*PG_GETARG_NAME(ARG_RATING_COLUMN));
	int k = PG_GETARG_INT32(ARG_K);
	if (k < 1 || k > 10000)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("k must be between 1 and 10000, not %d", k)));
	char *description;
	char *history_query = interaction_source_query(fcinfo, ARG_HISTORY_SOURCE, user_column,
	                                               item_column, rating_column, &description);
	char *truth_query = interaction_source_query(fcinfo, ARG_TRUTH_SOURCE, user_column, item_column,
	                                             rating_column, &description);
	TupleDesc result_desc;
	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "pgrec.evaluate_fold_in must return a composite type");

	MemoryContext context = AllocSetContextCreate(CurrentMemoryContext, "pgrec fold-in evaluation",
	                                              ALLOCSET_DEFAULT_SIZES);
	MemoryContext caller = MemoryContextSwitchTo(context);
	InteractionArrays history = {}, truth = {};
	SPI_connect();
	read_interactions(history_query, rating_column != NULL, training_memory_limit_bytes(),
	                  pgrec::kInteractionPeakBytesPerRow, context, &history);
	read_interactions(truth_query, rating_column != NULL, training_memory_limit_bytes(),
	                  sizeof(pgrec::TestRating) + sizeof(int32), context, &truth);
	SPI_finish();

	// The model is looked up after the sources ran (they may use pgrec themselves): the entry
	// stays valid until the next lookup.
	CachedModel *e = cached_model(text_to_cstring(PG_GETARG_TEXT_PP(ARG_MODEL_NAME)));
	const LoadedModel *m = &e->model;
	const pgrec::AlgorithmEntry &algorithm = *m->catalog.algorithm;
	const bool rated = pgrec::trains_on_ratings(algorithm, m->catalog.hyperparameters);
	if (rated && rating_column == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("model \"%s\" was trained on explicit ratings", e->name),
		                errhint("Give the rating column: the histories are folded in from their "
		                        "ratings.")));
	Histories *h = new_owned_by<Histories>(context);
	build_histories(history, m, pgrec::duplicate_policy(algorithm, m->catalog.hyperparameters),
	                rating_column != NULL, h);
	size_t users = h->data.users();
	pgrec::ModelView view = model_view(m);
	view.users = users;
	view.user_bias = NULL;
	if (algorithm.fold_in != nullptr)
	{
		float *factors = zeroed_floats(context, users * m->catalog.factors);
		float *bias = zeroed_floats(context, users);
		fold_in_users(e, *h, factors, bias);
		view.user_factors = factors;
		view.user_bias = algorithm.biases ? bias : NULL;
	}
	else if (algorithm.scorer == pgrec::Scorer::UserNeighbors)
		view.user_rows = user_neighbor_rows(e, *h, context);

	// The truth of the users with a history: dense user indices of the histories.
	pgrec::TestRating *rows = (pgrec::TestRating *)MemoryContextAllocHuge(
	    context, sizeof(pgrec::TestRating) * Max(truth.count, 1));
	size_t without_history = 0;
	for (size_t r = 0; r < truth.count; r++)
	{
		rows[r].user = pgrec::dense_index(h->data.user_ids.data(), users, truth.users[r]);
		rows[r].item = pgrec::dense_index(m->item_ids, m->items, truth.items[r]);
		rows[r].rating = truth.values[r];
		without_history += rows[r].user < 0;
	}
	pgrec::RatingErrors errors = {NAN, NAN, 0};
	if (rated)
		CORE_CALL(errors = pgrec::rating_errors(view, rows, truth.count, m->catalog.rating_min,
		                                        m->catalog.rating_max));
	pgrec::RankingCase *cases;
	size_t n_cases = build_ranking_cases(rows, truth.count, false, 0.0, context, &cases);
	if (without_history > 0)
		ereport(NOTICE, (errmsg("%zu truth rows belong to users without a known history item "
		                        "and are not scored",
		                        without_history)));
	pgrec::SparseView seen = {h->ptr.data(), h->index.data()};
	pgrec::RankingMetrics metrics;
	pgrec::CancelToken cancel = backend_cancel_token();
	int threads = effective_threads();
	CORE_CALL(metrics = pgrec::ranking_metrics(view, seen, cases, n_cases, k, threads, cancel,
	                                           pgrec::RecallDenominator::CappedAtK));
	MemoryContextSwitchTo(caller);
	Datum result = evaluation_result(result_desc, errors, metrics, truth.count);
	MemoryContextDelete(context);
	PG_RETURN_DATUM(result);
}
