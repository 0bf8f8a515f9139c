// The explanation functions explain() and explain_for_interactions(): the items of a user's
// history that contribute most to an item's score, by the explainer the registry gives the
// model's algorithm, over the same fold-in that recommend_for_interactions() solves.
#include "postgres_headers.h"

#include "core_guard.h"
#include "model_cache.h"
#include "serving.h"

extern "C"
{
#include "utils/builtins.h"
}

PGREC_FUNCTION(pgrec_explain)
PGREC_FUNCTION(pgrec_explain_for_interactions)

// Ereports 0A000 unless the model's algorithm can explain its scores.
static void require_explainer(const CachedModel *e)
{
	const pgrec::AlgorithmEntry &algorithm = *e->model.catalog.algorithm;
	if (algorithm.explain == NULL)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("model \"%s\" cannot explain its scores", e->name),
		                errdetail("Algorithm %s has no explainer.", algorithm.name)));
}

// Returns as the set result the at most n of the count history items (values null: all 1)
// that contribute most to the score of item item_id for the user folded in from them (user_knn:
// user `user`'s stored neighbours, or -1: the visitor's); no rows for an item the model does not
// know or an empty history. Ereports on core errors; the rows are palloc'd.
static Datum explain_rows(FunctionCallInfo fcinfo, CachedModel *e, int64 user, const int32 *items,
                          const float *values, size_t count, int64 item_id, int64 n)
{
	const LoadedModel *m = &e->model;
	int64 target = pgrec::dense_index(m->item_ids, m->items, item_id);
	if (target < 0 || count == 0)
		return return_nothing(fcinfo);
	pgrec::ItemMatrix matrix = model_items(e);
	pgrec::FoldInInput input = fold_in_input(e, matrix, items, values, count, user);
	size_t room = (size_t)Min((uint64)n, (uint64)count), written;
	float *contributions = (float *)palloc(sizeof(float) * count);
	pgrec::Recommendation *rows =
	    (pgrec::Recommendation *)palloc(sizeof(pgrec::Recommendation) * room);
	pgrec::CancelToken cancel = backend_cancel_token();
	CORE_CALL(written = pgrec::explain_score(*m->catalog.algorithm, input, (int32)target, room,
	                                         cancel, contributions, rows));
	return return_rows(fcinfo, rows, written, m->item_ids, false);
}

// explain(model_name, user_id, item_id, n): the user's training items (value 1 each, or their
// stored values for user_knn) that contribute most to the item's score, re-solved from them
// (user_knn: shared over the user's stored neighbours). No rows for an unknown user or item;
// 0A000 for models trained on explicit ratings, which do not keep the ratings.
Datum pgrec_explain(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		return return_nothing(fcinfo);
	int64 n = read_positive(fcinfo, 3, "n");
	CachedModel *e = cached_model(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	const LoadedModel *m = &e->model;
	require_explainer(e);
	if (pgrec::trains_on_ratings(*m->catalog.algorithm, m->catalog.hyperparameters))
		ereport(
		    ERROR,
		    (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		     errmsg("model \"%s\" does not keep the ratings of its users", e->name),
		     errdetail("A model trained on explicit ratings stores which items each user "
		               "rated, but not the ratings that an explanation is made of."),
		     errhint("Give the user's items and ratings to pgrec.explain_for_interactions().")));
	int64 user = pgrec::dense_index(m->user_ids, m->users, PG_GETARG_INT64(1));
	if (user < 0)
		return return_nothing(fcinfo);
	return explain_rows(fcinfo, e, user, m->seen_index + m->seen_ptr[user],
	                    m->seen_values ? m->seen_values + m->seen_ptr[user] : NULL,
	                    (size_t)(m->seen_ptr[user + 1] - m->seen_ptr[user]), PG_GETARG_INT64(2), n);
}

// explain_for_interactions(model_name, item_ids, ratings, item_id, n): the same for a visitor
// read as recommend_for_interactions() reads one. No rows for an unknown item.
Datum pgrec_explain_for_interactions(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
		return return_nothing(fcinfo);
	int64 n = read_positive(fcinfo, 4, "n");
	CachedModel *e = cached_model(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	require_explainer(e);
	Visitor v = read_visitor(fcinfo, 1, 2, e, NULL);
	return explain_rows(fcinfo, e, -1, v.items, v.values, v.count, PG_GETARG_INT64(3), n);
}
