-- Equality and order: btree and hash operator classes, DISTINCT, GROUP BY, UNION, joins.
SELECT '[1,2]'::embedding = '[1,2]', '[1,2]'::embedding = '[1,2,0]', '[0]'::embedding = '[-0]',
	'[1,2]'::embedding <> '[1,3]', '[1,2]'::embedding < '[1,3]', '[1,2]'::embedding < '[1,2,0]',
	'[2]'::embedding > '[1,9]', '[1,2]'::embedding <= '[1,2]', '[1,2]'::embedding >= '[1,2]';
SELECT embedding_cmp('[1,2]', '[1,2]'), embedding_cmp('[1,2]', '[1]'), embedding_cmp('[0,5]', '[1]');
-- Equal values hash alike, -0 and 0 included; the extended hash agrees at seed 0.
SELECT embedding_hash('[0,1]') = embedding_hash('[-0,1]') AS zero_hash,
	embedding_hash('[1,2]') <> embedding_hash('[2,1]') AS order_matters,
	embedding_hash_extended('[1,2]', 0)::bit(32) = embedding_hash('[1,2]')::bit(32) AS seed0,
	embedding_hash_extended('[1,2]', 1) <> embedding_hash_extended('[1,2]', 0) AS seeded;
CREATE TABLE tagged (id int, e embedding);
INSERT INTO tagged VALUES (1, '[1,2]'), (2, '[1,2]'), (3, '[2,1]'), (4, '[0,0]'), (5, '[-0,0]'), (6, '[1]'), (7, NULL);
SELECT DISTINCT e FROM tagged ORDER BY e;
SELECT e, count(*) FROM tagged GROUP BY e ORDER BY e;
SELECT e FROM tagged WHERE id < 3 UNION SELECT e FROM tagged WHERE id BETWEEN 3 AND 6 ORDER BY 1;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT e, count(*) FROM tagged GROUP BY e;
SELECT e, count(*) FROM tagged GROUP BY e ORDER BY count(*) DESC, e;
RESET enable_sort;
-- Hash join and merge join on embeddings give the same pairs.
SET enable_nestloop = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF) SELECT a.id, b.id FROM tagged a JOIN tagged b ON a.e = b.e;
SELECT a.id, b.id FROM tagged a JOIN tagged b ON a.e = b.e WHERE a.id < b.id ORDER BY 1, 2;
SET enable_mergejoin = on;
SET enable_hashjoin = off;
EXPLAIN (COSTS OFF) SELECT a.id, b.id FROM tagged a JOIN tagged b ON a.e = b.e;
SELECT a.id, b.id FROM tagged a JOIN tagged b ON a.e = b.e WHERE a.id < b.id ORDER BY 1, 2;
RESET enable_nestloop;
RESET enable_mergejoin;
RESET enable_hashjoin;
-- Unique btree index and hash index.
CREATE TABLE unique_vectors (e embedding UNIQUE);
INSERT INTO unique_vectors VALUES ('[1,2]'), ('[2,1]');
SELECT error_of($$INSERT INTO unique_vectors VALUES ('[1,2]')$$);
CREATE INDEX ON tagged USING hash (e);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM tagged WHERE e = '[1,2]';
SELECT id FROM tagged WHERE e = '[1,2]' ORDER BY id;
RESET enable_seqscan;
-- Hash partitioning uses the extended hash.
CREATE TABLE parted (e embedding) PARTITION BY HASH (e);
CREATE TABLE parted0 PARTITION OF parted FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE parted1 PARTITION OF parted FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO parted SELECT ARRAY[i, i]::embedding FROM generate_series(1, 20) i;
SELECT count(*) > 0 AND count(*) < 20 AS split FROM parted0;
SELECT count(*) FROM parted WHERE e = '[7,7]';
