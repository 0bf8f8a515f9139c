#!/usr/bin/env bash
# Random SQL from SQLsmith, as an unprivileged role, on a database with pgrec models and embedding
# tables: passes if no query crashed a backend (errors are expected and fine).
source "$(dirname "$0")/lib.sh"

DB=pgrec_sqlsmith
ROLE=pgrec_smith
SEED=${PGREC_SQLSMITH_SEED:-20240601}
QUERIES=${PGREC_SQLSMITH_QUERIES:-25000}

if ! command -v sqlsmith >/dev/null; then
	echo "SKIP: sqlsmith is not installed (apt-get install sqlsmith)"
	exit 77
fi

# Finds the server log: scripts/test.sh exports it; else the logging collector's current file.
LOG=${PGREC_SERVER_LOG:-}
if [ -z "$LOG" ]; then
	LOG=$(sql "SELECT current_setting('data_directory') || '/' || pg_current_logfile()")
fi
[ -n "$LOG" ] && [ -r "$LOG" ] || { echo "SKIP: server log not found (set PGREC_SERVER_LOG)"; exit 77; }

# Drops the database and the role (also after a failure or an interrupted run).
cleanup() {
	PGOPTIONS="-c client_min_messages=warning" "${PSQL[@]}" -d postgres \
		-c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "DROP ROLE IF EXISTS $ROLE"
	[ "${FAILURES:-0}" -ne 0 ] || rm -rf "$WORK"
}
WORK=$(mktemp -d /tmp/pgrec-sqlsmith.XXXXXX)
trap cleanup EXIT
trap 'exit 1' INT TERM
cleanup
mkdir -p "$WORK"

# Runs SQL in the test database as postgres and prints its result; exits the test on an error.
in_db() {
	PGDATABASE=$DB sql "$1"
}

sql "CREATE DATABASE $DB" >/dev/null
sql "CREATE ROLE $ROLE LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE" >/dev/null
# Every statement of the role is cut off quickly, so that random calls of pgrec.train or
# recommend_all on big inputs cannot run long. SQLsmith sets statement_timeout = '1s' in its
# session, which overrides this default; the 1 s bound is what holds for its queries.
sql "ALTER ROLE $ROLE SET statement_timeout = '200ms'; ALTER ROLE $ROLE SET pgrec.progress = off;
	ALTER ROLE $ROLE SET pgrec.threads = 1; ALTER ROLE $ROLE SET pgrec.training_memory_limit = '64MB'" >/dev/null

in_db "CREATE EXTENSION pgrec" >/dev/null
# Small models of every algorithm, from planted synthetic ratings, and one imported model.
in_db "SET pgrec.progress = off; SET pgrec.threads = 1;
	CREATE TABLE ratings AS SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(60, 40, 12, 3);
	CREATE TABLE clicks AS SELECT user_id, item_id FROM ratings WHERE rating >= 4;
	SELECT count(*) FROM pgrec.train('smith_als', 'ratings', 'user_id', 'item_id', 'rating',
		algorithm => 'als', factors => 4, epochs => 3);
	SELECT count(*) FROM pgrec.train('smith_ials', 'clicks', 'user_id', 'item_id',
		algorithm => 'ials', factors => 3, epochs => 3);
	SELECT count(*) FROM pgrec.train('smith_bpr', 'clicks', 'user_id', 'item_id',
		algorithm => 'bpr', factors => 2, epochs => 5);
	CREATE TABLE item_vectors (item_id bigint PRIMARY KEY, factors embedding(3) NOT NULL, bias real);
	INSERT INTO item_vectors SELECT i, ARRAY[i % 5 - 2, (i * 3) % 7 - 3, 1]::real[]::embedding(3),
		(i % 4 - 1.5) / 10 FROM generate_series(1, 30) i;
	CREATE TABLE user_vectors (user_id bigint PRIMARY KEY, factors real[] NOT NULL);
	INSERT INTO user_vectors SELECT u, ARRAY[u % 3 - 1, 0.5, -u / 7.0] FROM generate_series(1, 12) u;
	SELECT pgrec.import_model('smith_imported', 'item_vectors', 'item_id', 'factors',
		'user_vectors', 'user_id', item_bias_column => 'bias')" >/dev/null

