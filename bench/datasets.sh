# Loading the real data sets of ../shared/data, and a synthetic model of 1M items, into the
# local cluster for the benchmarks (sourced). Expects PSQL (the psql command as an array), DATA
# (the data folder) and TMP (a scratch folder readable by all); the pair files written to TMP
# feed bench/standalone_train.

# ML-1M ratings and a 90/10 random split (setseed 0.42): tables bench_ml1m, bench_ml1m_split,
# bench_ml1m_train (the training part as a plain table);
# files ml1m_train.txt, ml1m_test.txt (and _bin_ for ratings >= 4).
load_ml1m() {
	"${PSQL[@]}" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgrec;
DROP TABLE IF EXISTS bench_ml1m, bench_ml1m_split;
CREATE TABLE bench_ml1m (user_id int, item_id int, rating real);
\copy bench_ml1m FROM PROGRAM 'sed "s/::/\t/g" $DATA/ml-1m/ratings_uir.dat'
SELECT setseed(0.42);
CREATE TABLE bench_ml1m_split AS
	SELECT *, random() < 0.9 AS is_train FROM (SELECT * FROM bench_ml1m ORDER BY user_id, item_id) s;
DROP TABLE IF EXISTS bench_ml1m_train;
CREATE TABLE bench_ml1m_train AS SELECT user_id, item_id, rating FROM bench_ml1m_split WHERE is_train;
\copy (SELECT user_id, item_id, rating FROM bench_ml1m_split WHERE is_train) TO '$TMP/ml1m_train.txt'
\copy (SELECT user_id, item_id, rating FROM bench_ml1m_split WHERE NOT is_train) TO '$TMP/ml1m_test.txt'
\copy (SELECT user_id, item_id, rating FROM bench_ml1m_split WHERE is_train AND rating >= 4) TO '$TMP/ml1m_bin_train.txt'
\copy (SELECT user_id, item_id, rating FROM bench_ml1m_split WHERE NOT is_train AND rating >= 4) TO '$TMP/ml1m_bin_test.txt'
SQL
}

# Gowalla, LightGCN split (train + valid for training, test for testing): tables
# bench_gowalla_train, bench_gowalla_test; files gowalla_train.txt, gowalla_test.txt.
load_gowalla() {
	cat "$DATA/gowalla/train.txt" "$DATA/gowalla/valid.txt" |
		awk '{for (i = 2; i <= NF; i++) print $1 "\t" $i}' >"$TMP/gowalla_train.txt"
	awk '{for (i = 2; i <= NF; i++) print $1 "\t" $i}' "$DATA/gowalla/test.txt" >"$TMP/gowalla_test.txt"
	"${PSQL[@]}" >/dev/null <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_gowalla_train, bench_gowalla_test;
CREATE TABLE bench_gowalla_train (user_id int, item_id int);
CREATE TABLE bench_gowalla_test (user_id int, item_id int);
\copy bench_gowalla_train FROM '$TMP/gowalla_train.txt'
\copy bench_gowalla_test FROM '$TMP/gowalla_test.txt'
ANALYZE bench_gowalla_train, bench_gowalla_test;
SQL
}

# ML-100K with timestamps: table bench_ml100k(user_id, item_id, rating, ts).
load_ml100k() {
	"${PSQL[@]}" >/dev/null <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_ml100k;
CREATE TABLE bench_ml100k (user_id int, item_id int, rating real, ts bigint);
\copy bench_ml100k FROM '$DATA/ml-100k/u.data'
SQL
}

# ML-1M under strong generalisation (Liang et al. 2018): ratings >= 4 as positives, users with
# at least 5; 600 validation and 600 test users drawn by md5 (seed 42) are held out of training,
# their items restricted to training items and split 80/20 per user (history / truth) by md5.
# Tables sg_train and sg_heldout; views sg_{valid,test}_{history,truth}.
load_ml1m_strong() {
	"${PSQL[@]}" >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS sg_pos, sg_users, sg_train, sg_heldout CASCADE;
CREATE TABLE sg_pos AS SELECT user_id, item_id FROM bench_ml1m WHERE rating >= 4;
DELETE FROM sg_pos WHERE user_id IN (SELECT user_id FROM sg_pos GROUP BY 1 HAVING count(*) < 5);
CREATE TABLE sg_users AS
	SELECT user_id, CASE WHEN r <= 600 THEN 'valid' WHEN r <= 1200 THEN 'test' ELSE 'train' END AS part
	FROM (SELECT user_id, row_number() OVER (ORDER BY md5('sg42:' || user_id)) AS r
		FROM (SELECT DISTINCT user_id FROM sg_pos) u) s;
CREATE TABLE sg_train AS SELECT p.* FROM sg_pos p JOIN sg_users u USING (user_id) WHERE part = 'train';
CREATE TABLE sg_heldout AS
	SELECT p.*, u.part,
		row_number() OVER (PARTITION BY p.user_id ORDER BY md5('sg42:' || p.user_id || ':' || p.item_id)) AS r,
		count(*) OVER (PARTITION BY p.user_id) AS n
	FROM sg_pos p JOIN sg_users u USING (user_id)
	WHERE part <> 'train' AND p.item_id IN (SELECT item_id FROM sg_train);
CREATE VIEW sg_test_history AS SELECT user_id, item_id FROM sg_heldout WHERE part = 'test' AND r > floor(0.2 * n);
CREATE VIEW sg_test_truth AS SELECT user_id, item_id FROM sg_heldout WHERE part = 'test' AND r <= floor(0.2 * n);
CREATE VIEW sg_valid_history AS SELECT user_id, item_id FROM sg_heldout WHERE part = 'valid' AND r > floor(0.2 * n);
CREATE VIEW sg_valid_truth AS SELECT user_id, item_id FROM sg_heldout WHERE part = 'valid' AND r <= floor(0.2 * n);
ANALYZE sg_train, sg_heldout;
SQL
}

