#!/usr/bin/env bash
# NeuMF (issue 11) against matrix factorisation: ML-100K leave-one-out with 99 sampled negatives
# (HR@10, NDCG@10, the NCF protocol: each user's items ranked by recommend(candidates => ...)),
# with the seconds per epoch; the training loss and HR@10 after each epoch of neumf (a training of
# e epochs is the first e epochs of a longer one), plotted; and serving a 100,000-item catalogue
# through the network: recommend() over every item, re-ranking 100 candidates and a visitor's
# fold-in, against bpr's dot-product scan of the same catalogue. Writes bench/results/neumf.md and
# neumf_epochs.png. Usage: bench/neumf_bench.sh [DATA_DIR].
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
DATA=${1:-${PGREC_DATA_DIR:-$PGREC_ROOT/../shared/data}}
[ -f "$DATA/ml-100k/u.data" ] || { echo "missing $DATA/ml-100k/u.data" >&2; exit 1; }
PGREC_PACKAGES="gnuplot-nox" install_missing_packages >/dev/null
source "$PGREC_ROOT/bench/local_cluster.sh"
source "$PGREC_ROOT/bench/datasets.sh"
source "$PGREC_ROOT/bench/leave_one_out.sh"
OUT=$PGREC_ROOT/bench/results
step "loading data"
load_ml100k
make_leave_one_out

# loo NAME ALGORITHM EXTRA -> a table row: HR@10, NDCG@10, the mean time of an epoch (from the
# progress NOTICEs) and the whole training.
loo() {
	local seconds per_epoch hr ndcg
	seconds=$("${PSQL[@]}" -c "$SETTINGS" -c "SET pgrec.progress = on" -c "SELECT round(seconds::numeric, 1)
		FROM pgrec.train('nm_loo', 'loo_train', 'user_id', 'item_id', algorithm => '$2' $3)" \
		2>"$TMP/notices")
	per_epoch=$(grep -o ', [0-9.]* s$' "$TMP/notices" | awk '{s += $2; n++} END {printf "%.2f", s / n}')
	IFS='|' read -r hr ndcg < <(loo_metrics nm_loo)
	echo "$1: HR@10 $hr NDCG@10 $ndcg, $per_epoch s an epoch" >&2
	echo "| $1 | $hr | $ndcg | $per_epoch s | $seconds s |"
}

step "ML-100K leave-one-out, 99 sampled negatives"
SMALL="factors => 32, hidden_layers => '{32,16}'"
rows=$(loo "ials (defaults, 64 factors)" ials "")$'\n'
rows+=$(loo "bpr (defaults, 64 factors)" bpr "")$'\n'
rows+=$(loo "neumf (defaults: 64 factors, layers 64, 32)" neumf "")$'\n'
rows+=$(loo "neumf, 32 factors, layers 32, 16" neumf ", $SMALL")$'\n'
rows+=$(loo "neumf, dropout 0.2" neumf ", dropout => 0.2")$'\n'

step "neumf per epoch"
"${PSQL[@]}" -c "$SETTINGS" -c "SELECT 1 FROM pgrec.train('nm_loo', 'loo_train', 'user_id', 'item_id',
	algorithm => 'neumf')" >/dev/null
"${PSQL[@]}" -c "SELECT e, round(l::numeric, 4) FROM pgrec.models, unnest(loss_history) WITH ORDINALITY u(l, e)
	WHERE name = 'nm_loo'" | tr '|' ' ' >"$TMP/loss.dat"
epoch_rows=""
for e in 1 2 4 6 10 15 20; do
	"${PSQL[@]}" -c "$SETTINGS" -c "SELECT 1 FROM pgrec.train('nm_loo', 'loo_train', 'user_id', 'item_id',
		algorithm => 'neumf', epochs => $e)" >/dev/null
	IFS='|' read -r hr ndcg < <(loo_metrics nm_loo)
	echo "$e $hr" >>"$TMP/hr.dat"
	epoch_rows+="| $e | $(awk -v e="$e" '$1 == e {print $2}' "$TMP/loss.dat") | $hr | $ndcg |"$'\n'
	echo "epoch $e: HR@10 $hr" >&2
