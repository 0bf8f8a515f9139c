-- pgrec extension script, part: Explanations: the items of a user's history behind a score.
-- Concatenated in file-name order into pgrec--<version>.sql by the Makefile.

CREATE FUNCTION pgrec.explain(
	model_name text,
	user_id bigint,
	item_id bigint,
	n integer DEFAULT 5)
	RETURNS TABLE (explaining_item_id bigint, contribution real)
	AS 'MODULE_PATHNAME', 'pgrec_explain' LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 5
	SUPPORT pgrec.rows_support;
COMMENT ON FUNCTION pgrec.explain(text, bigint, bigint, integer)
	IS 'the n training items of a user that contribute most to an item''s score, largest first: the user is folded in again from those items (value 1 each), so this equals pgrec.explain_for_interactions over them; none for an unknown user or item; models trained on explicit ratings keep no ratings to explain by (use pgrec.explain_for_interactions)';

CREATE FUNCTION pgrec.explain_for_interactions(
	model_name text,
	item_ids bigint[],
	ratings real[],
	item_id bigint,
	n integer DEFAULT 5)
	RETURNS TABLE (explaining_item_id bigint, contribution real)
	AS 'MODULE_PATHNAME', 'pgrec_explain_for_interactions' LANGUAGE C STABLE PARALLEL RESTRICTED ROWS 5
	SUPPORT pgrec.rows_support;
COMMENT ON FUNCTION pgrec.explain_for_interactions(text, bigint[], real[], bigint, integer)
	IS 'the n items of a visitor (read as pgrec.recommend_for_interactions reads them) that contribute most to an item''s score, largest first; the contributions plus the item''s bias add up to the score pgrec.recommend_for_interactions gives it: the exact per-item terms of the least-squares fold-in for als, ials, svd and imported models, and of the SGD fold-in''s updates for bpr; none for an unknown item';
