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

# Exits with the test's status after the checks.
finish() {
	[ "${FAILURES:-0}" -eq 0 ]
	exit $?
}
