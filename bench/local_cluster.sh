# Sourced by the benchmarks that run on the local cluster (.pgrec/cluster): starts it and sets
# PSQL (psql as an array: unaligned, '|'-separated, stopping on errors), TMP (a scratch folder
# readable by the server, removed on exit) and SETTINGS (the SET statements of a benchmark run).
"$PGREC_ROOT/scripts/cluster.sh" start >/dev/null
source <(grep -E '^(PGREC_DATA|PGREC_PORT|SOCKET_DIR)=' "$PGREC_ROOT/scripts/cluster.sh")
PSQL=(psql -X -q -At -F '|' -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PGREC_PORT" -U postgres -d postgres)
TMP=$(mktemp -d)
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT
SETTINGS="SET pgrec.progress = off; SET pgrec.threads = 2; SET pgrec.training_memory_limit = '4GB';"