done
gnuplot <<PLOT
set terminal png size 800,500 noenhanced
set output '$OUT/neumf_epochs.png'
set title 'ML-100K leave-one-out: neumf (defaults) per epoch'
set xlabel 'epoch'; set ylabel 'training loss (binary cross-entropy)'; set y2label 'HR@10'
set ytics nomirror; set y2tics; set grid
plot '$TMP/loss.dat' with linespoints title 'training loss', \
     '$TMP/hr.dat' axes x1y2 with linespoints title 'HR@10'
PLOT

step "serving 100,000 items"
"${PSQL[@]}" >/dev/null <<'SQL'
DROP TABLE IF EXISTS nm_catalogue;
-- 10,000 users with 30 items each, and every one of the 100,000 items given to a user.
CREATE TABLE nm_catalogue AS
	SELECT u AS user_id, (u::bigint * 7919 + j * 104729) % 100000 + 1 AS item_id
	FROM generate_series(1, 10000) u, generate_series(1, 30) j
	UNION SELECT i % 10000 + 1, i FROM generate_series(1, 100000) i;
SQL
"${PSQL[@]}" -c "$SETTINGS" -c "SELECT 1 FROM pgrec.train('nm_big', 'nm_catalogue', 'user_id', 'item_id',
	algorithm => 'neumf', epochs => 2)" -c "SELECT 1 FROM pgrec.train('bpr_big', 'nm_catalogue',
	'user_id', 'item_id', algorithm => 'bpr', epochs => 2)" >/dev/null
# ms MODEL QUERY -> the mean milliseconds of 50 warm calls (one warm-up call first).
ms() {
	"${PSQL[@]}" -c "$SETTINGS" -c "CREATE FUNCTION pg_temp.ms(q text) RETURNS numeric LANGUAGE plpgsql AS \$\$
		DECLARE t0 timestamptz; BEGIN EXECUTE q; t0 := clock_timestamp();
		FOR i IN 1..50 LOOP EXECUTE q; END LOOP;
		RETURN round((extract(epoch FROM clock_timestamp() - t0) * 1000 / 50)::numeric, 2); END \$\$" \
		-c "SELECT pg_temp.ms(\$q\$ $1 \$q\$)"
}
CANDIDATES="ARRAY(SELECT g * 997 % 100000 + 1 FROM generate_series(1, 100) g)::bigint[]"
serve_rows=""
for model in nm_big bpr_big; do
	full=$(ms "SELECT count(*) FROM pgrec.recommend('$model', 17, 10)")
	reranked=$(ms "SELECT count(*) FROM pgrec.recommend('$model', 17, 10, candidates => $CANDIDATES)")
	visitor=$(ms "SELECT count(*) FROM pgrec.recommend_for_interactions('$model', '{11, 22, 33, 44, 55, 66, 77, 88, 99, 110}', k => 10)")
	echo "$model: recommend $full ms, 100 candidates $reranked ms, visitor $visitor ms" >&2
	serve_rows+="| $model | $full ms | $reranked ms | $visitor ms |"$'\n'
done
for m in nm_loo nm_big bpr_big; do
	"${PSQL[@]}" -c "SELECT pgrec.drop_model('$m')" >/dev/null
done
"${PSQL[@]}" -c "DROP TABLE nm_catalogue" >/dev/null

cat >"$OUT/neumf.md" <<EOF
# NeuMF (bench/neumf_bench.sh)

Measured $(date -u +%Y-%m-%d) on $(nproc) cores (pgrec.threads = 2).

## MovieLens-100K, leave-one-out, 99 sampled negatives (the NCF protocol)

| model | HR@10 | NDCG@10 | per epoch | training |
|---|---|---|---|---|
$rows
The NCF paper's figures are for ML-1M (NeuMF HR@10 0.730, NDCG@10 0.447, with pre-training),
quoted for scale only. two_tower on the same split: bench/results/two_tower.md.

## neumf per epoch (defaults)

| epochs | training loss | HR@10 | NDCG@10 |
|---|---|---|---|
$epoch_rows
![neumf per epoch](neumf_epochs.png)

## Serving 100,000 items (10,000 users, 64 factors, one warm backend)

Mean of 50 calls for user 17 (k = 10): every item scored; 100 candidates re-ranked; a visitor of
10 items folded in and served (neumf: fitted against the network, 100 Adam steps).

| model | recommend() | 100 candidates | visitor |
|---|---|---|---|
$serve_rows
EOF
echo "wrote bench/results/neumf.md" >&2
