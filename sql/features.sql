-- Feature sources (item_features, text_search_config) and the content algorithm: parsing of
-- every column type, errors, feature-only items, recommend_for_features, scores, rights, versions.
SET pgrec.progress = off;
SET pgrec.threads = 1;

-- 1. Parsing. Three items with one feature column of each kind, a row with a NULL id (skipped),
-- and clicks on item 1 only: items 2 and 3 are known only by their features.
CREATE TABLE fp_clicks AS SELECT u AS user_id, 1 AS item_id FROM generate_series(1, 3) u;
CREATE TABLE fp_items (id bigint, title text, tagline varchar(40), tags text[], year integer,
	price numeric, weight float8, small smallint, family boolean, constant integer);
INSERT INTO fp_items VALUES
	(1, 'The Running Dogs', 'dogs run fast', '{a,b,a}', 2000, 10.5, 1.5, 3, true, 7),
	(2, 'A running man', NULL, '{b,NULL}', 2010, NULL, 2.5, 1, false, 7),
	(3, NULL, 'and the', '{}', NULL, 20.5, 3.5, 2, true, 7),
	(NULL, 'ignored zebra', 'ignored zebra', '{ignored}', 1900, 1, 1, 1, false, 1);
SELECT users, items, interactions
FROM pgrec.train('fp_content', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content',
	factors => 2, item_features => 'fp_items');
SELECT items, item_features, user_features, text_search_config FROM pgrec.models WHERE name = 'fp_content';
-- Words are stemmed with english and stop words dropped ('and', 'the', 'a'); a repeated
-- category counts once per row ('a' has document frequency 1: scale ln(4/2) + 1); NULL elements
-- and empty arrays give nothing; words and categories have offset 0 and the smoothed inverse
-- document frequency as scale; numbers have their mean as offset and 1 / (population standard
-- deviation) as scale, NULLs left out (year: 2000 and 2010), a constant column scale 0;
-- booleans are 0 and 1; nothing of the row with a NULL id ('zebra', 'ignored', 1900) is there.
SELECT side, feature, column_name, kind, value, round("offset"::float8::numeric, 4) AS "offset",
	round(scale::float8::numeric, 4) AS scale, bias, dims(feature_factors.factors) AS dims
FROM pgrec.feature_factors JOIN pgrec.models USING (model_id)
WHERE name = 'fp_content' ORDER BY column_name, value;
-- bpchar and varchar[] columns are words and categories too; a word repeated in a text is one
-- feature.
SELECT items FROM pgrec.train('fp_more', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => $$SELECT * FROM (VALUES (1, 'dogs dog'::char(12), '{x,y}'::varchar[]), (2, 'cat', '{x,x}'), (3, NULL, NULL)) v(id, code, labels)$$);
SELECT column_name, kind, value, round(scale::float8::numeric, 4) AS scale
FROM pgrec.feature_factors f JOIN pgrec.models m USING (model_id)
WHERE m.name = 'fp_more' ORDER BY column_name, value;
SELECT pgrec.drop_model('fp_more');

-- 2. Text search configurations: simple keeps stop words and does not stem; german stems German.
SELECT items FROM pgrec.train('fp_simple', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content',
	factors => 2, item_features => 'SELECT id, title, tagline FROM fp_items', text_search_config => 'simple');
CREATE TABLE fp_german (id smallint, title text);
INSERT INTO fp_german VALUES (1, 'Die laufenden Hunde'), (2, 'Der Hund und die Katze'), (3, 'Katzen');
SELECT items FROM pgrec.train('fp_german', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content',
	factors => 2, item_features => 'fp_german', text_search_config => 'german');
SELECT items FROM pgrec.train('fp_german_en', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content',
	factors => 2, item_features => 'fp_german');
SELECT m.name, m.text_search_config, string_agg(f.column_name || ':' || f.value, ' ' ORDER BY f.column_name, f.value) AS words
FROM pgrec.feature_factors f JOIN pgrec.models m USING (model_id)
WHERE m.name IN ('fp_content', 'fp_simple', 'fp_german', 'fp_german_en') AND f.kind = 'word'
GROUP BY m.name, m.text_search_config ORDER BY m.name;
-- recommend_for_features splits a description with the model's configuration: 'Hunden' is
-- 'hund' in german.
SELECT item_id, round(score::numeric, 4) AS score
FROM pgrec.recommend_for_features('fp_german', '{"title": "Hunden"}', 2);
SELECT item_id, score FROM pgrec.recommend_for_features('fp_german_en', '{"title": "Hunden"}', 2);

