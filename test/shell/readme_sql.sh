#!/usr/bin/env bash
# Runs every ```sql block of README.md, in order, in the database pg_cron serves (postgres, so
# that the scheduling example runs too): the tour a newcomer copies must not fail. Also runs
# the demo's SQL (examples/) on synthetic data, in a fresh database.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

sql "DROP DATABASE IF EXISTS readme_tour" >/dev/null
sql "CREATE DATABASE readme_tour" >/dev/null
blocks=$(awk '/^```sql/{n++} END {print n + 0}' "$ROOT/README.md")
sql "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null
awk '/^```sql/{f=1; next} /^```/{f=0} f' "$ROOT/README.md" |
	psql -X -q -v ON_ERROR_STOP=1 -c "SET pgrec.progress = off" -f - >/tmp/readme_sql.$$ 2>&1
status=$?
tail -n 5 /tmp/readme_sql.$$ | sed 's/^/  /'
check "all $blocks SQL blocks of README.md run without error" "$status = 0" "psql exit status $status"

psql -X -q -v ON_ERROR_STOP=1 -d readme_tour -c "SET pgrec.progress = off" \
	-c "CREATE EXTENSION pgrec" -f "$ROOT/examples/load_synthetic.sql" \
	-v sample_user=1 -v similar_to=1 -v visitor_films='{1,7,13}' -f "$ROOT/examples/recommend_demo.sql" \
	>/tmp/readme_sql.$$ 2>&1
status=$?
check "the demo's SQL runs on synthetic data" "$status = 0" "psql exit status $status"
# Planted structure: the visitor who loved three films of genre 1 gets films of genre 1.
genre1=$(sed -n '/visitor_loved/,$p' /tmp/readme_sql.$$ | grep -c '(comedy)')
check "the synthetic visitor gets mostly films of the genre they loved" "$genre1 >= 10" "$genre1 comedy lines of 13"
rm -f /tmp/readme_sql.$$
sql "DROP DATABASE readme_tour" >/dev/null
sql "SELECT pgrec.drop_model(name) FROM pgrec.models WHERE name IN ('films', 'films_tuned');
	DROP TABLE items, ratings, nightly_recommendations" >/dev/null
finish
