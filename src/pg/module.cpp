// The module's identity for the server: the magic block checked when the library is loaded, and
// _PG_init, which defines the pgrec.* settings and registers the transaction and cache
// invalidation callbacks. Features live in the other files of src/pg.
#include "postgres_headers.h"

#include "cache_invalidation.h"
#include "catalog_access.h"
#include "settings.h"

extern "C"
{
	PG_MODULE_MAGIC;

	PGDLLEXPORT void _PG_init(void);
}

void _PG_init(void)
{
	define_settings();
	register_catalog_access_callbacks();
	register_cache_invalidation_callback();
}
