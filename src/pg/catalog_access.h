// Whose rights pgrec's statements run with: its own statements on the model tables run as the
// owner of those tables (nobody else needs write access), a model's stored source runs as the
// model's owner inside a security-restricted operation, as REFRESH MATERIALIZED VIEW does.
#pragma once

#include "postgres_headers.h"

// What a switch of rights replaced, for leave_rights().
struct SavedRights
{
	Oid user;
	int security_context;
	int guc_level;
	bool catalog; // entered by enter_catalog_rights()
};

// Switches to the owner of pgrec's tables with search_path = pg_catalog, pg_temp, and marks the
// writes that follow as pgrec's own (the cache invalidation triggers stay quiet for them). Only
// pgrec's fixed, schema-qualified statements may run until leave_rights(). May ereport.
void enter_catalog_rights(SavedRights *saved);

// Switches to role inside a security-restricted operation, with search_path set to
// search_path (unchanged when NULL), to run a stored source. May ereport.
void enter_owner_rights(Oid role, const char *search_path, SavedRights *saved);

// Restores the rights and settings enter_*_rights() replaced. An error in between restores
// them too (transaction abort resets the user and the settings).
void leave_rights(const SavedRights *saved);

// True while pgrec writes its tables itself (between enter_catalog_rights and leave_rights).
bool pgrec_writing_catalog(void);

// False on a standby and in a read-only transaction.
bool transaction_is_writable(void);

// Ereports 25006 when the server or the transaction is read-only (a standby, BEGIN READ ONLY),
// before a function that writes models (named by function, e.g. "pgrec.train()") does any work.
void require_writable(const char *function);

// The OID of relation pgrec.relname, ereporting 42P01 if the extension's objects are missing.
Oid pgrec_relation(const char *relname);

// Registers the callback that forgets the writing mark when a transaction aborts (_PG_init).
void register_catalog_access_callbacks(void);
