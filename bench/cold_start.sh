#!/usr/bin/env bash
# Cold start (issue 10) on two data sets: ML-1M with movies.dat (title words, genres) and
# users.dat (gender, age, occupation) as features, and HetRec Last.fm with artist names (words)
# and each user's friends (categories). Item cold start: 20% of the items held out with all
# their interactions, each user ranking the held-out items only (AUC, Recall@20, NDCG@20); the
# warm items of the same split (all items ranked, pgrec.evaluate); user cold start: 20% of the
# users held out, recommended from their features alone. Writes bench/results/cold_start.md.
# Usage: bench/cold_start.sh [DATA_DIR]. ML-1M's positives are ratings >= 4 (as in LightFM's
# MovieLens experiments), Last.fm's every listened artist; splits by md5 with fixed salts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
DATA=${1:-${PGREC_DATA_DIR:-$PGREC_ROOT/../shared/data}}
for f in ml-1m/ratings_uir.dat ml-1m/movies.dat ml-1m/users.dat lastfm-2k/user_artists.dat \
	lastfm-2k/artists.dat lastfm-2k/user_friends.dat; do
	[ -f "$DATA/$f" ] || { echo "missing $DATA/$f" >&2; exit 1; }
done
source "$PGREC_ROOT/bench/local_cluster.sh"
source "$PGREC_ROOT/bench/datasets.sh"
step "loading data"
load_ml1m
load_ml1m_features
load_lastfm

# The metrics of a table of ranks (method, user_id, item_id, rank) against a truth table: AUC
# over the n candidates, Recall@20 over min(20, relevant) and NDCG@20.
"${PSQL[@]}" >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS cs_ranks CASCADE;
CREATE TABLE cs_ranks (method text, user_id int, item_id bigint, rank bigint);
CREATE OR REPLACE FUNCTION cs_metrics(method text, truth regclass, candidates bigint,
	OUT auc numeric, OUT recall numeric, OUT ndcg numeric) LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format($q$
	WITH t AS (SELECT user_id, item_id FROM %s),
	per_user AS (
		SELECT t.user_id, count(*) AS p,
			sum($2 - r.rank) FILTER (WHERE r.rank IS NOT NULL) AS above,
			count(*) FILTER (WHERE r.rank <= 20) AS hits,
			coalesce(sum(1 / log(2, r.rank + 1)) FILTER (WHERE r.rank <= 20), 0) AS dcg
		FROM t LEFT JOIN cs_ranks r ON r.method = $1 AND r.user_id = t.user_id
			AND r.item_id = t.item_id
		WHERE t.user_id IN (SELECT user_id FROM cs_ranks WHERE method = $1)
		GROUP BY t.user_id)
	SELECT round(avg((above - p * (p - 1) / 2.0) / (p * ($2 - p)))
			FILTER (WHERE p < $2)::numeric, 4),
		round(avg(hits::numeric / least(p, 20)), 4),
		round(avg(dcg / (SELECT sum(1 / log(2, i + 1)) FROM generate_series(1, least(p, 20)) i))::numeric, 4)
	FROM per_user$q$, truth) INTO auc, recall, ndcg USING method, candidates;
END $$;
SQL

