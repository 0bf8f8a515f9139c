// The one way a pg-zone file includes PostgreSQL: C linkage, and symbol export under
// -fvisibility=hidden. PGREC_FUNCTION declares an exported fmgr V1 function.
#pragma once

// PostgreSQL 15 leaves PGDLLEXPORT empty on ELF platforms; we build with hidden visibility, so
// make it export, before c.h defines it.
#ifndef PGDLLEXPORT
#define PGDLLEXPORT __attribute__((visibility("default")))
#endif

extern "C"
{
#include "postgres.h"

#include "fmgr.h"
}

// Declares name as an exported, C-linkage, version-1 SQL-callable function.
#define PGREC_FUNCTION(name)                                                                       \
	extern "C"                                                                                     \
	{                                                                                              \
		PGDLLEXPORT Datum name(PG_FUNCTION_ARGS);                                                  \
		PG_FUNCTION_INFO_V1(name);                                                                 \
	}
