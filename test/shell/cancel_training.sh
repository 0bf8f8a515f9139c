#!/usr/bin/env bash
# Cancelling a training: statement_timeout and pg_cancel_backend stop it within about a
# second (SQLSTATE 57014) for the least-squares and the neural trainers, and the model trained
# before keeps serving, unchanged.
source "$(dirname "$0")/lib.sh"

# 1,000,000 implicit interactions; 128 factors and 200 epochs take far longer than a second.
sql "CREATE TABLE big_clicks AS SELECT (i % 20011) AS user_id, (i::bigint * 7919 % 30011) AS item_id
	FROM generate_series(1, 1000000) i" >/dev/null
sql "SET pgrec.progress = off; SELECT users FROM pgrec.train('kept', 'big_clicks', 'user_id', 'item_id',
	algorithm => 'ials', factors => 4, epochs => 1)" >/dev/null
before=$(sql "SELECT model_id || ':' || factors FROM pgrec.models WHERE name = 'kept'")

start=$(date +%s.%N)
out=$("${PSQL[@]}" -c "SET pgrec.progress = off; SET statement_timeout = '1s';
	SELECT * FROM pgrec.train('kept', 'big_clicks', 'user_id', 'item_id', algorithm => 'ials',
	factors => 128, epochs => 200)" 2>&1)
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
echo "$out" | grep -q "canceling statement due to statement timeout"
check "statement_timeout cancels the training" "$? = 0" "$(echo "$out" | grep ERROR)"
check "the cancel takes effect within 1 s of the timeout" "$elapsed < 2.0" "${elapsed}s for a 1s timeout"

# Cancels, 1.5 s in, a training of model kept with algorithm $1 and the arguments $2, and checks
# that it stops within a second.
cancel_after_start() {
	"${PSQL[@]}" -c "SET pgrec.progress = off; SELECT * FROM pgrec.train('kept', 'big_clicks', 'user_id',
		'item_id', algorithm => '$1', $2)" >/tmp/pgrec_cancel.$$ 2>&1 &
	local client=$!
	sleep 1.5
	local start elapsed
	start=$(date +%s.%N)
	sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%algorithm => ''$1'', $2%'
		AND pid <> pg_backend_pid()" >/dev/null
	wait $client
	elapsed=$(echo "$(date +%s.%N) - $start" | bc)
	grep -q "canceling statement due to user request" /tmp/pgrec_cancel.$$
	check "$1: pg_cancel_backend cancels the training" "$? = 0" "$(head -1 /tmp/pgrec_cancel.$$)"
	check "$1: pg_cancel_backend takes effect within 1 s" "$elapsed < 1.0" "${elapsed}s"
	rm -f /tmp/pgrec_cancel.$$
}
cancel_after_start als "factors => 128, epochs => 200"
# The neural trainers check between mini-batches.
cancel_after_start two_tower "epochs => 200"
cancel_after_start neumf "epochs => 200"

after=$(sql "SELECT model_id || ':' || factors FROM pgrec.models WHERE name = 'kept'")
check "the previous model is unchanged" "'$before' = '$after'" "before $before, after $after"
check_factor_rows kept
sql "SELECT pgrec.drop_model('kept'); DROP TABLE big_clicks" >/dev/null
finish
