#!/usr/bin/env bash
# Interrupts that are not a cancel never change a training: with client_connection_check_interval
# at 100ms and pg_log_backend_memory_contexts() sent every 0.05 s, the factors are identical to
# those of an undisturbed training with the same seed. Each algorithm gets enough epochs to run
# for about a second, so several requests reach it.
source "$(dirname "$0")/lib.sh"

sql "CREATE TABLE steady AS SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(4000, 2000, 60, 8)" >/dev/null
# Trains model $1 with algorithm $2 for $3 epochs after the settings $4 (one-thread runs are
# deterministic).
train() {
	"${PSQL[@]}" <<SQL
SET pgrec.progress = off;
SET pgrec.threads = 1;
$4
SELECT seconds FROM pgrec.train('$1', 'steady', 'user_id', 'item_id', algorithm => '$2', factors => 48, epochs => $3);
SQL
}
# Prints md5 of the user and item factors of the model called $1.
factors_md5() {
	sql "SELECT md5(string_agg(factors::text, ';' ORDER BY kind, id)) FROM (
		SELECT 'u' AS kind, user_id AS id, factors FROM pgrec.user_factors WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = '$1')
		UNION ALL SELECT 'i', item_id, factors FROM pgrec.item_factors WHERE model_id = (SELECT model_id FROM pgrec.models WHERE name = '$1')) f"
}

for run in als:40 ials:20 bpr:12 two_tower:1 neumf:1; do
	algorithm=${run%:*} epochs=${run#*:}
	train "quiet_$algorithm" $algorithm $epochs "" >/dev/null
	train "busy_$algorithm" $algorithm $epochs "SET client_connection_check_interval = '100ms';
		SET application_name = 'pgrec_busy';" >/tmp/pgrec_busy.$$ 2>&1 &
	client=$!
	signals=0
	while kill -0 $client 2>/dev/null; do
		sent=$(sql "SELECT count(*) FILTER (WHERE pg_log_backend_memory_contexts(pid)) FROM pg_stat_activity
			WHERE application_name = 'pgrec_busy' AND state = 'active'")
		signals=$((signals + sent))
		sleep 0.05
	done
	wait $client
	seconds=$(tail -n 1 /tmp/pgrec_busy.$$)
	check "$algorithm: the disturbed training finished" "'$(factors_md5 "busy_$algorithm")' <> ''" \
		"$seconds s, $signals memory-context requests"
	check "$algorithm: its factors are identical to the undisturbed training's" \
		"'$(factors_md5 "quiet_$algorithm")' = '$(factors_md5 "busy_$algorithm")' AND $signals > 0" \
		"$(factors_md5 "busy_$algorithm")"
	sql "SELECT pgrec.drop_model('quiet_$algorithm'), pgrec.drop_model('busy_$algorithm')" >/dev/null
done
rm -f /tmp/pgrec_busy.$$
sql "DROP TABLE steady" >/dev/null
finish
