-- pgrec extension script, part: Distances, functions and operators of the embedding type, btree and hash operator classes, sum and avg.
-- Concatenated in file-name order into pgrec--<version>.sql by the Makefile.

-- Distances, similarities and norms. COST 10: an O(dimensions) scan, so that cheaper
-- predicates of the same WHERE clause are evaluated first.

CREATE FUNCTION inner_product(embedding, embedding) RETURNS double precision
	AS 'MODULE_PATHNAME', 'embedding_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION embedding_negative_inner_product(embedding, embedding) RETURNS double precision
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION cosine_similarity(embedding, embedding) RETURNS double precision
	AS 'MODULE_PATHNAME', 'embedding_cosine_similarity' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION cosine_distance(embedding, embedding) RETURNS double precision
	AS 'MODULE_PATHNAME', 'embedding_cosine_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION l2_distance(embedding, embedding) RETURNS double precision
	AS 'MODULE_PATHNAME', 'embedding_l2_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION l1_distance(embedding, embedding) RETURNS double precision
	AS 'MODULE_PATHNAME', 'embedding_l1_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION l2_norm(embedding) RETURNS double precision
	AS 'MODULE_PATHNAME', 'embedding_l2_norm' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;

COMMENT ON FUNCTION inner_product(embedding, embedding) IS 'dot product';
COMMENT ON FUNCTION embedding_negative_inner_product(embedding, embedding) IS 'negative dot product, the <#> operator';
COMMENT ON FUNCTION cosine_similarity(embedding, embedding) IS 'cosine of the angle; NULL when either vector is zero';
COMMENT ON FUNCTION cosine_distance(embedding, embedding) IS '1 - cosine similarity; NULL when either vector is zero';
COMMENT ON FUNCTION l2_distance(embedding, embedding) IS 'Euclidean distance';
COMMENT ON FUNCTION l1_distance(embedding, embedding) IS 'taxicab (L1) distance';
COMMENT ON FUNCTION l2_norm(embedding) IS 'Euclidean norm';

CREATE OPERATOR <#> (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = embedding_negative_inner_product, COMMUTATOR = '<#>');
CREATE OPERATOR <=> (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = cosine_distance, COMMUTATOR = '<=>');
CREATE OPERATOR <-> (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = l2_distance, COMMUTATOR = '<->');
CREATE OPERATOR <+> (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = l1_distance, COMMUTATOR = '<+>');

COMMENT ON OPERATOR <#> (embedding, embedding) IS 'negative inner product: ascending order puts the largest dot product first';
COMMENT ON OPERATOR <=> (embedding, embedding) IS 'cosine distance; NULL when either vector is zero';
COMMENT ON OPERATOR <-> (embedding, embedding) IS 'Euclidean distance';
COMMENT ON OPERATOR <+> (embedding, embedding) IS 'taxicab (L1) distance';

-- Functions that build embeddings

CREATE FUNCTION dims(embedding) RETURNS integer
	AS 'MODULE_PATHNAME', 'embedding_dims' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION l2_normalize(embedding) RETURNS embedding
	AS 'MODULE_PATHNAME', 'embedding_l2_normalize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION subvector(embedding, integer, integer) RETURNS embedding
	AS 'MODULE_PATHNAME', 'embedding_subvector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 5;
CREATE FUNCTION embedding_add(embedding, embedding) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION embedding_subtract(embedding, embedding) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION embedding_multiply(embedding, embedding) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION embedding_scale(embedding, double precision) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION embedding_scale_left(double precision, embedding) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
CREATE FUNCTION embedding_concat(embedding, embedding) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 5;

COMMENT ON FUNCTION dims(embedding) IS 'number of dimensions';
COMMENT ON FUNCTION l2_normalize(embedding) IS 'unit vector of the same direction; NULL for a zero vector';
COMMENT ON FUNCTION subvector(embedding, integer, integer) IS 'subvector(e, start, count): count elements from 1-based start';
COMMENT ON FUNCTION embedding_add(embedding, embedding) IS 'element-wise sum, the + operator';
COMMENT ON FUNCTION embedding_subtract(embedding, embedding) IS 'element-wise difference, the - operator';
COMMENT ON FUNCTION embedding_multiply(embedding, embedding) IS 'element-wise product, the * operator';
COMMENT ON FUNCTION embedding_scale(embedding, double precision) IS 'every element times a number, the * operator';
COMMENT ON FUNCTION embedding_scale_left(double precision, embedding) IS 'a number times every element, the * operator';
COMMENT ON FUNCTION embedding_concat(embedding, embedding) IS 'concatenation, the || operator';

CREATE OPERATOR + (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = embedding_add, COMMUTATOR = +);
CREATE OPERATOR - (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = embedding_subtract);
CREATE OPERATOR * (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = embedding_multiply, COMMUTATOR = *);
CREATE OPERATOR * (LEFTARG = embedding, RIGHTARG = double precision,
	FUNCTION = embedding_scale, COMMUTATOR = *);
CREATE OPERATOR * (LEFTARG = double precision, RIGHTARG = embedding,
	FUNCTION = embedding_scale_left, COMMUTATOR = *);
CREATE OPERATOR || (LEFTARG = embedding, RIGHTARG = embedding,
	FUNCTION = embedding_concat);

