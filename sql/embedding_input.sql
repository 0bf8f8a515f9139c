-- Text input and output, typmod, binary send/recv of the embedding type.
SELECT '[1, 2.5, -3e-2]'::embedding;
SELECT '  [ 1 ,2,	3 ]  '::embedding;
SELECT '[+1.5,-0,1e-45,3.4028235e38]'::embedding;
SELECT '[0.1,0.2,0.3]'::embedding::text;
-- Output round-trips exactly: text -> embedding -> text -> embedding is the identity.
SELECT e = e::text::embedding AS round_trips
FROM (SELECT array_to_embedding(array_agg(random()::real), -1, false) AS e
      FROM generate_series(1, 1000)) s;
SELECT dims('[1,2,3]'::embedding), dims(array_fill(1, ARRAY[16000])::embedding);
SELECT NULL::embedding IS NULL AS null_stays_null;
-- Malformed literals: 22P02, saying which element is wrong.
SELECT error_of($$SELECT '1,2'::embedding$$);
SELECT error_of($$SELECT '[1,x,3]'::embedding$$);
SELECT error_of($$SELECT '[1,2x]'::embedding$$);
SELECT error_of($$SELECT '[0x10]'::embedding$$);
SELECT error_of($$SELECT '[1 2]'::embedding$$);
SELECT error_of($$SELECT '[1,]'::embedding$$);
SELECT error_of($$SELECT '[1,2'::embedding$$);
SELECT error_of($$SELECT '['::embedding$$);
SELECT error_of($$SELECT ''::embedding$$);
SELECT error_of($$SELECT '[1,2] x'::embedding$$);
SELECT error_of($$SELECT '[1,,2]'::embedding$$);
-- Values that are not finite floats: 22000 for NaN and infinity, 22003 out of range.
SELECT error_of($$SELECT '[1,NaN]'::embedding$$);
SELECT error_of($$SELECT '[inf,1]'::embedding$$);
SELECT error_of($$SELECT '[1,2,-Infinity]'::embedding$$);
SELECT error_of($$SELECT '[1,1e39]'::embedding$$);
SELECT error_of($$SELECT '[1e-50]'::embedding$$);
-- Dimension limits.
SELECT error_of($$SELECT '[]'::embedding$$);
SELECT error_of($$SELECT ' [ ] '::embedding$$);
SELECT error_of($$SELECT ('[' || repeat('1,', 16000) || '1]')::embedding$$);
-- Typmod: embedding(n) enforces n dimensions on input and assignment.
SELECT '[1,2,3]'::embedding(3);
SELECT error_of($$SELECT '[1,2]'::embedding(3)$$);
SELECT error_of($$SELECT '[1,2]'::embedding::embedding(3)$$);
SELECT error_of($$CREATE TABLE bad (e embedding(0))$$);
SELECT error_of($$CREATE TABLE bad (e embedding(-1))$$);
SELECT error_of($$CREATE TABLE bad (e embedding(16001))$$);
SELECT error_of($$CREATE TABLE bad (e embedding(2, 3))$$);
CREATE TABLE typed (id int, e embedding(3));
\d typed
INSERT INTO typed VALUES (1, '[1,2,3]');
SELECT error_of($$INSERT INTO typed VALUES (2, '[1,2]')$$);
SELECT error_of($$INSERT INTO typed VALUES (2, '[1,2,3,4]'::embedding)$$);
SELECT error_of($$UPDATE typed SET e = '[1,2]'::embedding$$);
SELECT error_of($$INSERT INTO typed VALUES (2, ARRAY[1,2])$$);
INSERT INTO typed VALUES (2, ARRAY[4,5,6]);
SELECT * FROM typed ORDER BY id;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'typed'::regclass AND attname = 'e';
-- Binary COPY round trip, including a value stored out of line (TOAST).
CREATE TABLE copied (id int, e embedding);
INSERT INTO copied VALUES (1, '[1.5,-2,3e-7]'), (2, NULL),
	(3, array_fill(0.25, ARRAY[2000])::embedding);
SELECT current_setting('data_directory') || '/pgrec_copied.bin' AS copy_file \gset
COPY copied TO :'copy_file' (FORMAT binary);
CREATE TABLE copied_back (LIKE copied);
COPY copied_back FROM :'copy_file' (FORMAT binary);
SELECT a.id, a.e IS NOT DISTINCT FROM b.e AS same, dims(b.e)
FROM copied a JOIN copied_back b USING (id) ORDER BY id;
-- Binary input is checked as text input is: crafted records of (dim, reserved, floats).
CREATE TABLE crafted (b bytea);
CREATE TABLE received (e embedding);
CREATE TABLE received3 (e embedding(3));
CREATE FUNCTION receive_bytes(bytes bytea, target text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	path text := current_setting('data_directory') || '/pgrec_crafted.bin';
BEGIN
	TRUNCATE crafted;
	INSERT INTO crafted VALUES (bytes);
	EXECUTE format('COPY crafted TO %L (FORMAT binary)', path);
	RETURN error_of(format('COPY %I FROM %L (FORMAT binary)', target, path));
END
$$;
SELECT receive_bytes('\x000200003f80000040000000', 'received');
SELECT e FROM received;
SELECT receive_bytes('\x000000000000', 'received');
SELECT receive_bytes('\x3e810000', 'received');
SELECT receive_bytes('\x000100073f800000', 'received');
SELECT receive_bytes('\x000100007fc00000', 'received');
SELECT receive_bytes('\x000100007f800000', 'received');
SELECT receive_bytes('\x000200003f800000', 'received');
SELECT receive_bytes('\x000200003f80000040000000', 'received3');
