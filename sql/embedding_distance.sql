-- Distances, similarities and norms, and nearest-neighbour ORDER BY ... LIMIT.
SELECT inner_product('[1,2,3]', '[4,5,6]'), '[1,2,3]'::embedding <#> '[4,5,6]';
SELECT l2_distance('[0,0]', '[3,4]'), '[0,0]'::embedding <-> '[3,4]';
SELECT l1_distance('[1,2]', '[4,-2]'), '[1,2]'::embedding <+> '[4,-2]';
SELECT cosine_distance('[1,0]', '[0,2]'), '[1,0]'::embedding <=> '[2,0]', '[1,0]'::embedding <=> '[-3,0]';
SELECT cosine_similarity('[1,1]', '[2,2]'), cosine_similarity('[1,0]', '[-1,0]');
SELECT round(cosine_similarity('[1,2,3]', '[3,2,1]')::numeric, 6);
SELECT l2_norm('[3,4]'), l2_norm('[-1,0,0]');
-- A zero vector has no direction: cosine and l2_normalize are NULL for it.
SELECT cosine_distance('[0,0]', '[1,2]') IS NULL AS distance_null,
	cosine_similarity('[1,2]', '[0,0]') IS NULL AS similarity_null,
	('[0,0]'::embedding <=> '[0,0]') IS NULL AS operator_null,
	l2_normalize('[0,0,0]') IS NULL AS normalize_null;
-- Float sums that overflow or underflow are redone in double precision.
SELECT '[1e30,1e30]'::embedding <-> '[-1e30,-1e30]' AS l2_big, l2_norm('[3e30,4e30]') AS norm_big,
	inner_product('[1e30]', '[1e30]') AS dot_big, cosine_similarity('[3e30,0]', '[1e30,0]') AS cos_big,
	cosine_similarity('[1e-30,0]', '[1e-30,1e-30]')::numeric(10,8) AS cos_tiny;
-- Dimensions must agree.
SELECT error_of($$SELECT '[1,2]'::embedding <#> '[1,2,3]'$$);
SELECT error_of($$SELECT '[1,2]'::embedding <=> '[1,2,3]'$$);
SELECT error_of($$SELECT '[1,2]'::embedding <-> '[1,2,3]'$$);
SELECT error_of($$SELECT '[1,2]'::embedding <+> '[1,2,3]'$$);
SELECT error_of($$SELECT cosine_similarity('[1,2]', '[1,2,3]')$$);
SELECT error_of($$SELECT inner_product('[1]', '[1,2,3]')$$);
-- Every kernel width and tail length agrees with a plain SQL computation.
CREATE TABLE vectors AS
SELECT n, array_to_embedding(array_agg(((i * 7 + n) % 11 - 5)::real ORDER BY i), -1, false) AS a,
	array_to_embedding(array_agg(((i * 3 + n) % 13 - 6)::real ORDER BY i), -1, false) AS b
FROM generate_series(1, 70) n, generate_series(1, n) i GROUP BY n;
SELECT count(*) FILTER (WHERE inner_product(a, b) = (SELECT sum(x * y) FROM unnest(a::real[], b::real[]) u(x, y))) AS dot_ok,
	count(*) FILTER (WHERE a <+> b = (SELECT sum(abs(x - y)) FROM unnest(a::real[], b::real[]) u(x, y))) AS l1_ok,
	count(*) FILTER (WHERE abs((a <-> b) - (SELECT sqrt(sum((x - y) ^ 2)) FROM unnest(a::real[], b::real[]) u(x, y))) < 1e-9) AS l2_ok,
	count(*) AS total
FROM vectors;
-- ORDER BY distance LIMIT k: exact top-k, each operator.
CREATE TABLE items (id int PRIMARY KEY, e embedding(2));
INSERT INTO items VALUES (1, '[1,0]'), (2, '[0,1]'), (3, '[1,1]'), (4, '[-1,0]'), (5, '[3,3]'), (6, '[0,0]');
SELECT id, e <#> '[1,2]' AS d FROM items ORDER BY e <#> '[1,2]', id LIMIT 3;
SELECT id, e <-> '[1,2]' AS d FROM items ORDER BY e <-> '[1,2]', id LIMIT 3;
SELECT id, e <+> '[1,2]' AS d FROM items ORDER BY e <+> '[1,2]', id LIMIT 3;
SELECT id, round((e <=> '[1,2]')::numeric, 6) AS d FROM items ORDER BY e <=> '[1,2]', id;
