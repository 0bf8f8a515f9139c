// Reads a stored model with SPI into arrays: the catalog row, then items and users ordered by
// id (so the id arrays are sorted), copying each embedding's floats into one matrix.
#include "model_loader.h"

#include "embedding.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

int64 dense_index(const int64 *ids, size_t count, int64 id)
{
	size_t lo = 0, hi = count;
	while (lo < hi)
	{
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < count && ids[lo] == id ? (int64)lo : -1;
}

pgrec::ModelView model_view(const LoadedModel *m)
{
	return {m->user_factors, m->item_factors, m->user_bias, m->item_bias,
	        m->global_mean,  m->users,        m->items,     m->factors};
}

// Copies the embedding in d into row (factors floats), ereporting if the dimensions differ.
static void copy_factors(Datum d, float *row, int factors, int64 id)
{
	Embedding *e = DatumGetEmbeddingP(d);
	if (e->dim != factors)
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
		                errmsg("factors of id %lld have %d dimensions, the model has %d",
		                       (long long)id, e->dim, factors)));
	memcpy(row, e->x, sizeof(float) * factors);
}

// Runs a query over one side's rows with the model id as $1; leaves the result in SPI_tuptable.
static void select_rows(const char *sql, int64 model_id)
{
	Oid types[1] = {INT8OID};
	Datum values[1] = {Int64GetDatum(model_id)};
	if (SPI_execute_with_args(sql, 1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the factors of model %lld", (long long)model_id);
}

float *zeroed_floats(MemoryContext context, size_t count)
{
	return (float *)MemoryContextAllocExtended(context, sizeof(float) * Max(count, (size_t)1),
	                                           MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

// One side of a model (users or items) as load_model fills it.
struct Side
{
	size_t count;
	int64 *ids;
	float *factors;
	float *bias;
};

// Allocates a side for the SPI_processed rows of the last query.
static Side new_side(MemoryContext context, int k)
{
	Side side = {(size_t)SPI_processed, NULL, NULL, NULL};
	side.ids = (int64 *)MemoryContextAllocHuge(context, sizeof(int64) * Max(side.count, 1));
	side.factors = zeroed_floats(context, side.count * k);
	return side;
}

// Reads (id, bias, factors) of row r of SPI_tuptable into the side; the bias array is made on
// the first non-NULL bias.
static void read_side_row(Side *side, size_t r, int k, MemoryContext context)
{
	HeapTuple row = SPI_tuptable->vals[r];
	TupleDesc desc = SPI_tuptable->tupdesc;
	bool isnull;

	side->ids[r] = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
	Datum bias = SPI_getbinval(row, desc, 2, &isnull);
	if (!isnull)
	{
		if (side->bias == NULL)
			side->bias = zeroed_floats(context, side->count);
		side->bias[r] = DatumGetFloat4(bias);
	}
	copy_factors(SPI_getbinval(row, desc, 3, &isnull), side->factors + r * k, k, side->ids[r]);
	if (r % 4096 == 0)
		CHECK_FOR_INTERRUPTS();
}

// The algorithm and hyper-parameters of the catalog row (columns 2 and 7 to 12); a missing
// value keeps the default of pgrec::Hyperparameters, an unknown algorithm is treated as ials.
static void read_hyperparameters(HeapTuple row, TupleDesc desc, LoadedModel *out)
{
	pgrec::Hyperparameters &h = out->hyperparameters;
	double *fields[] = {&h.regularization, &h.bias_regularization, &h.regularization_exponent,
	                    &h.alpha, &h.learning_rate};
	bool isnull;

	h = pgrec::Hyperparameters();
	h.algorithm = strcmp(out->algorithm, "als") == 0   ? pgrec::Algorithm::Als
	              : strcmp(out->algorithm, "bpr") == 0 ? pgrec::Algorithm::Bpr
	                                                   : pgrec::Algorithm::Ials;
	h.factors = out->factors;
	for (int f = 0; f < 5; f++)
	{
		Datum d = SPI_getbinval(row, desc, 7 + f, &isnull);
		if (!isnull)
			*fields[f] = DatumGetFloat8(d);
	}
	Datum seed = SPI_getbinval(row, desc, 12, &isnull);
	if (!isnull)
		h.seed = (uint64_t)DatumGetInt64(seed);
}

void load_model(const char *name, MemoryContext context, LoadedModel *out)
{
	Oid types[1] = {TEXTOID};
	Datum values[1] = {CStringGetTextDatum(name)};
	bool isnull;

	if (SPI_execute_with_args("SELECT model_id, algorithm, factors, global_mean, rating_min, "
	                          "rating_max, (hyperparameters->>'regularization')::float8, "
	                          "(hyperparameters->>'bias_regularization')::float8, "
	                          "(hyperparameters->>'regularization_exponent')::float8, "
	                          "(hyperparameters->>'alpha')::float8, "
	                          "(hyperparameters->>'learning_rate')::float8, "
	                          "(hyperparameters->>'seed')::bigint, version "
	                          "FROM pgrec.models WHERE name OPERATOR(pg_catalog.=) $1",
	                          1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read pgrec.models");
	if (SPI_processed == 0)
		ereport(
		    ERROR,
		    (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("model \"%s\" does not exist", name),
		     errhint(
		         "Train it with pgrec.train(), or see pgrec.models for the models there are.")));
	HeapTuple row = SPI_tuptable->vals[0];
	TupleDesc desc = SPI_tuptable->tupdesc;
	out->model_id = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
	out->algorithm =
	    MemoryContextStrdup(context, TextDatumGetCString(SPI_getbinval(row, desc, 2, &isnull)));
	out->factors = DatumGetInt32(SPI_getbinval(row, desc, 3, &isnull));
	out->global_mean = DatumGetFloat8(SPI_getbinval(row, desc, 4, &isnull));
	out->rating_min = DatumGetFloat4(SPI_getbinval(row, desc, 5, &isnull));
	out->has_rating_range = !isnull;
	out->rating_max = DatumGetFloat4(SPI_getbinval(row, desc, 6, &isnull));
	read_hyperparameters(row, desc, out);
	out->version = DatumGetInt32(SPI_getbinval(row, desc, 13, &isnull));
	int k = out->factors;

	select_rows("SELECT item_id, bias, factors FROM pgrec.item_factors "
	            "WHERE model_id OPERATOR(pg_catalog.=) $1 ORDER BY item_id",
	            out->model_id);
	Side items = new_side(context, k);
	for (size_t i = 0; i < items.count; i++)
		read_side_row(&items, i, k, context);
	out->items = items.count;
	out->item_ids = items.ids;
	out->item_factors = items.factors;
	out->item_bias = items.bias;
	SPI_freetuptable(SPI_tuptable);

	select_rows("SELECT user_id, bias, factors, seen_items FROM pgrec.user_factors "
	            "WHERE model_id OPERATOR(pg_catalog.=) $1 ORDER BY user_id",
	            out->model_id);
	Side users = new_side(context, k);
	out->seen_ptr = (int64 *)MemoryContextAllocHuge(context, sizeof(int64) * (users.count + 1));
	out->seen_ptr[0] = 0;
	size_t seen_capacity = 1024;
	out->seen_index = (int32 *)MemoryContextAllocHuge(context, sizeof(int32) * seen_capacity);
	for (size_t u = 0; u < users.count; u++)
	{
		read_side_row(&users, u, k, context);
		ArrayType *seen = DatumGetArrayTypeP(
		    SPI_getbinval(SPI_tuptable->vals[u], SPI_tuptable->tupdesc, 4, &isnull));
		int count = ArrayGetNItems(ARR_NDIM(seen), ARR_DIMS(seen));
		const int64 *ids = (const int64 *)ARR_DATA_PTR(seen);
		size_t end = out->seen_ptr[u];
		if (end + count > seen_capacity)
		{
			seen_capacity = Max(seen_capacity * 2, end + count);
			out->seen_index =
			    (int32 *)repalloc_huge(out->seen_index, sizeof(int32) * seen_capacity);
		}
		for (int j = 0; j < count; j++)
		{
			int64 index = dense_index(out->item_ids, out->items, ids[j]);
			if (index >= 0)
				out->seen_index[end++] = (int32)index;
		}
		out->seen_ptr[u + 1] = end;
	}
	SPI_freetuptable(SPI_tuptable);
	out->users = users.count;
	out->user_ids = users.ids;
	out->user_factors = users.factors;
	out->user_bias = users.bias;
}
