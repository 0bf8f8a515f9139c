#!/usr/bin/env bash
# Speed of the content model's feature pipeline (issue 10): 100,000 items of 50 words each (5
# million tokens, a Zipf-like vocabulary of 20,000 words) through PostgreSQL's text search
# (english), TF-IDF and the truncated SVD to 64 dimensions. Prints the seconds of the whole
# pgrec.train call and of to_tsvector alone over the same texts, for scale.
# Usage: bench/content_speed.sh. Run it on an idle machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
"$PGREC_ROOT/scripts/cluster.sh" start >/dev/null
source <(grep -E '^(PGREC_DATA|PGREC_PORT|SOCKET_DIR)=' "$PGREC_ROOT/scripts/cluster.sh")
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PGREC_PORT" -U postgres -d postgres)
"${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgrec;
DROP TABLE IF EXISTS speed_texts, speed_clicks;
SELECT setseed(0.42);
CREATE TABLE speed_texts AS
SELECT i AS item_id, string_agg('w' || floor(20000 * power(random(), 3))::int, ' ') AS body
FROM generate_series(1, 100000) i, generate_series(1, 50) t GROUP BY i;
CREATE TABLE speed_clicks AS SELECT (i % 1000) AS user_id, i AS item_id FROM generate_series(1, 100000, 7) i;
SQL
tsvector=$("${PSQL[@]}" -c "\timing on" -c "SELECT count(to_tsvector('english', body)) FROM speed_texts" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
train=$("${PSQL[@]}" -c "SET pgrec.progress = off" -c "SET pgrec.threads = 2" -c "SET pgrec.training_memory_limit = '2GB'" \
	-c "SELECT round(seconds::numeric, 2) FROM pgrec.train('speed_content', 'speed_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 64, item_features => 'speed_texts')")
words=$("${PSQL[@]}" -c "SELECT count(*) FROM pgrec.feature_factors f JOIN pgrec.models m USING (model_id) WHERE m.name = 'speed_content'")
echo "to_tsvector over the 100,000 texts: $(echo "scale=2; $tsvector / 1000" | bc) s"
echo "pgrec.train(content, 64 factors), the whole call: $train s ($words words in the vocabulary)"
"${PSQL[@]}" -c "SELECT pgrec.drop_model('speed_content')" -c "DROP TABLE speed_texts, speed_clicks" >/dev/null
