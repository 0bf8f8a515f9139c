#!/usr/bin/env bash
# Training benchmark on the real data (issue 3): ML-1M explicit 'als' (90/10 split, seed 0.42),
# ML-1M binarised (ratings >= 4) and Gowalla (LightGCN split) with 'ials' and 'bpr', each run
# in the database and with bench/standalone_train on the same split, same core, same settings,
# with the in-database reading and writing rates (pgrec.train's DEBUG1 timings). About ten
# minutes. Usage: bench/train_bench.sh [DATA_DIR] (default ../shared/data). Prints markdown
# tables. THREADS (2) and GOWALLA_WIDE_EPOCHS (8) may be set.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
DATA=${1:-${PGREC_DATA_DIR:-$PGREC_ROOT/../shared/data}}
for f in ml-1m/ratings_uir.dat gowalla/train.txt gowalla/valid.txt gowalla/test.txt; do
	[ -f "$DATA/$f" ] || { echo "missing $DATA/$f" >&2; exit 1; }
done

"$PGREC_ROOT/scripts/cluster.sh" start >/dev/null
source <(grep -E '^(PGREC_DATA|PGREC_PORT|SOCKET_DIR)=' "$PGREC_ROOT/scripts/cluster.sh")
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PGREC_PORT" -U postgres -d postgres)
BUILD=$PGREC_ROOT/build/bench
cmake -S "$PGREC_ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target standalone_train >/dev/null
TMP=$(mktemp -d)
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT
THREADS=${THREADS:-2}
GOWALLA_WIDE_EPOCHS=${GOWALLA_WIDE_EPOCHS:-8}

step "loading data"
source "$PGREC_ROOT/bench/datasets.sh"
load_ml1m
load_gowalla

