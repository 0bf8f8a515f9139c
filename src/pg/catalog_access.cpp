// Switching the current user for pgrec's own catalog statements and for stored sources, with a
// fixed search_path, and the mark that tells the cache triggers a write is pgrec's own.
#include "catalog_access.h"

extern "C"
{
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

// How many enter_catalog_rights() calls are open in this backend.
static int catalog_write_depth = 0;

Oid pgrec_relation(const char *relname)
{
	Oid schema = get_namespace_oid("pgrec", true);
	Oid relid = OidIsValid(schema) ? get_relname_relid(relname, schema) : InvalidOid;
	if (!OidIsValid(relid))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
		                errmsg("relation \"pgrec.%s\" does not exist", relname),
		                errhint("Create the extension with CREATE EXTENSION pgrec.")));
	return relid;
}

// The owner of relation relid.
static Oid relation_owner(Oid relid)
{
	HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	Oid owner = ((Form_pg_class)GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

// Saves the current rights, switches to role with the extra security flags and sets
// search_path for the nested GUC level.
static void switch_rights(Oid role, int flags, const char *search_path, SavedRights *saved)
{
	GetUserIdAndSecContext(&saved->user, &saved->security_context);
	SetUserIdAndSecContext(role, saved->security_context | flags);
	saved->guc_level = NewGUCNestLevel();
	saved->catalog = false;
	if (search_path != NULL)
		(void)set_config_option("search_path", search_path, PGC_USERSET, PGC_S_SESSION,
		                        GUC_ACTION_SAVE, true, 0, false);
}

void enter_catalog_rights(SavedRights *saved)
{
	Oid owner = relation_owner(pgrec_relation("model_versions"));
	switch_rights(owner, SECURITY_LOCAL_USERID_CHANGE, "pg_catalog, pg_temp", saved);
	saved->catalog = true;
	catalog_write_depth++;
}

void enter_owner_rights(Oid role, const char *search_path, SavedRights *saved)
{
	switch_rights(role, SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION, search_path,
	              saved);
}

void leave_rights(const SavedRights *saved)
{
	AtEOXact_GUC(true, saved->guc_level);
	SetUserIdAndSecContext(saved->user, saved->security_context);
	if (saved->catalog)
		catalog_write_depth--;
}

bool pgrec_writing_catalog(void)
{
	return catalog_write_depth > 0;
}

// Forgets the writing mark when a transaction or subtransaction aborts: the error left the
// switched rights behind, and abort processing restores the user and the settings.
static void forget_on_abort(XactEvent event, void *)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		catalog_write_depth = 0;
}

static void forget_on_subabort(SubXactEvent event, SubTransactionId, SubTransactionId, void *)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		catalog_write_depth = 0;
}

void register_catalog_access_callbacks(void)
{
	RegisterXactCallback(forget_on_abort, NULL);
	RegisterSubXactCallback(forget_on_subabort, NULL);
}

void require_writable(const char *function)
{
	if (RecoveryInProgress())
		ereport(ERROR,
		        (errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
		         errmsg("cannot execute %s during recovery", function),
		         errhint("Run it on the primary server: a standby serves the models the primary "
		                 "writes once it has replayed them.")));
	PreventCommandIfReadOnly(function);
}

bool transaction_is_writable(void)
{
	return !RecoveryInProgress() && !XactReadOnly;
}
