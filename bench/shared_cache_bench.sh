#!/usr/bin/env bash
# Shared model cache benchmark (issue 13, part 1): on the synthetic 1,000,000 x 64 model of
# recommend_bench.sh, the first recommend() of a new connection and pgbench with a new
# connection per transaction (-C, 32 clients), with pgrec.shared_cache off (each connection
# loads its own copy) and on (connections map the one file), and the memory the server's
# processes take meanwhile (the sum of their proportional set sizes, shared pages split between
# the processes that map them). Usage: bench/shared_cache_bench.sh. Prints a markdown table.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
source "$PGREC_ROOT/bench/local_cluster.sh"
CONNECT=(-h "$SOCKET_DIR" -p "$PGREC_PORT" -U postgres -d postgres)
SECONDS_EACH=${SECONDS_EACH:-15}
source "$PGREC_ROOT/bench/datasets.sh"
load_bench_1m
CACHE="$("${PSQL[@]}" -c "SHOW data_directory")/pgrec_cache"

# Milliseconds of the first recommend() in a new connection, with shared_cache $1.
first_call() {
	PGOPTIONS="-c pgrec.shared_cache=$1" "${PSQL[@]}" -c '\timing on' \
		-c "SELECT count(*) FROM pgrec.recommend('bench_1m', 7, 10)" | grep -o 'Time: [0-9.]*' | awk '{printf "%.0f", $2}'
}

# The sum of the proportional set sizes of the server's processes, in MB.
server_pss_mb() {
	local total=0 pid
	for pid in $(pgrep -u postgres postgres); do
		total=$((total + $(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)))
	done
	echo $((total / 1024))
}

echo '\set user random(1, 1000)
SELECT * FROM pgrec.recommend('"'"'bench_1m'"'"', :user, 10);' >"$TMP/recommend.sql"
# pgbench -C with shared_cache $1: "tps peak-memory-MB".
connections_per_second() {
	PGOPTIONS="-c pgrec.shared_cache=$1" pgbench -n -C -c 32 -j 2 -T "$SECONDS_EACH" -f "$TMP/recommend.sql" \
		"${CONNECT[@]}" >"$TMP/pgbench.out" 2>&1 &
	local bench=$! peak=0 now
	while kill -0 $bench 2>/dev/null; do
		now=$(server_pss_mb)
		[ "$now" -gt "$peak" ] && peak=$now
		sleep 1
	done
	wait $bench
	echo "$(grep -o 'tps = [0-9.]*' "$TMP/pgbench.out" | awk '{printf "%.1f", $3}') $peak"
}

rm -f "$CACHE"/*.model 2>/dev/null || true
off_first=$(first_call off)
writer_first=$(first_call on)
mapped_first=$(for _ in 1 2 3 4 5; do first_call on; echo; done | sort -n | sed -n 3p)
idle=$(server_pss_mb)
read -r off_tps off_mb <<<"$(connections_per_second off)"
read -r on_tps on_mb <<<"$(connections_per_second on)"
file_mb=$(du -m "$CACHE" | tail -1 | awk '{print $1}')

echo "| 1,000,000 x 64, $(date +%F) | shared_cache = off | shared_cache = on |"
echo "|---|---:|---:|"
echo "| first recommend() of a new connection | $off_first ms (loads the tables) | $writer_first ms the first connection (loads and writes the file), **$mapped_first ms** each later one (maps it; median of 5) |"
echo "| pgbench -C, 32 clients, ${SECONDS_EACH} s: transactions (connections) per second | $off_tps | **$on_tps** |"
echo "| peak memory of the server's processes (sum of PSS) during it, idle $idle MB | $off_mb MB | $on_mb MB |"
echo "| shared cache files | - | $file_mb MB |"
