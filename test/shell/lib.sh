# Helpers for the shell tests (sourced): psql on the test cluster (PG* variables set by
# scripts/test.sh), assertions that print what they compared, and the data-set check.

PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)

# Runs SQL and prints its result; exits the test on an SQL error.
sql() {
	"${PSQL[@]}" -c "$1" || { echo "FAIL: SQL failed: $1"; exit 1; }
}

# Exits 77 (skip) with a message unless the data file $1 exists under $PGREC_DATA_DIR.
require_data() {
	if [ ! -f "$PGREC_DATA_DIR/$1" ]; then
		echo "SKIP: $PGREC_DATA_DIR/$1 not found (the real data sets are not part of a clone)"
		exit 77
	fi
}

# Fails unless the SQL boolean expression $2 holds; $1 describes it, $3 shows the values.
check() {
	local what=$1 condition=$2 shown=$3
	if [ "$(sql "SELECT ($condition)::text")" = "true" ]; then
		echo "ok: $what ($shown)"
	else
		echo "FAIL: $what ($shown)"
		FAILURES=$((${FAILURES:-0} + 1))
	fi
}

# Fails unless every kept version of model $1 has exactly as many user and item factor rows as
# its catalog row says (a half-written or half-deleted version would not).
check_factor_rows() {
	check "every version of $1 has the factor rows its catalog row counts" \
		"(SELECT coalesce(bool_and(v.users = (SELECT count(*) FROM pgrec.user_factors u WHERE u.model_id = v.model_id)
			AND v.items = (SELECT count(*) FROM pgrec.item_factors i WHERE i.model_id = v.model_id)), false)
		FROM pgrec.model_versions v WHERE v.name = '$1')" \
		"$(sql "SELECT string_agg(format('v%s %s/%s users, %s/%s items', v.version,
			(SELECT count(*) FROM pgrec.user_factors u WHERE u.model_id = v.model_id), v.users,
			(SELECT count(*) FROM pgrec.item_factors i WHERE i.model_id = v.model_id), v.items), '; ' ORDER BY v.version)
		FROM pgrec.model_versions v WHERE v.name = '$1'")"
}

# Prints the pid of the active backend whose application_name is $1, waiting up to 5 s for it
# (nothing when there is none).
active_backend() {
	local pid=""
	for _ in $(seq 250); do
		pid=$(sql "SELECT pid FROM pg_stat_activity WHERE application_name = '$1' AND state = 'active'")
		[ -n "$pid" ] && break
		sleep 0.02
	done
	echo "$pid"
}

# Waits, up to 30 s, until the server accepts connections again (after a crash restart).
wait_for_server() {
	for _ in $(seq 60); do
		pg_isready -q && sql "SELECT 1" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
}

# Exits with the test's status after the checks.
finish() {
	[ "${FAILURES:-0}" -eq 0 ]
	exit $?
}
