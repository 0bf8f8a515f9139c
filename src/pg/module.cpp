// The module's identity for the server: the magic block checked when the library is loaded.
// Per-type and per-feature code lives in the other files of src/pg.
#include "postgres_headers.h"

extern "C"
{
PG_MODULE_MAGIC;
}
