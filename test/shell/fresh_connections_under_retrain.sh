#!/usr/bin/env bash
# The shared cache under load: 32 pgbench clients, each transaction a new connection (-C), call
# recommend() while two writers retrain the model in turn. No call fails, and every call scores
# with one version only: the one its statement sees, whose factors are read in the same
# statement and must give recommend()'s scores. The cache keeps at most a few files of the
# model meanwhile (each version's file replaces the last).
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to read the data directory"; exit 77; }

CACHE="$(sql "SHOW data_directory")/pgrec_cache"
sql "CREATE TABLE fresh_ratings AS SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(2000, 1500, 40)" >/dev/null
sql "SET pgrec.progress = off; SELECT users FROM pgrec.train('fresh', 'fresh_ratings', 'user_id', 'item_id', 'rating', factors => 16, epochs => 3)" >/dev/null
script=$(mktemp)
# One statement: recommend()'s rows beside the scores of the current version's own factors.
cat >"$script" <<'PGBENCH'
\set user random(1, 2000)
SELECT CASE WHEN count(*) = 10 AND bool_and(abs(r.score - (-(u.factors <#> i.factors) + i.bias)) <= 1e-4 * (1 + abs(r.score)))
	THEN 1 ELSE 1 / (0 * count(*)) END
FROM pgrec.models v
	JOIN pgrec.user_factors u ON u.model_id = v.model_id AND u.user_id = :user
	CROSS JOIN LATERAL pgrec.recommend('fresh', :user, 10) r
	JOIN pgrec.item_factors i ON i.model_id = v.model_id AND i.item_id = r.item_id
WHERE v.name = 'fresh';
PGBENCH
sql "SELECT count(*) FROM pgrec.recommend('fresh', 1, 10)" >/dev/null
id=$(sql "SELECT model_id FROM pgrec.models WHERE name = 'fresh'")
prefix=$(ls "$CACHE" | grep -- "-$id-" | head -1 | cut -d- -f1,2)
pgbench -n -C -c 32 -j 2 -T 12 -f "$script" >"$script.out" 2>&1 &
bench=$!
most_files=0
writer() {
	for i in 1 2; do
		"${PSQL[@]}" -c "SET pgrec.progress = off" -c "SELECT users FROM pgrec.train('fresh', 'fresh_ratings', 'user_id', 'item_id', 'rating', factors => 16, epochs => $((2 + i)))" >/dev/null ||
			echo "a retrain failed"
	done
}
writer &
first=$!
writer &
second=$!
while kill -0 $bench 2>/dev/null; do
	files=$(ls "$CACHE" 2>/dev/null | grep -c "^$prefix-" || true)
	[ "$files" -gt "$most_files" ] && most_files=$files
	sleep 0.5
done
wait $bench
bench_status=$?
wait $first $second
sed 's/^/  pgbench: /' "$script.out" | grep -E "transactions actually processed|failed|aborted|tps|error" | head -n 8
processed=$(grep -o 'actually processed: [0-9]*' "$script.out" | grep -o '[0-9]*$')
versions=$(sql "SELECT version FROM pgrec.models WHERE name = 'fresh'")
check "every call from a fresh connection answered with one version's scores" "$bench_status = 0 AND ${processed:-0} >= 32 AND NOT EXISTS (SELECT 1 WHERE '$(grep -c 'ERROR\|aborted' "$script.out")' <> '0')" "${processed:-0} transactions"
check "both writers published their versions meanwhile" "$versions = 5" "version $versions"
check "the cache held one to three files of the model (of any version) at any time" "'$prefix' <> '' AND $most_files BETWEEN 1 AND 3" "$most_files"
rm -f "$script" "$script.out"
sql "SELECT pgrec.drop_model('fresh'); DROP TABLE fresh_ratings" >/dev/null
finish
