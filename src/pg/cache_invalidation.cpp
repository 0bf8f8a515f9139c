// The trigger on the model tables that announces changes made by hand (pgrec's own writes stay
// quiet: a new version has a new version_uuid, which the caches see by themselves) and the
// relcache callback that counts announcements for the model cache.
#include "cache_invalidation.h"

#include "catalog_access.h"

extern "C"
{
#include "access/transam.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/inval.h"
}

PGREC_FUNCTION(pgrec_invalidate_model_caches)

static uint64 generation = 0;
static TransactionId horizon = InvalidTransactionId;
static Oid watched_relation = InvalidOid;

uint64 model_change_generation(TransactionId *out_horizon)
{
	*out_horizon = horizon;
	return generation;
}

void watch_cache_invalidation_relation(Oid relid)
{
	watched_relation = relid;
}

// Counts an announcement (or a reset of all caches, relid invalid). Does no catalog access.
static void relcache_changed(Datum, Oid relid)
{
	if (relid != InvalidOid && relid != watched_relation)
		return;
	generation++;
	horizon = XidFromFullTransactionId(ReadNextFullTransactionId());
}

void register_cache_invalidation_callback(void)
{
	CacheRegisterRelcacheCallback(relcache_changed, (Datum)0);
}

// Statement trigger of pgrec.model_versions (served columns) and the factor tables: announces
// the change to every backend and renews the token of pgrec.cache_edits in the same transaction
// (concurrent hand edits wait for each other on its row).
Datum pgrec_invalidate_model_caches(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
		                errmsg("pgrec.invalidate_model_caches() must be called as a trigger")));
	if (pgrec_writing_catalog())
		return PointerGetDatum(NULL);
	CacheInvalidateRelcacheByRelid(pgrec_relation("cache_invalidation"));
	SPI_connect();
	SavedRights rights;
	enter_catalog_rights(&rights);
	if (SPI_execute("UPDATE pgrec.cache_edits SET token = pg_catalog.gen_random_uuid()", false, 0) !=
	        SPI_OK_UPDATE ||
	    (SPI_processed == 0 &&
	     SPI_execute("INSERT INTO pgrec.cache_edits DEFAULT VALUES", false, 0) != SPI_OK_INSERT))
		elog(ERROR, "could not renew the token of pgrec.cache_edits");
	leave_rights(&rights);
	SPI_finish();
	return PointerGetDatum(NULL);
}
