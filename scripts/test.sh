#!/usr/bin/env bash
# Runs every test of pgrec: installs what is missing, builds with warnings as errors, runs the
# GoogleTest unit tests, short libFuzzer runs (text parser, binary decoder, fold-in inputs),
# pg_regress and the shell tests against temporary PostgreSQL instances (as the postgres OS
# user), then pg_regress and the shell tests again with pgrec built with ASan and UBSan
# (scripts/sanitize.sh), and prints a summary ending in "N passed, N failed"; exits non-zero if
# a suite failed. Usage: scripts/test.sh
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
export WERROR=1
# record and summary (scripts/common.sh) collect the outcomes and print them at the end; the
# exit status is the summary's.
trap 'summary "pgrec test summary" short; exit $?' EXIT

step "packages"
install_missing_packages || { record "install packages" 1; exit 1; }

step "build and install the extension (-Werror)"
build_and_install
status=$?
record "build extension" $status
[ $status -eq 0 ] || exit 1

step "unit tests (GoogleTest)"
BUILD=$PGREC_ROOT/build/cmake
cmake -S "$PGREC_ROOT" -B "$BUILD" -DPGREC_WERROR=ON >/dev/null &&
	cmake --build "$BUILD" -j"$(nproc)" >/dev/null &&
	(cd "$BUILD" && ctest --output-on-failure | tail -n 3)
record "unit tests" $?

step "fuzzing the text parser, binary decoder and fold-in inputs, ${FUZZ_SECONDS}s each (libFuzzer, ASan, UBSan)"
FUZZ_BUILD=$PGREC_ROOT/build/fuzz
FUZZ_EACH=$FUZZ_SECONDS
CXX=clang++ cmake -S "$PGREC_ROOT" -B "$FUZZ_BUILD" -DPGREC_FUZZ=ON -DPGREC_WERROR=ON >/dev/null &&
	cmake --build "$FUZZ_BUILD" -j"$(nproc)" >/dev/null
fuzz_build=$?

# Runs one fuzz target for FUZZ_EACH seconds on a corpus started from its seeds: fuzz TARGET SEEDS.
fuzz() {
	local corpus=$FUZZ_BUILD/corpus_$1
	[ "$fuzz_build" -eq 0 ] || return 1
	mkdir -p "$corpus" && cp "$PGREC_ROOT/test/fuzz/$2"/* "$corpus/" || return 1
	"$FUZZ_BUILD/$1" -max_total_time="$FUZZ_EACH" -max_len=4096 -print_final_stats=1 "$corpus" 2>&1 |
		grep -E "^(stat::number_of_executed_units|Done|==[0-9]+== ?ERROR)"
	return "${PIPESTATUS[0]}"
}
fuzz fuzz_embedding_text seeds
record "fuzz embedding text parser" $?
fuzz fuzz_embedding_binary seeds_binary
record "fuzz embedding binary decoder" $?
fuzz fuzz_fold_in seeds_fold_in
record "fuzz fold-in inputs" $?

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
export PGREC_SERVER_LOG=$CLUSTER/server.log
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

step "pg_regress and shell tests with ASan and UBSan (scripts/sanitize.sh)"
bash "$PGREC_ROOT/scripts/sanitize.sh" 2>&1 | tail -n 40
record "sanitizer run (ASan, UBSan): no reports, no failures" "${PIPESTATUS[0]}"
