#!/usr/bin/env bash
# Lifecycle benchmark (issue 6): the quality cost of refresh() against a full retrain, on
# MovieLens-100K split by time (ML-1M here has no timestamps): train on the first 80% of the
# ratings, refresh with the next 10%, and compare with a full retrain on the first 90%, both
# evaluated on the last 10%; and the epochs a warm-started retrain needs to reach the loss of
# a cold training. Usage: bench/lifecycle_bench.sh [DATA_DIR].
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
DATA=${1:-${PGREC_DATA_DIR:-$PGREC_ROOT/../shared/data}}
"$PGREC_ROOT/scripts/cluster.sh" start >/dev/null
source <(grep -E '^(PGREC_DATA|PGREC_PORT|SOCKET_DIR)=' "$PGREC_ROOT/scripts/cluster.sh")
PSQL=(psql -X -q -At -F ' | ' -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PGREC_PORT" -U postgres -d postgres)
TMP=$(mktemp -d)
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT
source "$PGREC_ROOT/bench/datasets.sh"
load_ml100k

"${PSQL[@]}" >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS life_ordered, life_source;
CREATE TABLE life_ordered AS
	SELECT *, ntile(10) OVER (ORDER BY ts, user_id, item_id) AS decile FROM bench_ml100k;
CREATE TABLE life_source AS SELECT user_id, item_id, rating FROM life_ordered WHERE decile <= 8;
SQL
run() { "${PSQL[@]}" -c "SET pgrec.progress = off" -c "$1"; }
evaluate() {
	run "SELECT round(rmse::numeric, 4), round(mae::numeric, 4) FROM pgrec.evaluate('$1',
		'SELECT * FROM life_ordered WHERE decile = 10', 'user_id', 'item_id', 'rating')"
}

run "SELECT 1 FROM pgrec.train('life_refresh', 'life_source', 'user_id', 'item_id', 'rating')" >/dev/null
stale=$(evaluate life_refresh)
run "INSERT INTO life_source SELECT user_id, item_id, rating FROM life_ordered WHERE decile = 9" >/dev/null
refresh=$(run "SELECT round(seconds::numeric, 3), new_users, new_items FROM pgrec.refresh('life_refresh')")
refreshed=$(evaluate life_refresh)
full=$(run "SELECT round(seconds::numeric, 3) FROM pgrec.train('life_full', 'life_source', 'user_id', 'item_id', 'rating')")
retrained=$(evaluate life_full)

echo "| ML-100K by time, test = last 10% | RMSE | MAE | time |"
echo "|---|---:|---:|---:|"
echo "| trained on the first 80%, not updated | ${stale% | *} | ${stale#* | } | |"
echo "| + refresh() with the next 10% (new users, new items: $(echo "${refresh#* | }" | sed "s/ | /, /")) | ${refreshed% | *} | ${refreshed#* | } | ${refresh%% | *} s |"
echo "| full retrain on the first 90% | ${retrained% | *} | ${retrained#* | } | $full s |"

# Warm start: epochs of a warm retrain to reach the final loss of the cold 8-epoch training.
cold=$(run "SELECT loss_history[8] FROM pgrec.models WHERE name = 'life_full'")
run "CALL pgrec.retrain('life_full', warm_start => true, epochs => 8)" >/dev/null
warm=$(run "SELECT array_position(ARRAY(SELECT l <= $cold FROM unnest(loss_history) l), true) FROM pgrec.models WHERE name = 'life_full'")
echo
echo "warm start: a warm retrain reaches the cold training's final loss ($cold) after ${warm:-more than 8} epoch(s), instead of 8"
run "SELECT pgrec.drop_model('life_refresh'), pgrec.drop_model('life_full')" >/dev/null