# Embeddings of awkward shapes and values, arrays to cast, and the set-returning functions
# behind views (SQLsmith calls only scalar functions itself).
in_db "CREATE TABLE embeddings (id integer PRIMARY KEY, v embedding, note text);
	INSERT INTO embeddings VALUES (1, '[1,2,3]', 'small'), (2, '[0,0,0]', 'zero'),
		(3, '[-1.5,2.25e10,3]', 'large'), (4, NULL, 'null'), (5, '[1]', 'one dimension'),
		(6, '[3.4028235e38,-3.4028235e38]', 'float extremes'), (7, '[1e-45,-0]', 'denormal and -0'),
		(8, array_fill(0.5, ARRAY[100])::embedding, '100 dimensions'),
		(9, array_fill(0.25, ARRAY[3000])::embedding, 'out of line'),
		(10, '[1,2,3,4]', 'four'), (11, '[-1,-2,-3]', 'negative'), (12, '[1,2,3]', 'duplicate');
	CREATE TABLE embeddings3 (id integer PRIMARY KEY, a embedding(3), b embedding(3));
	INSERT INTO embeddings3 VALUES (1, '[1,0,0]', '[0,1,0]'), (2, '[1,1,1]', '[1,1,1]'),
		(3, '[0,0,0]', '[1,2,3]'), (4, NULL, '[3,2,1]'), (5, '[-1,2.5,1e-7]', NULL),
		(6, '[1e30,1e30,1e30]', '[-1e30,1e30,-1e30]');
	CREATE TABLE arrays (id integer PRIMARY KEY, r real[], d double precision[], i integer[], n numeric[]);
	INSERT INTO arrays VALUES (1, '{1,2,3}', '{1.5,-2,1e-300}', '{1,2,3}', '{1.25,2,3}'),
		(2, '{}', '{}', '{}', '{}'), (3, NULL, NULL, NULL, NULL),
		(4, '{1,NULL,3}', '{NaN,1,2}', '{NULL}', '{1e100,1}'),
		(5, '{{1,2},{3,4}}', '{Infinity}', '{2147483647}', '{-0.0}'),
		(6, '[0:2]={7,8,9}', '{1e39}', '{0,0,0}', '{1,2,3}');
	CREATE TABLE requests (id integer PRIMARY KEY, model text, user_id bigint, item_id bigint, k integer,
		candidates bigint[], exclude bigint[], seen bigint[], seen_ratings real[], query embedding);
	INSERT INTO requests VALUES (1, 'smith_als', 1, 1, 5, NULL, NULL, '{1,2,3}', '{5,4,1}', '[1,2,3,4]'),
		(2, 'smith_ials', 9999999999, 40, 1, '{1,2,3,999}', '{2,NULL}', '{40,999}', '{1,1}', '[0,0,0]'),
		(3, 'smith_bpr', -1, -1, 1000, '{}', '{}', '{7,7,7}', '{1,2,3}', '[1,-1]'),
		(4, 'smith_imported', 12, 30, 3, '{5,6,NULL}', '{5}', '{1,30}', '{2,2}', '[0.5,0.5,0.5]'),
		(5, 'smith_als', NULL, NULL, 2, NULL, NULL, NULL, NULL, NULL);
	CREATE VIEW rec_recommend AS SELECT q.id, r.item_id, r.score FROM requests q,
		LATERAL pgrec.recommend(q.model, q.user_id, q.k, true, q.candidates, q.exclude) r;
	CREATE VIEW rec_similar_items AS SELECT q.id, s.similar_item_id, s.similarity FROM requests q,
		LATERAL pgrec.similar_items(q.model, q.item_id, q.k) s;
	CREATE VIEW rec_similar_users AS SELECT q.id, s.similar_user_id, s.similarity FROM requests q,
		LATERAL pgrec.similar_users(q.model, q.user_id, q.k) s;
	CREATE VIEW rec_for_vector AS SELECT q.id, r.item_id, r.score FROM requests q,
		LATERAL pgrec.recommend_for_vector(q.model, q.query, q.k, q.candidates, q.exclude) r
		WHERE dims(q.query) = (SELECT m.factors FROM pgrec.models m WHERE m.name = q.model);
	CREATE VIEW rec_cold_start AS SELECT q.id, r.item_id, r.score FROM requests q,
		LATERAL pgrec.recommend_for_interactions(q.model, q.seen, q.seen_ratings, q.k, q.candidates, q.exclude) r;
	CREATE VIEW rec_all AS SELECT * FROM pgrec.recommend_all('smith_bpr', 3);
	CREATE VIEW rec_cache AS SELECT * FROM pgrec.cached_models();
	CREATE VIEW embedding_math AS SELECT x.id AS x_id, y.id AS y_id, x.v AS x, y.v AS y,
		x.v <#> y.v AS negative_inner_product, x.v <=> y.v AS cosine_distance, x.v <-> y.v AS l2,
		x.v <+> y.v AS l1, x.v + y.v AS sum, x.v - y.v AS difference, x.v * y.v AS product,
		x.v * 2.5 AS scaled, x.v || y.v AS concatenated, l2_normalize(x.v) AS normalized,
		subvector(x.v, 2, 2) AS middle, l2_norm(x.v) AS norm, x.v::real[] AS floats, x.v = y.v AS same
		FROM embeddings x JOIN embeddings y ON dims(x.v) = dims(y.v) WHERE x.id <> 6 AND y.id <> 6;
	CREATE VIEW embedding_groups AS SELECT dims(v) AS dims, sum(v) AS sum, avg(v) AS avg, count(*)
		FROM embeddings WHERE id <> 6 GROUP BY dims(v);
	CREATE TABLE scratch (id integer, v embedding, v3 embedding(3), r real[]);
	INSERT INTO scratch SELECT id, v, NULL, r FROM embeddings JOIN arrays USING (id) WHERE dims(v) <= 3;
	GRANT USAGE ON SCHEMA pgrec, public TO $ROLE;
	GRANT SELECT ON ALL TABLES IN SCHEMA pgrec, public TO $ROLE;
	GRANT INSERT, UPDATE, DELETE ON scratch TO $ROLE;
	ANALYZE" >/dev/null
