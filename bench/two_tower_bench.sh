#!/usr/bin/env bash
# The two-tower network (issue 11) against matrix factorisation at the same factors: Gowalla
# (LightGCN split, full ranking) Recall@20 / NDCG@20 and seconds per epoch for ials, bpr and
# two_tower (its default towers and one 64-unit layer); the training loss and Recall@20 after each
# epoch of two_tower (a training of e epochs is the first e epochs of a longer one: the thread
# count fixes the order of every sum), plotted; ML-100K leave-one-out with 99 sampled negatives
# (HR@10, NDCG@10, the NCF protocol). Writes bench/results/two_tower.md and two_tower_epochs.png.
# Usage: bench/two_tower_bench.sh [DATA_DIR]. Item cold start is in bench/cold_start.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
DATA=${1:-${PGREC_DATA_DIR:-$PGREC_ROOT/../shared/data}}
for f in gowalla/train.txt gowalla/valid.txt gowalla/test.txt ml-100k/u.data; do
	[ -f "$DATA/$f" ] || { echo "missing $DATA/$f" >&2; exit 1; }
done
PGREC_PACKAGES="gnuplot-nox" install_missing_packages >/dev/null
source "$PGREC_ROOT/bench/local_cluster.sh"
source "$PGREC_ROOT/bench/datasets.sh"
source "$PGREC_ROOT/bench/leave_one_out.sh"
OUT=$PGREC_ROOT/bench/results
NARROW="hidden_layers => '{64}'"
step "loading data"
load_gowalla
load_ml100k
make_leave_one_out

# gowalla NAME ALGORITHM EXTRA -> a table row: Recall@20, NDCG@20, the mean time of an epoch
# (from the progress NOTICEs) and the whole training.
gowalla() {
	local seconds per_epoch metrics
	seconds=$("${PSQL[@]}" -c "$SETTINGS" -c "SET pgrec.progress = on" -c "SELECT round(seconds::numeric, 1)
		FROM pgrec.train('tt_bench', 'bench_gowalla_train', 'user_id', 'item_id', algorithm => '$2' $3)" \
		2>"$TMP/notices")
	per_epoch=$(grep -o ', [0-9.]* s$' "$TMP/notices" | awk '{s += $2; n++} END {printf "%.2f", s / n}')
	metrics=$("${PSQL[@]}" -c "$SETTINGS" -c "SELECT round(recall_at_k::numeric, 4) || ' | ' ||
		round(ndcg_at_k::numeric, 4) FROM pgrec.evaluate('tt_bench', 'bench_gowalla_test', 'user_id',
		'item_id', k => 20)")
	echo "$1: $metrics, $per_epoch s an epoch, $seconds s" >&2
	echo "| $1 | $metrics | $per_epoch s | $seconds s |"
}

step "Gowalla, 64 factors"
rows=$(gowalla "ials (defaults)" ials "")$'\n'
rows+=$(gowalla "bpr (defaults)" bpr "")$'\n'
rows+=$(gowalla "two_tower (defaults: towers 256, 128)" two_tower "")$'\n'
rows+=$(gowalla "two_tower, one 64-unit layer" two_tower ", $NARROW")$'\n'
rows+=$(gowalla "two_tower, one 64-unit layer, loss bpr" two_tower ", $NARROW, loss => 'bpr'")$'\n'

step "two_tower per epoch"
"${PSQL[@]}" -c "$SETTINGS" -c "SELECT 1 FROM pgrec.train('tt_bench', 'bench_gowalla_train', 'user_id',
	'item_id', algorithm => 'two_tower', $NARROW)" >/dev/null
"${PSQL[@]}" -c "SELECT e, round(l::numeric, 4) FROM pgrec.models, unnest(loss_history) WITH ORDINALITY u(l, e)
	WHERE name = 'tt_bench'" | tr '|' ' ' >"$TMP/loss.dat"
epoch_rows=""
for e in 1 2 4 6 8 10; do
	"${PSQL[@]}" -c "$SETTINGS" -c "SELECT 1 FROM pgrec.train('tt_epochs', 'bench_gowalla_train', 'user_id',
		'item_id', algorithm => 'two_tower', $NARROW, epochs => $e)" >/dev/null
	recall=$("${PSQL[@]}" -c "$SETTINGS" -c "SELECT round(recall_at_k::numeric, 4) FROM
		pgrec.evaluate('tt_epochs', 'bench_gowalla_test', 'user_id', 'item_id', k => 20)")
	echo "$e $recall" >>"$TMP/recall.dat"
	epoch_rows+="| $e | $(awk -v e="$e" '$1 == e {print $2}' "$TMP/loss.dat") | $recall |"$'\n'
	echo "epoch $e: Recall@20 $recall" >&2
done
gnuplot <<PLOT
set terminal png size 800,500 noenhanced
set output '$OUT/two_tower_epochs.png'
set title 'Gowalla: two_tower (one 64-unit layer) per epoch'
set xlabel 'epoch'; set ylabel 'training loss (sampled softmax)'; set y2label 'test Recall@20'
set ytics nomirror; set y2tics; set grid
plot '$TMP/loss.dat' with linespoints title 'training loss', \
     '$TMP/recall.dat' axes x1y2 with linespoints title 'Recall@20'
PLOT

step "ML-100K leave-one-out, 99 sampled negatives"
loo_rows=""
for run in "ials|ials|" "bpr|bpr|" "two_tower (defaults)|two_tower|" \
	"two_tower, one 64-unit layer|two_tower|, $NARROW"; do
	IFS='|' read -r label algorithm extra <<<"$run"
	"${PSQL[@]}" -c "$SETTINGS" -c "SELECT 1 FROM pgrec.train('tt_loo', 'loo_train', 'user_id', 'item_id',
		algorithm => '$algorithm' $extra)" >/dev/null
	IFS='|' read -r hr ndcg < <(loo_metrics tt_loo)
	echo "$label: HR@10 $hr NDCG@10 $ndcg" >&2
	loo_rows+="| $label | 64 | $hr | $ndcg |"$'\n'
done
for m in tt_bench tt_epochs tt_loo; do
	"${PSQL[@]}" -c "SELECT pgrec.drop_model('$m')" >/dev/null
done

cat >"$OUT/two_tower.md" <<EOF
# Two-tower network (bench/two_tower_bench.sh)

Measured $(date -u +%Y-%m-%d) on $(nproc) cores (pgrec.threads = 2), 64 factors throughout.

## Gowalla (LightGCN split, full ranking, k = 20)

| model | Recall@20 | NDCG@20 | per epoch | training |
|---|---|---|---|---|
$rows
## two_tower per epoch (one 64-unit layer)

| epochs | training loss | Recall@20 |
|---|---|---|
$epoch_rows
![two_tower per epoch](two_tower_epochs.png)

## MovieLens-100K, leave-one-out, 99 sampled negatives (the NCF protocol)

| model | factors | HR@10 | NDCG@10 |
|---|---|---|---|
$loo_rows
The NCF paper's figures are for ML-1M (NeuMF HR@10 0.730, NDCG@10 0.447), quoted for scale only.
EOF
echo "wrote bench/results/two_tower.md" >&2
