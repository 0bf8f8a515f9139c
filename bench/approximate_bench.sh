#!/usr/bin/env bash
# Approximate search benchmark (issue 13, part 3): models of ITEMS items x 64 factors (default
# 1,000,000; ITEMS=10000000 for the issue's 10M) imported into the local cluster, one of
# isotropic random factors (uniform in [-0.5, 0.5), as recommend_bench's model) and one of
# clustered factors like trained ones (1,000 tastes, each item a taste plus noise of half its
# norm, times a log-normal-like popularity norm), 200 users drawn the same way. For each: the
# index build (the first approximate call of a version), its size, warm recommend() exact and
# approximate (median of RUNS), and recall@10 against the exact scan over the 200 users.
# Usage: bench/approximate_bench.sh. Prints a markdown table.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
"$PGREC_ROOT/scripts/cluster.sh" start >/dev/null
source <(grep -E '^(PGREC_DATA|PGREC_PORT|SOCKET_DIR)=' "$PGREC_ROOT/scripts/cluster.sh")
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PGREC_PORT" -U postgres -d postgres)
ITEMS=${ITEMS:-1000000}
RUNS=${RUNS:-21}
# A 10M x 64 model takes about 3 GB to load: above the default pgrec.training_memory_limit.
export PGOPTIONS="${PGOPTIONS:-} -c pgrec.training_memory_limit=16GB"

# Median of the "Execution Time" of RUNS EXPLAIN ANALYZE runs of a query in one session (warm).
median_ms() {
	for _ in $(seq "$RUNS"); do echo "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $1;"; done |
		"${PSQL[@]}" -c "SET pgrec.threads = ${THREADS:-2}" -f - |
		grep -o '"Execution Time": [0-9.]*' | awk '{print $3}' | sort -n |
		awk '{a[NR] = $1} END {printf "%.3f", a[int((NR + 1) / 2)]}'
}

# The rows of `items` factors of a kind: random or clustered.
factors_sql() {
	if [ "$1" = random ]; then
		echo "ARRAY(SELECT (random() - 0.5)::real FROM generate_series(1, 64) WHERE g > 0)"
	else
		echo "ARRAY(SELECT (s.norm * (t.f[d] + (random() - 0.5) * 0.5))::real FROM generate_series(1, 64) d)"
	fi
}
make_model() {
	local kind=$1 name=bench_ivf_$1
	"${PSQL[@]}" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgrec;
SET pgrec.progress = off;
SELECT setseed(0.17);
DROP TABLE IF EXISTS ${name}_tastes, ${name}_items, ${name}_users;
CREATE TABLE ${name}_tastes AS SELECT t, ARRAY(SELECT (random() - 0.5)::real FROM generate_series(1, 64) WHERE t >= 0) AS f
FROM generate_series(0, 999) t;
CREATE TABLE ${name}_items AS SELECT g AS item_id, $(factors_sql "$kind") AS f
FROM generate_series(1, $ITEMS) g, LATERAL (SELECT exp(0.5 * (random() - 0.5)) AS norm, (random() * 999)::int AS taste WHERE g > 0) s
	JOIN ${name}_tastes t ON t.t = s.taste;
CREATE TABLE ${name}_users AS SELECT g AS user_id, $(factors_sql "$kind") AS f
FROM generate_series(1, 200) g, LATERAL (SELECT exp(0.5 * (random() - 0.5)) AS norm, (random() * 999)::int AS taste WHERE g > 0) s
	JOIN ${name}_tastes t ON t.t = s.taste;
SELECT pgrec.import_model('$name', '${name}_items', 'item_id', 'f', '${name}_users', 'user_id');
DROP TABLE ${name}_items;
SQL
}
recall_sql() {
	echo "SELECT round(count(*)::numeric / 2000, 4) FROM generate_series(1, 200) u,
		LATERAL (SELECT item_id FROM pgrec.recommend('$1', u, 10)
		         INTERSECT SELECT item_id FROM pgrec.recommend('$1', u, 10, exact => false$2)) x"
}

echo "| $ITEMS x 64 | index build | index | exact recommend() 2 threads / 1 | approximate, default probes | recall@10 | 1% of the lists | recall@10 | 10% of the lists | recall@10 |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for kind in clustered random; do
	name=bench_ivf_$kind
	step "$kind model: $ITEMS x 64" >&2
	make_model "$kind"
	lists=$(echo "sqrt($ITEMS)" | bc)
	one=$(( (lists + 99) / 100 )); ten=$(( (lists + 9) / 10 ))
	# A new connection: the model's file mapped (or loaded), then the index built and written.
	out=$("${PSQL[@]}" -c "SELECT count(*) FROM pgrec.recommend('$name', 1, 10)" \
		-c "SELECT shared_bytes FROM pgrec.cached_models() WHERE name = '$name'" \
		-c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) SELECT * FROM pgrec.recommend('$name', 1, 10, exact => false)" \
		-c "SELECT shared_bytes FROM pgrec.cached_models() WHERE name = '$name'")
	before=$(echo "$out" | sed -n 2p)
	after=$(echo "$out" | tail -1)
	build=$(echo "$out" | grep -o '"Execution Time": [0-9.]*' | awk '{printf "%.1f", $3 / 1000}')
	exact=$(median_ms "SELECT * FROM pgrec.recommend('$name', 7, 10)")
	exact_one=$(THREADS=1 median_ms "SELECT * FROM pgrec.recommend('$name', 7, 10)")
	approx=$(median_ms "SELECT * FROM pgrec.recommend('$name', 7, 10, exact => false)")
	approx_one=$(median_ms "SELECT * FROM pgrec.recommend('$name', 7, 10, exact => false, probes => $one)")
	approx_ten=$(median_ms "SELECT * FROM pgrec.recommend('$name', 7, 10, exact => false, probes => $ten)")
	recall=$("${PSQL[@]}" -c "$(recall_sql "$name" "")")
	recall_one=$("${PSQL[@]}" -c "$(recall_sql "$name" ", probes => $one")")
	recall_ten=$("${PSQL[@]}" -c "$(recall_sql "$name" ", probes => $ten")")
	speed() { echo "scale=1; $exact / $1" | bc; }
	echo "| $kind | ${build} s | $(( (after - before) / 1048576 )) MB | $exact / $exact_one ms | $approx ms ($(speed "$approx")x) | **$recall** | $approx_one ms ($(speed "$approx_one")x) | $recall_one | $approx_ten ms ($(speed "$approx_ten")x) | $recall_ten |"
done
