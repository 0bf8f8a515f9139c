#!/usr/bin/env bash
# Re-ranking benchmark: (a) what diversity and genre caps cost in accuracy on MovieLens-1M (an
# 'ials' model at its defaults, a seeded 80/20 split per user): NDCG@10 and intra-list
# diversity; (b) recommend() latency with and without diversity and caps over 1,000,000
# synthetic items x 64 factors. Usage: bench/rerank_bench.sh [DATA_DIR]. Prints markdown tables.
# By default it uses the local cluster of scripts/cluster.sh (pgrec installed in the system);
# PGREC_BINDIR=/prefix/usr/lib/postgresql/15/bin runs a cluster of that server instead (e.g. a
# private prefix with this build installed), in .pgrec/rerank-bench on port PGREC_BENCH_PORT
# (5441), stopped at the end unless KEEP_CLUSTER=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
DATA=${1:-${PGREC_DATA_DIR:-$PGREC_ROOT/../shared/data}}
RUNS=${RUNS:-31}
PARTS=${PARTS:-ab} # a: ML-1M accuracy, b: latency
if [ -n "${PGREC_BINDIR:-}" ]; then
	PG_BINDIR=$PGREC_BINDIR
	CLUSTER=$PGREC_ROOT/.pgrec/rerank-bench
	PORT=${PGREC_BENCH_PORT:-5441}
	mkdir -p "$PGREC_ROOT/.pgrec"
	grant_postgres_traversal "$PGREC_ROOT/.pgrec"
	if [ ! -f "$CLUSTER/data/PG_VERSION" ]; then
		start_temp_cluster "$CLUSTER" "$PORT"
	elif ! as_postgres "$PG_BINDIR/pg_ctl" -D "$CLUSTER/data" status >/dev/null 2>&1; then
		as_postgres "$PG_BINDIR/pg_ctl" -D "$CLUSTER/data" -l "$CLUSTER/server.log" -w start >/dev/null
	fi
	CONNECT=(-h "$CLUSTER" -p "$PORT" -U postgres -d postgres)
else
	"$PGREC_ROOT/scripts/cluster.sh" start >/dev/null
	source <(grep -E '^(PGREC_DATA|PGREC_PORT|SOCKET_DIR)=' "$PGREC_ROOT/scripts/cluster.sh")
	CONNECT=(-h "$SOCKET_DIR" -p "$PGREC_PORT" -U postgres -d postgres)
fi
PSQL=(psql -X -q -At -F '|' -v ON_ERROR_STOP=1 "${CONNECT[@]}")
TMP=$(mktemp -d)
chmod 755 "$TMP"
trap 'rm -rf "$TMP"; [ -z "${CLUSTER:-}" ] || [ "${KEEP_CLUSTER:-0}" = 1 ] || stop_temp_cluster "$CLUSTER"' EXIT
echo "server: PostgreSQL $("${PSQL[@]}" -c "SHOW server_version") of $PG_BINDIR, data in $("${PSQL[@]}" -c "SHOW data_directory")"
echo "load before: $(uptime)"

# The median of the numbers on stdin.
median() {
	sort -n | awk '{a[NR] = $1} END {printf "%.3f", a[int((NR + 1) / 2)]}'
}

# paired THREADS Q1 Q2 -> "median ms of Q1|median ms of Q2|median of the pairs' Q2/Q1": RUNS
# alternating EXPLAIN ANALYZE runs of the two in one session after a warm-up call, so that a
# change of the machine's load (other work on the shared cores) hits both alike.
paired() {
	{
		echo "SELECT count(*) FROM pgrec.recommend('bench_1m', 7, 10);"
		for _ in $(seq "$RUNS"); do
			echo "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $2;"
			echo "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $3;"
		done
	} | "${PSQL[@]}" -c "SET max_parallel_workers_per_gather = 0" -c "SET pgrec.threads = $1" -f - |
		grep -o '"Execution Time": [0-9.]*' | awk '{print $3}' | paste - - >"$TMP/pairs"
	echo "$(cut -f1 "$TMP/pairs" | median)|$(cut -f2 "$TMP/pairs" | median)|$(awk '{print $2 / $1}' "$TMP/pairs" | median)"
}