-- 3. Errors, one statement each (NOTICEs of the trainings that get far enough are left out).
\set VERBOSITY verbose
SET client_min_messages = warning;
-- A repeated id.
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'SELECT 1 AS id, ''dog''::text AS t UNION ALL SELECT 1, ''cat''')$$);
-- Columns of types that cannot be features, and an id that is not an integer.
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'SELECT 1 AS id, ''{"a": 1}''::jsonb AS attributes')$$);
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'SELECT 1 AS id, point(1, 2) AS location')$$);
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'SELECT 1 AS id, ARRAY[1, 2] AS codes')$$);
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'SELECT ''1''::text AS id, ''dog''::text AS t')$$);
-- char[] (blank-padded) is not a category column; two feature columns of one name.
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'SELECT 1 AS id, ARRAY[''a'']::char(3)[] AS codes')$$);
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'SELECT id, upper(title), upper(tagline) FROM fp_items')$$);
-- Only an id column; a source that does not exist.
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'SELECT id FROM fp_items')$$);
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'fp_no_such_table')$$);
-- A number that is not finite.
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'SELECT 1 AS id, ''NaN''::float8 AS x')$$);
-- No text search configuration.
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'fp_items', text_search_config => NULL)$$);
-- Features given to an algorithm that does not learn from them, content without item features,
-- with user features, and with more factors than items or features.
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'als', factors => 1,
	item_features => 'fp_items')$$);
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1)$$);
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'fp_items', user_features => 'SELECT user_id, user_id % 2 = 0 AS even FROM fp_clicks')$$);
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 4,
	item_features => 'fp_items')$$);
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 3,
	item_features => 'SELECT id, tags FROM fp_items')$$);
-- A source without rows has no features.
SELECT error_of($$SELECT pgrec.train('fp_bad', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'SELECT id, title FROM fp_items WHERE false')$$);
RESET client_min_messages;
\set VERBOSITY default
SELECT count(*) AS failed_models FROM pgrec.model_versions WHERE name = 'fp_bad';
-- Ids and features of domain types are their base types.
CREATE DOMAIN fp_item_id AS bigint;
CREATE DOMAIN fp_title AS text;
SELECT items FROM pgrec.train('fp_domain', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'SELECT id::fp_item_id, title::fp_title FROM fp_items');
SELECT string_agg(value, ' ' ORDER BY value) AS vocabulary
FROM pgrec.models JOIN pgrec.feature_factors USING (model_id) WHERE name = 'fp_domain';
-- A text search configuration dropped after training: its users say so (42704).
CREATE TEXT SEARCH CONFIGURATION fp_config (COPY = simple);
SELECT items FROM pgrec.train('fp_dropped', 'fp_clicks', 'user_id', 'item_id', algorithm => 'content', factors => 1,
	item_features => 'SELECT id, title FROM fp_items', text_search_config => 'fp_config');
SELECT text_search_config FROM pgrec.models WHERE name = 'fp_dropped';
DROP TEXT SEARCH CONFIGURATION fp_config;
\set VERBOSITY verbose
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fp_dropped', '{"title": "dog"}')$$);
SELECT error_of($$SELECT * FROM pgrec.retrain_model('fp_dropped')$$);
\set VERBOSITY default
SELECT pgrec.drop_model('fp_domain'), pgrec.drop_model('fp_dropped');
DROP DOMAIN fp_item_id, fp_title;

-- 4 and 5. A catalogue of three genres; items 10, 11 and 12 are only in the features.
CREATE TABLE fc_items (item_id integer, title text, genres text[]);
INSERT INTO fc_items VALUES
	(1, 'Stars and galaxies', '{scifi,space}'), (2, 'Galaxy wars', '{scifi}'),
	(3, 'Robots among the stars', '{scifi}'), (4, 'Love in Paris', '{romance}'),
	(5, 'Loving hearts', '{romance,drama}'), (6, 'A Paris wedding', '{romance}'),
	(7, 'Murder at midnight', '{crime}'), (8, 'The detective', '{crime,drama}'),
	(9, 'Midnight murders', '{crime}'), (10, 'The galaxy of stars', '{space,scifi}'),
	(11, 'Hearts in love', '{romance}'), (12, 'A murdered detective', '{crime}');
