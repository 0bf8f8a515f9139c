#!/usr/bin/env bash
# The approximate-search index in the shared cache: the first connection that searches a version
# approximately builds its index and writes it beside the model's file; later connections map it
# and serve the same results as a private build; a corrupted index file is detected, removed
# and written again; a new version's files replace the old ones; a build canceled by a statement
# timeout or killed with kill -9 leaves no file behind, and the next connection builds it.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to read the data directory and kill a server process"; exit 77; }

CACHE="$(sql "SHOW data_directory")/pgrec_cache"
sql "SELECT setseed(0.25); CREATE TABLE ai_items AS SELECT i AS item_id,
		ARRAY(SELECT (random() - 0.5)::real FROM generate_series(1, 32) WHERE i > 0) AS f
	FROM generate_series(1, 40000) i;
	CREATE TABLE ai_users AS SELECT u AS user_id,
		ARRAY(SELECT (random() - 0.5)::real FROM generate_series(1, 32) WHERE u > 0) AS f
	FROM generate_series(1, 50) u;
	SELECT pgrec.import_model('ai_model', 'ai_items', 'item_id', 'f', 'ai_users', 'user_id')" >/dev/null
model_id=$(sql "SELECT model_id FROM pgrec.models WHERE name = 'ai_model'")
RESULTS="SELECT md5(string_agg(u || ' ' || item_id || ' ' || score, ',')) FROM generate_series(1, 50) u, pgrec.recommend('ai_model', u, 10, exact => false) r"
USAGE="SELECT shared_bytes FROM pgrec.cached_models() WHERE name = 'ai_model'"
# The files of model_id $1 of this database: <database>-<name hash>-<model_id>-...
DB=$(sql "SELECT oid FROM pg_database WHERE datname = current_database()")
files_of() { ls "$CACHE" 2>/dev/null | grep -- "^$DB-[0-9a-f]*-$1-"; }
index_files() { files_of "$1" | grep -c '\.ivf$'; }
index_file() { files_of "$1" | grep '\.ivf$'; }

private=$("${PSQL[@]}" -c "SET pgrec.shared_cache = off" -c "$RESULTS")
check "without the shared cache no index file is written" "$(index_files "$model_id") = 0" "$(files_of "$model_id" | tr '\n' ' ')"
model_only=$("${PSQL[@]}" -c "SELECT count(*) FROM pgrec.recommend('ai_model', 1, 10)" -c "$USAGE" | tail -1)
first=$("${PSQL[@]}" -c "$RESULTS" -c "$USAGE")
check "the first approximate search wrote the version's index file, beside its model file" \
	"$(index_files "$model_id") = 1 AND $(files_of "$model_id" | grep -c '\.model$') = 1" "$(index_file "$model_id")"
# 40,000 items: 64-byte codes, step, radius and list entry (76 bytes each), and 200 centroids.
check "the connection maps the index: its shared bytes grow by the index's size" \
	"$(echo "$first" | tail -1) - $model_only BETWEEN 40000 * 76 AND 40000 * 76 + 200 * 33 * 4 + 201 * 8 + 4096" \
	"$model_only -> $(echo "$first" | tail -1)"
second=$("${PSQL[@]}" -c "$RESULTS")
check "a second connection serves the private build's results from the file" \
	"'$(echo "$first" | head -1)' = '$private' AND '$second' = '$private'" "$private"

# A flipped byte among the codes.
file="$CACHE/$(index_file "$model_id")"
printf '\x55' | dd of="$file" bs=1 seek=1000000 conv=notrunc status=none
corrupted=$("${PSQL[@]}" -c "$RESULTS")
check "a corrupted index file is detected, removed, and the index built again" "'$corrupted' = '$private'" "$corrupted"
check "the server log names the index file's failed checksum" \
	"$(grep -c "removing the shared cache file .*\.ivf\": its checksum does not match" "$PGREC_SERVER_LOG") >= 1" "server log"
check "the index file was written again" "$(index_files "$model_id") = 1" "$(index_file "$model_id")"

# A new version: its files replace both of the old version's.
sql "SELECT pgrec.import_model('ai_model', 'ai_items', 'item_id', 'f', 'ai_users', 'user_id')" >/dev/null
new_id=$(sql "SELECT model_id FROM pgrec.models WHERE name = 'ai_model'")
renewed=$("${PSQL[@]}" -c "$RESULTS")
check "a new version's model and index files replace the old version's" \
	"'$renewed' = '$private' AND $(files_of "$model_id" | grep -c .) = 0 AND $(index_files "$new_id") = 1" \
	"$renewed; $(files_of "$new_id" | tr '\n' ' ')"

# A build stopped part way: by a statement timeout (57014), and by kill -9 of its backend.
sql "CREATE TABLE ai_big AS SELECT i AS item_id, ARRAY(SELECT sin(i * f)::real FROM generate_series(1, 64) f) AS f FROM generate_series(1, 300000) i;
	SELECT pgrec.import_model('ai_big', 'ai_big', 'item_id', 'f')" >/dev/null
big_id=$(sql "SELECT model_id FROM pgrec.models WHERE name = 'ai_big'")
QUERY="SELECT string_agg(item_id::text, ',') FROM pgrec.recommend_for_vector('ai_big', array_fill(1, ARRAY[64])::real[]::embedding, 3, exact => false)"
timeout_error=$("${PSQL[@]}" -c "SELECT count(*) FROM pgrec.recommend_for_vector('ai_big', array_fill(1, ARRAY[64])::real[]::embedding, 3)" \
	-c "SET statement_timeout = '100ms'" -c "$QUERY" 2>&1 | grep -o 'canceling statement due to statement timeout')
check "a statement timeout cancels the index build" "'$timeout_error' <> ''" "${timeout_error:-no error}"
check "and leaves no index file" "$(index_files "$big_id") = 0" "$(files_of "$big_id" | tr '\n' ' ')"
"${PSQL[@]}" -c "SET application_name = 'ai_victim'" -c "SELECT count(*) FROM pgrec.recommend('ai_big', 1, 1)" \
	-c "$QUERY" >/dev/null 2>&1 &
client=$!
# Killed once it runs the approximate search (the model loaded), a tenth of a second into the
# build (about half a second here).
pid=""
for _ in $(seq 500); do
	pid=$(sql "SELECT pid FROM pg_stat_activity WHERE application_name = 'ai_victim' AND state = 'active' AND query LIKE '%exact => false%'")
	[ -n "$pid" ] && break
	sleep 0.01
done
sleep 0.1
kill -9 "$pid"
wait $client
wait_for_server
check "kill -9 of the building backend $pid leaves no index file" "${pid:-0} > 0 AND $(index_files "$big_id") = 0" "$(files_of "$big_id" | tr '\n' ' ')"
exact_top=$(sql "SELECT string_agg(item_id::text, ',') FROM pgrec.recommend_for_vector('ai_big', array_fill(1, ARRAY[64])::real[]::embedding, 3)")
top=$(sql "$QUERY")
check "the next connection builds the index and finds the exact top 3" "'$top' = '$exact_top' AND $(index_files "$big_id") = 1" "$top"

sql "SELECT pgrec.drop_model('ai_model'); SELECT pgrec.drop_model('ai_big'); DROP TABLE ai_items, ai_users, ai_big" >/dev/null
finish