step "(a) ML-1M: NDCG@10 and intra-list diversity by diversity, ials defaults, 80/20 per user"
if [[ $PARTS != *a* ]]; then
	echo "skipped (PARTS=$PARTS)"
elif [ -f "$DATA/ml-1m/ratings_uir.dat" ]; then
	# Each film's first listed genre is its group.
	awk -F'::' '{split($3, g, "|"); print $1 "\t" g[1]}' "$DATA/ml-1m/movies.dat" >"$TMP/genres.tsv"
	"${PSQL[@]}" >/dev/null <<SQL
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
CREATE EXTENSION IF NOT EXISTS pgrec;
DROP TABLE IF EXISTS rerank_ml1m, rerank_ml1m_split, rerank_ml1m_genres, rerank_ml1m_relevant;
CREATE TABLE rerank_ml1m (user_id int, item_id int, rating real);
\copy rerank_ml1m FROM PROGRAM 'sed "s/::/\t/g" $DATA/ml-1m/ratings_uir.dat'
-- 20% of each user's ratings (rounded) drawn at random with a fixed seed are the test set.
SELECT setseed(0.42);
CREATE TABLE rerank_ml1m_split AS
SELECT user_id, item_id, rating, n <= round(0.2 * total) AS is_test FROM (
	SELECT *, row_number() OVER (PARTITION BY user_id ORDER BY r) AS n, count(*) OVER (PARTITION BY user_id) AS total
	FROM (SELECT *, random() AS r FROM (SELECT * FROM rerank_ml1m ORDER BY user_id, item_id) o) s) t;
CREATE TABLE rerank_ml1m_relevant AS SELECT user_id, item_id FROM rerank_ml1m_split WHERE is_test AND rating >= 4;
CREATE INDEX ON rerank_ml1m_relevant (user_id, item_id);
CREATE TABLE rerank_ml1m_genres (item_id int PRIMARY KEY, genre text);
\copy rerank_ml1m_genres FROM '$TMP/genres.tsv'
ANALYZE rerank_ml1m_split, rerank_ml1m_relevant, rerank_ml1m_genres;
SQL
	trained=$("${PSQL[@]}" -c "SET pgrec.progress = off" -c "SET pgrec.threads = 2" -c "SELECT users || ' users, ' || items || ' items, '
		|| round(seconds::numeric, 2) || ' s' FROM pgrec.train('rerank_ials',
		'SELECT user_id, item_id FROM rerank_ml1m_split WHERE NOT is_test AND rating >= 4', 'user_id', 'item_id', algorithm => 'ials')")
	echo "trained rerank_ials: $trained"
	reference=$("${PSQL[@]}" -c "SELECT round(ndcg_at_k::numeric, 4) || ' over ' || users || ' users' FROM pgrec.evaluate('rerank_ials',
		'SELECT user_id, item_id, rating FROM rerank_ml1m_split WHERE is_test', 'user_id', 'item_id', 'rating', k => 10,
		relevance_threshold => 4)")
	# metrics DIVERSITY ITEM_GROUPS MAX_PER_GROUP -> "ndcg|ild|distinct items|users": the top 10 of
	# every user the model knows with a relevant test item; NDCG with binary gains normalised by
	# the ideal min(relevant, 10) hits (pgrec.evaluate's definition); intra-list diversity
	# 1 - the mean cosine of the 45 pairs of a list's item factors, averaged over users.
	metrics() {
		"${PSQL[@]}" -c "SET pgrec.threads = 1" -f - <<SQL | tail -1
CREATE TEMP TABLE recs AS
SELECT u.user_id, r.item_id, r.n
FROM (SELECT DISTINCT t.user_id FROM rerank_ml1m_relevant t JOIN pgrec.user_factors f ON f.user_id = t.user_id
	AND f.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'rerank_ials')) u
CROSS JOIN LATERAL pgrec.recommend('rerank_ials', u.user_id, 10, diversity => $1, item_groups => $2,
	max_per_group => $3) WITH ORDINALITY AS r(item_id, score, n);
WITH ideal AS (
	SELECT user_id, (SELECT sum(1 / log(2, i + 1)) FROM generate_series(1, least(10, relevant)) i) AS idcg
	FROM (SELECT user_id, count(*) AS relevant FROM rerank_ml1m_relevant
		WHERE user_id IN (SELECT user_id FROM recs) GROUP BY user_id) c),
gain AS (
	SELECT r.user_id, sum(CASE WHEN t.item_id IS NULL THEN 0 ELSE 1 / log(2, r.n + 1) END) AS dcg
	FROM recs r LEFT JOIN rerank_ml1m_relevant t USING (user_id, item_id) GROUP BY r.user_id),
spread AS (
	SELECT x.user_id, 1 - avg(cosine_similarity(a.factors, b.factors)) AS ild
	FROM recs x JOIN recs y ON x.user_id = y.user_id AND x.item_id < y.item_id,
		(SELECT model_id FROM pgrec.models WHERE name = 'rerank_ials') m, pgrec.item_factors a, pgrec.item_factors b
	WHERE a.model_id = m.model_id AND a.item_id = x.item_id AND b.model_id = m.model_id AND b.item_id = y.item_id
	GROUP BY x.user_id)
SELECT round(avg(dcg / idcg)::numeric, 4), round(avg(ild)::numeric, 4), (SELECT count(DISTINCT item_id) FROM recs), count(*)
FROM ideal JOIN gain USING (user_id) JOIN spread USING (user_id);
SQL
	}
	echo
	echo "| diversity | item groups | NDCG@10 | intra-list diversity | distinct items recommended |"
	echo "|---:|---|---:|---:|---:|"
	for d in 0 0.1 0.3 0.5 0.7; do
		IFS='|' read -r ndcg ild items users < <(metrics "$d" NULL NULL)
		echo "| $d | - | **$ndcg** | **$ild** | $items |"
	done
	for d in 0 0.3; do
		IFS='|' read -r ndcg ild items users < <(metrics "$d" "'rerank_ml1m_genres'" 3)
		echo "| $d | first genre, max_per_group 3 | $ndcg | $ild | $items |"
	done
	echo
	echo "Users: $users (those the model knows with a test rating >= 4). pgrec.evaluate's NDCG@10 of the same model and split: $reference."
