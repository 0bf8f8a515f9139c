// The embedding type's on-disk layout and the helpers every embedding function shares:
// construction, argument access, and the checks that raise the type's errors.
#pragma once

#include "postgres_headers.h"

#include "../core/embedding_text.h"

// A varlena: header, dimension count, a reserved field that must be zero, then the floats.
struct Embedding
{
	int32 vl_len_;
	int16 dim;
	int16 unused;
	float x[FLEXIBLE_ARRAY_MEMBER];
};

#define EMBEDDING_MAX_DIM        pgrec::kEmbeddingMaxDim
#define EMBEDDING_SIZE(dim)      (offsetof(Embedding, x) + sizeof(float) * (size_t)(dim))
#define DatumGetEmbeddingP(d)    ((Embedding *)PG_DETOAST_DATUM(d))
#define PG_GETARG_EMBEDDING_P(n) DatumGetEmbeddingP(PG_GETARG_DATUM(n))
#define PG_RETURN_EMBEDDING_P(e) PG_RETURN_POINTER(e)

// Allocates a zeroed embedding of dim dimensions in CurrentMemoryContext; ereports if dim is
// not between 1 and EMBEDDING_MAX_DIM.
Embedding *new_embedding(int dim);

// Ereports ERROR 22000 unless a and b have the same number of dimensions.
void check_same_dims(const Embedding *a, const Embedding *b);

// Ereports ERROR 22000 if typmod is set (not -1) and differs from dim.
void check_typmod(int dim, int32 typmod);

// Ereports unless dim is a valid dimension count (22000 below 1, 54000 above the maximum).
void check_dim_count(int dim);

// Ereports ERROR 22000 if value is NaN or infinite; element is 1-based, for the message.
void check_element(float value, int element);

// Returns value, or ereports 22003 if the float arithmetic that made it overflowed (infinite
// result) or underflowed (zero result although nonzero_expected).
float checked_float(float value, bool nonzero_expected);

// Narrows a double to float4 as PostgreSQL's float8-to-float4 cast does: 22003 on overflow, or
// on underflow of a nonzero value.
float float_from_double(double value);
