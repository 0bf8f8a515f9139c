#!/usr/bin/env bash
# explain() benchmark: the warm latency of explaining a score by a user's 500 training items
# (64 factors for the factor models) for every algorithm, beside recommend_for_interactions() over the same items.
# Synthetic data (pgrec.synthetic_ratings: 2,000 users x 4,000 items, 500 ratings each), so it
# needs no data set. Usage: bench/explain_bench.sh. Uses the local cluster of
# scripts/cluster.sh (pgrec installed into the system's PostgreSQL), or with PGHOST set the
# server PGHOST/PGPORT/PGUSER name, where pgrec must be installed. Prints a markdown table.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
if [ -z "${PGHOST:-}" ]; then
	"$PGREC_ROOT/scripts/cluster.sh" start >/dev/null
	source <(grep -E '^(PGREC_DATA|PGREC_PORT|SOCKET_DIR)=' "$PGREC_ROOT/scripts/cluster.sh")
	CONNECT=(-h "$SOCKET_DIR" -p "$PGREC_PORT" -U postgres -d postgres)
else
	CONNECT=()
fi
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 "${CONNECT[@]}")
RUNS=${RUNS:-21}

# Median of the "Execution Time" of RUNS EXPLAIN ANALYZE runs of a query in one session (warm:
# the first, untimed run loads the model into the backend's cache).
median_ms() {
	{
		echo "SELECT count(*) FROM ($1) warm;"
		for _ in $(seq "$RUNS"); do echo "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $1;"; done
	} | "${PSQL[@]}" -c "SET max_parallel_workers_per_gather = 0" -f - |
		grep -o '"Execution Time": [0-9.]*' | awk '{print $3}' | sort -n |
		awk '{a[NR] = $1} END {printf "%.3f", a[int((NR + 1) / 2)]}'
}

step "synthetic data: 2,000 users x 4,000 items, 500 ratings each; one model per algorithm"
"${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
SET pgrec.progress = off;
CREATE EXTENSION IF NOT EXISTS pgrec;
DROP TABLE IF EXISTS bench_explain_ratings;
CREATE TABLE bench_explain_ratings AS
	SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(2000, 4000, 500, 8, 42);
SELECT 'ials', seconds FROM pgrec.train('bench_explain_ials', 'bench_explain_ratings', 'user_id', 'item_id', algorithm => 'ials');
SELECT 'als', seconds FROM pgrec.train('bench_explain_als', 'bench_explain_ratings', 'user_id', 'item_id', 'rating');
SELECT 'bpr', seconds FROM pgrec.train('bench_explain_bpr', 'bench_explain_ratings', 'user_id', 'item_id', algorithm => 'bpr', epochs => 5);
SELECT 'svd', seconds FROM pgrec.train('bench_explain_svd', 'bench_explain_ratings', 'user_id', 'item_id', algorithm => 'svd');
SELECT 'item_knn', seconds FROM pgrec.train('bench_explain_item_knn', 'bench_explain_ratings', 'user_id', 'item_id', algorithm => 'item_knn');
SELECT 'user_knn', seconds FROM pgrec.train('bench_explain_user_knn', 'bench_explain_ratings', 'user_id', 'item_id', algorithm => 'user_knn');
SELECT 'ease', seconds FROM pgrec.train('bench_explain_ease', 'bench_explain_ratings', 'user_id', 'item_id', algorithm => 'ease');
SQL
user=7
# The user's history as array literals, so that the timed queries read no table.
items="'$("${PSQL[@]}" -c "SELECT array_agg(item_id ORDER BY item_id) FROM bench_explain_ratings WHERE user_id = $user")'::bigint[]"
ratings="'$("${PSQL[@]}" -c "SELECT array_agg(rating ORDER BY item_id) FROM bench_explain_ratings WHERE user_id = $user")'::real[]"
seen=$("${PSQL[@]}" -c "SELECT count(*) FROM bench_explain_ratings WHERE user_id = $user")
target=$("${PSQL[@]}" -c "SELECT item_id FROM pgrec.recommend('bench_explain_ials', $user, 1)")

echo
echo "| user $user ($seen training items), 64 factors, item $target, n = 5 | warm, median of $RUNS |"
echo "|---|---:|"
for algorithm in ials bpr svd item_knn user_knn ease; do
	echo "| \`explain\`, $algorithm | **$(median_ms "SELECT * FROM pgrec.explain('bench_explain_$algorithm', $user, $target)") ms** |"
done
echo "| \`explain_for_interactions\`, ials, the same $seen items | $(median_ms "SELECT * FROM pgrec.explain_for_interactions('bench_explain_ials', $items, NULL, $target)") ms |"
echo "| \`explain_for_interactions\`, als, the same items and their ratings | **$(median_ms "SELECT * FROM pgrec.explain_for_interactions('bench_explain_als', $items, $ratings, $target)") ms** |"
echo "| \`recommend_for_interactions(k=10)\`, ials, the same items (for comparison) | $(median_ms "SELECT * FROM pgrec.recommend_for_interactions('bench_explain_ials', $items, k => 10)") ms |"
echo "| \`recommend_for_interactions(k=10)\`, als, the same items and ratings | $(median_ms "SELECT * FROM pgrec.recommend_for_interactions('bench_explain_als', $items, $ratings, 10)") ms |"
echo "| \`recommend_for_interactions(k=10)\`, bpr, the same items | $(median_ms "SELECT * FROM pgrec.recommend_for_interactions('bench_explain_bpr', $items, k => 10)") ms |"
