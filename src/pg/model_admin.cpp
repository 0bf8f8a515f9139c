// pgrec.rollback(), pgrec.drop_model() and pgrec.publish_version(): the writes of a model
// name that train nothing, each under the model's lock and for its owner only.
#include "postgres_headers.h"

#include "catalog_access.h"
#include "model_store.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
}

PGREC_FUNCTION(pgrec_rollback)
PGREC_FUNCTION(pgrec_drop_model)
PGREC_FUNCTION(pgrec_publish_version)

// The text argument argno, ereporting 22004 if it is NULL.
static char *required_name(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("model name must not be NULL")));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

// rollback(model_name, version) -> the version made current: by default the newest one before
// the current version.
Datum pgrec_rollback(PG_FUNCTION_ARGS)
{
	require_writable("pgrec.rollback()");
	char *name = required_name(fcinfo, 0);
	SPI_connect();
	ModelCatalog current;
	bool exists = begin_model_write(name, "roll back", CurrentMemoryContext, &current);
	bool target_given = !PG_ARGISNULL(1);
	int32 target = target_given ? PG_GETARG_INT32(1) : 0;
	if (!target_given)
	{
		int rc = run_model_statement(
		    "SELECT pg_catalog.max(version) FROM pgrec.model_versions WHERE name "
		    "OPERATOR(pg_catalog.=) $1 AND version OPERATOR(pg_catalog.<) $2",
		    name, 2, Int32GetDatum(exists ? current.version : PG_INT32_MAX), false);
		bool isnull = true;
		if (rc == SPI_OK_SELECT && SPI_processed == 1)
			target = DatumGetInt32(
			    SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		target_given = !isnull;
	}
	int rc = !target_given
	             ? SPI_OK_SELECT
	             : run_model_statement("SELECT owner::pg_catalog.oid FROM pgrec.model_versions "
	                                   "WHERE name OPERATOR(pg_catalog.=) $1 AND version "
	                                   "OPERATOR(pg_catalog.=) $2",
	                                   name, 2, Int32GetDatum(target), false);
	if (!target_given || rc != SPI_OK_SELECT || SPI_processed != 1)
	{
		if (target_given)
			ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
			                errmsg("model \"%s\" has no version %d", name, target),
			                errhint("See pgrec.model_versions for the versions that are kept.")));
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
		                errmsg("model \"%s\" has no version before the current one", name),
		                errhint("See pgrec.model_versions for the versions that are kept.")));
	}
	bool isnull;
	Oid owner =
	    DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	check_model_owner(name, owner, "roll back");
	run_model_statement(
	    "UPDATE pgrec.model_versions SET is_current = false WHERE name "
	    "OPERATOR(pg_catalog.=) $1 AND is_current AND version OPERATOR(pg_catalog.<>) $2",
	    name, 2, Int32GetDatum(target), false);
	run_model_statement("UPDATE pgrec.model_versions SET is_current = true WHERE name "
	                    "OPERATOR(pg_catalog.=) $1 AND version OPERATOR(pg_catalog.=) $2",
	                    name, 2, Int32GetDatum(target), false);
	SPI_finish();
	PG_RETURN_INT32(target);
}

// drop_model(model_name, if_exists) -> whether a model was dropped.
Datum pgrec_drop_model(PG_FUNCTION_ARGS)
{
	require_writable("pgrec.drop_model()");
	char *name = required_name(fcinfo, 0);
	bool if_exists = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	SPI_connect();
	ModelCatalog current;
	if (!begin_model_write(name, "drop", CurrentMemoryContext, &current))
	{
		SPI_finish();
		if (if_exists)
			PG_RETURN_BOOL(false);
		ereport(ERROR,
		        (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("model \"%s\" does not exist", name)));
	}
	run_model_statement("DELETE FROM pgrec.model_versions WHERE name OPERATOR(pg_catalog.=) $1",
	                    name, 1, (Datum)0, false);
	SPI_finish();
	PG_RETURN_BOOL(true);
}

// publish_version(from_name, to_name) -> model_id: the current version of from_name, copied as
// the new current version of to_name (its older versions kept); for tune().
Datum pgrec_publish_version(PG_FUNCTION_ARGS)
{
	require_writable("pgrec.publish_version()");
	char *from = required_name(fcinfo, 0);
	char *to = required_name(fcinfo, 1);
	SPI_connect();
	ModelCatalog source, target;
	if (!begin_model_write(from, "publish", CurrentMemoryContext, &source))
		ereport(ERROR,
		        (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("model \"%s\" does not exist", from)));
	(void)begin_model_write(to, "replace", CurrentMemoryContext, &target);
	int32 version;
	int64 model_id = copy_version(source.model_id, to, &version);
	SPI_finish();
	PG_RETURN_INT64(model_id);
}
