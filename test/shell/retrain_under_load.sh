#!/usr/bin/env bash
# Safety under load: two pgbench clients call recommend() on random users for the whole time
# several retrains run in another connection. Every call must answer with k rows (pgbench stops
# a client on any error), calls must keep completing while a retrain runs (readers and the
# trainer do not block each other), and each retrain must publish a new version.
source "$(dirname "$0")/lib.sh"

sql "CREATE TABLE load_ratings AS SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(4000, 3000, 60)" >/dev/null
sql "SET pgrec.progress = off; SELECT users FROM pgrec.train('under_load', 'load_ratings', 'user_id', 'item_id', 'rating', factors => 48)" >/dev/null
script=$(mktemp)
cat >"$script" <<'PGBENCH'
\set user random(1, 4000)
SELECT CASE WHEN count(*) = 10 THEN 1 ELSE 1 / (0 * count(*)) END FROM pgrec.recommend('under_load', :user, 10);
PGBENCH

pgbench -n -c 2 -j 2 -T 14 -P 1 -f "$script" >"$script.out" 2>&1 &
bench=$!
sleep 2
# At least three retrains (one cold), and as many more as it takes to cover three seconds of
# pgbench's per-second progress lines: a fast machine retrains this model in well under a second.
start=$(date +%s.%N)
retrains=0
while [ $retrains -lt 3 ] || { [ "$(echo "$(date +%s.%N) - $start < 3" | bc)" = 1 ] && [ $retrains -lt 20 ]; }; do
	retrains=$((retrains + 1))
	"${PSQL[@]}" -c "SET pgrec.progress = off" -c "CALL pgrec.retrain('under_load', warm_start => $([ $retrains = 2 ] && echo false || echo true))" || echo "retrain $retrains failed"
done
retrain_seconds=$(echo "$(date +%s.%N) - $start" | bc)
wait $bench
bench_status=$?
grep -E "^(progress|number of|latency|tps)" "$script.out" | sed 's/^/  /'
processed=$(grep -o 'number of transactions actually processed: [0-9]*' "$script.out" | grep -o '[0-9]*$')
failed=$(grep -o 'number of failed transactions: [0-9]*' "$script.out" | grep -o ': [0-9]*' | tr -d ': ')
check "pgbench finished without errors" "$bench_status = 0 AND ${failed:-0} = 0" "exit $bench_status, failed ${failed:-0}, processed ${processed:-0}"
# Seconds of the run during which calls completed, among those the retrains covered.
busy=$(grep -o 'progress: [0-9.]* s, [0-9.]* tps' "$script.out" | awk '$2 + 0 > 2.5 && $2 + 0 <= 2 + '"$retrain_seconds"' {n++; if ($4 + 0 > 0) ok++} END {printf "%d %d", ok, n}')
check "recommend() calls completed in every second of the retraining (${retrain_seconds}s)" \
	"${busy% *} = ${busy#* } AND ${busy#* } > 0" "$busy seconds with calls"
check "each retrain published a version" "(SELECT max(version) FROM pgrec.model_versions WHERE name = 'under_load') = $((retrains + 1))" \
	"$retrains retrains, current version $(sql "SELECT version FROM pgrec.models WHERE name = 'under_load'")"
check "one current version" "(SELECT count(*) FROM pgrec.models WHERE name = 'under_load') = 1" \
	"$(sql "SELECT count(*) FROM pgrec.models WHERE name = 'under_load'")"
check_factor_rows under_load
rm -f "$script" "$script.out"
sql "SELECT pgrec.drop_model('under_load'); DROP TABLE load_ratings" >/dev/null
finish
