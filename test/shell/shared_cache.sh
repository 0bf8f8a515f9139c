#!/usr/bin/env bash
# The shared model cache (pgrec_cache under the data directory): the first connection that loads
# a model writes its file, later connections map it (their own memory small) and serve the same
# results as a private load; a corrupted file is detected by its checksum, removed and written
# again; a hand edit and a new version get new files and the old ones go; an edit rolled back
# after a call served it is never served again; kill -9 of a backend while it loads a model: the
# next connection serves correct results; the least recently used files go beyond
# pgrec.shared_cache_limit.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to read the data directory and kill a server process"; exit 77; }

CACHE="$(sql "SHOW data_directory")/pgrec_cache"
sql "SELECT setseed(0.5); CREATE TABLE sc_items AS SELECT i AS item_id,
		ARRAY(SELECT (random() - 0.5)::real FROM generate_series(1, 32) WHERE i > 0) AS f
	FROM generate_series(1, 40000) i;
	CREATE TABLE sc_users AS SELECT u AS user_id,
		ARRAY(SELECT (random() - 0.5)::real FROM generate_series(1, 32) WHERE u > 0) AS f
	FROM generate_series(1, 50) u;
	SELECT pgrec.import_model('sc_model', 'sc_items', 'item_id', 'f', 'sc_users', 'user_id')" >/dev/null
model_id=$(sql "SELECT model_id FROM pgrec.models WHERE name = 'sc_model'")
RESULTS="SELECT md5(string_agg(u || ' ' || item_id || ' ' || score, ',')) FROM generate_series(1, 50) u, pgrec.recommend('sc_model', u, 10)"
USAGE="SELECT bytes || ' ' || shared_bytes FROM pgrec.cached_models() WHERE name = 'sc_model'"
private=$("${PSQL[@]}" -c "SET pgrec.shared_cache = off" -c "$RESULTS")

first=$("${PSQL[@]}" -c "$RESULTS" -c "$USAGE")
# Files are named <database>-<hash of the model's name>-<model_id>-<version_uuid>-<edit token>.
prefix=$(ls "$CACHE" | grep -- "-$model_id-" | head -1 | cut -d- -f1,2)
files() { ls "$CACHE" 2>/dev/null | grep -c "^$prefix-"; }
file_of() { ls "$CACHE" | grep "^$prefix-$1-"; }
check "the first connection wrote the model's file" "$(files) = 1" "$(file_of "$model_id")"
second=$("${PSQL[@]}" -c "$RESULTS" -c "$USAGE")
read -r bytes shared <<<"$(echo "$second" | tail -1)"
check "a second connection serves the private load's results from the file" \
	"'$(echo "$first" | head -1)' = '$private' AND '$(echo "$second" | head -1)' = '$private'" "$private"
check "it maps the model (5 MB of factors, and more) and keeps little of its own" \
	"$shared > 5000000 AND $bytes < $shared / 4" "$bytes bytes own, $shared shared"

# A flipped byte in the middle of the item factors.
file="$CACHE/$(file_of "$model_id")"
printf '\x7f' | dd of="$file" bs=1 seek=3000000 conv=notrunc status=none
corrupted=$("${PSQL[@]}" -c "$RESULTS")
check "a corrupted file is detected, removed, and the model served from the tables" "'$corrupted' = '$private'" "$corrupted"
check "the server log names the failed checksum" \
	"$(grep -c "removing the shared cache file .*checksum does not match" "$PGREC_SERVER_LOG") >= 1" "server log"
check "the file was written again" "$(files) = 1 AND $([ -s "$file" ] && echo true || echo false)" "$(files) file"

# A hand edit: a new file named by the new count of edits, the old one removed.
sql "UPDATE pgrec.item_factors SET factors = array_fill(1, ARRAY[32])::real[]::embedding WHERE model_id = $model_id AND item_id = 7" >/dev/null
edited_private=$("${PSQL[@]}" -c "SET pgrec.shared_cache = off" -c "$RESULTS")
edited=$("${PSQL[@]}" -c "$RESULTS")
check "a hand edit is served from a new file, which replaces the old one" "'$edited' = '$edited_private' AND '$edited' <> '$private' AND $(files) = 1 AND NOT EXISTS (SELECT 1 WHERE '$file' = '$CACHE/$(file_of "$model_id")')" "$(file_of "$model_id")"