# split POSITIVES ITEMS USERS: the item and user splits of a data set (positives: a query of
# (user_id, item_id); ITEMS, USERS: its feature tables, ids first).
split() {
	"${PSQL[@]}" >/dev/null <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS cs_pos, cs_items, cs_train, cs_warm_test, cs_cold_truth, cs_users,
	cs_user_train, cs_user_truth CASCADE;
CREATE TABLE cs_pos AS $1;
CREATE TABLE cs_items AS SELECT item_id, md5('cold-item-42:' || item_id) < '33333333' AS held_out
	FROM (SELECT item_id FROM $2 UNION SELECT item_id FROM cs_pos) i;
CREATE TABLE cs_train AS SELECT p.* FROM cs_pos p JOIN cs_items i USING (item_id)
	WHERE NOT i.held_out AND md5('warm-test-42:' || user_id || ':' || item_id) >= '1999999a';
CREATE TABLE cs_warm_test AS SELECT p.* FROM cs_pos p JOIN cs_items i USING (item_id)
	WHERE NOT i.held_out AND md5('warm-test-42:' || user_id || ':' || item_id) < '1999999a';
CREATE TABLE cs_cold_truth AS SELECT p.* FROM cs_pos p JOIN cs_items i USING (item_id)
	WHERE i.held_out;
CREATE TABLE cs_users AS SELECT user_id, md5('cold-user-42:' || user_id) < '33333333' AS held_out
	FROM (SELECT user_id FROM $3 UNION SELECT user_id FROM cs_pos) u;
CREATE TABLE cs_user_train AS SELECT p.* FROM cs_pos p JOIN cs_users u USING (user_id)
	WHERE NOT u.held_out;
CREATE TABLE cs_user_truth AS SELECT p.* FROM cs_pos p JOIN cs_users u USING (user_id)
	WHERE u.held_out;
TRUNCATE cs_ranks;
ANALYZE;
SQL
	COLD_ITEMS=$("${PSQL[@]}" -c "SELECT count(*) FROM cs_items WHERE held_out")
	ALL_ITEMS=$("${PSQL[@]}" -c "SELECT count(*) FROM cs_items")
}
HELD_OUT="(SELECT array_agg(item_id::bigint) FROM cs_items WHERE held_out)"
# two_tower with one hidden layer of 64 per tower and Adam's step 0.01 (its Gowalla settings,
# bench/README.md); the other models at their defaults.
TWO_TOWER=${TWO_TOWER:-"hidden_layers => '{64}', learning_rate => 0.01"}

# train NAME SOURCE ALGORITHM EXTRA -> the training's seconds.
train() {
	"${PSQL[@]}" -c "$SETTINGS" -c "SELECT round(seconds::numeric, 2) FROM pgrec.train('$1', '$2',
		'user_id', 'item_id', algorithm => '$3' $4)"
}

# ranks_from_model METHOD MODEL: each user with a liked held-out item ranks the held-out items.
ranks_from_model() {
	"${PSQL[@]}" -c "$SETTINGS" -c "INSERT INTO cs_ranks SELECT '$1', u.user_id, r.item_id, r.rank
		FROM (SELECT DISTINCT user_id FROM cs_cold_truth) u,
		LATERAL pgrec.recommend('$2', u.user_id, k => $COLD_ITEMS, exclude_seen => false,
			candidates => $HELD_OUT) WITH ORDINALITY AS r(item_id, score, rank)" -c "ANALYZE cs_ranks"
}

# metrics_row METHOD TRUTH CANDIDATES COLUMNS -> a table row (COLUMNS: the metrics shown).
metrics_row() {
	local m
	m=$("${PSQL[@]}" -c "ANALYZE cs_ranks" -c "SELECT $4 FROM cs_metrics('$1', '$2', $3)")
	echo "$1: $m" >&2
	echo "| $1 | $m |"
}

