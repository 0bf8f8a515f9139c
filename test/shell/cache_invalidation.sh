#!/usr/bin/env bash
# The per-backend model cache across two real connections: a model replaced or dropped by
# connection B is seen by connection A's next statement; a REPEATABLE READ transaction in A
# keeps serving the version of its snapshot until it ends (never a mix of versions).
source "$(dirname "$0")/lib.sh"

# Two versions of one model with integer factors, so that their rankings are exact and differ.
sql "CREATE TABLE cache_items AS SELECT i AS item_id, ARRAY[i % 7, i % 3]::real[] AS v1,
		ARRAY[(i * 5) % 11, -(i % 4)]::real[] AS v2 FROM generate_series(1, 50) i;
	CREATE TABLE cache_users AS SELECT 1 AS user_id, ARRAY[1, 2]::real[] AS f;
	SELECT pgrec.import_model('cached', 'cache_items', 'item_id', 'v1', 'cache_users', 'user_id', 'f')" >/dev/null
expected_v1=$(sql "SELECT string_agg(item_id::text, ',' ORDER BY s DESC, item_id) FROM (SELECT item_id,
	(v1[1] + 2 * v1[2]) AS s FROM cache_items ORDER BY s DESC, item_id LIMIT 5) t")
expected_v2=$(sql "SELECT string_agg(item_id::text, ',' ORDER BY s DESC, item_id) FROM (SELECT item_id,
	(v2[1] + 2 * v2[2]) AS s FROM cache_items ORDER BY s DESC, item_id LIMIT 5) t")
check "the two versions rank differently" "'$expected_v1' <> '$expected_v2'" "$expected_v1 / $expected_v2"

B="psql -X -q -At -v ON_ERROR_STOP=1"
TOP="SELECT 'top:' || string_agg(item_id::text, ',') FROM pgrec.recommend('cached', 1, 5);"
out=$("${PSQL[@]}" 2>&1 <<SQL
$TOP
\\! $B -c "SELECT pgrec.import_model('cached', 'cache_items', 'item_id', 'v2', 'cache_users', 'user_id', 'f')" >/dev/null
$TOP
BEGIN ISOLATION LEVEL REPEATABLE READ;
$TOP
\\! $B -c "SELECT pgrec.import_model('cached', 'cache_items', 'item_id', 'v1', 'cache_users', 'user_id', 'f')" >/dev/null
$TOP
COMMIT;
$TOP
\\! $B -c "SELECT pgrec.drop_model('cached')" >/dev/null
SELECT 'after drop:' || count(*) FROM pgrec.recommend('cached', 1, 5);
SQL
)
echo "$out" | sed 's/^/  A: /'
mapfile -t tops < <(echo "$out" | grep '^top:' | cut -d: -f2)
check "A first serves version 1" "'${tops[0]}' = '$expected_v1'" "${tops[0]}"
check "A's next statement serves version 2 after B replaced it" "'${tops[1]}' = '$expected_v2'" "${tops[1]}"
check "a REPEATABLE READ transaction of A serves its snapshot's version" \
	"'${tops[2]}' = '$expected_v2' AND '${tops[3]}' = '$expected_v2'" "${tops[2]} then ${tops[3]}"
check "after that transaction, A serves version 1 again" "'${tops[4]}' = '$expected_v1'" "${tops[4]}"
echo "$out" | grep -q 'model "cached" does not exist'
check "after B dropped the model, A gets 42704" "$? = 0" "$(echo "$out" | grep -c 'does not exist') error(s)"
sql "DROP TABLE cache_items, cache_users" >/dev/null
finish
