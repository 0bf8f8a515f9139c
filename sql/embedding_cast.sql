-- Casts between embedding and arrays.
SELECT ARRAY[1,2,3]::embedding, ARRAY[1.5,2.5]::real[]::embedding,
	ARRAY[0.1,0.2]::double precision[]::embedding, ARRAY[1.25,-2]::numeric[]::embedding;
SELECT '[1,2.5,-3]'::embedding::real[], '[0.1,2.5]'::embedding::double precision[];
SELECT ARRAY[1,2,3]::embedding(3);
-- Assignment casts work in INSERT without an explicit cast.
CREATE TABLE from_arrays (e embedding, r real[], d double precision[]);
INSERT INTO from_arrays (e) VALUES (ARRAY[1,2]), (ARRAY[1.5::real]), (ARRAY[2.5::float8]), (ARRAY[3.5::numeric]);
INSERT INTO from_arrays (r, d) SELECT '[7,8]'::embedding, '[9,10]'::embedding;
SELECT * FROM from_arrays;
-- Arrays that cannot be embeddings.
SELECT error_of($$SELECT ARRAY[1,NULL,3]::embedding$$);
SELECT error_of($$SELECT ARRAY[[1,2],[3,4]]::embedding$$);
SELECT error_of($$SELECT '{}'::real[]::embedding$$);
SELECT error_of($$SELECT ARRAY[1,2,3]::embedding(2)$$);
SELECT error_of($$SELECT ARRAY['NaN'::real]::embedding$$);
SELECT error_of($$SELECT ARRAY[1, 'Infinity'::float8]::embedding$$);
SELECT error_of($$SELECT ARRAY[1, 1e300::float8]::embedding$$);
SELECT error_of($$SELECT ARRAY[1, 1e-300::float8]::embedding$$);
SELECT error_of($$SELECT ARRAY[1, 'NaN'::numeric]::embedding$$);
SELECT error_of($$SELECT ARRAY[1e39::numeric]::embedding$$);
SELECT error_of($$SELECT array_fill(1, ARRAY[16001])::embedding$$);
-- No implicit cast from embedding to arrays, so array operators do not apply by accident.
SELECT error_of($$SELECT array_length('[1,2]'::embedding, 1)$$);
