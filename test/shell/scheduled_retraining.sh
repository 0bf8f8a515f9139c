#!/usr/bin/env bash
# A real pg_cron job (the cluster preloads pg_cron, cron.database_name = postgres) retrains a
# model on a one-minute schedule: cron.job_run_details shows success and a new version exists.
source "$(dirname "$0")/lib.sh"

sql "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null
sql "SET pgrec.progress = off; SELECT users FROM pgrec.train('cron_model',
	'SELECT user_id, item_id FROM pgrec.synthetic_ratings(100, 50, 10)', 'user_id', 'item_id',
	algorithm => 'ials', factors => 4, epochs => 2)" >/dev/null
job=$(sql "SELECT pgrec.schedule_retraining('cron_model', '* * * * *')")
check "schedule_retraining creates a pg_cron job" "(SELECT command FROM cron.job WHERE jobid = $job) = 'CALL pgrec.retrain(''cron_model'')'" "job $job"

# The job fires at the start of the next minute: wait up to 90 s for a finished run.
status=""
for _ in $(seq 90); do
	status=$(sql "SELECT status FROM cron.job_run_details WHERE jobid = $job AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1")
	[ -n "$status" ] && break
	sleep 1
done
message=$(sql "SELECT coalesce(return_message, '') FROM cron.job_run_details WHERE jobid = $job ORDER BY runid LIMIT 1")
check "the scheduled retraining ran and succeeded" "'$status' = 'succeeded'" "status '$status', message '$message'"
check "it published version 2 of the model" "(SELECT max(version) FROM pgrec.model_versions WHERE name = 'cron_model') >= 2" \
	"versions $(sql "SELECT string_agg(version::text, ',' ORDER BY version) FROM pgrec.model_versions WHERE name = 'cron_model'")"
sql "SELECT pgrec.unschedule_retraining('cron_model')" >/dev/null
check "unschedule_retraining removes the job" "NOT EXISTS (SELECT 1 FROM cron.job WHERE jobid = $job)" "job $job"
"${PSQL[@]}" -c "SELECT pgrec.unschedule_retraining('cron_model')" 2>&1 | grep -q 'no scheduled retraining'
check "unscheduling twice is an error" "$? = 0" "42704"
sql "SELECT pgrec.drop_model('cron_model')" >/dev/null
finish
