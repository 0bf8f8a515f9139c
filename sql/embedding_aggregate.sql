-- sum(embedding) and avg(embedding), serial and parallel.
CREATE TABLE ratings_profile (user_id int, e embedding);
INSERT INTO ratings_profile VALUES (1, '[1,2,3]'), (1, '[3,2,1]'), (1, NULL), (2, '[4,4,4]'), (3, NULL);
SELECT user_id, sum(e), avg(e) FROM ratings_profile GROUP BY user_id ORDER BY user_id;
SELECT sum(e), avg(e) FROM ratings_profile;
SELECT sum(e) IS NULL AS sum_null, avg(e) IS NULL AS avg_null FROM ratings_profile WHERE false;
SELECT avg(e) FROM (VALUES ('[1]'::embedding), ('[2]'), ('[4]')) v(e);
SELECT error_of($$SELECT sum(e) FROM (VALUES ('[1,2]'::embedding), ('[1,2,3]')) v(e)$$);
SELECT error_of($$SELECT avg(e) FROM (VALUES ('[1]'::embedding), ('[1,2]')) v(e)$$);
SELECT error_of($$SELECT sum(e) FROM (VALUES ('[3e38]'::embedding), ('[3e38]')) v(e)$$);
SELECT error_of($$SELECT embedding_accum('{1,2}', '[1,2,3]')$$);
SELECT error_of($$SELECT embedding_sum_final('{{1,2}}')$$);
-- Called directly (outside an aggregate) the transition function never changes its input.
SELECT embedding_accum(embedding_accum('{0}', '[1,2]'), '[3,4]');
SELECT embedding_combine('{2,1,1}', '{1,5,5}'), embedding_combine('{0}', '{1,5,5}'), embedding_combine('{1,5,5}', '{0}');
-- A parallel plan with partial aggregation and combine gives the same result.
CREATE TABLE many AS
SELECT i % 10 AS g, ARRAY[i % 7, i % 5, 1]::embedding AS e FROM generate_series(1, 100000) i;
ANALYZE many;
SELECT sum(e) AS serial_sum, avg(e) AS serial_avg FROM many;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT sum(e), avg(e) FROM many;
SELECT sum(e) AS parallel_sum, avg(e) AS parallel_avg FROM many;
SELECT g, avg(e) FROM many GROUP BY g ORDER BY g LIMIT 3;
SET force_parallel_mode = on;
SELECT avg(e) FROM many WHERE g = 3;
RESET ALL;
