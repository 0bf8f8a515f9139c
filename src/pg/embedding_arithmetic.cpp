// Functions that build a new embedding: element-wise + - *, scalar multiply, concatenation,
// subvector, l2_normalize and dims. Results are palloc'd; overflow raises 22003.
#include "embedding.h"

#include "../core/kernels.h"

#include <cmath>

PGREC_FUNCTION(embedding_add)
PGREC_FUNCTION(embedding_subtract)
PGREC_FUNCTION(embedding_multiply)
PGREC_FUNCTION(embedding_scale)
PGREC_FUNCTION(embedding_scale_left)
PGREC_FUNCTION(embedding_concat)
PGREC_FUNCTION(embedding_subvector)
PGREC_FUNCTION(embedding_l2_normalize)
PGREC_FUNCTION(embedding_dims)

// The element-wise operations embedding_binary applies.
enum class ElementOp
{
	Add,
	Subtract,
	Multiply
};

// Applies op to a and b element by element; ereports on different dimensions or overflow.
static Embedding *embedding_binary(const Embedding *a, const Embedding *b, ElementOp op)
{
	check_same_dims(a, b);
	Embedding *result = new_embedding(a->dim);

	for (int i = 0; i < a->dim; i++)
	{
		float x = a->x[i], y = b->x[i];
		switch (op)
		{
		case ElementOp::Add:
			result->x[i] = x + y;
			break;
		case ElementOp::Subtract:
			result->x[i] = x - y;
			break;
		case ElementOp::Multiply:
			result->x[i] = checked_float(x * y, x != 0.0f && y != 0.0f);
			break;
		}
		checked_float(result->x[i], false);
	}
	return result;
}

// embedding + embedding
Datum embedding_add(PG_FUNCTION_ARGS)
{
	PG_RETURN_EMBEDDING_P(
	    embedding_binary(PG_GETARG_EMBEDDING_P(0), PG_GETARG_EMBEDDING_P(1), ElementOp::Add));
}

// embedding - embedding
Datum embedding_subtract(PG_FUNCTION_ARGS)
{
	PG_RETURN_EMBEDDING_P(
	    embedding_binary(PG_GETARG_EMBEDDING_P(0), PG_GETARG_EMBEDDING_P(1), ElementOp::Subtract));
}

// embedding * embedding (element-wise, the Hadamard product)
Datum embedding_multiply(PG_FUNCTION_ARGS)
{
	PG_RETURN_EMBEDDING_P(
	    embedding_binary(PG_GETARG_EMBEDDING_P(0), PG_GETARG_EMBEDDING_P(1), ElementOp::Multiply));
}

// Multiplies every element of e by factor, computed in double and narrowed with checks.
static Embedding *scale(const Embedding *e, double factor)
{
	if (!std::isfinite(factor))
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("cannot multiply an embedding by %g", factor),
		                errdetail("The factor must be a finite number.")));
	Embedding *result = new_embedding(e->dim);
	for (int i = 0; i < e->dim; i++)
		result->x[i] = float_from_double(e->x[i] * factor);
	return result;
}

// embedding * double precision
Datum embedding_scale(PG_FUNCTION_ARGS)
{
	PG_RETURN_EMBEDDING_P(scale(PG_GETARG_EMBEDDING_P(0), PG_GETARG_FLOAT8(1)));
}

// double precision * embedding
Datum embedding_scale_left(PG_FUNCTION_ARGS)
{
	PG_RETURN_EMBEDDING_P(scale(PG_GETARG_EMBEDDING_P(1), PG_GETARG_FLOAT8(0)));
}

// embedding || embedding: the elements of a followed by those of b
Datum embedding_concat(PG_FUNCTION_ARGS)
{
	Embedding *a = PG_GETARG_EMBEDDING_P(0);
	Embedding *b = PG_GETARG_EMBEDDING_P(1);
	Embedding *result = new_embedding(a->dim + b->dim);

	memcpy(result->x, a->x, sizeof(float) * a->dim);
	memcpy(result->x + a->dim, b->x, sizeof(float) * b->dim);
	PG_RETURN_EMBEDDING_P(result);
}

// subvector(embedding, start, count): count elements from 1-based start; the range is clipped
// to the embedding, as substring() clips, and must keep at least one element.
Datum embedding_subvector(PG_FUNCTION_ARGS)
{
	Embedding *e = PG_GETARG_EMBEDDING_P(0);
	int64 start = PG_GETARG_INT32(1);
	int64 count = PG_GETARG_INT32(2);

	if (count < 0)
		ereport(ERROR, (errcode(ERRCODE_SUBSTRING_ERROR),
		                errmsg("negative subvector length not allowed")));
	int64 end = start + count;
	start = Max(start, 1);
	end = Min(end, (int64)e->dim + 1);
	if (end <= start)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("subvector is empty"),
		                errdetail("Elements %lld to %lld of an embedding of %d dimensions select "
		                          "none.",
		                          (long long)PG_GETARG_INT32(1),
		                          (long long)PG_GETARG_INT32(1) + PG_GETARG_INT32(2) - 1, e->dim)));
	Embedding *result = new_embedding((int)(end - start));
	memcpy(result->x, e->x + (start - 1), sizeof(float) * result->dim);
	PG_RETURN_EMBEDDING_P(result);
}

// l2_normalize(embedding): the unit vector of the same direction; NULL for a zero vector
// (no direction), as cosine distance is NULL for it.
Datum embedding_l2_normalize(PG_FUNCTION_ARGS)
{
	Embedding *e = PG_GETARG_EMBEDDING_P(0);
	double norm = std::sqrt(pgrec::dot_product_double(e->x, e->x, e->dim));

	if (norm == 0.0)
		PG_RETURN_NULL();
	Embedding *result = new_embedding(e->dim);
	for (int i = 0; i < e->dim; i++)
		result->x[i] = (float)(e->x[i] / norm);
	PG_RETURN_EMBEDDING_P(result);
}

// dims(embedding) -> integer; fetches only the header of a value stored out of line
Datum embedding_dims(PG_FUNCTION_ARGS)
{
	struct varlena *raw = (struct varlena *)PG_GETARG_POINTER(0);
	Embedding *e =
	    VARATT_IS_EXTENDED(raw)
	        ? (Embedding *)PG_DETOAST_DATUM_SLICE(PointerGetDatum(raw), 0, offsetof(Embedding, x))
	        : (Embedding *)raw;
	PG_RETURN_INT32(e->dim);
}
