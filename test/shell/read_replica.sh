#!/usr/bin/env bash
# Read replicas: a primary and a hot standby on loopback (streaming replication, started here).
# The standby serves recommend() and its kin with the primary's results; one long-lived standby
# connection serves each new version the primary trains and a factor row edited by hand on the
# primary, once replayed, with the float and the compact scans; training on the standby is
# refused as a write; kill -9 of the primary's postmaster: the restarted server serves the same.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../../scripts/common.sh"

DIR=$(mktemp -d /tmp/pgrec-replica.XXXXXX)
chmod 755 "$DIR"
PRIMARY_PORT=$((PGPORT + 20))
STANDBY_PORT=$((PGPORT + 21))
P=(psql -X -q -At -v ON_ERROR_STOP=1 -h "$DIR/primary" -p "$PRIMARY_PORT" -d postgres)
S=(psql -X -q -At -v ON_ERROR_STOP=1 -h "$DIR/standby" -p "$STANDBY_PORT" -d postgres)
cleanup() {
	as_postgres "$PG_BINDIR/pg_ctl" -D "$DIR/standby/data" -m immediate -w stop >/dev/null 2>&1
	stop_temp_cluster "$DIR/primary"
	for log in "$DIR/primary/server.log" "$DIR/standby/server.log"; do
		[ -f "$log" ] && grep -h "terminated by signal\|PANIC" "$log"
	done
	rm -rf "$DIR"
}
trap cleanup EXIT

start_temp_cluster "$DIR/primary" "$PRIMARY_PORT"
"${P[@]}" >/dev/null <<'SQL'
SET pgrec.progress = off;
CREATE EXTENSION pgrec;
CREATE TABLE ratings AS SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(200, 150, 20);
SELECT users FROM pgrec.train('rep', 'ratings', 'user_id', 'item_id', 'rating', factors => 8, epochs => 4);
SELECT users FROM pgrec.train('rep_ials', 'SELECT user_id, item_id FROM ratings WHERE rating >= 4', 'user_id', 'item_id', algorithm => 'ials', factors => 8);
SQL

# The standby: a base backup of the primary that streams its WAL.
mkdir -p "$DIR/standby"
chown postgres: "$DIR/standby" 2>/dev/null || true
as_postgres "$PG_BINDIR/pg_basebackup" -h "$DIR/primary" -p "$PRIMARY_PORT" -U postgres \
	-D "$DIR/standby/data" -R -X stream -c fast
cat >>"$DIR/standby/data/postgresql.conf" <<CONF
port = $STANDBY_PORT
unix_socket_directories = '$DIR/standby'
hot_standby = on
CONF
as_postgres env ${PGREC_SERVER_ENV:-} "$PG_BINDIR/pg_ctl" -D "$DIR/standby/data" \
	-l "$DIR/standby/server.log" -w start >/dev/null
check "the standby is in recovery" "'$("${S[@]}" -c "SELECT pg_is_in_recovery()")' = 't'" "pg_is_in_recovery()"

# Waits until the standby has replayed the primary's WAL up to now (at most 60 s).
wait_replayed() {
	local lsn
	lsn=$(${P[*]} -c "SELECT pg_current_wal_lsn()")
	for _ in $(seq 600); do
		[ "$("${S[@]}" -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && return 0
		sleep 0.1
	done
	echo "FAIL: the standby did not replay $lsn"
	exit 1
}

# The results of the serving functions for every user, as one md5.
RESULTS="SELECT md5(string_agg(x::text, ',')) FROM (
	SELECT u, r.* FROM generate_series(1, 200) u, pgrec.recommend('rep', u, 5) r
	UNION ALL SELECT i, s.* FROM generate_series(1, 150, 7) i, pgrec.similar_items('rep', i, 5) s
	UNION ALL SELECT 0, v.* FROM pgrec.recommend_for_interactions('rep', ARRAY[1, 2, 3]::bigint[], ARRAY[5, 4, 2]::real[], 5) v
	UNION ALL SELECT -1, q.* FROM pgrec.recommend_for_vector('rep', array_fill(0.5, ARRAY[8])::real[]::embedding, 5) q) x"
wait_replayed
v1=$("${P[@]}" -c "$RESULTS")
check "the standby serves the primary's results" "'$("${S[@]}" -c "$RESULTS")' = '$v1' AND length('$v1') = 32" "$v1"
BATCH="SELECT (SELECT count(*) FROM pgrec.recommend_all('rep', 3)) || ' ' ||
	(SELECT round(rmse::numeric, 6) FROM pgrec.evaluate('rep', 'ratings', 'user_id', 'item_id', 'rating')) || ' ' ||
	(SELECT string_agg(explaining_item_id || ':' || contribution, ',') FROM pgrec.explain('rep_ials', 1, 2, 3))"
batch=$("${P[@]}" -c "$BATCH")
check "recommend_all, evaluate and explain on the standby as on the primary" "'$("${S[@]}" -c "$BATCH")' = '$batch'" "$batch"
# Approximate search: the standby builds the item index and writes it to its own shared cache.
APPROXIMATE="SELECT md5(string_agg(x::text, ',')) FROM (
	SELECT u, r.* FROM generate_series(1, 200) u, pgrec.recommend('rep', u, 5, exact => false) r
	UNION ALL SELECT i, s.* FROM generate_series(1, 150, 7) i, pgrec.similar_items('rep', i, 5, exact => false) s) x"
