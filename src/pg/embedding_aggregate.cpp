// sum(embedding) and avg(embedding). The state is a float8[] {count, sum_1, ..., sum_dim}, so
// parallel aggregation needs no serialisation; accumulating updates it in place.
#include "embedding.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "utils/array.h"
}

PGREC_FUNCTION(embedding_accum)
PGREC_FUNCTION(embedding_combine)
PGREC_FUNCTION(embedding_sum_final)
PGREC_FUNCTION(embedding_avg_final)

// The state's values, after checking it is a 1-D float8 array without NULLs.
static float8 *state_values(ArrayType *state, int *count)
{
	if (ARR_NDIM(state) != 1 || ARR_HASNULL(state) || ARR_ELEMTYPE(state) != FLOAT8OID ||
	    ARR_DIMS(state)[0] < 1)
		ereport(ERROR,
		        (errcode(ERRCODE_DATA_EXCEPTION), errmsg("invalid embedding aggregate state"),
		         errdetail("The state must be a one-dimensional float8 array without NULLs.")));
	*count = ARR_DIMS(state)[0];
	return (float8 *)ARR_DATA_PTR(state);
}

// A new state {count, sums...} with dim sums, in CurrentMemoryContext.
static ArrayType *new_state(int dim, float8 count, const float8 *sums)
{
	Datum *datums = (Datum *)palloc(sizeof(Datum) * (dim + 1));

	datums[0] = Float8GetDatum(count);
	for (int i = 0; i < dim; i++)
		datums[i + 1] = Float8GetDatum(sums ? sums[i] : 0.0);
	return construct_array(datums, dim + 1, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
	                       TYPALIGN_DOUBLE);
}

// Ereports 22000 when a state of state_dim sums meets a value of value_dim dimensions.
static void check_state_dims(int state_dim, int value_dim)
{
	if (state_dim != value_dim)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("different embedding dimensions %d and %d", state_dim, value_dim)));
}

// embedding_accum(float8[], embedding) -> float8[]: adds one embedding to the state. Inside an
// aggregate the state is ours and is updated in place after its first allocation.
Datum embedding_accum(PG_FUNCTION_ARGS)
{
	ArrayType *state = PG_GETARG_ARRAYTYPE_P(0);
	Embedding *e = PG_GETARG_EMBEDDING_P(1);
	int length;
	float8 *values = state_values(state, &length);

	if (values[0] == 0.0 || !AggCheckCallContext(fcinfo, NULL))
	{
		int dim = values[0] == 0.0 ? e->dim : length - 1;
		check_state_dims(dim, e->dim);
		state = new_state(dim, values[0], values[0] == 0.0 ? NULL : values + 1);
		values = (float8 *)ARR_DATA_PTR(state);
	}
	check_state_dims(ARR_DIMS(state)[0] - 1, e->dim);
	values[0] += 1.0;
	for (int i = 0; i < e->dim; i++)
		values[i + 1] += e->x[i];
	PG_RETURN_ARRAYTYPE_P(state);
}

// embedding_combine(float8[], float8[]) -> float8[]: merges two partial states.
Datum embedding_combine(PG_FUNCTION_ARGS)
{
	ArrayType *state1 = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType *state2 = PG_GETARG_ARRAYTYPE_P(1);
	int length1, length2;
	float8 *values1 = state_values(state1, &length1);
	float8 *values2 = state_values(state2, &length2);

	if (values2[0] == 0.0)
		PG_RETURN_ARRAYTYPE_P(new_state(length1 - 1, values1[0], values1 + 1));
	if (values1[0] == 0.0)
		PG_RETURN_ARRAYTYPE_P(new_state(length2 - 1, values2[0], values2 + 1));
	check_state_dims(length1 - 1, length2 - 1);
	ArrayType *result = new_state(length1 - 1, values1[0] + values2[0], values1 + 1);
	float8 *sums = (float8 *)ARR_DATA_PTR(result) + 1;
	for (int i = 0; i < length1 - 1; i++)
		sums[i] += values2[i + 1];
	PG_RETURN_ARRAYTYPE_P(result);
}

// Turns a state into the embedding of its sums (or their mean); NULL for an empty state.
static Datum state_to_embedding(FunctionCallInfo fcinfo, bool average)
{
	int length;
	float8 *values = state_values(PG_GETARG_ARRAYTYPE_P(0), &length);

	if (values[0] == 0.0)
		PG_RETURN_NULL();
	Embedding *result = new_embedding(length - 1);
	for (int i = 0; i < result->dim; i++)
		result->x[i] = float_from_double(average ? values[i + 1] / values[0] : values[i + 1]);
	PG_RETURN_EMBEDDING_P(result);
}

// embedding_sum_final(float8[]) -> embedding
Datum embedding_sum_final(PG_FUNCTION_ARGS)
{
	return state_to_embedding(fcinfo, false);
}

// embedding_avg_final(float8[]) -> embedding
Datum embedding_avg_final(PG_FUNCTION_ARGS)
{
	return state_to_embedding(fcinfo, true);
}
