-- Shared by the regression tests that follow: error_of(query) runs a statement and returns the
-- SQLSTATE, message, detail and hint of the error it raises (or 'no error').
CREATE FUNCTION error_of(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	state text;
	message text;
	detail text;
	hint text;
BEGIN
	EXECUTE query;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
		detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	RETURN state || ': ' || message
		|| CASE WHEN detail <> '' THEN ' | DETAIL: ' || detail ELSE '' END
		|| CASE WHEN hint <> '' THEN ' | HINT: ' || hint ELSE '' END;
END
$$;
SELECT error_of('SELECT 1/0');
SELECT error_of('SELECT 1');
-- The extension's objects all carry a comment.
SELECT count(*) AS objects_without_comment
FROM pg_depend d
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgrec')
  AND obj_description(d.objid, d.classid::regclass::name) IS NULL;
