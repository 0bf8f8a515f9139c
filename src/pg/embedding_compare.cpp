// Total order and hashing of embeddings, for the btree and hash operator classes: DISTINCT,
// GROUP BY, UNION, unique indexes, merge and hash joins. Never ereports.
#include "embedding.h"

extern "C"
{
#include "common/hashfn.h"
}

#include <cmath>

PGREC_FUNCTION(embedding_cmp)
PGREC_FUNCTION(embedding_lt)
PGREC_FUNCTION(embedding_le)
PGREC_FUNCTION(embedding_eq)
PGREC_FUNCTION(embedding_ne)
PGREC_FUNCTION(embedding_ge)
PGREC_FUNCTION(embedding_gt)
PGREC_FUNCTION(embedding_hash)
PGREC_FUNCTION(embedding_hash_extended)

// Orders element by element, then the shorter first; -0 equals 0, as for real.
static int compare(const Embedding *a, const Embedding *b)
{
	int common = Min(a->dim, b->dim);

	for (int i = 0; i < common; i++)
	{
		if (a->x[i] < b->x[i])
			return -1;
		if (a->x[i] > b->x[i])
			return 1;
	}
	return (a->dim > b->dim) - (a->dim < b->dim);
}

// Reads both arguments, compares them and frees detoasted copies.
static int compare_args(FunctionCallInfo fcinfo)
{
	Embedding *a = PG_GETARG_EMBEDDING_P(0);
	Embedding *b = PG_GETARG_EMBEDDING_P(1);
	int result = compare(a, b);

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return result;
}

Datum embedding_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(compare_args(fcinfo));
}

Datum embedding_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_args(fcinfo) < 0);
}

Datum embedding_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_args(fcinfo) <= 0);
}

Datum embedding_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_args(fcinfo) == 0);
}

Datum embedding_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_args(fcinfo) != 0);
}

Datum embedding_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_args(fcinfo) >= 0);
}

Datum embedding_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_args(fcinfo) > 0);
}

// Hashes the elements with -0 folded into 0, so that equal embeddings hash alike.
static uint64 hash_embedding(const Embedding *e, uint64 seed)
{
	size_t size = sizeof(float) * e->dim;
	const float *data = e->x;
	float *folded = NULL;

	for (int i = 0; i < e->dim; i++)
	{
		if (e->x[i] == 0.0f && std::signbit(e->x[i]))
		{
			folded = (float *)palloc(size);
			for (int j = 0; j < e->dim; j++)
				folded[j] = e->x[j] == 0.0f ? 0.0f : e->x[j];
			data = folded;
			break;
		}
	}
	uint64 h = hash_bytes_extended((const unsigned char *)data, (int)size, seed);
	if (folded)
		pfree(folded);
	return h;
}

// embedding_hash(embedding) -> int4, support function 1 of the hash opclass
Datum embedding_hash(PG_FUNCTION_ARGS)
{
	Embedding *e = PG_GETARG_EMBEDDING_P(0);
	PG_RETURN_INT32((int32)hash_embedding(e, 0));
}

// embedding_hash_extended(embedding, int8) -> int8, support function 2 (hash partitioning)
Datum embedding_hash_extended(PG_FUNCTION_ARGS)
{
	Embedding *e = PG_GETARG_EMBEDDING_P(0);
	PG_RETURN_INT64((int64)hash_embedding(e, (uint64)PG_GETARG_INT64(1)));
}