# An edit rolled back to a savepoint after a call served it (and wrote its file), then another
# edit committed: every connection serves the committed one (a token never repeats).
session=$("${PSQL[@]}" <<SQL
BEGIN;
SAVEPOINT trial;
UPDATE pgrec.item_factors SET factors = array_fill(2, ARRAY[32])::real[]::embedding WHERE model_id = $model_id AND item_id = 8;
$RESULTS;
ROLLBACK TO trial;
UPDATE pgrec.item_factors SET factors = array_fill(-2, ARRAY[32])::real[]::embedding WHERE model_id = $model_id AND item_id = 9;
$RESULTS;
COMMIT;
SQL
)
committed_private=$("${PSQL[@]}" -c "SET pgrec.shared_cache = off" -c "$RESULTS")
committed=$("${PSQL[@]}" -c "$RESULTS")
check "after an edit rolled back and another committed, a new connection serves the committed state" \
	"'$committed' = '$committed_private' AND '$committed' = '$(echo "$session" | tail -1)' AND '$committed' <> '$(echo "$session" | head -1)'" "$committed"

# kill -9 of a backend while it loads a larger model (200,000 x 64; seconds under the sanitizers).
sql "CREATE TABLE sc_big AS SELECT i AS item_id, array_fill((i % 97)::real / 97, ARRAY[64])::real[] AS f FROM generate_series(1, 200000) i;
	SELECT pgrec.import_model('sc_big', 'sc_big', 'item_id', 'f')" >/dev/null
big_id=$(sql "SELECT model_id FROM pgrec.models WHERE name = 'sc_big'")
"${PSQL[@]}" -c "SET application_name = 'sc_victim'" -c "SELECT count(*) FROM pgrec.recommend_for_vector('sc_big', array_fill(1, ARRAY[64])::real[]::embedding, 5)" >/dev/null 2>&1 &
client=$!
pid=$(active_backend sc_victim)
kill -9 "$pid"
wait $client
wait_for_server
check "the server is back after kill -9 of loading backend $pid" "${pid:-0} > 0" "accepting connections"
top=$(sql "SELECT string_agg(item_id::text, ',') FROM pgrec.recommend_for_vector('sc_big', array_fill(1, ARRAY[64])::real[]::embedding, 3)")
check "the next connection serves the model" "'$top' = '96,193,290'" "$top"

# A new version: its file replaces the old version's.
sql "SELECT pgrec.import_model('sc_model', 'sc_items', 'item_id', 'f', 'sc_users', 'user_id')" >/dev/null
new_id=$(sql "SELECT model_id FROM pgrec.models WHERE name = 'sc_model'")
sql "$RESULTS" >/dev/null
check "a new version's file replaces the old version's" "$(files) = 1 AND '$(file_of "$new_id")' <> ''" "$(file_of "$new_id")"
# pgrec.shared_cache_limit: writing a file removes the least recently used others beyond it.
"${PSQL[@]}" -c "LOAD 'pgrec'" -c "ALTER SYSTEM SET pgrec.shared_cache_limit = '1MB'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
sql "CREATE TABLE sc_small AS SELECT i AS item_id, ARRAY[i % 3, 1]::real[] AS f FROM generate_series(1, 100) i;
	SELECT pgrec.import_model('sc_small', 'sc_small', 'item_id', 'f');
	SELECT count(*) FROM pgrec.recommend_for_vector('sc_small', '[1, 1]', 5)" >/dev/null
small_id=$(sql "SELECT model_id FROM pgrec.models WHERE name = 'sc_small'")
check "beyond the limit only the newest file is kept" \
	"$(ls "$CACHE" | grep -c '\.model$') = 1 AND $(ls "$CACHE" | grep -c -- "-$small_id-") = 1" "$(ls "$CACHE" | tr '\n' ' ')"
"${PSQL[@]}" -c "LOAD 'pgrec'" -c "ALTER SYSTEM RESET pgrec.shared_cache_limit" -c "SELECT pg_reload_conf()" >/dev/null
sql "SELECT pgrec.drop_model('sc_model'); SELECT pgrec.drop_model('sc_big'); SELECT pgrec.drop_model('sc_small');
	DROP TABLE sc_items, sc_users, sc_big, sc_small" >/dev/null
finish