# A synthetic model for latency benchmarks, made once: bench_1m, 1,000,000 items and 1,000 users
# with 64 random factors (setseed 0.7), imported with pgrec.import_model.
load_bench_1m() {
	if [ "$("${PSQL[@]}" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS pgrec" \
		-c "SELECT count(*) FROM pgrec.models WHERE name = 'bench_1m'")" != 0 ]; then
		return
	fi
	"${PSQL[@]}" >/dev/null <<'SQL'
SET client_min_messages = warning;
SELECT setseed(0.7);
DROP TABLE IF EXISTS bench_1m_items, bench_1m_users;
CREATE TABLE bench_1m_items AS SELECT i AS item_id,
	ARRAY(SELECT (random() - 0.5)::real FROM generate_series(1, 64) WHERE i > 0) AS f
	FROM generate_series(1, 1000000) i;
CREATE TABLE bench_1m_users AS SELECT u AS user_id,
	ARRAY(SELECT (random() - 0.5)::real FROM generate_series(1, 64) WHERE u > 0) AS f
	FROM generate_series(1, 1000) u;
SELECT pgrec.import_model('bench_1m', 'bench_1m_items', 'item_id', 'f', 'bench_1m_users', 'user_id');
VACUUM ANALYZE pgrec.item_factors;
SQL
}

# ML-1M's side information: bench_ml1m_movies(item_id, title text, genres text[]) from
# movies.dat (Latin-1) and bench_ml1m_users(user_id, gender, age, occupation: text[] each, the
# codes of users.dat as categories).
load_ml1m_features() {
	"${PSQL[@]}" >/dev/null <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_ml1m_movies, bench_ml1m_users;
CREATE TEMP TABLE lines (line text);
\copy lines FROM PROGRAM 'iconv -f latin1 -t utf-8 $DATA/ml-1m/movies.dat' WITH (FORMAT text, DELIMITER E'\x01')
CREATE TABLE bench_ml1m_movies AS SELECT split_part(line, '::', 1)::int AS item_id,
	split_part(line, '::', 2) AS title, string_to_array(split_part(line, '::', 3), '|') AS genres
	FROM lines;
TRUNCATE lines;
\copy lines FROM '$DATA/ml-1m/users.dat' WITH (FORMAT text, DELIMITER E'\x01')
CREATE TABLE bench_ml1m_users AS SELECT split_part(line, '::', 1)::int AS user_id,
	ARRAY[split_part(line, '::', 2)] AS gender, ARRAY[split_part(line, '::', 3)] AS age,
	ARRAY[split_part(line, '::', 4)] AS occupation FROM lines;
SQL
}

# HetRec Last.fm: bench_lastfm(user_id, item_id, plays) from user_artists.dat,
# bench_lastfm_artists(item_id, name) and bench_lastfm_users(user_id, friends text[]: the ids
# of the user's friends, as categories).
load_lastfm() {
	"${PSQL[@]}" >/dev/null <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_lastfm, bench_lastfm_artists, bench_lastfm_users;
CREATE TABLE bench_lastfm (user_id int, item_id int, plays bigint);
\copy bench_lastfm FROM PROGRAM 'tail -n +2 $DATA/lastfm-2k/user_artists.dat'
CREATE TEMP TABLE lines (line text);
\copy lines FROM PROGRAM 'tail -n +2 $DATA/lastfm-2k/artists.dat' WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')
CREATE TABLE bench_lastfm_artists AS
	SELECT split_part(line, E'\t', 1)::int AS item_id, split_part(line, E'\t', 2) AS name FROM lines;
CREATE TEMP TABLE friends (user_id int, friend_id int);
\copy friends FROM PROGRAM 'tail -n +2 $DATA/lastfm-2k/user_friends.dat'
CREATE TABLE bench_lastfm_users AS
	SELECT user_id, array_agg(friend_id::text ORDER BY friend_id) AS friends FROM friends GROUP BY user_id;
SQL
}
