// pgrec.evaluate(): loads a model and a held-out set, computes rating errors (explicit models)
// and full-ranking metrics at k in the core, stores them in pgrec.models.metrics, returns them.
#include "postgres_headers.h"

#include "catalog_access.h"
#include "core_guard.h"
#include "interaction_source.h"
#include "jsonb_object.h"
#include "model_loader.h"
#include "ranking_cases.h"
#include "settings.h"

extern "C"
{
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
}

#include <cmath>

PGREC_FUNCTION(pgrec_evaluate)

enum EvaluateArg
{
	ARG_MODEL_NAME,
	ARG_TEST_SOURCE,
	ARG_USER_COLUMN,
	ARG_ITEM_COLUMN,
	ARG_RATING_COLUMN,
	ARG_K,
	ARG_RELEVANCE_THRESHOLD
};

// Stores the metrics of the version model_id in its catalog row (SPI connected).
static void store_metrics(int64 model_id, Jsonb *metrics)
{
	Oid types[2] = {INT8OID, JSONBOID};
	Datum values[2] = {Int64GetDatum(model_id), JsonbPGetDatum(metrics)};
	SavedRights rights;
	enter_catalog_rights(&rights);
	if (SPI_execute_with_args("UPDATE pgrec.model_versions SET metrics = $2 WHERE model_id "
	                          "OPERATOR(pg_catalog.=) $1",
	                          2, types, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not store the metrics of model version %lld", (long long)model_id);
	leave_rights(&rights);
}

// Appends "name": value, rounded to 6 significant digits (null when it is not finite).
static void push_metric(JsonbParseState **state, const char *name, double value)
{
	bool finite = std::isfinite(value);
	Datum number =
	    finite ? DirectFunctionCall1(
	                 float8_numeric,
	                 DirectFunctionCall1(float8in, CStringGetDatum(psprintf("%.6g", value))))
	           : (Datum)0;
	push_jsonb_number(state, name, number, !finite);
}

// Appends "name": count.
static void push_count(JsonbParseState **state, const char *name, int64 count)
{
	push_jsonb_number(state, name, DirectFunctionCall1(int8_numeric, Int64GetDatum(count)), false);
}

Datum pgrec_evaluate(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(ARG_MODEL_NAME) || PG_ARGISNULL(ARG_USER_COLUMN) ||
	    PG_ARGISNULL(ARG_ITEM_COLUMN) || PG_ARGISNULL(ARG_K))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("model name, user column, item column and k must not be NULL")));
	char *name = text_to_cstring(PG_GETARG_TEXT_PP(ARG_MODEL_NAME));
	const char *user_column = NameStr(*PG_GETARG_NAME(ARG_USER_COLUMN));
	const char *item_column = NameStr(*PG_GETARG_NAME(ARG_ITEM_COLUMN));
	const char *rating_column =
	    PG_ARGISNULL(ARG_RATING_COLUMN) ? NULL : NameStr(*PG_GETARG_NAME(ARG_RATING_COLUMN));
	int k = PG_GETARG_INT32(ARG_K);
	bool threshold_set = !PG_ARGISNULL(ARG_RELEVANCE_THRESHOLD);
	double threshold = threshold_set ? PG_GETARG_FLOAT8(ARG_RELEVANCE_THRESHOLD) : 0.0;
	if (k < 1 || k > 10000)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("k must be between 1 and 10000, not %d", k)));
	if (threshold_set && rating_column == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("relevance_threshold needs a rating column")));
	char *description;
	char *query = interaction_source_query(fcinfo, ARG_TEST_SOURCE, user_column, item_column,
	                                       rating_column, &description);
	TupleDesc result_desc;
	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "pgrec.evaluate must return a composite type");

	MemoryContext context =
	    AllocSetContextCreate(CurrentMemoryContext, "pgrec evaluation", ALLOCSET_DEFAULT_SIZES);
	LoadedModel model;
	InteractionArrays test = {};
	SPI_connect();
	ModelCatalog catalog;
	require_model_catalog(name, context, &catalog);
	load_model(&catalog, context, &model);
	read_interactions(query, rating_column != NULL, training_memory_limit_bytes(),
	                  sizeof(pgrec::TestRating) + sizeof(int32), context, &test);

	pgrec::TestRating *rows = (pgrec::TestRating *)MemoryContextAllocHuge(
	    context, sizeof(pgrec::TestRating) * Max(test.count, 1));
	for (size_t r = 0; r < test.count; r++)
	{
		rows[r].user = pgrec::dense_index(model.user_ids, model.users, test.users[r]);
		rows[r].item = pgrec::dense_index(model.item_ids, model.items, test.items[r]);
		rows[r].rating = test.values[r];
	}
	pgrec::ModelView view = model_view(&model);
	if (view.neighbors)
	{
		pgrec::WeightedRows *rows = (pgrec::WeightedRows *)MemoryContextAllocHuge(
		    context, sizeof(pgrec::WeightedRows) * Max(model.users, 1));
		for (size_t u = 0; u < model.users; u++)
			rows[u] = stored_user_rows(&model, u);
		view.user_rows = rows;
	}
	bool explicit_model = pgrec::trains_on_ratings(*catalog.algorithm, catalog.hyperparameters);
	pgrec::RatingErrors errors = {NAN, NAN, 0};
	if (explicit_model && rating_column != NULL)
	{
		CORE_CALL(errors = pgrec::rating_errors(view, rows, test.count, catalog.rating_min,
		                                        catalog.rating_max));
	}
	pgrec::RankingCase *cases;
	size_t n_cases =
	    build_ranking_cases(rows, test.count, threshold_set, threshold, context, &cases);

	pgrec::RankingMetrics metrics;
	pgrec::SparseView train = {model.seen_ptr, model.seen_index};
	int threads = effective_threads();
	pgrec::CancelToken cancel = backend_cancel_token();
	ereport(DEBUG1, (errmsg("ranking every item for %zu held-out users", n_cases)));
	CORE_CALL(metrics = pgrec::ranking_metrics(view, train, cases, n_cases, k, threads, cancel));

	// The owner's evaluations are kept with the version; other roles, a standby and a read-only
	// transaction only get the figures.
	if (has_privs_of_role(GetUserId(), catalog.owner) && transaction_is_writable())
	{
		JsonbParseState *state = NULL;
		(void)pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		push_count(&state, "k", k);
		push_metric(&state, "rmse", errors.rmse);
		push_metric(&state, "mae", errors.mae);
		push_metric(&state, "precision_at_k", metrics.precision);
		push_metric(&state, "recall_at_k", metrics.recall);
		push_metric(&state, "ndcg_at_k", metrics.ndcg);
		push_metric(&state, "hit_rate_at_k", metrics.hit_rate);
		push_metric(&state, "map_at_k", metrics.map);
		push_metric(&state, "coverage", metrics.coverage);
		push_count(&state, "users", (int64)metrics.users);
		push_count(&state, "test_interactions", (int64)test.count);
		store_metrics(catalog.model_id,
		              JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL)));
	}
	SPI_finish();

	Datum result = evaluation_result(result_desc, errors, metrics, test.count);
	MemoryContextDelete(context);
	PG_RETURN_DATUM(result);
}
