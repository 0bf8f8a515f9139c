#!/usr/bin/env bash
# Runs pg_regress and the shell tests against a temporary server that loads pgrec built with ASan
# and UBSan, from a private copy of the server; fails on a test failure, sanitizer report or crash.
# Usage: scripts/sanitize.sh. Environment: PGREC_SANITIZE_SOURCE (the tree to build: "worktree",
# the default, or a git revision such as HEAD), PGREC_SANITIZE_PORT, PGREC_SANITIZE_KEEP=1 (keep
# the work directory even after a pass), PGREC_SANITIZE_BUILD (a build directory to keep between
# runs, so that make rebuilds only what changed), PGREC_SANITIZE_SKIP (shell tests not to run,
# by default the four that take minutes under the sanitizers; empty runs them all),
# PGREC_SQLSMITH_QUERIES (5000 by default here), PGREC_DATA_DIR as for scripts/test.sh.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/private_prefix.sh"

SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
SOURCE=${PGREC_SANITIZE_SOURCE:-worktree}
PORT=${PGREC_SANITIZE_PORT:-54339}
# pgrec's training runs 3 to 4 times slower with the sanitizers, and 32 connections each
# loading the ASan build are slow: these four tests would add several
# minutes (and cancel_phases fails, as it waits at most 30 s for its first epoch to start).
# SQLsmith's run is shortened the same way (5000 queries take about 25 s).
SKIP_TESTS=${PGREC_SANITIZE_SKIP-cancel_phases interrupts_keep_factors retrain_under_load fresh_connections_under_retrain}
export PGREC_SQLSMITH_QUERIES=${PGREC_SQLSMITH_QUERIES:-5000}
START=$(date +%s)
WORK=$(mktemp -d /tmp/pgrec-sanitize.XXXXXX)
chmod 755 "$WORK"
BUILD=${PGREC_SANITIZE_BUILD:-$WORK/build}
PREFIX=$WORK/prefix CLUSTER=$WORK/cluster REPORTS=$WORK/reports
FINDINGS=$WORK/findings
SERVER_BINDIR=$PREFIX$PG_BINDIR
# The server's environment: the ASan runtime must come first in the library list (postgres itself
# is not instrumented), then the hooks below. Leaks are not checked (the postmaster's own
# allocations are not ours); malloc returns NULL when it cannot allocate, as PostgreSQL expects;
# a report aborts the process, which the postmaster logs as "terminated by signal 6". ASan
# reports are files in $REPORTS; UBSan's go to the server log.
HOOKS=$WORK/sanitizer_hooks.so
SERVER_ENV="LD_PRELOAD=$(gcc -print-file-name=libasan.so):$HOOKS
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:log_path=$REPORTS/asan"

# Waits up to a minute for the server to accept connections (after a crash, it reinitialises).
wait_for_server() {
	for _ in $(seq 120); do
		pg_isready -q && return 0
		sleep 0.5
	done
	return 1
}

# Stops the server; if a fast shutdown does not finish (as after a crash, during recovery), an
# immediate one.
stop_server() {
	[ -f "$CLUSTER/data/postmaster.pid" ] || return 0
	PG_BINDIR=$SERVER_BINDIR stop_temp_cluster "$CLUSTER"
	[ -f "$CLUSTER/data/postmaster.pid" ] || return 0
	as_postgres "$SERVER_BINDIR/pg_ctl" -D "$CLUSTER/data" -m immediate -w stop >/dev/null
}

# Stops the server, prints the time taken and the summary; keeps $WORK if something failed.
finish() {
	stop_server
	printf '\nsanitizer run: %ds\n' "$(($(date +%s) - START))"
	if [ "$FAILED" -eq 0 ] && [ -z "${PGREC_SANITIZE_KEEP:-}" ]; then
		rm -rf "$WORK"
	else
		echo "build, logs and sanitizer reports kept in $WORK"
	fi
	summary "pgrec sanitizer summary" short
}
trap 'finish; exit $?' EXIT

# Prints the seconds since $1 (a date +%s), for the step timings.
took() {
	echo "took $(($(date +%s) - $1))s"
}

