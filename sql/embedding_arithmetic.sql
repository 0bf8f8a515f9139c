-- Functions and operators that build embeddings.
SELECT '[1,2,3]'::embedding + '[10,20,30]', '[1,2,3]'::embedding - '[3,2,1]', '[1,2,3]'::embedding * '[2,0.5,-1]';
SELECT '[1,2]'::embedding * 3, 0.5 * '[1,2]'::embedding, '[1,2]'::embedding * -1.5::real;
SELECT '[1,2]'::embedding || '[3]', dims(array_fill(1, ARRAY[8000])::embedding || array_fill(1, ARRAY[8000])::embedding);
SELECT subvector('[1,2,3,4,5]', 2, 3), subvector('[1,2,3,4,5]', 4, 10), subvector('[1,2,3,4,5]', -1, 3);
SELECT l2_normalize('[3,4]'), l2_norm(l2_normalize('[1,2,3,4,5]'))::numeric(8,6), l2_normalize('[1e-30,0]');
SELECT dims('[1,2,3,4]'), dims(array_fill(0.5, ARRAY[3000])::embedding);
-- Errors: dimensions, overflow, underflow, limits.
SELECT error_of($$SELECT '[1,2]'::embedding + '[1]'$$);
SELECT error_of($$SELECT '[1,2]'::embedding - '[1]'$$);
SELECT error_of($$SELECT '[1,2]'::embedding * '[1]'$$);
SELECT error_of($$SELECT '[3e38]'::embedding + '[3e38]'$$);
SELECT error_of($$SELECT '[-3e38]'::embedding - '[3e38]'$$);
SELECT error_of($$SELECT '[1e30]'::embedding * '[1e30]'$$);
SELECT error_of($$SELECT '[1e-30]'::embedding * '[1e-30]'$$);
SELECT error_of($$SELECT '[1e30]'::embedding * 1e10$$);
SELECT error_of($$SELECT '[1e-30]'::embedding * 1e-30$$);
SELECT error_of($$SELECT '[1]'::embedding * 'NaN'::float8$$);
SELECT error_of($$SELECT 'Infinity'::float8 * '[1]'::embedding$$);
SELECT error_of($$SELECT array_fill(1, ARRAY[8000])::embedding || array_fill(1, ARRAY[8001])::embedding$$);
SELECT error_of($$SELECT subvector('[1,2,3]', 4, 1)$$);
SELECT error_of($$SELECT subvector('[1,2,3]', -5, 2)$$);
SELECT error_of($$SELECT subvector('[1,2,3]', 1, 0)$$);
SELECT error_of($$SELECT subvector('[1,2,3]', 1, -1)$$);
SELECT error_of($$SELECT subvector('[1,2,3]', 2147483647, 2147483647)$$);
