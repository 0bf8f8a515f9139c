// How model caches learn of changes made by hand to the model tables: a trigger announces them
// as a relcache invalidation of pgrec.cache_invalidation, and a relcache callback counts them.
#pragma once

#include "postgres_headers.h"

// The number of announcements this backend has received, and in *horizon the next transaction
// id as the last one arrived: a snapshot whose xmin is at least the horizon sees every
// announced change.
uint64 model_change_generation(TransactionId *horizon);

// Remembers the OID of pgrec.cache_invalidation, whose invalidations the callback counts
// (called whenever the catalog is probed, as the extension may have been re-created).
void watch_cache_invalidation_relation(Oid relid);

// Registers the relcache callback (_PG_init).
void register_cache_invalidation_callback(void);