LOG_OFFSET=0
# Records NAME: passes unless a sanitizer report file appeared or the server log gained a
# sanitizer message or a crash since the last check (the deliberate kill -9 of kill_retrain.sh
# is no crash); prints the reports and log lines, and moves the reports to $FINDINGS.
check_findings() {
	local name=$1 found=0 size lines f
	for f in "$REPORTS"/*; do
		[ -f "$f" ] || continue
		found=1
		printf -- '--- sanitizer report %s\n' "$(basename "$f")"
		head -n 100 "$f"
		mv "$f" "$FINDINGS/"
	done
	# Sanitizer messages with the stack that follows them, and crashes.
	size=$(stat -c %s "$CLUSTER/server.log")
	lines=$(tail -c +$((LOG_OFFSET + 1)) "$CLUSTER/server.log" | head -c $((size - LOG_OFFSET)) |
		awk '/runtime error:|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer/ { print; stack = 1; next }
			stack && /^ +#[0-9]/ { print; next }
			{ stack = 0 }
			/terminated by signal/ && !/signal 9: Killed/ { print }')
	LOG_OFFSET=$size
	if [ -n "$lines" ]; then
		found=1
		echo "--- server log"
		printf '%s\n' "$lines" | head -n 120
	fi
	record "$name" $found
}

step "copying the source tree ($SOURCE) to $BUILD"
mkdir -p "$WORK/tree" "$BUILD"
if [ "$SOURCE" = worktree ]; then
	# Tracked and untracked files, without ignored build outputs or files deleted in the tree.
	(cd "$PGREC_ROOT" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ ! -e "$f" ] || printf '%s\0' "$f"
		done | tar --null -T - -cf -) | tar -x -C "$WORK/tree"
else
	git -C "$PGREC_ROOT" archive "$SOURCE" | tar -x -C "$WORK/tree"
fi
status=$?
# Only files that differ are copied (with a new time stamp) and sources gone from the tree are
# removed, so that make rebuilds what changed in a build directory kept from an earlier run.
if [ $status -eq 0 ]; then
	(cd "$WORK/tree" && find . -type f) | while IFS= read -r f; do
		cmp -s "$WORK/tree/$f" "$BUILD/$f" || { mkdir -p "$BUILD/${f%/*}" && cp "$WORK/tree/$f" "$BUILD/$f"; }
	done &&
		(cd "$BUILD" && find . -type f ! -name '*.o' ! -name '*.so' ! -name '*.bc') | while IFS= read -r f; do
			[ -e "$WORK/tree/$f" ] || rm -f "$BUILD/$f"
		done
	status=$?
fi
record "copy the $SOURCE tree" $status
[ $status -eq 0 ] || exit 1

step "building pgrec with $SANITIZE"
started=$(date +%s)
# The Makefile's own PG_CXXFLAGS, read from it (so they stay in step), then the sanitizers.
cxxflags=$(make -C "$BUILD" -s --no-print-directory PG_CONFIG="$PG_BINDIR/pg_config" WERROR= \
	--eval='print-pg-cxxflags: ; @echo $(PG_CXXFLAGS)' print-pg-cxxflags)
# The core at -O2 (CORE_OPT in the Makefile): the build takes two thirds of the time at -O3's.
MAKE_ARGS=(-C "$BUILD" PG_CONFIG="$PG_BINDIR/pg_config" WERROR= "PG_CXXFLAGS=$cxxflags $SANITIZE"
	"PG_LDFLAGS=$SANITIZE" CORE_OPT=-O2)
make -s -j"$(nproc)" "${MAKE_ARGS[@]}" >"$WORK/build.log" 2>&1
status=$?
if [ $status -ne 0 ]; then
	tail -n 60 "$WORK/build.log"
elif ! readelf -d "$BUILD/pgrec.so" | grep -q 'NEEDED.*libasan'; then
	echo "$BUILD/pgrec.so is not linked with the ASan runtime: were the flags passed?"
	status=1
fi
took "$started"
record "sanitizer build" $status
[ $status -eq 0 ] || exit 1

step "installing the server and pgrec into $PREFIX"
install_private_prefix "$PREFIX" "${MAKE_ARGS[@]}"
status=$?
record "private installation" $status
[ $status -eq 0 ] || exit 1

step "starting a temporary server with the sanitizer runtime preloaded"
mkdir -p "$REPORTS" "$FINDINGS"
# Two hooks for the sanitizer runtimes. swift_demangle: a preloaded ASan runtime initialises on
# the first malloc, which libgpg-error's constructor makes inside bindtextdomain() with gettext's
# lock held; the runtime then looks up swift_demangle and calls dlerror(), which takes the same
# lock, and every PostgreSQL program hangs (google/sanitizers#1270); with the symbol defined,
# dlerror() has nothing to translate. __ubsan_default_options: the UBSan runtime, loaded with
# pgrec.so, initialises in a backend at its first report and would read UBSAN_OPTIONS from
# /proc/self/environ, which the backend has overwritten with its process title. Its log_path
# is ASan's because the two runtimes share the report path (UBSan still writes to stderr).
cat >"$WORK/sanitizer_hooks.c" <<HOOKS
#include <stddef.h>
char *swift_demangle(const char *name, size_t length, char *buffer, size_t *size, unsigned flags)
{
	return NULL;
}
const char *__ubsan_default_options(void)
{
	return "print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$REPORTS/asan";
}
HOOKS
gcc -shared -fPIC -o "$HOOKS" "$WORK/sanitizer_hooks.c"
status=$?
[ "$(id -u)" -ne 0 ] || chown postgres: "$REPORTS"
export PGHOST=$CLUSTER PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
export PGREC_DATA_DIR=${PGREC_DATA_DIR:-$PGREC_ROOT/../shared/data}
export PGREC_SERVER_LOG=$CLUSTER/server.log
if [ $status -eq 0 ]; then
	PG_BINDIR=$SERVER_BINDIR PGREC_SERVER_ENV=$SERVER_ENV start_temp_cluster "$CLUSTER" "$PORT"
	status=$?
fi
# The server must be the private copy's, with the ASan runtime mapped into it.
if [ $status -eq 0 ]; then
	pkglibdir=$(psql -X -At -c "SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'")
	postmaster=$(head -n 1 "$CLUSTER/data/postmaster.pid")
	if [ "$pkglibdir" != "$PREFIX$(dirname "$PG_BINDIR")/lib" ]; then
		echo "the server loads libraries from $pkglibdir, not from $PREFIX"
		status=1
	elif ! grep -q libasan "/proc/$postmaster/maps"; then
		echo "the postmaster (pid $postmaster) has no ASan runtime mapped"
		status=1
	fi
else
	cat "$CLUSTER/server.log" 2>/dev/null
fi
record "sanitized server started" $status
[ $status -eq 0 ] || exit 1

step "pg_regress against the sanitized server"
started=$(date +%s)
# pg_regress runs as postgres in a directory it owns, with a copy of the test inputs.
REGRESS=$WORK/regress
mkdir -p "$REGRESS"
cp -r "$BUILD/Makefile" "$BUILD/sql" "$BUILD/expected" "$REGRESS/"
[ "$(id -u)" -ne 0 ] || chown -R postgres: "$REGRESS"
as_postgres make -C "$REGRESS" -s installcheck PG_CONFIG="$PG_BINDIR/pg_config" \
	REGRESS_OPTS="--load-extension=pgrec --host=$CLUSTER --port=$PORT"
status=$?
if [ $status -ne 0 ] && [ -f "$REGRESS/regression.diffs" ]; then
	head -n 200 "$REGRESS/regression.diffs"
fi
took "$started"
record "pg_regress" $status
check_findings "pg_regress: no sanitizer report or crash"

step "shell tests (test/shell) against the sanitized server"
started=$(date +%s)
# Each test exits 0 (pass), 77 (skipped, with a message) or anything else (fail).
wait_for_server
psql -X -q -c "CREATE EXTENSION pgrec"
for t in "$BUILD"/test/shell/*.sh; do
	name=$(basename "$t" .sh)
	[ "$name" != lib ] || continue
	if [[ " $SKIP_TESTS " == *" $name "* ]]; then
		echo "--- $name: skipped (slow under the sanitizers; PGREC_SANITIZE_SKIP)"
		RESULTS+=("SKIP  $name")
		continue
	fi
	echo "--- $name"
	test_started=$(date +%s)
	bash "$t"
	status=$?
	took "$test_started"
	if [ $status -eq 77 ]; then
		RESULTS+=("SKIP  $name")
	else
		record "$name" $status
	fi
	wait_for_server
done
took "$started"
stop_server
check_findings "shell tests: no sanitizer report or crash"
