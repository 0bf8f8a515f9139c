#!/usr/bin/env bash
# No lost updates: a refresh and a warm-started training of one model, started while the other
# holds the model's lock, wait for it and build on the version it published, in both orders.
source "$(dirname "$0")/lib.sh"

sql "CREATE TABLE race AS SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(300, 200, 20) WHERE user_id <= 250" >/dev/null
sql "SET pgrec.progress = off; SELECT users FROM pgrec.train('race', 'race', 'user_id', 'item_id', 'rating', factors => 8, epochs => 4)" >/dev/null
WARM="SELECT model_id FROM pgrec.train('race', 'race', 'user_id', 'item_id', 'rating', factors => 8, epochs => 1, warm_start => true)"
# Runs $1 in a transaction that holds the model's lock for 2 s after it, in the background.
hold_lock() {
	"${PSQL[@]}" -c "BEGIN" -c "SET pgrec.progress = off" -c "$1" -c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null 2>&1 &
	sleep 0.7
}

# Order 1: a refresh holds the lock; the warm-started training waits and starts from its version.
sql "INSERT INTO race SELECT user_id, item_id, rating FROM pgrec.synthetic_ratings(300, 200, 20) WHERE user_id > 250" >/dev/null
hold_lock "SELECT version FROM pgrec.refresh('race')"
notice=$("${PSQL[@]}" -c "$WARM" 2>&1 | grep 'warm start')
wait
check "the training waited for the refresh and started from its version 2" \
	"position('from version 2: 300 of 300 users' in '$notice') > 0" "$notice"
check "the training published version 3" "(SELECT version FROM pgrec.models WHERE name = 'race') = 3" \
	"$(sql "SELECT version FROM pgrec.models WHERE name = 'race'")"

# Order 2: a warm-started training holds the lock; the refresh waits and keeps its factors.
hold_lock "$WARM"
sql "SELECT version FROM pgrec.refresh('race')" >/dev/null
wait
check "the refresh published version 5 after the training's 4" \
	"(SELECT string_agg(version::text, ',' ORDER BY version) FROM pgrec.model_versions WHERE name = 'race') = '3,4,5'" \
	"$(sql "SELECT string_agg(version::text, ',' ORDER BY version) FROM pgrec.model_versions WHERE name = 'race'")"
check "the refresh kept every user's factors of version 4, its predecessor" \
	"(SELECT count(*) FROM pgrec.user_factors a JOIN pgrec.user_factors b USING (user_id)
	  WHERE a.model_id = (SELECT model_id FROM pgrec.model_versions WHERE name = 'race' AND version = 4)
	    AND b.model_id = (SELECT model_id FROM pgrec.model_versions WHERE name = 'race' AND version = 5)
	    AND a.factors = b.factors) = 300" \
	"$(sql "SELECT count(*) FROM pgrec.user_factors a JOIN pgrec.user_factors b USING (user_id)
	  WHERE a.model_id = (SELECT model_id FROM pgrec.model_versions WHERE name = 'race' AND version = 4)
	    AND b.model_id = (SELECT model_id FROM pgrec.model_versions WHERE name = 'race' AND version = 5)
	    AND a.factors = b.factors") of 300 users"
check_factor_rows race
sql "SELECT pgrec.drop_model('race'); DROP TABLE race" >/dev/null
finish