CREATE TABLE fc_clicks (user_id integer, item_id integer, rating real);
INSERT INTO fc_clicks VALUES (1, 1, 5), (1, 2, 3), (2, 2, 4), (2, 3, 5), (3, 4, 5), (3, 5, 2),
	(4, 5, 4), (4, 6, 5), (5, 7, 5), (5, 8, 1), (6, 8, 4), (6, 9, 5), (7, 1, 5), (7, 4, 1), (7, 7, 3),
	(8, 2, 5), (9, 2, 4);
SELECT users, items, interactions, final_loss > 0 AND final_loss < 1 AS loss_in_range
FROM pgrec.train('fc', 'SELECT user_id, item_id FROM fc_clicks', 'user_id', 'item_id',
	algorithm => 'content', factors => 8, item_features => 'fc_items');
SELECT algorithm, factors, items, (SELECT count(*) FROM pgrec.item_factors f WHERE f.model_id = m.model_id) AS item_rows
FROM pgrec.models m WHERE name = 'fc';
-- Item vectors have unit length.
SELECT count(*) AS items, round(min(l2_norm(f.factors))::numeric, 5) AS min_norm, round(max(l2_norm(f.factors))::numeric, 5) AS max_norm
FROM pgrec.item_factors f JOIN pgrec.models m USING (model_id) WHERE m.name = 'fc';
-- A cold item's neighbours: item 10 has item 1's features (similarity 1), then the other
-- science fiction; 11 and 12 find their genres.
SELECT similar_item_id, round(similarity::numeric, 3) AS similarity FROM pgrec.similar_items('fc', 10, 3);
SELECT 11 AS item_id, array_agg(similar_item_id ORDER BY similar_item_id) AS top_three FROM pgrec.similar_items('fc', 11, 3)
UNION ALL
SELECT 12, array_agg(similar_item_id ORDER BY similar_item_id) FROM pgrec.similar_items('fc', 12, 3);
-- A known item's neighbours include the cold ones.
SELECT similar_item_id, round(similarity::numeric, 3) AS similarity FROM pgrec.similar_items('fc', 1, 1);
-- recommend() offers cold items: user 1 (items 1 and 2) gets item 10 first.
SELECT item_id, round(score::numeric, 4) AS score FROM pgrec.recommend('fc', 1, 2);

-- recommend_for_features describes the items wanted: words (stemmed: 'galaxies', 'Galaxy'),
-- genres; item 1's own features give items 1 and 10 a score of 1.
SELECT item_id, round(score::numeric, 4) AS score
FROM pgrec.recommend_for_features('fc', '{"title": "Stars and galaxies", "genres": ["scifi", "space"]}', 3);
SELECT array_agg(item_id ORDER BY item_id) AS murders
FROM pgrec.recommend_for_features('fc', '{"title": "murders"}', 3);
SELECT array_agg(item_id ORDER BY item_id) AS romance
FROM pgrec.recommend_for_features('fc', '{"genres": "romance"}', 4);
SELECT item_id, round(score::numeric, 4) AS score
FROM pgrec.recommend_for_features('fc', '{"genres": ["drama"]}', 2);
-- A repeated category counts once, as in training.
SELECT array_agg(row(item_id, round(score::numeric, 4))::text ORDER BY item_id) AS same
FROM pgrec.recommend_for_features('fc', '{"genres": ["drama", "drama", "crime"]}', 12)
UNION ALL
SELECT array_agg(row(item_id, round(score::numeric, 4))::text ORDER BY item_id)
FROM pgrec.recommend_for_features('fc', '{"genres": ["drama", "crime"]}', 12);
-- candidates and exclude.
SELECT item_id, round(score::numeric, 4) AS score FROM pgrec.recommend_for_features('fc', '{"title": "galaxy"}', 3);
SELECT array_agg(item_id ORDER BY item_id) AS candidates, (array_agg(item_id))[1] AS best
FROM pgrec.recommend_for_features('fc', '{"title": "galaxy"}', 5, candidates => ARRAY[2, 3, 7]);
SELECT item_id, round(score::numeric, 4) AS score FROM pgrec.recommend_for_features('fc', '{"title": "galaxy"}', 1, exclude => ARRAY[1, 10]);
-- No known feature: the most popular items, NULL scores (unknown word, stop words only, no
-- keys, a NULL value, an empty array).
SELECT item_id, score FROM pgrec.recommend_for_features('fc', '{"title": "zebra"}', 3);
SELECT count(*) AS rows, count(score) AS scores
FROM (VALUES ('{"title": "the and of"}'::jsonb), ('{}'), ('{"title": null}'), ('{"genres": []}')) v(f),
	pgrec.recommend_for_features('fc', v.f, 3);
