#!/usr/bin/env bash
# The main job in one command: installs what is missing, builds and installs pgrec, starts the
# local cluster in .pgrec/cluster and runs the SQL of examples/. Usage: scripts/demo.sh [--stop]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [ "${1:-}" = "--stop" ]; then
	"$PGREC_ROOT/scripts/cluster.sh" stop
	exit 0
fi

step "packages"
install_missing_packages
step "build and install pgrec"
build_and_install
echo "installed into $($PG_BINDIR/pg_config --pkglibdir)"
step "local PostgreSQL cluster"
"$PGREC_ROOT/scripts/cluster.sh" start
source <(grep -E '^(PGREC_DATA|PGREC_PORT|SOCKET_DIR)=' "$PGREC_ROOT/scripts/cluster.sh")
step "examples/nearest_neighbours.sql"
psql -X -v ON_ERROR_STOP=1 -q -h "$SOCKET_DIR" -p "$PGREC_PORT" -U postgres -d postgres \
	-f "$PGREC_ROOT/examples/nearest_neighbours.sql"
step "done: connect with  psql -h $SOCKET_DIR -p $PGREC_PORT -U postgres ; stop with  scripts/demo.sh --stop"