COMMENT ON OPERATOR + (embedding, embedding) IS 'element-wise sum';
COMMENT ON OPERATOR - (embedding, embedding) IS 'element-wise difference';
COMMENT ON OPERATOR * (embedding, embedding) IS 'element-wise product';
COMMENT ON OPERATOR * (embedding, double precision) IS 'every element times a number';
COMMENT ON OPERATOR * (double precision, embedding) IS 'a number times every element';
COMMENT ON OPERATOR || (embedding, embedding) IS 'concatenation';

-- Comparison, for btree and hash operator classes

CREATE FUNCTION embedding_cmp(embedding, embedding) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_lt(embedding, embedding) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_le(embedding, embedding) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_eq(embedding, embedding) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_ne(embedding, embedding) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_ge(embedding, embedding) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_gt(embedding, embedding) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_hash(embedding) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_hash_extended(embedding, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION embedding_cmp(embedding, embedding) IS 'btree comparison: element by element, then the shorter first';
COMMENT ON FUNCTION embedding_lt(embedding, embedding) IS 'the < operator';
COMMENT ON FUNCTION embedding_le(embedding, embedding) IS 'the <= operator';
COMMENT ON FUNCTION embedding_eq(embedding, embedding) IS 'the = operator';
COMMENT ON FUNCTION embedding_ne(embedding, embedding) IS 'the <> operator';
COMMENT ON FUNCTION embedding_ge(embedding, embedding) IS 'the >= operator';
COMMENT ON FUNCTION embedding_gt(embedding, embedding) IS 'the > operator';
COMMENT ON FUNCTION embedding_hash(embedding) IS 'hash for the hash operator class';
COMMENT ON FUNCTION embedding_hash_extended(embedding, bigint) IS 'seeded 64-bit hash, for hash partitioning';

CREATE OPERATOR < (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_lt,
	COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR <= (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_le,
	COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR = (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR <> (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR >= (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_ge,
	COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel);
CREATE OPERATOR > (LEFTARG = embedding, RIGHTARG = embedding, FUNCTION = embedding_gt,
	COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel);

COMMENT ON OPERATOR < (embedding, embedding) IS 'less than';
COMMENT ON OPERATOR <= (embedding, embedding) IS 'less than or equal';
COMMENT ON OPERATOR = (embedding, embedding) IS 'equal';
COMMENT ON OPERATOR <> (embedding, embedding) IS 'not equal';
COMMENT ON OPERATOR >= (embedding, embedding) IS 'greater than or equal';
COMMENT ON OPERATOR > (embedding, embedding) IS 'greater than';

CREATE OPERATOR CLASS embedding_ops DEFAULT FOR TYPE embedding USING btree AS
	OPERATOR 1 <,
	OPERATOR 2 <=,
	OPERATOR 3 =,
	OPERATOR 4 >=,
	OPERATOR 5 >,
	FUNCTION 1 embedding_cmp(embedding, embedding);

CREATE OPERATOR CLASS embedding_ops DEFAULT FOR TYPE embedding USING hash AS
	OPERATOR 1 =,
	FUNCTION 1 embedding_hash(embedding),
	FUNCTION 2 embedding_hash_extended(embedding, bigint);

COMMENT ON OPERATOR CLASS embedding_ops USING btree IS 'total order of embeddings: ORDER BY, DISTINCT, unique indexes, merge joins';
COMMENT ON OPERATOR CLASS embedding_ops USING hash IS 'hashing of embeddings: hash joins, hash aggregation, hash partitioning';
COMMENT ON OPERATOR FAMILY embedding_ops USING btree IS 'btree operators of embedding';
COMMENT ON OPERATOR FAMILY embedding_ops USING hash IS 'hash operators of embedding';

-- Aggregates; the state is {count, sum_1, ..., sum_dim} as double precision[]

CREATE FUNCTION embedding_accum(double precision[], embedding) RETURNS double precision[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_combine(double precision[], double precision[]) RETURNS double precision[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_sum_final(double precision[]) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_avg_final(double precision[]) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION embedding_accum(double precision[], embedding) IS 'transition function of sum(embedding) and avg(embedding)';
COMMENT ON FUNCTION embedding_combine(double precision[], double precision[]) IS 'combines partial states of sum(embedding) and avg(embedding)';
COMMENT ON FUNCTION embedding_sum_final(double precision[]) IS 'final function of sum(embedding)';
COMMENT ON FUNCTION embedding_avg_final(double precision[]) IS 'final function of avg(embedding)';

CREATE AGGREGATE sum(embedding) (
	SFUNC = embedding_accum,
	STYPE = double precision[],
	FINALFUNC = embedding_sum_final,
	COMBINEFUNC = embedding_combine,
	INITCOND = '{0}',
	PARALLEL = SAFE
);

CREATE AGGREGATE avg(embedding) (
	SFUNC = embedding_accum,
	STYPE = double precision[],
	FINALFUNC = embedding_avg_final,
	COMBINEFUNC = embedding_combine,
	INITCOND = '{0}',
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE sum(embedding) IS 'element-wise sum of embeddings';
COMMENT ON AGGREGATE avg(embedding) IS 'element-wise mean of embeddings, e.g. a user profile from the items they liked';
