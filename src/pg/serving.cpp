// The pieces the serving functions share: k and n, a visitor's items and ratings read and
// merged as training merges them, their fold-in input, and the (id, value) rows of the result.
#include "serving.h"

#include "core_guard.h"

#include "../core/interactions.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/tuplestore.h"
}

#include <cmath>

int64 read_positive(FunctionCallInfo fcinfo, int argno, const char *name)
{
	int32 value = PG_GETARG_INT32(argno);
	if (value <= 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("%s must be positive, not %d", name, value)));
	return value;
}

pgrec::ItemMatrix model_items(const CachedModel *e)
{
	return {e->model.item_factors, e->model.item_bias, NULL, e->model.items,
	        e->model.catalog.factors};
}

Visitor read_visitor(FunctionCallInfo fcinfo, int ids_arg, int ratings_arg, CachedModel *e,
                     const char *none_known_hint)
{
	const LoadedModel *m = &e->model;
	Datum *ids, *ratings = NULL;
	bool *id_nulls, *rating_nulls = NULL;
	int n_ids, n_ratings = 0;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(ids_arg), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
	                  &ids, &id_nulls, &n_ids);
	if (!PG_ARGISNULL(ratings_arg))
	{
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(ratings_arg), FLOAT4OID, 4, true, TYPALIGN_INT,
		                  &ratings, &rating_nulls, &n_ratings);
		if (n_ratings != n_ids)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("%d ratings for %d items", n_ratings, n_ids),
			                errdetail("Give one rating per item, or NULL for none.")));
	}
	const pgrec::AlgorithmEntry &algorithm = *m->catalog.algorithm;
	if (pgrec::trains_on_ratings(algorithm, m->catalog.hyperparameters) && ratings == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("model \"%s\" was trained on explicit ratings", e->name),
		                errhint("Give the visitor's ratings as the third argument.")));

	Visitor v = {(int32 *)palloc(sizeof(int32) * Max(n_ids, 1)),
	             (float *)palloc(sizeof(float) * Max(n_ids, 1)), 0};
	for (int i = 0; i < n_ids; i++)
	{
		if (id_nulls[i] || (ratings && rating_nulls[i]))
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("item ids and ratings must not contain NULLs")));
		int64 index = pgrec::dense_index(m->item_ids, m->items, DatumGetInt64(ids[i]));
		if (index < 0)
			continue;
		v.items[v.count] = (int32)index;
		v.values[v.count] = ratings ? DatumGetFloat4(ratings[i]) : 1.0f;
		if (!std::isfinite(v.values[v.count]))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("rating %g of item %lld is not finite",
			                       (double)v.values[v.count], (long long)DatumGetInt64(ids[i]))));
		v.count++;
	}
	if (v.count == 0)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("none of the %d items is in model \"%s\"", n_ids, e->name),
		                none_known_hint ? errhint("%s", none_known_hint) : 0));
	// Repeated items merge as in training (mean rating, or summed implicit values).
	CORE_CALL(v.count = pgrec::merge_repeated(
	              v.items, v.values, v.count,
	              pgrec::duplicate_policy(algorithm, m->catalog.hyperparameters)));
	return v;
}

pgrec::WeightedRows visitor_rows(CachedModel *e, const int32 *items, const float *values,
                                 size_t count)
{
	if (e->model.catalog.algorithm->scorer != pgrec::Scorer::UserNeighbors)
		return {items, NULL, count};
	const pgrec::UserIndex *index = cached_user_index(e);
	size_t room = (size_t)Max(e->model.catalog.hyperparameters.neighbors, 1);
	int32 *rows = (int32 *)palloc(sizeof(int32) * room);
	float *weights = (float *)palloc(sizeof(float) * room);
	size_t n;
	CORE_CALL(n = index->visitor_neighbors(items, values, count, rows, weights));
	return {rows, weights, n};
}

pgrec::FoldInInput fold_in_input(CachedModel *e, const pgrec::ItemMatrix &matrix,
                                 const int32 *items, const float *values, size_t count, int64 user)
{
	const ModelCatalog &catalog = e->model.catalog;
	const float *gramian = catalog.algorithm->needs_gramian ? cached_item_gramian(e) : NULL;
	pgrec::FoldInInput input = {
	    matrix,  catalog.global_mean, catalog.hyperparameters, gramian, items, values, count,
	    nullptr, e->item_degrees};
	if (catalog.algorithm->scorer == pgrec::Scorer::Network)
		input.network = &e->model.network;
	else if (catalog.algorithm->scorer == pgrec::Scorer::ItemNeighbors)
		input.neighbors = &e->model.neighbors;
	else if (catalog.algorithm->scorer == pgrec::Scorer::UserNeighbors)
	{
		pgrec::UserNeighbors *neighbors = (pgrec::UserNeighbors *)palloc(sizeof(*neighbors));
		neighbors->index = cached_user_index(e);
		neighbors->row = user >= 0 ? stored_user_rows(&e->model, (size_t)user)
		                           : visitor_rows(e, items, values, count);
		input.user_neighbors = neighbors;
	}
	return input;
}

Datum return_rows(FunctionCallInfo fcinfo, const pgrec::Recommendation *rows, size_t count,
                  const int64 *ids, bool null_scores)
{
	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	for (size_t r = 0; r < count; r++)
	{
		Datum values[2] = {Int64GetDatum(ids[rows[r].item]), Float4GetDatum(rows[r].score)};
		bool nulls[2] = {false, null_scores};
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum)0;
}

Datum return_nothing(FunctionCallInfo fcinfo)
{
	InitMaterializedSRF(fcinfo, 0);
	return (Datum)0;
}
