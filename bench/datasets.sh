# Loading the real data sets of ../shared/data into the local cluster for the benchmarks
# (sourced). Expects PSQL (the psql command as an array), DATA (the data folder) and TMP (a
# scratch folder readable by all); the pair files written to TMP feed bench/standalone_train.

# ML-1M ratings and a 90/10 random split (setseed 0.42): tables bench_ml1m, bench_ml1m_split;
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
