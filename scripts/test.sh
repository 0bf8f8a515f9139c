#!/usr/bin/env bash
# Runs every test of pgrec: installs what is missing, builds with warnings as errors, runs the
# GoogleTest unit tests, a short libFuzzer run of the parser, and pg_regress against a temporary
# PostgreSQL instance (as the postgres OS user), then prints a summary. Usage: scripts/test.sh
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
export WERROR=1
declare -a RESULTS=()
FAILED=0

# Records the outcome of one suite: record NAME STATUS.
record() {
	if [ "$2" -eq 0 ]; then
		RESULTS+=("PASS  $1")
	else
		RESULTS+=("FAIL  $1")
		FAILED=$((FAILED + 1))
	fi
}

summary() {
	printf '\n==================== pgrec test summary ====================\n'
	printf '%s\n' "${RESULTS[@]}"
	printf '%d suite(s) passed, %d skipped, %d failed\n' \
		"$(printf '%s\n' "${RESULTS[@]}" | grep -c '^PASS')" \
		"$(printf '%s\n' "${RESULTS[@]}" | grep -c '^SKIP')" "$FAILED"
	[ "$FAILED" -eq 0 ]
}
trap 'summary' EXIT

step "packages"
install_missing_packages || { record "install packages" 1; exit 1; }

step "build and install the extension (-Werror)"
build_and_install
record "build extension" $? || exit 1

step "unit tests (GoogleTest)"
BUILD=$PGREC_ROOT/build/cmake
cmake -S "$PGREC_ROOT" -B "$BUILD" -DPGREC_WERROR=ON >/dev/null &&
	cmake --build "$BUILD" -j"$(nproc)" >/dev/null &&
	(cd "$BUILD" && ctest --output-on-failure | tail -n 3)
record "unit tests" $?

step "fuzzing the text parser for ${FUZZ_SECONDS}s (libFuzzer, ASan, UBSan)"
FUZZ_BUILD=$PGREC_ROOT/build/fuzz
CXX=clang++ cmake -S "$PGREC_ROOT" -B "$FUZZ_BUILD" -DPGREC_FUZZ=ON -DPGREC_WERROR=ON >/dev/null &&
	cmake --build "$FUZZ_BUILD" -j"$(nproc)" >/dev/null &&
	mkdir -p "$FUZZ_BUILD/corpus" && cp "$PGREC_ROOT"/test/fuzz/seeds/* "$FUZZ_BUILD/corpus/" &&
	"$FUZZ_BUILD/fuzz_embedding_text" -max_total_time="$FUZZ_SECONDS" -max_len=4096 \
		-print_final_stats=1 "$FUZZ_BUILD/corpus" 2>&1 | grep -E "^(stat::number_of_executed_units|Done|==[0-9]+==ERROR)"
record "fuzz embedding text parser" "${PIPESTATUS[0]}"

step "pg_regress against a temporary instance"
# pg_regress runs as postgres in a directory it owns, with a copy of the test inputs.
WORK=$(mktemp -d /tmp/pgrec-regress.XXXXXX)
cp -r "$PGREC_ROOT/Makefile" "$PGREC_ROOT/sql" "$PGREC_ROOT/expected" "$WORK/"
[ "$(id -u)" -ne 0 ] || chown -R postgres: "$WORK"
as_postgres make -C "$WORK" -s installcheck PG_CONFIG=$PG_BINDIR/pg_config \
	REGRESS_OPTS="--load-extension=pgrec --temp-instance=$WORK/instance --bindir=$PG_BINDIR"
status=$?
if [ $status -ne 0 ] && [ -f "$WORK/regression.diffs" ]; then
	head -n 200 "$WORK/regression.diffs"
fi
record "pg_regress" $status
if grep -h "terminated by signal" "$WORK"/log/*.log 2>/dev/null; then
	record "pg_regress server log free of crashes" 1
else
	record "pg_regress server log free of crashes" 0
fi
rm -rf "$WORK"

step "shell tests (test/shell) against a temporary cluster"
# Each test exits 0 (pass), 77 (skipped, with a message) or anything else (fail).
CLUSTER=$(mktemp -d /tmp/pgrec-cluster.XXXXXX)
export PGHOST=$CLUSTER PGPORT=${PGREC_TEST_PORT:-54329} PGUSER=postgres PGDATABASE=postgres
export PGREC_DATA_DIR=${PGREC_DATA_DIR:-$PGREC_ROOT/../shared/data}
start_temp_cluster "$CLUSTER" "$PGPORT"
psql -X -q -c "CREATE EXTENSION pgrec"
for t in "$PGREC_ROOT"/test/shell/*.sh; do
	name=$(basename "$t" .sh)
	[ "$name" != lib ] || continue
	echo "--- $name"
	bash "$t"
	status=$?
	if [ $status -eq 77 ]; then
		RESULTS+=("SKIP  $name")
	else
		record "$name" $status
	fi
done
stop_temp_cluster "$CLUSTER"
if grep -h "terminated by signal" "$CLUSTER/server.log" | grep -v "signal 9: Killed"; then
	record "shell-test server log free of crashes" 1
else
	record "shell-test server log free of crashes" 0
fi
rm -rf "$CLUSTER"