for view in rec_recommend rec_similar_items rec_similar_users rec_for_vector rec_cold_start rec_all \
		rec_cache embedding_math embedding_groups; do
	rows=$(PGUSER=$ROLE PGDATABASE=$DB sql "SELECT count(*) FROM $view") || { echo "$rows"; exit 1; }
	echo "view $view: $rows rows as $ROLE"
done
fingerprint="SELECT md5(string_agg(t, ',' ORDER BY t)) FROM (SELECT e::text AS t FROM embeddings e
	UNION ALL SELECT s::text FROM scratch s UNION ALL SELECT m::text FROM pgrec.model_versions m
	UNION ALL SELECT count(*) || ' ' || sum(hashtext(f::text)) FROM pgrec.item_factors f) s"
data_before=$(in_db "$fingerprint")

postmaster_before=$(sql "SELECT pg_postmaster_start_time()")
pid_before=$(head -1 "$(sql "SELECT current_setting('data_directory')")/postmaster.pid" 2>/dev/null)
log_offset=$(stat -c %s "$LOG")

echo "sqlsmith: $QUERIES queries, seed $SEED, as $ROLE on $DB"
start=$(date +%s.%N)
# --exclude-catalog keeps the queries on the tables and views above (every function is still a
# candidate), which also makes them about twice as fast. --verbose prints one character per query
# on stderr ('.' ok, 'e' error, 't' timeout, 'S' syntax error, 'C' broken connection) and a report
# of queries and errors every 1000 queries and at the end; every query goes to stdout.
sqlsmith --target="host=$PGHOST port=$PGPORT dbname=$DB user=$ROLE" --seed="$SEED" \
	--max-queries="$QUERIES" --exclude-catalog --verbose --dump-all-queries \
	>"$WORK/queries.sql" 2>"$WORK/sqlsmith.log"
