#!/usr/bin/env bash
# Quality on real data: MovieLens 100K, 90/10 random split with a fixed seed. 'als' at its
# defaults must reach RMSE < 0.91 (measured 0.896); 'ials' on ratings >= 4 recall@10 > 0.18
# (measured 0.213). Skips when ../shared/data is absent.
source "$(dirname "$0")/lib.sh"
require_data ml-100k/u.data

sql "CREATE TABLE ml100k (user_id int, item_id int, rating int, ts bigint)"
"${PSQL[@]}" -c "\\copy ml100k FROM '$PGREC_DATA_DIR/ml-100k/u.data'"
sql "SELECT setseed(0.1); CREATE TABLE ml100k_split AS
	SELECT *, random() < 0.9 AS is_train FROM (SELECT * FROM ml100k ORDER BY user_id, item_id) s" >/dev/null
sql "SET pgrec.progress = off; SELECT users FROM pgrec.train('ml100k_als',
	'SELECT * FROM ml100k_split WHERE is_train', 'user_id', 'item_id', 'rating')" >/dev/null
rmse=$(sql "SELECT round(rmse::numeric, 4) FROM pgrec.evaluate('ml100k_als',
	'SELECT * FROM ml100k_split WHERE NOT is_train', 'user_id', 'item_id', 'rating')")
check "als RMSE on the ML-100K test split below 0.91" "$rmse < 0.91" "rmse=$rmse"

sql "SET pgrec.progress = off; SELECT users FROM pgrec.train('ml100k_ials',
	'SELECT * FROM ml100k_split WHERE is_train AND rating >= 4', 'user_id', 'item_id', algorithm => 'ials')" >/dev/null
recall=$(sql "SELECT round(recall_at_k::numeric, 4) FROM pgrec.evaluate('ml100k_ials',
	'SELECT * FROM ml100k_split WHERE NOT is_train AND rating >= 4', 'user_id', 'item_id', k => 10)")
check "ials recall@10 on ML-100K ratings >= 4 above 0.18" "$recall > 0.18" "recall@10=$recall"
sql "SELECT pgrec.drop_model('ml100k_als'), pgrec.drop_model('ml100k_ials'); DROP TABLE ml100k, ml100k_split" >/dev/null
finish