# warm_row NAME MODEL SECONDS -> a table row of pgrec.evaluate on the warm test interactions.
warm_row() {
	local m
	m=$("${PSQL[@]}" -c "$SETTINGS" -c "SELECT round(recall_at_k::numeric, 4) || ' | ' || round(ndcg_at_k::numeric, 4)
		FROM pgrec.evaluate('$2', 'cs_warm_test', 'user_id', 'item_id', k => 20)")
	echo "$1: $m, $3 s" >&2
	echo "| $1 | $m | $3 s |"
}

# run_dataset NAME POSITIVES ITEMS USERS CONFIG -> the three tables of a data set, in markdown
# (CONFIG: the text search configuration of its text features). A
# baseline of the data set's own may be given as BASELINE_NAME and BASELINE_SQL (an INSERT
# INTO cs_ranks of its ranks of the held-out items).
run_dataset() {
	local name=$1 items="item_features => '$3', text_search_config => '$5'" cold="" warm=""
	local users="user_features => '$4'" user_rows="" m s
	step "$name: splits" >&2
	split "$2" "$3" "$4"
	step "$name: item cold start ($COLD_ITEMS held-out items)" >&2
	"${PSQL[@]}" -c "INSERT INTO cs_ranks SELECT 'random', u.user_id, i.item_id,
		row_number() OVER (PARTITION BY u.user_id ORDER BY md5(u.user_id || ':' || i.item_id))
		FROM (SELECT DISTINCT user_id FROM cs_cold_truth) u, cs_items i WHERE i.held_out"
	local methods=(random)
	if [ -n "${BASELINE_SQL:-}" ]; then
		"${PSQL[@]}" -c "$BASELINE_SQL"
		methods+=("$BASELINE_NAME")
	fi
	declare -A seconds
	seconds[content]=$(train cs_content cs_train content ", $items")
	ranks_from_model content cs_content
	seconds[hybrid]=$(train cs_hybrid cs_train hybrid ", $items, $users")
	ranks_from_model "hybrid (loss ials)" cs_hybrid
	seconds[items]=$(train cs_hybrid_items cs_train hybrid ", $items")
	ranks_from_model "hybrid (loss ials) without user features" cs_hybrid_items
	seconds[warp]=$(train cs_hybrid_warp cs_train hybrid ", $items, $users, loss => 'warp'")
	ranks_from_model "hybrid, loss warp" cs_hybrid_warp
	seconds[two_tower]=$(train cs_two_tower cs_train two_tower ", $items, $users, $TWO_TOWER")
	ranks_from_model "two_tower" cs_two_tower
	seconds[ials]=$(train cs_ials cs_train ials "")
	methods+=(content "hybrid (loss ials)" "hybrid (loss ials) without user features" "hybrid, loss warp"
		two_tower)
	for m in "${methods[@]}"; do
		cold+=$(metrics_row "$m" cs_cold_truth "$COLD_ITEMS" "auc || ' | ' || recall || ' | ' || ndcg")$'\n'
	done
	step "$name: warm items (the same split, all items ranked)" >&2
	warm+=$(warm_row "ials (defaults)" cs_ials "${seconds[ials]}")$'\n'
	warm+=$(warm_row "hybrid (loss ials; item and user features)" cs_hybrid "${seconds[hybrid]}")$'\n'
	warm+=$(warm_row "hybrid (loss ials) without user features" cs_hybrid_items "${seconds[items]}")$'\n'
	warm+=$(warm_row "hybrid, loss warp (item and user features)" cs_hybrid_warp "${seconds[warp]}")$'\n'
	warm+=$(warm_row "content" cs_content "${seconds[content]}")$'\n'
	warm+=$(warm_row "two_tower (item and user features)" cs_two_tower "${seconds[two_tower]}")$'\n'
	step "$name: user cold start (held-out users known by their features only)" >&2
	"${PSQL[@]}" -c "TRUNCATE cs_ranks" -c "INSERT INTO cs_ranks SELECT 'global popularity', u.user_id, p.item_id, p.rank
		FROM (SELECT DISTINCT user_id FROM cs_user_truth) u,
		(SELECT item_id, row_number() OVER (ORDER BY count(*) DESC, item_id) AS rank
		 FROM cs_user_train GROUP BY item_id) p WHERE p.rank <= 20"
	for loss in ials warp; do
		s=$(train cs_user_hybrid_$loss cs_user_train hybrid ", $items, $users, loss => '$loss'")
		"${PSQL[@]}" -c "$SETTINGS" -c "INSERT INTO cs_ranks SELECT 'hybrid, loss $loss', u.user_id, r.item_id, r.rank
			FROM (SELECT DISTINCT user_id FROM cs_user_truth) u,
			LATERAL pgrec.recommend('cs_user_hybrid_$loss', u.user_id, k => 20) WITH ORDINALITY AS r(item_id, score, rank)"
	done
	train cs_user_two_tower cs_user_train two_tower ", $items, $users, $TWO_TOWER" >/dev/null
	"${PSQL[@]}" -c "$SETTINGS" -c "INSERT INTO cs_ranks SELECT 'two_tower', u.user_id, r.item_id, r.rank
		FROM (SELECT DISTINCT user_id FROM cs_user_truth) u,
		LATERAL pgrec.recommend('cs_user_two_tower', u.user_id, k => 20) WITH ORDINALITY AS r(item_id, score, rank)"
	for m in "global popularity" "hybrid, loss ials" "hybrid, loss warp" two_tower; do
		user_rows+=$(metrics_row "$m" cs_user_truth "$ALL_ITEMS" "recall || ' | ' || ndcg")$'\n'
	done
	for m in cs_content cs_hybrid cs_hybrid_items cs_hybrid_warp cs_ials cs_user_hybrid_warp cs_user_hybrid_ials \
		cs_two_tower cs_user_two_tower; do
		"${PSQL[@]}" -c "SELECT pgrec.drop_model('$m')" >/dev/null
	done
	cat <<EOF
## $name

### Item cold start

$COLD_ITEMS of the $ALL_ITEMS items (20%, by md5) are held out with all their interactions;
every model trains on the positives of the other items (less a 10% warm test) with the
features of all items. Every user with a held-out positive ranks the held-out items only.
Recall@20 is over min(20, relevant); AUC counts the other held-out items as negatives.

| method | AUC | Recall@20 | NDCG@20 |
|---|---|---|---|
$cold
### Warm items (the same split, all items ranked)

The 10% warm test interactions, pgrec.evaluate(k => 20) (training items excluded).

| model | Recall@20 | NDCG@20 | training |
|---|---|---|---|
$warm
### User cold start

20% of the users (by md5) are held out; the others' positives train the model, with the
features of all users. A held-out user is recommended from their features alone, all items
ranked.

| method | Recall@20 | NDCG@20 |
|---|---|---|
$user_rows
EOF
}

# ML-1M's own baseline: an item scores the mean share of its genres among the training positives.
BASELINE_NAME="feature popularity (genre share)"
BASELINE_SQL="INSERT INTO cs_ranks SELECT '$BASELINE_NAME', u.user_id, s.item_id,
	row_number() OVER (PARTITION BY u.user_id ORDER BY s.score DESC, s.item_id)
	FROM (SELECT DISTINCT user_id FROM cs_cold_truth) u,
	(SELECT m.item_id, avg(coalesce(g.share, 0)) AS score
	 FROM bench_ml1m_movies m JOIN cs_items i USING (item_id), unnest(m.genres) AS genre
	 LEFT JOIN (SELECT genre, count(*)::float8 / sum(count(*)) OVER () AS share
	            FROM cs_train t JOIN bench_ml1m_movies m USING (item_id), unnest(m.genres) genre
	            GROUP BY genre) g USING (genre)
	 WHERE i.held_out GROUP BY m.item_id) s"
ml1m=$(run_dataset "MovieLens-1M" "SELECT user_id, item_id FROM bench_ml1m WHERE rating >= 4" \
	bench_ml1m_movies bench_ml1m_users english)
BASELINE_SQL=""
lastfm=$(run_dataset "HetRec Last.fm" "SELECT user_id, item_id FROM bench_lastfm" \
	bench_lastfm_artists bench_lastfm_users simple)

cat >"$PGREC_ROOT/bench/results/cold_start.md" <<EOF
# Cold start (bench/cold_start.sh)

Measured $(date -u +%Y-%m-%d) on $(nproc) cores, models at their defaults except two_tower
($TWO_TOWER).

- MovieLens-1M: positives are ratings >= 4. Item features: \`movies.dat\` title (words,
  english text search) and genres (categories); user features: \`users.dat\` gender, age and
  occupation (categories).
- HetRec Last.fm: positives are the user-artist pairs. Item features: the artist's name (words,
  simple text search: names are not English prose); user features: the user's friends
  (categories). The tag assignments of the data set are not in the stored copy, so artists have
  no tags.

$ml1m

$lastfm
EOF
echo "wrote bench/results/cold_start.md" >&2