approximate=$("${P[@]}" -c "$APPROXIMATE")
check "approximate search on the standby as on the primary, its index in the standby's cache" \
	"'$("${S[@]}" -c "$APPROXIMATE")' = '$approximate' AND $(ls "$DIR/standby/data/pgrec_cache" | grep -c '\.ivf$') = 1" \
	"$approximate; $(ls "$DIR/standby/data/pgrec_cache" | grep -c '\.ivf$') index file"

# One standby connection across a retraining and a hand edit on the primary: the scripts it
# runs write the primary's WAL position after each step and its results then to files.
WAIT_FOR_LSN="SELECT pg_sleep(0.05) FROM generate_series(1, 1200) WHERE pg_last_wal_replay_lsn() < :'lsn' \\g /dev/null"
echo "$RESULTS" >"$DIR/results.sql"
cat >"$DIR/retrain.sh" <<STEP
${P[*]} -c "SET pgrec.progress = off" -c "SELECT model_id FROM pgrec.train('rep', 'ratings', 'user_id', 'item_id', 'rating', factors => 8, epochs => 7)" >/dev/null
${P[*]} -c "SELECT pg_current_wal_lsn()" >$DIR/lsn
${P[*]} -f $DIR/results.sql >$DIR/v2
STEP
cat >"$DIR/edit.sh" <<STEP
${P[*]} -c "UPDATE pgrec.item_factors SET factors = array_fill(3, ARRAY[8])::real[]::embedding WHERE item_id = 42 AND model_id = (SELECT model_id FROM pgrec.models WHERE name = 'rep')"
${P[*]} -c "SELECT pg_current_wal_lsn()" >$DIR/lsn
${P[*]} -f $DIR/results.sql >$DIR/edited
STEP
session=$("${S[@]}" 2>&1 <<SQL
$RESULTS;
\\! bash $DIR/retrain.sh
\\set lsn \`cat $DIR/lsn\`
$WAIT_FOR_LSN
SELECT version FROM pgrec.models WHERE name = 'rep';
$RESULTS;
\\! bash $DIR/edit.sh
\\set lsn \`cat $DIR/lsn\`
$WAIT_FOR_LSN
$RESULTS;
SET pgrec.compact_scan = on;
$RESULTS;
SELECT name || ' ' || items FROM pgrec.cached_models();
SQL
)
echo "$session" | sed 's/^/  standby session: /'
mapfile -t lines <<<"$session"
v2=$(cat "$DIR/v2")
edited=$(cat "$DIR/edited")
check "the session first serves version 1" "'${lines[0]}' = '$v1' AND length('$v1') = 32" "${lines[0]}"
check "the retraining is seen once replayed: version 2, with the primary's results" \
	"'${lines[1]}' = '2' AND '${lines[2]}' = '$v2' AND '$v2' <> '$v1'" "${lines[1]}: ${lines[2]}"
check "a factor row edited by hand on the primary is served once replayed" \
	"'${lines[3]}' = '$edited' AND '$edited' <> '$v2'" "${lines[3]}"
check "the compact scan on the standby gives the same results" "'${lines[4]}' = '$edited'" "${lines[4]}"
check "the standby's backend cached the model" "'${lines[5]}' = 'rep 150'" "${lines[5]}"

# kill -9 of the primary's postmaster: after a restart (crash recovery) it serves the same
# results, from the shared cache files it kept (checked again when mapped).
postmaster=$(head -1 "$DIR/primary/data/postmaster.pid")
children=$(pgrep -P "$postmaster" | tr '\n' ' ')
kill -9 "$postmaster"
# Its children exit when they notice; the restart needs them gone.
for _ in $(seq 100); do
	alive=0
	for child in $children; do kill -0 "$child" 2>/dev/null && alive=1; done
	[ $alive = 0 ] && break
	sleep 0.1
done
as_postgres env ${PGREC_SERVER_ENV:-} "$PG_BINDIR/pg_ctl" -D "$DIR/primary/data" \
	-l "$DIR/primary/server.log" -w start >/dev/null
restarted=$("${P[@]}" -c "$RESULTS")
check "after kill -9 of the primary's postmaster and a restart it serves the same results" \
	"'$restarted' = '$edited' AND $(ls "$DIR/primary/data/pgrec_cache" | grep -c '\.model$') >= 1" "$restarted"

# Training: refused on the standby before any work, with a hint to train on the primary.
refused=$("${S[@]}" -c "SET pgrec.progress = off" \
	-c "SELECT pgrec.train('rep', 'ratings', 'user_id', 'item_id', 'rating', factors => 8)" 2>&1)
check "training on the standby is refused, naming the primary" \
	"position('cannot execute pgrec.train() during recovery' in \$q\$$refused\$q\$) > 0 AND position('primary' in \$q\$$refused\$q\$) > 0" "$refused"
finish
