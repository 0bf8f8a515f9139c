#!/usr/bin/env bash
# The per-backend model cache across two real connections: a model replaced or dropped by
# connection B is seen by connection A's next statement; a REPEATABLE READ transaction in A
source "$(dirname "$0")/lib.sh"

# keeps serving the version of its snapshot until it ends (never a mix of versions); a factor
# row changed by hand is seen by the next statement; a model re-created after DROP EXTENSION /
# CREATE EXTENSION (its model_id reused) is served anew, not from the old entry.
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

# A factor row changed by hand (B, a superuser) is seen by A's next statement, without a new
# version: the trigger on the factor tables announces it through cache invalidation.
sql "SELECT pgrec.import_model('cached', 'cache_items', 'item_id', 'v1', 'cache_users', 'user_id', 'f')" >/dev/null
out=$("${PSQL[@]}" 2>&1 <<SQL
$TOP
\\! $B -c "UPDATE pgrec.item_factors SET factors = '[100, 100]' WHERE item_id = 50 AND model_id = (SELECT model_id FROM pgrec.models WHERE name = 'cached')"
$TOP
SQL
)
echo "$out" | sed 's/^/  A: /'
mapfile -t tops < <(echo "$out" | grep '^top:' | cut -d: -f2)
check "A serves version 1 before the hand edit" "'${tops[0]}' = '$expected_v1'" "${tops[0]}"
check "A's next statement sees the factor row changed by hand" "split_part('${tops[1]}', ',', 1) = '50'" "${tops[1]}"

# DROP EXTENSION / CREATE EXTENSION restarts model_id at 1: a model imported anew under the
# same name and the same model_id must not be served from A's old entry.
sql "SELECT pgrec.drop_model('cached')" >/dev/null
sql "SELECT pgrec.import_model('cached', 'cache_items', 'item_id', 'v1', 'cache_users', 'user_id', 'f')" >/dev/null
old_id=$(sql "SELECT model_id FROM pgrec.models WHERE name = 'cached'")
IMPORT_V2="SELECT pgrec.import_model('cached', 'cache_items', 'item_id', 'v2', 'cache_users', 'user_id', 'f')"
# B re-creates the extension and imports version 2 under A's model_id.
cat >/tmp/pgrec_recreate.$$.sql <<RECREATE
DROP EXTENSION pgrec CASCADE;
CREATE EXTENSION pgrec;
SELECT setval('pgrec.model_versions_model_id_seq', $old_id, false);
$IMPORT_V2;
RECREATE
out=$("${PSQL[@]}" 2>&1 <<SQL
SELECT 'id:' || model_id FROM pgrec.models WHERE name = 'cached';
$TOP
\\! $B -f /tmp/pgrec_recreate.$$.sql >/dev/null
SELECT 'id:' || model_id FROM pgrec.models WHERE name = 'cached';
$TOP
SQL
)
echo "$out" | sed 's/^/  A: /'
mapfile -t tops < <(echo "$out" | grep '^top:' | cut -d: -f2)
mapfile -t ids < <(echo "$out" | grep '^id:' | cut -d: -f2)
rm -f /tmp/pgrec_recreate.$$.sql
check "the re-created model has the old model_id" "'${ids[0]}' = '${ids[1]}'" "${ids[0]} and ${ids[1]}"
check "A serves the re-created model, not its old entry" \
	"'${tops[0]}' = '$expected_v1' AND '${tops[1]}' = '$expected_v2'" "${tops[0]} then ${tops[1]}"
sql "SELECT pgrec.drop_model('cached'); DROP TABLE cache_items, cache_users" >/dev/null
finish
