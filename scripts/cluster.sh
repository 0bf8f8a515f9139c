#!/usr/bin/env bash
# Starts or stops the local PostgreSQL cluster that the demo and benchmarks use, kept in
# .pgrec/cluster inside the checkout. Usage: scripts/cluster.sh start|stop|status
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PGREC_DATA=${PGREC_DATA:-$PGREC_ROOT/.pgrec/cluster}
PGREC_PORT=${PGREC_PORT:-5440}
SOCKET_DIR=$PGREC_DATA/socket

case "${1:-start}" in
start)
	mkdir -p "$(dirname "$PGREC_DATA")"
	[ "$(id -u)" -ne 0 ] || chown postgres: "$(dirname "$PGREC_DATA")"
	grant_postgres_traversal "$(dirname "$PGREC_DATA")"
	if [ ! -f "$PGREC_DATA/PG_VERSION" ]; then
		echo "creating a cluster in $PGREC_DATA"
		as_postgres "$PG_BINDIR/initdb" -D "$PGREC_DATA" -A trust -U postgres >/dev/null
		as_postgres mkdir -p "$SOCKET_DIR"
		cat >>"$PGREC_DATA/postgresql.conf" <<CONF
port = $PGREC_PORT
listen_addresses = ''
unix_socket_directories = '$SOCKET_DIR'
shared_buffers = '2GB'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
CONF
	fi
	if as_postgres "$PG_BINDIR/pg_ctl" -D "$PGREC_DATA" status >/dev/null 2>&1; then
		echo "cluster already running (socket $SOCKET_DIR, port $PGREC_PORT)"
	else
		as_postgres "$PG_BINDIR/pg_ctl" -D "$PGREC_DATA" -l "$PGREC_DATA/server.log" -w start >/dev/null
		echo "cluster started (socket $SOCKET_DIR, port $PGREC_PORT)"
	fi
	;;
stop)
	if [ -f "$PGREC_DATA/PG_VERSION" ]; then
		as_postgres "$PG_BINDIR/pg_ctl" -D "$PGREC_DATA" -m fast stop >/dev/null 2>&1 || true
		echo "cluster stopped"
	fi
	;;
status)
	as_postgres "$PG_BINDIR/pg_ctl" -D "$PGREC_DATA" status
	;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