else
	echo "no $DATA/ml-1m/ratings_uir.dat: skipped"
fi

step "(b) latency: 1,000,000 items x 64 factors, k = 10"
[[ $PARTS == *b* ]] || exit 0
source "$PGREC_ROOT/bench/datasets.sh"
load_bench_1m
"${PSQL[@]}" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS bench_1m_groups AS SELECT i::bigint AS item_id, i % 1000 AS category FROM generate_series(1, 1000000) i;
CREATE UNIQUE INDEX IF NOT EXISTS bench_1m_groups_item ON bench_1m_groups (item_id);
ANALYZE bench_1m_groups;
SQL
PLAIN="SELECT * FROM pgrec.recommend('bench_1m', 7, 10)"
CAPS="item_groups => 'bench_1m_groups', max_per_group => 1"
echo
echo "| recommend('bench_1m', 7, 10, ...), warm, $RUNS alternating pairs | 1 thread: plain / variant | ratio | 2 threads: plain / variant | ratio |"
echo "|---|---:|---:|---:|---:|"
for variant in "diversity => 0.3" "diversity => 0.9" "$CAPS" "diversity => 0.3, $CAPS"; do
	query="SELECT * FROM pgrec.recommend('bench_1m', 7, 10, $variant)"
	IFS='|' read -r p1 v1 r1 < <(paired 1 "$PLAIN" "$query")
	IFS='|' read -r p2 v2 r2 < <(paired 2 "$PLAIN" "$query")
	echo "| \`$variant\` | $p1 / $v1 ms | **${r1}x** | $p2 / $v2 ms | **${r2}x** |"
done
IFS='|' read -r p1 v1 r1 < <(paired 1 "SELECT * FROM pgrec.recommend('bench_1m', 7, 100)" \
	"SELECT * FROM pgrec.recommend('bench_1m', 7, 100, diversity => 0.3)")
echo "| k = 100, \`diversity => 0.3\` (pool of 1,000) | $p1 / $v1 ms | **${r1}x** | | |"
echo
echo "load after: $(uptime)"