status=$?
elapsed=$(echo "$(date +%s.%N) - $start" | bc)

queries=$(grep -a '^queries: ' "$WORK/sqlsmith.log" | tail -1 | awk '{print $2}')
progress=$(grep -a -x '[.etSC]*' "$WORK/sqlsmith.log" | tr -d '\n')
errors=$(printf '%s' "$progress" | tr -cd 'etSC' | wc -c)
timeouts=$(printf '%s' "$progress" | tr -cd 't' | wc -c)
broken=$(printf '%s' "$progress" | tr -cd 'C' | wc -c)
echo "sqlsmith exited with $status after ${elapsed}s: ${queries:-no} queries, $errors errors" \
	"($timeouts timeouts, $broken broken connections)"
grep -a -A 12 '^queries: ' "$WORK/sqlsmith.log" | tail -n 12 | grep -a '^[0-9]' | sed 's/^/  /' | head -n 10

new_log=$(tail -c +$((log_offset + 1)) "$LOG")
crash_lines="terminated by signal|was terminated by|terminating any other active server processes"
crash_lines="$crash_lines|all server processes terminated"
crashes=$(printf '%s\n' "$new_log" | grep -a -E "$crash_lines")
if [ -n "$crashes" ]; then
	echo "FAIL: a backend crashed; server log:"
	printf '%s\n' "$new_log" | grep -a -B 2 -A 4 -E "terminated by signal|was terminated by" | head -n 60
	# The log shows the first 1 kB of the statement of the crashed process (continuation lines
	# start with a tab); the dump has every query in full, each ending with ";" and a newline.
	prefix=$(printf '%s\n' "$new_log" | awk '/terminated by signal|was terminated by/ { crashed = 1; next }
		crashed && /Failed process was running: / {
			sub(/.*Failed process was running: /, ""); text = $0; inq = 1; next }
		inq && /^\t/ { text = text "\n" substr($0, 2); next }
		inq { exit }
		END { if (inq) printf "%s", text }')
	if [ -n "$prefix" ]; then
		PREFIX=$prefix awk 'BEGIN { RS = ";\n" }
			index($0, ENVIRON["PREFIX"]) == 1 { print NR; print $0 ";"; exit }' \
			"$WORK/queries.sql" >"$WORK/crash.sql"
		if [ -s "$WORK/crash.sql" ]; then
			echo "the crashing query is query $(head -1 "$WORK/crash.sql") of the run; in full:"
			sed -i 1d "$WORK/crash.sql"
			cat "$WORK/crash.sql"
		fi
	fi
	echo "every query is kept in $WORK/queries.sql, SQLsmith's output in $WORK/sqlsmith.log"
fi
# After a crash the postmaster reinitialises; give it time so that the checks below can run.
for _ in $(seq 60); do
	pg_isready -q && sql "SELECT 1" >/dev/null 2>&1 && break
	sleep 0.5
done
check "no backend crashed during the run" "$(printf '%s' "$crashes" | grep -c .) = 0" \
	"$(printf '%s' "$crashes" | grep -c .) crash lines in $LOG"
check "sqlsmith ran to the end" "$status = 0" "exit status $status"
check "at least $QUERIES queries were sent" "${queries:-0} >= $QUERIES" "${queries:-0} queries"
check "sqlsmith lost no connection" "$broken = 0" "$broken broken connections"
postmaster_after=$(sql "SELECT pg_postmaster_start_time()")
pid_after=$(head -1 "$(sql "SELECT current_setting('data_directory')")/postmaster.pid" 2>/dev/null)
check "the postmaster is the same" "'$pid_before $postmaster_before' = '$pid_after $postmaster_after'" \
	"pid $pid_before -> $pid_after"
after=$(PGUSER=$ROLE PGDATABASE=$DB "${PSQL[@]}" -c "SELECT 1" 2>&1)
check "$ROLE can still connect and run SELECT 1" "'$after' = '1'" "$after"
data_after=$(in_db "$fingerprint")
check "the data and models are unchanged (sqlsmith rolls back)" "'$data_before' = '$data_after'" "$data_after"
finish
