#!/usr/bin/env bash
# recommend() benchmark (issue 4): warm and cold latency on a synthetic model of 1,000,000
# items x 64 factors against the memory floor (bench/kernel_bench) and the equivalent SQL
# ORDER BY factors <#> q LIMIT 10; on ML-1M, recommend_all and pgbench with 2 clients.
# Usage: bench/recommend_bench.sh [DATA_DIR]. Prints markdown tables.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
DATA=${1:-${PGREC_DATA_DIR:-$PGREC_ROOT/../shared/data}}
"$PGREC_ROOT/scripts/cluster.sh" start >/dev/null
source <(grep -E '^(PGREC_DATA|PGREC_PORT|SOCKET_DIR)=' "$PGREC_ROOT/scripts/cluster.sh")
CONNECT=(-h "$SOCKET_DIR" -p "$PGREC_PORT" -U postgres -d postgres)
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 "${CONNECT[@]}")
RUNS=${RUNS:-21}
TMP=$(mktemp -d)
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT

# Median of the "Execution Time" of RUNS EXPLAIN ANALYZE runs of a query in one session (warm).
median_ms() {
	for _ in $(seq "$RUNS"); do echo "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $1;"; done |
		"${PSQL[@]}" -c "SET max_parallel_workers_per_gather = 0" -c "SET pgrec.threads = ${THREADS:-2}" \
			-c "SET pgrec.compact_scan = ${COMPACT:-auto}" -f - |
		grep -o '"Execution Time": [0-9.]*' | awk '{print $3}' | sort -n |
		awk '{a[NR] = $1} END {printf "%.3f", a[int((NR + 1) / 2)]}'
}

step "synthetic model: 1,000,000 items x 64 factors, 1,000 users"
source "$PGREC_ROOT/bench/datasets.sh"
load_bench_1m
model_id=$("${PSQL[@]}" -c "SELECT model_id FROM pgrec.models WHERE name = 'bench_1m'")
query=$("${PSQL[@]}" -c "SELECT factors FROM pgrec.user_factors WHERE model_id = $model_id AND user_id = 7")
cold=$("${PSQL[@]}" -c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) SELECT * FROM pgrec.recommend('bench_1m', 7, 10)" |
	grep -o '"Execution Time": [0-9.]*' | awk '{printf "%.0f", $3}')
cache_mb=$("${PSQL[@]}" -c "SELECT count(*) FROM pgrec.recommend('bench_1m', 7, 10)" \
	-c "SELECT round(bytes / 1048576.0) FROM pgrec.cached_models() WHERE name = 'bench_1m'" | tail -1)
warm=$(median_ms "SELECT * FROM pgrec.recommend('bench_1m', 7, 10)")
warm_one_thread=$(THREADS=1 median_ms "SELECT * FROM pgrec.recommend('bench_1m', 7, 10)")
float_warm=$(COMPACT=off median_ms "SELECT * FROM pgrec.recommend('bench_1m', 7, 10)")
float_warm_one_thread=$(COMPACT=off THREADS=1 median_ms "SELECT * FROM pgrec.recommend('bench_1m', 7, 10)")
warm_vector=$(median_ms "SELECT * FROM pgrec.recommend_for_vector('bench_1m', '$query', 10)")
"${PSQL[@]}" -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" -c "SELECT pg_prewarm('pgrec.item_factors')" >/dev/null
sql_ms=$(RUNS=5 median_ms "SELECT item_id FROM pgrec.item_factors WHERE model_id = $model_id ORDER BY factors <#> '$query' LIMIT 10")
BUILD=$PGREC_ROOT/build/bench
cmake -S "$PGREC_ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target kernel_bench >/dev/null
floor=$("$BUILD/kernel_bench" 1000000 64 20 | grep 'memory read floor' | awk '{print $6}')

echo
echo "| 1,000,000 x 64 (256 MB of factors) | time |"
echo "|---|---:|"
echo "| memory floor: one core streaming the matrix (kernel_bench, same run) | $floor ms |"
echo "| recommend(k=10), warm, median of $RUNS, pgrec.threads = 1 | **$warm_one_thread ms** ($(echo "scale=2; $warm_one_thread / $floor" | bc)x the floor) |"
echo "| recommend(k=10), warm, median of $RUNS, pgrec.threads = 2 | **$warm ms** ($(echo "scale=2; $warm / $floor" | bc)x the one-core floor) |"
echo "| the same with pgrec.compact_scan = off (the float scan), 1 thread | $float_warm_one_thread ms ($(echo "scale=2; $float_warm_one_thread / $floor" | bc)x the floor) |"
echo "| the same with pgrec.compact_scan = off, 2 threads | $float_warm ms ($(echo "scale=2; $float_warm / $floor" | bc)x the floor) |"
echo "| recommend_for_vector(k=10), warm | $warm_vector ms |"
echo "| SQL ORDER BY factors <#> q LIMIT 10 over pgrec.item_factors, prewarmed, median of 5 | $sql_ms ms ($(echo "scale=0; $sql_ms / $warm_one_thread" | bc)x the one-thread recommend) |"
echo "| first call in a new connection (loads the model, makes the compact copy) | $cold ms |"
echo "| memory of the cached model in the backend (with the compact copy) | $cache_mb MB |"

step "ML-1M: recommend_all and throughput"
if [ -f "$DATA/ml-1m/ratings_uir.dat" ]; then
	"${PSQL[@]}" >/dev/null <<SQL
SET client_min_messages = warning;
SET pgrec.progress = off;
DROP TABLE IF EXISTS bench_ml1m_ratings;
CREATE TABLE bench_ml1m_ratings (user_id int, item_id int, rating real);
\copy bench_ml1m_ratings FROM PROGRAM 'sed "s/::/\t/g" $DATA/ml-1m/ratings_uir.dat'
SELECT users FROM pgrec.train('bench_ml1m', 'bench_ml1m_ratings', 'user_id', 'item_id', 'rating');
SQL
	echo "(trained bench_ml1m)"
	all_ms=$(RUNS=5 median_ms "SELECT * FROM pgrec.recommend_all('bench_ml1m', 10)")
	one_ms=$(median_ms "SELECT * FROM pgrec.recommend('bench_ml1m', 42, 10)")
	lateral_ms=$(RUNS=5 median_ms "SELECT u, r.* FROM generate_series(1, 6040) u CROSS JOIN LATERAL pgrec.recommend('bench_ml1m', u, 10) r")
	echo '\set user random(1, 6040)
SELECT * FROM pgrec.recommend('"'"'bench_ml1m'"'"', :user, 10);' >"$TMP/recommend.sql"
	tps=$(pgbench -n -c 2 -j 2 -T 10 -f "$TMP/recommend.sql" "${CONNECT[@]}" 2>/dev/null | grep -o 'tps = [0-9.]*' | awk '{printf "%.0f", $3}')
	latency=$(pgbench -n -c 2 -j 2 -T 5 -f "$TMP/recommend.sql" "${CONNECT[@]}" 2>/dev/null | grep -o 'latency average = [0-9.]* ms' | awk '{print $4}')
	echo
	echo "| ML-1M (6,040 users x 3,706 items, 64 factors) | time |"
	echo "|---|---:|"
	echo "| recommend_all(k=10): 60,400 rows | **$all_ms ms** |"
	echo "| recommend(k=10), warm, one user | $one_ms ms |"
	echo "| LATERAL recommend(k=10) for all 6,040 users | $lateral_ms ms |"
	echo "| pgbench, 2 clients, random users, 10 s | **$tps calls/s** (average latency $latency ms) |"
fi