# Runs one configuration in the database and standalone and prints a table row.
# run LABEL SOURCE TEST_SOURCE RATING_COLUMN K TRAIN_FILE TEST_FILE ALGORITHM EXTRA_SQL_ARGS EXTRA_CLI_ARGS
run() {
	local label=$1 source=$2 test=$3 rating=$4 k=$5 train_file=$6 test_file=$7 algorithm=$8
	local sql_args=$9 cli_args=${10}
	local rating_arg=NULL
	[ "$rating" = "" ] || rating_arg="'$rating'"
	local notices=$TMP/notices.txt
	local row
	# A fresh model: the write time is then that of the new rows alone, no old version pruned.
	"${PSQL[@]}" -c "SELECT pgrec.drop_model('bench', if_exists => true)" >/dev/null
	row=$("${PSQL[@]}" -F ' ' -c "SET pgrec.threads = $THREADS" -c "SET client_min_messages = debug1" -c "SELECT round(seconds::numeric, 2),
		round(peak_memory_mb::numeric, 0) FROM pgrec.train('bench', '$source', 'user_id', 'item_id',
		$rating_arg, algorithm => '$algorithm' $sql_args)" 2>"$notices")
	local seconds=${row% *} memory=${row#* }
	local per_epoch
	per_epoch=$(grep -o ', [0-9.]* s$' "$notices" | awk '{s += $2; n++} END {printf "%.3f", s / n}')
	# Reading: the heap of the table the source scans; writing: the new version's rows.
	local table read_s write_s read_mb write_mb
	table=$(echo "$source" | grep -oE '^[a-z_0-9]+$|FROM [a-z_0-9]+' | head -n 1 | sed 's/^FROM //')
	read_s=$(grep -oE 'read [0-9]+ rows in [0-9.]+ s' "$notices" | awk '{print $5}')
	write_s=$(grep -oE 'item rows in [0-9.]+ s' "$notices" | awk '{print $4}')
	read_mb=$("${PSQL[@]}" -c "SELECT pg_relation_size('$table') / 1048576.0")
	write_mb=$("${PSQL[@]}" -c "SELECT (SELECT coalesce(sum(pg_column_size(u.*)), 0) FROM pgrec.user_factors u
		WHERE u.model_id = v.model_id) / 1048576.0 + (SELECT coalesce(sum(pg_column_size(i.*)), 0)
		FROM pgrec.item_factors i WHERE i.model_id = v.model_id) / 1048576.0
		FROM pgrec.model_versions v WHERE v.name = 'bench' AND v.is_current")
	local io
	io=$(awk -v rm="$read_mb" -v rs="${read_s:-0}" -v wm="$write_mb" -v ws="${write_s:-0}" \
		'function rate(mb, s) { return s > 0 ? sprintf("%.0f MB in %.2f s: %.0f MB/s", mb, s, mb / s) : "-" }
		BEGIN {printf "%s | %s", rate(rm, rs), rate(wm, ws)}')
	local metrics
	metrics=$("${PSQL[@]}" -F ' ' -c "SET pgrec.threads = $THREADS" -c "SELECT coalesce(round(rmse::numeric, 4)::text, '-'),
		round(recall_at_k::numeric, 4), round(ndcg_at_k::numeric, 4)
		FROM pgrec.evaluate('bench', '$test', 'user_id', 'item_id', $rating_arg, k => $k)")
	local standalone
	standalone=$("$BUILD/standalone_train" --train "$train_file" --test "$test_file" \
		--algorithm "$algorithm" --threads "$THREADS" --k "$k" $cli_args | grep '^read' |
		awk '{gsub("s,", "", $2); gsub("s,", "", $4); gsub("s", "", $6); printf "%.2f", $2 + $4 + $6}')
	local ratio
	ratio=$(echo "scale=2; $seconds / $standalone" | bc)
	echo "| $label | $(echo "$metrics" | tr ' ' '|' | sed 's/|/ | /g') | $seconds s | $per_epoch s | $standalone s | ${ratio}x | $io | $memory MB |"
}

echo
echo "| run | RMSE | recall@k | NDCG@k | in-database total | per epoch | standalone total | ratio | reading | writing | peak memory |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
run "ML-1M als, defaults (64 factors, 6 epochs, 2 CG steps), k=10" \
	"SELECT * FROM bench_ml1m_split WHERE is_train" "SELECT * FROM bench_ml1m_split WHERE NOT is_train" \
	rating 10 "$TMP/ml1m_train.txt" "$TMP/ml1m_test.txt" als "" \
	"--regularization 0.22 --bias-regularization 0.05 --regularization-exponent 0.8 --epochs 6 --cg-steps 2"
run "ML-1M als, defaults, source a plain table (bench_ml1m_train), k=10" \
	bench_ml1m_train "SELECT * FROM bench_ml1m_split WHERE NOT is_train" \
	rating 10 "$TMP/ml1m_train.txt" "$TMP/ml1m_test.txt" als "" \
	"--regularization 0.22 --bias-regularization 0.05 --regularization-exponent 0.8 --epochs 6 --cg-steps 2"
run "ML-1M als, exact solver (cg_steps 0, 8 epochs), k=10" \
	"SELECT * FROM bench_ml1m_split WHERE is_train" "SELECT * FROM bench_ml1m_split WHERE NOT is_train" \
	rating 10 "$TMP/ml1m_train.txt" "$TMP/ml1m_test.txt" als ", cg_steps => 0, epochs => 8" \
	"--regularization 0.22 --bias-regularization 0.05 --regularization-exponent 0.8 --epochs 8 --cg-steps 0"
run "ML-1M binarised (>= 4) ials, defaults, k=10" \
	"SELECT * FROM bench_ml1m_split WHERE is_train AND rating >= 4" \
	"SELECT * FROM bench_ml1m_split WHERE NOT is_train AND rating >= 4" \
	"" 10 "$TMP/ml1m_bin_train.txt" "$TMP/ml1m_bin_test.txt" ials "" \
	"--regularization 3 --alpha 40 --regularization-exponent 0.5 --epochs 10"
run "Gowalla ials, defaults (64 factors), k=20" bench_gowalla_train bench_gowalla_test "" 20 \
	"$TMP/gowalla_train.txt" "$TMP/gowalla_test.txt" ials "" \
	"--regularization 3 --alpha 40 --regularization-exponent 0.5 --epochs 10"
run "Gowalla ials, 128 factors, k=20" bench_gowalla_train bench_gowalla_test "" 20 \
	"$TMP/gowalla_train.txt" "$TMP/gowalla_test.txt" ials ", factors => 128" \
	"--regularization 3 --alpha 40 --regularization-exponent 0.5 --epochs 10 --factors 128"
run "Gowalla ials, 256 factors, regularization 30, k=20" bench_gowalla_train bench_gowalla_test "" 20 \
	"$TMP/gowalla_train.txt" "$TMP/gowalla_test.txt" ials ", factors => 256, regularization => 30" \
	"--regularization 30 --alpha 40 --regularization-exponent 0.5 --epochs 10 --factors 256"
run "Gowalla ials, 256 factors, regularization 30, iALS++ (block_size 16), k=20" bench_gowalla_train \
	bench_gowalla_test "" 20 "$TMP/gowalla_train.txt" "$TMP/gowalla_test.txt" ials \
	", factors => 256, regularization => 30, block_size => 16" \
	"--regularization 30 --alpha 40 --regularization-exponent 0.5 --epochs 10 --factors 256 --block-size 16"
run "Gowalla ials, 768 factors, regularization 30, 2 CG steps, $GOWALLA_WIDE_EPOCHS epochs, k=20" \
	bench_gowalla_train bench_gowalla_test "" 20 "$TMP/gowalla_train.txt" "$TMP/gowalla_test.txt" ials \
	", factors => 768, regularization => 30, cg_steps => 2, epochs => $GOWALLA_WIDE_EPOCHS" \
	"--regularization 30 --alpha 40 --regularization-exponent 0.5 --epochs $GOWALLA_WIDE_EPOCHS --factors 768 --cg-steps 2"
run "Gowalla bpr, defaults (64 factors, 50 epochs), k=20" bench_gowalla_train bench_gowalla_test "" 20 \
	"$TMP/gowalla_train.txt" "$TMP/gowalla_test.txt" bpr "" \
	"--regularization 0.005 --learning-rate 0.05 --epochs 50"
"${PSQL[@]}" -c "SELECT pgrec.drop_model('bench')" >/dev/null
