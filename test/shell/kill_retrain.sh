#!/usr/bin/env bash
# kill -9 of the backend that is retraining: the server recovers, the current version keeps
# serving with the same results, and no half-written version or orphaned row remains.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to kill a server process"; exit 77; }

sql "CREATE TABLE kill_ratings AS SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(3000, 2000, 60)" >/dev/null
sql "SET pgrec.progress = off; SELECT users FROM pgrec.train('survivor', 'kill_ratings', 'user_id', 'item_id', 'rating', factors => 16)" >/dev/null
before=$(sql "SELECT string_agg(item_id::text, ',') FROM pgrec.recommend('survivor', 42, 10)")
rows_before=$(sql "SELECT (SELECT count(*) FROM pgrec.model_versions) || '/' || (SELECT count(*) FROM pgrec.item_factors) || '/' || (SELECT count(*) FROM pgrec.user_factors)")

# A long retrain (200 epochs of 128 factors), killed in the middle.
"${PSQL[@]}" -c "SET pgrec.progress = off; SET application_name = 'victim'" \
	-c "SELECT users FROM pgrec.train('survivor', 'kill_ratings', 'user_id', 'item_id', 'rating', factors => 128, epochs => 200)" \
	>/dev/null 2>&1 &
client=$!
pid=$(active_backend victim)
sleep 1
kill -9 "$pid"
wait $client
# The postmaster restarts every backend and replays the WAL.
wait_for_server
check "the server is back after kill -9 of backend $pid" "NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = ${pid:-0}) AND ${pid:-0} > 0" "accepting connections, backend gone"
after=$(sql "SELECT string_agg(item_id::text, ',') FROM pgrec.recommend('survivor', 42, 10)")
check "the current version serves the same recommendations" "'$before' = '$after'" "$after"
rows_after=$(sql "SELECT (SELECT count(*) FROM pgrec.model_versions) || '/' || (SELECT count(*) FROM pgrec.item_factors) || '/' || (SELECT count(*) FROM pgrec.user_factors)")
check "no half-written version or orphaned rows (versions/items/users)" "'$rows_before' = '$rows_after'" "$rows_before before, $rows_after after"
check_factor_rows survivor
sql "SELECT pgrec.drop_model('survivor'); DROP TABLE kill_ratings" >/dev/null
finish
