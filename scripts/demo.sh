#!/usr/bin/env bash
# The main job in one command: installs what is missing, builds and installs pgrec, starts the
# local cluster in .pgrec/cluster (or uses the server of --connection / PG* variables), loads
# MovieLens 100K (or synthetic ratings when it is absent), trains, evaluates and recommends.
# Usage: scripts/demo.sh [--data DIR] [--connection CONNINFO] [--stop]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DATA=${PGREC_DATA_DIR:-$PGREC_ROOT/../shared/data}
CONNECTION=""
while [ $# -gt 0 ]; do
	case "$1" in
	--stop)
		"$PGREC_ROOT/scripts/cluster.sh" stop
		exit 0
		;;
	--data) DATA=$2; shift 2 ;;
	--connection) CONNECTION=$2; shift 2 ;;
	*) echo "usage: $0 [--data DIR] [--connection CONNINFO] [--stop]" >&2; exit 2 ;;
	esac
done
# PG* variables naming a server switch from the embedded cluster to that server.
if [ -z "$CONNECTION" ] && [ -n "${PGHOST:-}${PGPORT:-}${PGDATABASE:-}" ]; then
	CONNECTION="host=${PGHOST:-localhost} port=${PGPORT:-5432} dbname=${PGDATABASE:-postgres}"
fi

step "1/5 packages"
install_missing_packages
step "2/5 build and install pgrec"
build_and_install
echo "installed into $($PG_BINDIR/pg_config --pkglibdir)"
step "3/5 PostgreSQL"
if [ -z "$CONNECTION" ]; then
	"$PGREC_ROOT/scripts/cluster.sh" start
	source <(grep -E '^(PGREC_DATA|PGREC_PORT|SOCKET_DIR)=' "$PGREC_ROOT/scripts/cluster.sh")
	CONNECTION="host=$SOCKET_DIR port=$PGREC_PORT user=postgres dbname=postgres"
else
	echo "using the server of: $CONNECTION"
fi
PSQL=(psql -X -q -v ON_ERROR_STOP=1 "$CONNECTION")
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS pgrec"

step "4/5 ratings"
if [ -f "$DATA/ml-100k/u.data" ]; then
	echo "MovieLens 100K from $DATA/ml-100k"
	source_name="movielens-100k"
	vars=(-v sample_user=1 -v similar_to=50 -v visitor_films='{1,71,95}')
	loader=(-f "$PGREC_ROOT/examples/load_movielens.sql")
else
	echo "no MovieLens data in $DATA: synthetic ratings with planted taste groups instead"
	source_name="synthetic"
	vars=(-v sample_user=1 -v similar_to=1 -v visitor_films='{1,7,13}')
	loader=(-f "$PGREC_ROOT/examples/load_synthetic.sql")
fi
loaded=$("${PSQL[@]}" -At -c "SELECT obj_description('demo_ratings'::regclass)" 2>/dev/null || true)
if [ "$loaded" = "$source_name" ]; then
	echo "already loaded (re-run: the tables are reused)"
else
	(cd "$DATA" 2>/dev/null || true; "${PSQL[@]}" -c "SET client_min_messages = warning" "${loader[@]}")
	"${PSQL[@]}" -c "COMMENT ON TABLE demo_ratings IS '$source_name'"
fi

step "5/5 train, evaluate, recommend (examples/recommend_demo.sql)"
"${PSQL[@]}" "${vars[@]}" -f "$PGREC_ROOT/examples/recommend_demo.sql"
step "done: connect with  psql \"$CONNECTION\"  ; stop the local cluster with  scripts/demo.sh --stop"
