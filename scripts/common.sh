# Shell functions shared by the demo, test and benchmark scripts (sourced, not run):
# installing missing packages, building and installing the extension, running as postgres.

PGREC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=15
PG_BINDIR=/usr/lib/postgresql/$PG_MAJOR/bin
PGREC_PACKAGES="postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR postgresql-$PG_MAJOR-cron
	libeigen3-dev cmake g++ make libgtest-dev clang libclang-rt-dev acl bc sqlsmith"

# Prints a step header.
step() {
	printf '\n==> %s\n' "$*"
}

# Outcomes of the suites that a script ran, for summary().
RESULTS=()
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

# Prints the recorded outcomes under the title $1, then "N suite(s) passed, N skipped, N failed"
# (or "N passed, N failed" if $2 is "short"); returns 1 if a suite failed.
summary() {
	local passed skipped
	passed=$(printf '%s\n' "${RESULTS[@]}" | grep -c '^PASS')
	skipped=$(printf '%s\n' "${RESULTS[@]}" | grep -c '^SKIP')
	printf '\n==================== %s ====================\n' "$1"
	printf '%s\n' "${RESULTS[@]}"
	if [ "${2:-}" = short ]; then
		printf '%d passed, %d failed\n' "$passed" "$FAILED"
	else
		printf '%d suite(s) passed, %d skipped, %d failed\n' "$passed" "$skipped" "$FAILED"
	fi
	[ "$FAILED" -eq 0 ]
}

# Installs the Debian packages that are not installed yet (needs root for apt-get).
install_missing_packages() {
	local missing=()
	for p in $PGREC_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "all packages present"
		return
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages: ${missing[*]}; run as root or install them" >&2
		return 1
	fi
	echo "installing: ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# The Debian package starts a default cluster on port 5432; we run our own instead.
	if command -v pg_ctlcluster >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q "^$PG_MAJOR main .* online"; then
		pg_ctlcluster "$PG_MAJOR" main stop || true
	fi
}

# Builds and installs the extension (WERROR=1 in the environment turns warnings into errors).
build_and_install() {
	make -C "$PGREC_ROOT" -s -j"$(nproc)" PG_CONFIG=$PG_BINDIR/pg_config ${WERROR:+WERROR=1} >/dev/null
	if [ "$(id -u)" -eq 0 ]; then
		make -C "$PGREC_ROOT" -s install >/dev/null
	else
		sudo make -C "$PGREC_ROOT" -s install >/dev/null
	fi
}

# Runs a command as the postgres OS user when we are root (PostgreSQL refuses to run as root).
as_postgres() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Lets the postgres user reach a directory inside the checkout: grants it search permission
# (an ACL entry for that user only) on each ancestor it cannot traverse, e.g. /root.
grant_postgres_traversal() {
	local dir=$1
	[ "$(id -u)" -eq 0 ] || return 0
	local path=""
	IFS=/ read -ra parts <<<"$dir"
	for part in "${parts[@]}"; do
		[ -n "$part" ] || continue
		path="$path/$part"
		[ -d "$path" ] || break
		if ! runuser -u postgres -- test -x "$path"; then
			echo "granting the postgres user search permission on $path (setfacl u:postgres:x)"
			setfacl -m u:postgres:x "$path"
		fi
	done
}

# Creates and starts a throw-away cluster in $1 (owned by postgres) listening on socket
# directory $1 and port $2; its log is $1/server.log. PGREC_SERVER_ENV may hold VAR=value words
# (no spaces) for the server's environment only (scripts/sanitize.sh preloads the ASan runtime).
start_temp_cluster() {
	local dir=$1 port=$2
	mkdir -p "$dir"
	[ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
	as_postgres "$PG_BINDIR/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
	cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$dir'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
CONF
	as_postgres env ${PGREC_SERVER_ENV:-} "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
		-w start >/dev/null
}

# Stops the cluster that start_temp_cluster started in $1.
stop_temp_cluster() {
	as_postgres "$PG_BINDIR/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 || true
}
