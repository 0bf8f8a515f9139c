# The NCF protocol on ML-100K (sourced; needs PSQL and SETTINGS, and bench_ml100k from
# datasets.sh's load_ml100k): make_leave_one_out holds out each user's latest rating (ties: the
# larger item id) and draws 99 items the user never rated by a seeded hash; loo_metrics MODEL
# prints "HR@10|NDCG@10" of the model ranking each held-out item among its 100 candidates (an
# item the model does not know is a miss).
make_leave_one_out() {
	"${PSQL[@]}" >/dev/null <<'SQL'
DROP TABLE IF EXISTS loo_test, loo_train, loo_candidates;
CREATE TABLE loo_test AS
	SELECT DISTINCT ON (user_id) user_id, item_id FROM bench_ml100k ORDER BY user_id, ts DESC, item_id DESC;
CREATE TABLE loo_train AS
	SELECT r.user_id, r.item_id FROM bench_ml100k r LEFT JOIN loo_test t USING (user_id, item_id) WHERE t.user_id IS NULL;
CREATE TABLE loo_candidates AS
	SELECT t.user_id, t.item_id AS test_item,
		ARRAY(SELECT i.item_id FROM (SELECT DISTINCT item_id FROM bench_ml100k) i
			WHERE NOT EXISTS (SELECT 1 FROM bench_ml100k r WHERE r.user_id = t.user_id AND r.item_id = i.item_id)
			ORDER BY md5('42:' || t.user_id || ':' || i.item_id) LIMIT 99) AS negatives
	FROM loo_test t;
SQL
}

loo_metrics() {
	"${PSQL[@]}" -c "$SETTINGS" -c "SELECT round(avg(coalesce(rank <= 10, false)::int)::numeric, 4),
		round(avg(CASE WHEN rank <= 10 THEN 1 / log(2, rank + 1) ELSE 0 END)::numeric, 4)
		FROM (SELECT (SELECT r.n FROM pgrec.recommend('$1', c.user_id, 100, exclude_seen => false,
			candidates => c.negatives || c.test_item) WITH ORDINALITY AS r(item_id, score, n)
			WHERE r.item_id = c.test_item) AS rank FROM loo_candidates c) s"
}
