// Casts of the embedding type: from real[], double precision[], integer[] and numeric[], to
// real[] and double precision[], and to embedding(n) for the typmod. All may ereport.
#include "embedding.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
}

#include <cmath>

PGREC_FUNCTION(array_to_embedding)
PGREC_FUNCTION(embedding_to_float4_array)
PGREC_FUNCTION(embedding_to_float8_array)
PGREC_FUNCTION(embedding_typmod_cast)

// Converts one array element to float4, ereporting when it does not fit.
static float element_to_float(Datum d, Oid element_type, int element)
{
	float value;

	switch (element_type)
	{
	case INT4OID:
		value = (float)DatumGetInt32(d);
		break;
	case FLOAT4OID:
		value = DatumGetFloat4(d);
		break;
	case FLOAT8OID:
	{
		double v = DatumGetFloat8(d);
		value = (float)v;
		if (std::isfinite(v) && (std::isinf(value) || (value == 0.0f && v != 0.0)))
			ereport(ERROR,
			        (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			         errmsg("value %g is out of range for type real", v),
			         errdetail("Element %d of the array overflows or underflows.", element)));
		break;
	}
	case NUMERICOID:
		value = DatumGetFloat4(DirectFunctionCall1(numeric_float4, d));
		break;
	default:
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
		                errmsg("cannot cast an array of type %s to embedding",
		                       format_type_be(element_type))));
	}
	check_element(value, element);
	return value;
}

// array_to_embedding(anyarray, typmod, explicit): a 1-D array without NULLs to an embedding.
Datum array_to_embedding(PG_FUNCTION_ARGS)
{
	ArrayType *array = PG_GETARG_ARRAYTYPE_P(0);
	int32 typmod = PG_GETARG_INT32(1);
	Oid element_type = ARR_ELEMTYPE(array);
	int16 typlen;
	bool typbyval;
	char typalign;
	Datum *elements;
	bool *nulls;
	int count;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("array must be 1-D"),
		                errdetail("The array has %d dimensions.", ARR_NDIM(array))));
	if (array_contains_nulls(array))
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("array must not contain nulls")));

	get_typlenbyvalalign(element_type, &typlen, &typbyval, &typalign);
	deconstruct_array(array, element_type, typlen, typbyval, typalign, &elements, &nulls, &count);
	check_dim_count(count);
	check_typmod(count, typmod);

	Embedding *result = new_embedding(count);
	for (int i = 0; i < count; i++)
		result->x[i] = element_to_float(elements[i], element_type, i + 1);
	PG_RETURN_EMBEDDING_P(result);
}

// Builds a one-dimensional array of the embedding's values as float4 or float8.
static ArrayType *embedding_to_array(const Embedding *e, Oid element_type)
{
	Datum *datums = (Datum *)palloc(sizeof(Datum) * e->dim);

	for (int i = 0; i < e->dim; i++)
		datums[i] =
		    element_type == FLOAT4OID ? Float4GetDatum(e->x[i]) : Float8GetDatum((double)e->x[i]);
	return element_type == FLOAT4OID
	           ? construct_array(datums, e->dim, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT)
	           : construct_array(datums, e->dim, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
	                             TYPALIGN_DOUBLE);
}

// embedding_to_float4_array(embedding, typmod, explicit) -> real[]
Datum embedding_to_float4_array(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(embedding_to_array(PG_GETARG_EMBEDDING_P(0), FLOAT4OID));
}

// embedding_to_float8_array(embedding, typmod, explicit) -> double precision[]
Datum embedding_to_float8_array(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(embedding_to_array(PG_GETARG_EMBEDDING_P(0), FLOAT8OID));
}

// embedding_typmod_cast(embedding, typmod, explicit): checks the length for embedding(n).
Datum embedding_typmod_cast(PG_FUNCTION_ARGS)
{
	Embedding *e = PG_GETARG_EMBEDDING_P(0);

	check_typmod(e->dim, PG_GETARG_INT32(1));
	PG_RETURN_EMBEDDING_P(e);
}
