#!/usr/bin/env bash
# pg_cancel_backend() stops every long phase within 1 s: reading the source, building the
# matrix, an epoch, writing the version, evaluation and recommend_all(). Each statement is made
# long in its phase; the phase is recognised by pgrec's DEBUG1 messages, then cancelled.
source "$(dirname "$0")/lib.sh"

sql "CREATE TABLE many_rows AS SELECT (i % 50000) AS user_id, (i::bigint * 7919 % 20011) AS item_id
	FROM generate_series(1, 4000000) i" >/dev/null
sql "CREATE TABLE many_users AS SELECT i AS user_id, i % 1000 AS item_id FROM generate_series(1, 1500000) i" >/dev/null
sql "SET pgrec.progress = off; SET pgrec.training_memory_limit = '2GB';
	SELECT users FROM pgrec.train('wide', 'many_users', 'user_id', 'item_id', algorithm => 'ials', factors => 32, epochs => 1)" >/dev/null
SETTINGS="SET client_min_messages = debug1; SET pgrec.training_memory_limit = '2GB'; SET pgrec.progress = on;"

# cancel_in PHASE PATTERN SQL: runs SQL, waits for PATTERN in its messages (empty: 1 s), then
# cancels it and checks that it stopped with 57014 within 1 s.
cancel_in() {
	local phase=$1 pattern=$2 statement=$3 out=/tmp/pgrec_phase.$$
	"${PSQL[@]}" -c "SET application_name = 'pgrec_phase'" -c "$SETTINGS" -c "$statement" >$out 2>&1 &
	local client=$! waited=0
	if [ -n "$pattern" ]; then
		until grep -q "$pattern" $out || ! kill -0 $client 2>/dev/null || [ $waited -ge 600 ]; do
			sleep 0.05
			waited=$((waited + 1))
		done
	fi
	sleep 0.5
	local start
	start=$(date +%s.%N)
	sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgrec_phase' AND pid <> pg_backend_pid()" >/dev/null
	wait $client
	local elapsed
	elapsed=$(echo "$(date +%s.%N) - $start" | bc)
	local reached=true
	[ -z "$pattern" ] || grep -q "$pattern" $out || reached=false
	check "$phase: cancelled in its phase" "$reached AND $(grep -c 'canceling statement due to user request' $out) = 1" \
		"$(grep -E "ERROR|$pattern" $out | tail -n 2 | tr '\n' ' ')"
	check "$phase: stopped within 1 s of the cancel" "$elapsed < 1.0" "${elapsed}s"
	rm -f $out
}

cancel_in reading "reading the interactions" "SELECT * FROM pgrec.train('slow', 'SELECT i AS user_id, i AS item_id
	FROM generate_series(1, 1000) i, LATERAL pg_sleep(0.01 + 0 * i)', 'user_id', 'item_id', algorithm => 'ials')"
cancel_in building "building the interaction matrix" "SELECT * FROM pgrec.train('big', 'many_rows', 'user_id', 'item_id', algorithm => 'ials')"
cancel_in epoch "epoch 1 of" "SELECT * FROM pgrec.train('big', 'many_rows', 'user_id', 'item_id', algorithm => 'ials', factors => 256, epochs => 50)"
cancel_in writing "writing a new version" "SELECT * FROM pgrec.train('wide', 'many_users', 'user_id', 'item_id', algorithm => 'ials', factors => 32, epochs => 1)"
cancel_in evaluation "ranking every item" "SELECT * FROM pgrec.evaluate('wide', 'many_users', 'user_id', 'item_id')"
cancel_in recommend_all "" "SELECT count(*) FROM pgrec.recommend_all('wide', 10)"
check "no model was left by the cancelled statements" "(SELECT count(*) FROM pgrec.models WHERE name IN ('slow', 'big')) = 0" \
	"$(sql "SELECT count(*) FROM pgrec.models WHERE name IN ('slow', 'big')")"
check_factor_rows wide
sql "SELECT pgrec.drop_model('wide'); DROP TABLE many_rows, many_users" >/dev/null
finish