-- NULL arguments give no rows.
SELECT count(*) AS rows FROM pgrec.recommend_for_features(NULL, '{"title": "galaxy"}');
SELECT count(*) AS rows FROM pgrec.recommend_for_features('fc', NULL);
SELECT count(*) AS rows FROM pgrec.recommend_for_features('fc', '{"title": "galaxy"}', NULL);
-- Numbers are standardised: values either side of the mean at the same distance give opposite
-- vectors, so opposite scores; booleans are numbers.
SELECT item_id, round(a.score::numeric, 3) AS year_2000, round(b.score::numeric, 3) AS year_2010,
	abs(a.score + b.score) < 1e-6 AS opposite
FROM pgrec.recommend_for_features('fp_content', '{"year": 2000}', 3) a
JOIN pgrec.recommend_for_features('fp_content', '{"year": 2010}', 3) b USING (item_id) ORDER BY item_id;
SELECT item_id, round(score::numeric, 3) AS score FROM pgrec.recommend_for_features('fp_content', '{"family": true}', 3);
SELECT item_id, round(score::numeric, 3) AS score FROM pgrec.recommend_for_features('fp_content', '{"tags": "a"}', 1);
-- Errors.
\set VERBOSITY verbose
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fc', '{"color": "red"}')$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fc', '{"item_id": 3}')$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fc', '{"title": 3}')$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fc', '{"title": ["galaxy"]}')$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fc', '{"genres": {"scifi": 1}}')$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fc', '{"genres": ["scifi", ["space"]]}')$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fp_content', '{"year": "2000"}')$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fp_content', '{"year": [2000]}')$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fc', '["galaxy"]')$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fc', '"galaxy"')$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fc', '{"title": "galaxy"}', 0)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fc', '{"title": "galaxy"}', -1)$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fc_none', '{"title": "galaxy"}')$$);
SELECT users FROM pgrec.train('fc_ials', 'SELECT user_id, item_id FROM fc_clicks', 'user_id', 'item_id',
	algorithm => 'ials', factors => 2, epochs => 1);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_features('fc_ials', '{"title": "galaxy"}')$$);
\set VERBOSITY default

-- 6. Scores. A user's vector is the normalised sum of their items' vectors and a score the dot
-- product: the stored user factors and every score of recommend() match it, all in [-1, 1].
CREATE TABLE fc_expected AS
SELECT c.user_id, l2_normalize(sum(f.factors)) AS p
FROM (SELECT DISTINCT user_id, item_id FROM fc_clicks) c
JOIN pgrec.item_factors f ON f.item_id = c.item_id AND f.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'fc')
GROUP BY c.user_id;
SELECT count(*) AS users, max(l2_distance(u.factors, e.p)) < 1e-5 AS stored_factors_match
FROM fc_expected e JOIN pgrec.user_factors u USING (user_id)
WHERE u.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'fc');
SELECT count(*) AS scores, max(abs(r.score - inner_product(e.p, f.factors))) < 1e-5 AS scores_match,
	min(r.score) >= -1.00001 AND max(r.score) <= 1.00001 AS in_range
FROM fc_expected e, pgrec.recommend('fc', e.user_id, 12, exclude_seen => false) r,
	pgrec.item_factors f
WHERE f.item_id = r.item_id AND f.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'fc');
-- Every user's top unseen item shares a genre with one of their items.
SELECT count(*) AS users, count(*) FILTER (WHERE EXISTS (
		SELECT FROM fc_clicks c JOIN fc_items s USING (item_id), fc_items t
		WHERE c.user_id = e.user_id AND t.item_id = r.item_id AND s.genres && t.genres)) AS top_shares_genre
FROM fc_expected e, pgrec.recommend('fc', e.user_id, 1) r;
-- recommend_for_interactions of a user's exact history is recommend() for that user: the same
-- unseen items, the same scores (complete lists, so that near-ties cannot reorder them).
SELECT count(*) AS pairs, count(b.item_id) AS matched, max(abs(a.score - b.score)) < 1e-5 AS same_scores,
	(SELECT count(*) FROM fc_expected) * 12 - (SELECT count(DISTINCT (user_id, item_id)) FROM fc_clicks) AS unseen
FROM fc_expected e CROSS JOIN LATERAL pgrec.recommend('fc', e.user_id, 12) a
LEFT JOIN LATERAL pgrec.recommend_for_interactions('fc',
	ARRAY(SELECT item_id FROM fc_clicks c WHERE c.user_id = e.user_id), k => 12) b ON a.item_id = b.item_id;
