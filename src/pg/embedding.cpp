// Construction of embeddings and the checks shared by every embedding function.
// Each helper may ereport; results are palloc'd in CurrentMemoryContext.
#include "embedding.h"

#include <cmath>

Embedding *new_embedding(int dim)
{
	check_dim_count(dim);
	Size size = EMBEDDING_SIZE(dim);
	Embedding *result = (Embedding *)palloc0(size);
	SET_VARSIZE(result, size);
	result->dim = (int16)dim;
	return result;
}

void check_dim_count(int dim)
{
	if (dim < 1)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("embedding must have at least 1 dimension")));
	if (dim > EMBEDDING_MAX_DIM)
		ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
		                errmsg("embedding cannot have more than %d dimensions", EMBEDDING_MAX_DIM),
		                errdetail("The result would have %d dimensions.", dim)));
}

void check_same_dims(const Embedding *a, const Embedding *b)
{
	if (a->dim != b->dim)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("different embedding dimensions %d and %d", a->dim, b->dim)));
}

void check_typmod(int dim, int32 typmod)
{
	if (typmod != -1 && dim != typmod)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("expected %d dimensions, not %d", typmod, dim)));
}

void check_element(float value, int element)
{
	if (std::isnan(value))
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("NaN not allowed in embedding"),
		                errdetail("Element %d is NaN.", element)));
	if (std::isinf(value))
		ereport(ERROR,
		        (errcode(ERRCODE_DATA_EXCEPTION), errmsg("infinite value not allowed in embedding"),
		         errdetail("Element %d is infinite.", element)));
}

float checked_float(float value, bool nonzero_expected)
{
	if (std::isinf(value))
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
		                errmsg("value out of range: overflow")));
	if (value == 0.0f && nonzero_expected)
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
		                errmsg("value out of range: underflow")));
	return value;
}

float float_from_double(double value)
{
	return checked_float((float)value, value != 0.0);
}
