-- pgrec extension script, part: The embedding type: I/O functions, the type, its casts.
-- Concatenated in file-name order into pgrec--<version>.sql by the Makefile.

-- The embedding type

CREATE TYPE embedding;

CREATE FUNCTION embedding_in(cstring, oid, integer) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_out(embedding) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_typmod_in(cstring[]) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_typmod_out(integer) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_recv(internal, oid, integer) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_send(embedding) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE embedding (
	INPUT = embedding_in,
	OUTPUT = embedding_out,
	TYPMOD_IN = embedding_typmod_in,
	TYPMOD_OUT = embedding_typmod_out,
	RECEIVE = embedding_recv,
	SEND = embedding_send,
	STORAGE = external
);

COMMENT ON TYPE embedding IS 'vector of float4 values, up to 16000 dimensions; embedding(n) fixes n';
COMMENT ON FUNCTION embedding_in(cstring, oid, integer) IS 'reads the text form [x1, x2, ...]';
COMMENT ON FUNCTION embedding_out(embedding) IS 'writes the text form with shortest round-trip digits';
COMMENT ON FUNCTION embedding_typmod_in(cstring[]) IS 'reads the dimension count of embedding(n)';
COMMENT ON FUNCTION embedding_typmod_out(integer) IS 'writes the dimension count of embedding(n)';
COMMENT ON FUNCTION embedding_recv(internal, oid, integer) IS 'reads the binary form';
COMMENT ON FUNCTION embedding_send(embedding) IS 'writes the binary form';

-- Casts

CREATE FUNCTION embedding(embedding, integer, boolean) RETURNS embedding
	AS 'MODULE_PATHNAME', 'embedding_typmod_cast' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION array_to_embedding(integer[], integer, boolean) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION array_to_embedding(real[], integer, boolean) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION array_to_embedding(double precision[], integer, boolean) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION array_to_embedding(numeric[], integer, boolean) RETURNS embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_to_float4_array(embedding, integer, boolean) RETURNS real[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION embedding_to_float8_array(embedding, integer, boolean) RETURNS double precision[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE CAST (embedding AS embedding) WITH FUNCTION embedding(embedding, integer, boolean) AS IMPLICIT;
CREATE CAST (integer[] AS embedding) WITH FUNCTION array_to_embedding(integer[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (real[] AS embedding) WITH FUNCTION array_to_embedding(real[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (double precision[] AS embedding) WITH FUNCTION array_to_embedding(double precision[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (numeric[] AS embedding) WITH FUNCTION array_to_embedding(numeric[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (embedding AS real[]) WITH FUNCTION embedding_to_float4_array(embedding, integer, boolean) AS ASSIGNMENT;
CREATE CAST (embedding AS double precision[]) WITH FUNCTION embedding_to_float8_array(embedding, integer, boolean) AS ASSIGNMENT;

COMMENT ON FUNCTION embedding(embedding, integer, boolean) IS 'checks the dimension count of embedding(n)';
COMMENT ON FUNCTION array_to_embedding(integer[], integer, boolean) IS 'converts a 1-D integer array without NULLs';
COMMENT ON FUNCTION array_to_embedding(real[], integer, boolean) IS 'converts a 1-D real array without NULLs';
COMMENT ON FUNCTION array_to_embedding(double precision[], integer, boolean) IS 'converts a 1-D double precision array without NULLs';
COMMENT ON FUNCTION array_to_embedding(numeric[], integer, boolean) IS 'converts a 1-D numeric array without NULLs';
COMMENT ON FUNCTION embedding_to_float4_array(embedding, integer, boolean) IS 'converts to real[]';
COMMENT ON FUNCTION embedding_to_float8_array(embedding, integer, boolean) IS 'converts to double precision[]';
COMMENT ON CAST (embedding AS embedding) IS 'enforces the dimension count of embedding(n)';
COMMENT ON CAST (integer[] AS embedding) IS 'integer array to embedding';
COMMENT ON CAST (real[] AS embedding) IS 'real array to embedding';
COMMENT ON CAST (double precision[] AS embedding) IS 'double precision array to embedding';
COMMENT ON CAST (numeric[] AS embedding) IS 'numeric array to embedding';
COMMENT ON CAST (embedding AS real[]) IS 'embedding to real array';
COMMENT ON CAST (embedding AS double precision[]) IS 'embedding to double precision array';