-- explain(): the contributions add up to the score, one per training item.
SELECT count(*) AS pairs, max(abs(x.total - r.score)) < 1e-5 AS adds_up, min(x.n) AS min_items, max(x.n) AS max_items
FROM fc_expected e, pgrec.recommend('fc', e.user_id, 12, exclude_seen => false) r,
	LATERAL (SELECT sum(contribution::float8) AS total, count(*) AS n FROM pgrec.explain('fc', e.user_id, r.item_id, 100)) x;
-- With ratings the weights are the ratings centred on the user's mean: user 7 (5, 1 and 3 for
-- items 1, 4 and 7) has the vector q1 - q4; the scores, the fold-in of the same ratings and
-- explain_for_interactions agree.
SELECT users, items FROM pgrec.train('fc_stars', 'fc_clicks', 'user_id', 'item_id', 'rating',
	algorithm => 'content', factors => 8, item_features => 'fc_items');
SELECT l2_distance(u.factors, l2_normalize(a.factors - b.factors)) < 1e-5 AS centred
FROM pgrec.user_factors u, pgrec.item_factors a, pgrec.item_factors b
WHERE u.model_id = (SELECT model_id FROM pgrec.models WHERE name = 'fc_stars')
	AND a.model_id = u.model_id AND b.model_id = u.model_id AND u.user_id = 7 AND a.item_id = 1 AND b.item_id = 4;
SELECT item_id, round(score::numeric, 4) AS score FROM pgrec.recommend('fc_stars', 7, 3);
SELECT count(*) AS items, count(b.item_id) AS matched, max(abs(a.score - b.score)) < 1e-5 AS same_scores
FROM pgrec.recommend('fc_stars', 7, 12) a
LEFT JOIN pgrec.recommend_for_interactions('fc_stars', ARRAY[1, 4, 7], ARRAY[5, 1, 3], k => 12) b USING (item_id);
SELECT abs(sum(contribution) - (SELECT score FROM pgrec.recommend('fc_stars', 7, 1, candidates => ARRAY[10]))) < 1e-5 AS adds_up,
	count(*) AS items
FROM pgrec.explain_for_interactions('fc_stars', ARRAY[1, 4, 7], ARRAY[5, 1, 3], 10, 10);
-- Equal ratings are not centred to zero: user 8, who rated item 2 only, gets the list of the
-- model without ratings.
SELECT count(*) AS items, max(abs(a.score - b.score)) < 1e-6 AS same
FROM pgrec.recommend('fc_stars', 8, 12) a JOIN pgrec.recommend('fc', 8, 12) b USING (item_id);

-- 7. Rights. A feature source is read as the caller: without SELECT on it the training fails;
-- row-level security shows the caller only the rows the policy allows, and a retraining by
-- someone else reads the stored sources with the owner's rights.
CREATE ROLE pgrec_feat;
GRANT USAGE ON SCHEMA pgrec TO pgrec_feat;
CREATE SCHEMA feat_data AUTHORIZATION pgrec_feat;
GRANT SELECT ON fc_clicks TO pgrec_feat;
SET ROLE pgrec_feat;
\set VERBOSITY verbose
SELECT error_of($$SELECT pgrec.train('feat_model', 'fc_clicks', 'user_id', 'item_id', algorithm => 'content',
	factors => 2, item_features => 'fc_items')$$);
SELECT error_of($$SELECT pgrec.train('feat_model', 'fc_clicks', 'user_id', 'item_id', algorithm => 'content',
	factors => 2, item_features => 'SELECT item_id, genres FROM fc_items')$$);
\set VERBOSITY default
RESET ROLE;
ALTER TABLE fc_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY first_items ON fc_items TO pgrec_feat USING (item_id <= 5 OR item_id = 10);
GRANT SELECT ON fc_items TO pgrec_feat;
-- The caller sees items 1-5 and 10 (10 known only by its features); items 6-9 are clicked but
-- have no features.
SET ROLE pgrec_feat;
SELECT items FROM pgrec.train('feat_model', 'fc_clicks', 'user_id', 'item_id', algorithm => 'content',
	factors => 4, item_features => 'fc_items');
