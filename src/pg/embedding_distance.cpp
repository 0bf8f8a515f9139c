// Distances and similarities between embeddings, and the norm: the functions behind the
// <#>, <=>, <->, <+> operators. Cosine is NULL when either vector is zero.
#include "embedding.h"

#include "../core/kernels.h"

#include <cmath>

PGREC_FUNCTION(embedding_inner_product)
PGREC_FUNCTION(embedding_negative_inner_product)
PGREC_FUNCTION(embedding_cosine_similarity)
PGREC_FUNCTION(embedding_cosine_distance)
PGREC_FUNCTION(embedding_l2_distance)
PGREC_FUNCTION(embedding_l1_distance)
PGREC_FUNCTION(embedding_l2_norm)

// Reads the two embedding arguments, ereporting 22000 if their dimensions differ.
#define GET_TWO_EMBEDDINGS(a, b)                                                                   \
	Embedding *a = PG_GETARG_EMBEDDING_P(0);                                                       \
	Embedding *b = PG_GETARG_EMBEDDING_P(1);                                                       \
	check_same_dims(a, b)

// The kernels accumulate in float; these redo a sum in double when it overflowed, so huge
// elements give the right distance instead of Infinity.
static double dot(const Embedding *a, const Embedding *b)
{
	float s = pgrec::dot_product(a->x, b->x, a->dim);
	return std::isfinite(s) ? s : pgrec::dot_product_double(a->x, b->x, a->dim);
}

static double l2_squared(const Embedding *a, const Embedding *b)
{
	float s = pgrec::l2_squared_distance(a->x, b->x, a->dim);
	return std::isfinite(s) ? s : pgrec::l2_squared_distance_double(a->x, b->x, a->dim);
}

static double l1(const Embedding *a, const Embedding *b)
{
	float s = pgrec::l1_distance(a->x, b->x, a->dim);
	return std::isfinite(s) ? s : pgrec::l1_distance_double(a->x, b->x, a->dim);
}

// Cosine similarity clamped to [-1, 1], or false when a vector is zero (no defined angle).
static bool cosine_similarity(const Embedding *a, const Embedding *b, double *similarity)
{
	pgrec::CosineParts p = pgrec::cosine_parts(a->x, b->x, a->dim);
	double product = (double)p.dot, norm_a = p.norm_a, norm_b = p.norm_b;

	// Recompute in double when a float sum overflowed or underflowed to zero.
	if (!(p.norm_a > 0.0f && std::isfinite(p.norm_a) && p.norm_b > 0.0f && std::isfinite(p.norm_b)))
	{
		product = pgrec::dot_product_double(a->x, b->x, a->dim);
		norm_a = pgrec::dot_product_double(a->x, a->x, a->dim);
		norm_b = pgrec::dot_product_double(b->x, b->x, b->dim);
	}
	double denominator = std::sqrt(norm_a * norm_b);
	if (!(denominator > 0.0))
		return false;
	*similarity = std::fmax(-1.0, std::fmin(1.0, product / denominator));
	return true;
}

// inner_product(embedding, embedding) -> float8
Datum embedding_inner_product(PG_FUNCTION_ARGS)
{
	GET_TWO_EMBEDDINGS(a, b);
	PG_RETURN_FLOAT8(dot(a, b));
}

// embedding <#> embedding: the negative inner product, so ascending order is best first.
Datum embedding_negative_inner_product(PG_FUNCTION_ARGS)
{
	GET_TWO_EMBEDDINGS(a, b);
	PG_RETURN_FLOAT8(-dot(a, b));
}

// cosine_similarity(embedding, embedding) -> float8, NULL for a zero vector
Datum embedding_cosine_similarity(PG_FUNCTION_ARGS)
{
	GET_TWO_EMBEDDINGS(a, b);
	double similarity;
	if (!cosine_similarity(a, b, &similarity))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(similarity);
}

// embedding <=> embedding: 1 - cosine similarity, NULL for a zero vector
Datum embedding_cosine_distance(PG_FUNCTION_ARGS)
{
	GET_TWO_EMBEDDINGS(a, b);
	double similarity;
	if (!cosine_similarity(a, b, &similarity))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(1.0 - similarity);
}

// embedding <-> embedding: Euclidean distance
Datum embedding_l2_distance(PG_FUNCTION_ARGS)
{
	GET_TWO_EMBEDDINGS(a, b);
	PG_RETURN_FLOAT8(std::sqrt(l2_squared(a, b)));
}

// embedding <+> embedding: taxicab (L1) distance
Datum embedding_l1_distance(PG_FUNCTION_ARGS)
{
	GET_TWO_EMBEDDINGS(a, b);
	PG_RETURN_FLOAT8(l1(a, b));
}

// l2_norm(embedding) -> float8
Datum embedding_l2_norm(PG_FUNCTION_ARGS)
{
	Embedding *a = PG_GETARG_EMBEDDING_P(0);
	PG_RETURN_FLOAT8(std::sqrt(pgrec::dot_product_double(a->x, a->x, a->dim)));
}
