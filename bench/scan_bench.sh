#!/usr/bin/env bash
# Exact top-10 scan benchmark: times ORDER BY e <#> q LIMIT 10 over 100,000 and 1,000,000 rows of
# 64-d embeddings on the local cluster, splits the per-row cost (scan, function call + kernel,
# top-N sort), and runs the raw kernel benchmark. Usage: bench/scan_bench.sh (after the demo's
# set-up, or it does it). Writes nothing to the repository; copy the output into bench/README.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

"$PGREC_ROOT/scripts/cluster.sh" start >/dev/null
source <(grep -E '^(PGREC_DATA|PGREC_PORT|SOCKET_DIR)=' "$PGREC_ROOT/scripts/cluster.sh")
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PGREC_PORT" -U postgres -d postgres)
RUNS=${RUNS:-7}

# Median execution time in ms of a query, measured by EXPLAIN ANALYZE without per-node timing.
median_ms() {
	local query=$1 times=()
	for _ in $(seq "$RUNS"); do
		times+=("$("${PSQL[@]}" -c "SET max_parallel_workers_per_gather = ${WORKERS:-0}" \
			-c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $query" |
			grep -o '"Execution Time": [0-9.]*' | awk '{print $3}')")
	done
	printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]}'
}

"${PSQL[@]}" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS pgrec" \
	-c "CREATE EXTENSION IF NOT EXISTS pg_prewarm"
for rows in 100000 1000000; do
	table=scan_bench_$rows
	if [ "$("${PSQL[@]}" -c "SELECT count(*) FROM pg_class WHERE relname = '$table'")" = 0 ]; then
		echo "creating $table ($rows rows of embedding(64))"
		"${PSQL[@]}" -c "SELECT setseed(0.42)" -c "CREATE TABLE $table AS
			SELECT i AS id, array_to_embedding(ARRAY(SELECT (random() - 0.5)::real
				FROM generate_series(1, 64) WHERE i > 0), 64, true) AS e
			FROM generate_series(1, $rows) i" -c "VACUUM ANALYZE $table"
	fi
	q="'$("${PSQL[@]}" -c "SELECT e FROM $table WHERE id = 7")'::embedding"
	"${PSQL[@]}" -c "SELECT pg_prewarm('$table')" >/dev/null
	scan=$(median_ms "SELECT count(*) FROM $table")
	detoast=$(median_ms "SELECT max(dims(e)) FROM $table")
	distance=$(median_ms "SELECT min(e <#> $q) FROM $table")
	topk=$(median_ms "SELECT id FROM $table ORDER BY e <#> $q LIMIT 10")
	topk2=$(WORKERS=2 median_ms "SELECT id FROM $table ORDER BY e <#> $q LIMIT 10")
	echo "rows=$rows  (median of $RUNS runs, table in shared_buffers, one core unless stated)"
	echo "  seq scan, count(*):                 $scan ms"
	echo "  + read each value, max(dims(e)):    $detoast ms"
	echo "  + distance, min(e <#> q):           $distance ms"
	echo "  ORDER BY e <#> q LIMIT 10:          $topk ms"
	echo "  ORDER BY e <#> q LIMIT 10, 2 cores: $topk2 ms"
	awk -v r="$rows" -v s="$scan" -v d="$detoast" -v x="$distance" -v t="$topk" 'BEGIN {
		printf "  per row: scan %.0f ns, value access %.0f ns, distance call %.0f ns, top-N %.0f ns\n",
			s * 1e6 / r, (d - s) * 1e6 / r, (x - d) * 1e6 / r, (t - x) * 1e6 / r }'
done

echo
echo "raw kernel (bench/kernel_bench.cpp, built with CMake):"
BUILD=$PGREC_ROOT/build/cmake
cmake -S "$PGREC_ROOT" -B "$BUILD" >/dev/null && cmake --build "$BUILD" -j"$(nproc)" --target kernel_bench >/dev/null
"$BUILD/kernel_bench" 100000 64 50
"$BUILD/kernel_bench" 1000000 64 20