RESET ROLE;
SELECT m.items, count(*) AS vocabulary, count(*) FILTER (WHERE f.value IN ('crime', 'murder', 'midnight', 'wed', 'detect')) AS hidden_features
FROM pgrec.models m JOIN pgrec.feature_factors f USING (model_id) WHERE m.name = 'feat_model' GROUP BY m.items;
-- The superuser (whom the policy does not restrict) retrains it: the owner's rows again.
SELECT items FROM pgrec.retrain_model('feat_model');
SELECT m.version, m.items, count(*) AS vocabulary
FROM pgrec.models m JOIN pgrec.feature_factors f USING (model_id) WHERE m.name = 'feat_model' GROUP BY m.version, m.items;
-- An item without features has a zero vector: it scores 0 for everyone.
SELECT item_id, score FROM pgrec.recommend('feat_model', 1, 12, candidates => ARRAY[6, 9]);
-- A feature source named relative to the owner's search_path is found again by a retraining
-- run with another search_path (the table of the same name in public is not read).
CREATE TABLE feat_items AS SELECT 99 AS item_id, '{decoy}'::text[] AS genres;
GRANT SELECT ON feat_items TO pgrec_feat;
SET ROLE pgrec_feat;
CREATE TABLE feat_data.feat_items AS SELECT item_id, genres FROM fc_items WHERE item_id <= 6;
SET search_path = feat_data, public;
SELECT items FROM pgrec.train('feat_path', 'fc_clicks', 'user_id', 'item_id', algorithm => 'content',
	factors => 2, item_features => 'feat_items');
RESET search_path;
RESET ROLE;
SELECT source, item_features, source_search_path FROM pgrec.model_versions WHERE name = 'feat_path';
SELECT items FROM pgrec.retrain_model('feat_path');
SELECT version, string_agg(value, ' ' ORDER BY value) AS vocabulary
FROM pgrec.models JOIN pgrec.feature_factors USING (model_id) WHERE name = 'feat_path' GROUP BY version;

-- 8. Versions: a rollback restores the features of the earlier version; refresh projects new
-- items from their features and keeps the vocabulary; a drop removes the feature rows.
CREATE TABLE fv_items (item_id integer, title text);
INSERT INTO fv_items VALUES (1, 'zebra crossing'), (2, 'lion king'), (3, 'tiger tiger');
CREATE TABLE fv_clicks AS SELECT u AS user_id, 1 + u % 3 AS item_id FROM generate_series(1, 6) u;
-- With as many factors as items the projection is exact (relative error 0).
SELECT items, round(final_loss::numeric, 4) AS loss FROM pgrec.train('fv', 'fv_clicks', 'user_id', 'item_id', algorithm => 'content',
	factors => 3, item_features => 'fv_items');
SELECT item_id, round(score::numeric, 4) AS score FROM pgrec.recommend_for_features('fv', '{"title": "zebras"}', 1);
UPDATE fv_items SET title = 'horse crossing' WHERE item_id = 1;
SELECT items FROM pgrec.retrain_model('fv');
SELECT version, string_agg(value, ' ' ORDER BY value) AS vocabulary
FROM pgrec.models JOIN pgrec.feature_factors USING (model_id) WHERE name = 'fv' GROUP BY version;
SELECT item_id, score FROM pgrec.recommend_for_features('fv', '{"title": "zebras"}', 1);
SELECT item_id, round(score::numeric, 4) AS score FROM pgrec.recommend_for_features('fv', '{"title": "horses"}', 1);
SELECT pgrec.rollback('fv');
SELECT version, string_agg(value, ' ' ORDER BY value) AS vocabulary
FROM pgrec.models JOIN pgrec.feature_factors USING (model_id) WHERE name = 'fv' GROUP BY version;
SELECT item_id, round(score::numeric, 4) AS score FROM pgrec.recommend_for_features('fv', '{"title": "zebras"}', 1);
-- A new item whose title has one known word (zebra) and one the model does not know (stripes),
-- and a new user who clicked it: the item gets the vector of "zebra" alone (score 1 for that
-- description), the user the vector of their item, the vocabulary stays that of version 1.
INSERT INTO fv_items VALUES (4, 'zebra stripes');
INSERT INTO fv_clicks VALUES (7, 4);
UPDATE fv_items SET title = 'zebra crossing' WHERE item_id = 1;
SELECT users, items, new_users, new_items FROM pgrec.refresh('fv');
SELECT version, string_agg(value, ' ' ORDER BY value) AS vocabulary
FROM pgrec.models JOIN pgrec.feature_factors USING (model_id) WHERE name = 'fv' GROUP BY version;
SELECT item_id, round(score::numeric, 4) AS score FROM pgrec.recommend_for_features('fv', '{"title": "zebras"}', 2);
SELECT item_id, round(score::numeric, 4) AS score FROM pgrec.recommend('fv', 7, 1);
-- hybrid with WARP: a new item with the features of a cold training item gets exactly its vector
-- (the squared losses below too).
SELECT items FROM pgrec.train('fc_hybrid', 'SELECT user_id, item_id FROM fc_clicks', 'user_id', 'item_id',
	algorithm => 'hybrid', loss => 'warp', factors => 4, epochs => 3, item_features => 'fc_items');
