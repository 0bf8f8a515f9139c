#!/usr/bin/env bash
# pg_dump of a database with models, restored into a fresh database: the model catalog, its
# versions and the recommend() results are identical (a user_knn model too: its neighbours and
# the users' seen values are dumped; a hybrid model with features: its feature vectors, which
# recommend_for_features reads).
source "$(dirname "$0")/lib.sh"

for db in dump_source dump_target; do
	sql "DROP DATABASE IF EXISTS $db" >/dev/null
	sql "CREATE DATABASE $db" >/dev/null
done
SRC=(psql -X -q -At -v ON_ERROR_STOP=1 -d dump_source)
DST=(psql -X -q -At -v ON_ERROR_STOP=1 -d dump_target)
"${SRC[@]}" >/dev/null <<'SQL'
SET pgrec.progress = off;
CREATE EXTENSION pgrec;
CREATE TABLE ratings AS SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(300, 200, 30);
SELECT users FROM pgrec.train('explicit', 'ratings', 'user_id', 'item_id', 'rating', factors => 8);
SELECT users FROM pgrec.train('explicit', 'ratings', 'user_id', 'item_id', 'rating', factors => 8, epochs => 3);
SELECT users FROM pgrec.train('implicit', 'SELECT user_id, item_id FROM ratings WHERE rating >= 4', 'user_id', 'item_id', algorithm => 'ials', factors => 8);
SELECT users FROM pgrec.train('neighbours', 'SELECT user_id, item_id FROM ratings WHERE rating >= 4', 'user_id', 'item_id', algorithm => 'ease', regularization => 20);
SELECT users FROM pgrec.train('users', 'ratings', 'user_id', 'item_id', 'rating', algorithm => 'user_knn', neighbors => 30);
CREATE TABLE films AS SELECT item_id, 'film ' || (item_id % 7) AS title, ARRAY['g' || (item_id % 5)] AS genres
	FROM generate_series(1, 210) item_id;
CREATE TABLE viewers AS SELECT u AS user_id, u % 3 = 0 AS subscriber FROM generate_series(1, 310) u;
SELECT users FROM pgrec.train('features', 'SELECT user_id, item_id FROM ratings WHERE rating >= 4', 'user_id', 'item_id',
	algorithm => 'hybrid', factors => 8, epochs => 2, item_features => 'films', user_features => 'viewers');
SQL
pg_dump -d dump_source >/tmp/pgrec_dump.$$ && "${DST[@]}" -f /tmp/pgrec_dump.$$ >/dev/null
check "pg_dump and restore succeed" "$? = 0" "$(wc -c </tmp/pgrec_dump.$$) bytes of dump"
query="SELECT string_agg(format('%s %s %s', name, version, model_id), '; ' ORDER BY name, version) FROM pgrec.model_versions"
check "the same model versions" "'$("${SRC[@]}" -c "$query")' = '$("${DST[@]}" -c "$query")'" "$("${DST[@]}" -c "$query")"
recs="SELECT md5(string_agg(format('%s %s %s %s', m, u, r.item_id, r.score), ',' ORDER BY m, u, r.item_id))
	FROM unnest(ARRAY['explicit', 'implicit', 'neighbours', 'users', 'features']) m, generate_series(1, 310) u, pgrec.recommend(m, u, 5) r"
check "identical recommend() results for every user of the five models (factors, item-item and user-user weights, users and items known by their features)" "'$("${SRC[@]}" -c "$recs")' = '$("${DST[@]}" -c "$recs")'" "md5 compared"
visitors="SELECT md5(string_agg(format('%s %s %s', s, r.item_id, r.score), ',' ORDER BY s, r.item_id))
	FROM (VALUES (true), (false)) v(s), pgrec.recommend_for_features('features', jsonb_build_object('subscriber', s), 5) r"
check "identical recommend_for_features() results (the feature vectors are dumped)" "'$("${SRC[@]}" -c "$visitors")' = '$("${DST[@]}" -c "$visitors")' AND $("${DST[@]}" -c "SELECT count(*) FROM pgrec.feature_factors") > 0" "md5 compared"
check "training a restored model continues the versions" \
	"$("${DST[@]}" -c "SET pgrec.progress = off; SELECT model_id FROM pgrec.train('explicit', 'ratings', 'user_id', 'item_id', 'rating', factors => 8, epochs => 1)") > 0 AND $("${DST[@]}" -c "SELECT version FROM pgrec.models WHERE name = 'explicit'") = 3" "version 3"
rm -f /tmp/pgrec_dump.$$
sql "DROP DATABASE dump_source" >/dev/null
sql "DROP DATABASE dump_target" >/dev/null
finish