INSERT INTO fc_items VALUES (13, 'The galaxy of stars', '{space,scifi}');
SELECT items, new_items FROM pgrec.refresh('fc_hybrid');
SELECT a.factors = b.factors AND a.bias = b.bias AS same_vector
FROM pgrec.models m JOIN pgrec.item_factors a ON a.model_id = m.model_id AND a.item_id = 10
JOIN pgrec.item_factors b ON b.model_id = m.model_id AND b.item_id = 13 WHERE m.name = 'fc_hybrid';
DELETE FROM fc_items WHERE item_id = 13;
-- The stored vocabulary refresh loads counts against pgrec.training_memory_limit: 1200 words
-- on a model of three items.
CREATE TABLE fm_items AS SELECT i AS item_id, string_agg('w' || i || 'x' || j, ' ') AS title
FROM generate_series(1, 3) i, generate_series(1, 400) j GROUP BY i;
CREATE TABLE fm_clicks AS SELECT u AS user_id, 1 + u % 3 AS item_id FROM generate_series(1, 6) u;
SELECT items FROM pgrec.train('fm', 'fm_clicks', 'user_id', 'item_id', algorithm => 'hybrid', factors => 2,
	epochs => 1, item_features => 'fm_items', text_search_config => 'simple');
SET pgrec.training_memory_limit = '64kB';
\set VERBOSITY verbose
SELECT error_of($$SELECT * FROM pgrec.refresh('fm')$$);
\set VERBOSITY default
RESET pgrec.training_memory_limit;
SELECT version FROM pgrec.refresh('fm');
SELECT pgrec.drop_model('fm');
DROP TABLE fm_items, fm_clicks;
-- hybrid's squared losses, by alternating least squares. 'squared' trains on the ratings: a
-- global mean and biases, its RMSE as the loss, als' defaults; a visitor needs ratings, and
-- evaluate() reports the RMSE. Repeated ratings average (user 1 rates item 2 twice: 3 and 5).
CREATE TABLE fc_rated AS SELECT * FROM fc_clicks UNION ALL SELECT 1, 2, 5;
SELECT users, items, interactions, duplicates, final_loss BETWEEN 0 AND 1.5 AS rmse_in_range
FROM pgrec.train('fc_squared', 'fc_rated', 'user_id', 'item_id', 'rating', algorithm => 'hybrid',
	loss => 'squared', factors => 4, epochs => 5, item_features => 'fc_items',
	user_features => 'SELECT DISTINCT user_id, user_id % 2 = 0 AS even FROM fc_clicks');
SELECT hyperparameters->>'loss' AS loss, hyperparameters->>'regularization' AS regularization,
	hyperparameters->>'regularization_exponent' AS exponent, round(global_mean::numeric, 4) AS global_mean
FROM pgrec.models WHERE name = 'fc_squared';
SELECT rmse BETWEEN 0 AND 1.5 AS rmse_reported, users FROM pgrec.evaluate('fc_squared', 'fc_clicks', 'user_id', 'item_id', 'rating', k => 3);
SELECT count(*) AS recommended FROM pgrec.recommend_for_interactions('fc_squared', ARRAY[1, 4]::bigint[], ARRAY[5, 1]::real[], 3);
-- 'ials' trains on implicit feedback with ials' defaults but lambda 7, and the data's alpha.
SELECT items FROM pgrec.train('fc_ials_hybrid', 'SELECT user_id, item_id FROM fc_clicks', 'user_id', 'item_id',
	algorithm => 'hybrid', loss => 'ials', factors => 4, item_features => 'fc_items');
SELECT hyperparameters->>'loss' AS loss, hyperparameters->>'regularization' AS regularization,
	(hyperparameters->>'alpha')::float > 1 AS data_alpha, global_mean
FROM pgrec.models WHERE name = 'fc_ials_hybrid';
-- Both: an item known only by its features is its features' projection, the one refresh gives
-- a new item with item 10's features; a user known only by features is served.
INSERT INTO fc_items VALUES (13, 'The galaxy of stars', '{space,scifi}');
SELECT items, new_items FROM pgrec.refresh('fc_squared');
SELECT items, new_items FROM pgrec.refresh('fc_ials_hybrid');
SELECT m.name, a.factors = b.factors AND a.bias = b.bias AS same_vector
FROM pgrec.models m JOIN pgrec.item_factors a ON a.model_id = m.model_id AND a.item_id = 10
JOIN pgrec.item_factors b ON b.model_id = m.model_id AND b.item_id = 13
WHERE m.name IN ('fc_squared', 'fc_ials_hybrid') ORDER BY m.name;
DELETE FROM fc_items WHERE item_id = 13;
SELECT count(*) AS recommended FROM pgrec.recommend_for_features('fc_squared', '{"even": true}', 3);
\set VERBOSITY verbose
SELECT error_of($$SELECT * FROM pgrec.train('fc_squared', 'fc_rated', 'user_id', 'item_id', algorithm => 'hybrid', loss => 'squared', item_features => 'fc_items')$$);
SELECT error_of($$SELECT * FROM pgrec.recommend_for_interactions('fc_squared', ARRAY[1, 4]::bigint[])$$);
SELECT error_of($$SELECT * FROM pgrec.train('fc_squared', 'fc_rated', 'user_id', 'item_id', algorithm => 'hybrid', loss => 'mse')$$);
\set VERBOSITY default
-- Whether a model trains on ratings follows its loss: pgrec.trains_on_ratings for SQL callers;
-- tune picks RMSE for a grid of 'squared' (without features hybrid 'squared' is als) and
-- refuses a grid that mixes it with the implicit losses; retrain gates on RMSE.
SELECT pgrec.trains_on_ratings('hybrid', 'squared') AS squared, pgrec.trains_on_ratings('hybrid') AS hybrid,
	pgrec.trains_on_ratings('hybrid', 'warp') AS warp, pgrec.trains_on_ratings('als') AS als,
	pgrec.trains_on_ratings('ials') AS ials, pgrec.trains_on_ratings('lightgcn') AS unknown;
SELECT trial, trial_factors, rmse BETWEEN 0 AND 2 AS rmse_measured, best
FROM pgrec.tune('fc_tuned', 'fc_rated', 'fc_clicks', 'user_id', 'item_id', 'rating', algorithm => 'hybrid',
	factors => '{2}', grid => '{"loss": ["squared"]}');
SELECT hyperparameters->>'loss' AS loss FROM pgrec.models WHERE name = 'fc_tuned';
CALL pgrec.retrain('fc_tuned', validation_source => 'fc_clicks', max_regression => -100);
\set VERBOSITY verbose
SELECT error_of($$SELECT * FROM pgrec.tune('fc_tuned', 'fc_rated', 'fc_clicks', 'user_id', 'item_id', 'rating', algorithm => 'hybrid', factors => '{2}', grid => '{"loss": ["squared", "ials"]}')$$);
SELECT error_of($$SELECT * FROM pgrec.tune('fc_tuned', 'fc_rated', 'fc_clicks', 'user_id', 'item_id', 'rating', algorithm => 'hybrid', factors => '{2}', grid => '{"loss": [1]}')$$);
SELECT error_of($$SELECT pgrec.trains_on_ratings('hybrid', 'mse')$$);
SELECT error_of($$SELECT pgrec.trains_on_ratings('als', 'squared')$$);
\set VERBOSITY default
CREATE TABLE fv_ids AS SELECT model_id FROM pgrec.model_versions WHERE name = 'fv';
SELECT count(*) AS versions, (SELECT count(*) FROM pgrec.feature_factors WHERE model_id IN (SELECT model_id FROM fv_ids)) AS feature_rows FROM fv_ids;
SELECT pgrec.drop_model('fv');
SELECT count(*) AS feature_rows_left FROM pgrec.feature_factors WHERE model_id IN (SELECT model_id FROM fv_ids);

-- Clean up.
SELECT name, pgrec.drop_model(name) FROM pgrec.models
WHERE name IN ('fp_content', 'fp_simple', 'fp_german', 'fp_german_en', 'fc', 'fc_ials', 'fc_stars', 'fc_hybrid', 'fc_squared', 'fc_ials_hybrid', 'fc_tuned', 'feat_model', 'feat_path')
ORDER BY name;
SELECT count(*) AS feature_rows_left FROM pgrec.feature_factors;
DROP SCHEMA feat_data CASCADE;
DROP TABLE feat_items, fp_clicks, fp_items, fp_german, fc_items, fc_clicks, fc_rated, fc_expected, fv_items, fv_clicks, fv_ids;
REVOKE USAGE ON SCHEMA pgrec FROM pgrec_feat;
DROP ROLE pgrec_feat;
