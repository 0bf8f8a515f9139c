// Definitions of the pgrec.* GUCs and the resolved training memory limit.
#include "postgres_headers.h"

#include "settings.h"

#include <climits>

extern "C"
{
#include "miscadmin.h"
#include "utils/guc.h"
}

int pgrec_threads = 2;
int pgrec_max_threads = 2;
bool pgrec_progress = true;
int pgrec_training_memory_limit = -1;
int pgrec_model_cache_size = 4;
int pgrec_keep_versions = 3;
int pgrec_compact_scan = COMPACT_SCAN_AUTO;
bool pgrec_shared_cache = true;
int pgrec_shared_cache_limit = 16384;

static const struct config_enum_entry compact_scan_options[] = {
    {"auto", COMPACT_SCAN_AUTO, false}, {"on", COMPACT_SCAN_ON, false},
    {"off", COMPACT_SCAN_OFF, false},   {NULL, 0, false}};

void define_settings(void)
{
	DefineCustomIntVariable("pgrec.threads",
	                        "Worker threads for training, evaluation and large scans.",
	                        "With 1 thread every algorithm is deterministic for a given seed; "
	                        "als and ials are with any number, bpr is not.",
	                        &pgrec_threads, 2, 1, 64, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pgrec.max_threads",
	                        "The most worker threads one call of pgrec may use, whatever its "
	                        "pgrec.threads.",
	                        "Set it in postgresql.conf or per role by a superuser, so that "
	                        "concurrent sessions cannot oversubscribe the machine.",
	                        &pgrec_max_threads, 2, 1, 64, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("pgrec.progress", "Reports each training epoch as a NOTICE.", NULL,
	                         &pgrec_progress, true, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pgrec.training_memory_limit",
	                        "Memory a training run may use; -1 means 4 x maintenance_work_mem.",
	                        NULL, &pgrec_training_memory_limit, -1, -1, INT_MAX, PGC_USERSET,
	                        GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("pgrec.model_cache_size",
	                        "Models each backend keeps loaded for recommend() and its kin.",
	                        "The least recently used model is dropped beyond this number.",
	                        &pgrec_model_cache_size, 4, 1, 64, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable(
	    "pgrec.compact_scan",
	    "Whether top-k scans read an int8 copy of the factors and re-score the few items that "
	    "can reach the top k in float.",
	    "The results are those of the float scan. auto uses the copy for matrices of at least "
	    "a million floats; the copy takes a quarter of the factors' memory.",
	    &pgrec_compact_scan, COMPACT_SCAN_AUTO, compact_scan_options, PGC_USERSET, 0, NULL, NULL,
	    NULL);
	DefineCustomBoolVariable(
	    "pgrec.shared_cache",
	    "Shares each loaded model between the server's connections through a file under the "
	    "data directory.",
	    "The first connection that loads a model version writes it to pgrec_cache; the others "
	    "map it read-only instead of reading the tables again. Off: each connection loads its own "
	    "copy.",
	    &pgrec_shared_cache, true, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pgrec.shared_cache_limit",
	                        "Size of the shared model cache files kept; -1 for no limit.",
	                        "Beyond it, writing a new file removes the least recently used ones "
	                        "(connections that map them keep them until they let go).",
	                        &pgrec_shared_cache_limit, 16384, -1, INT_MAX, PGC_SIGHUP, GUC_UNIT_MB,
	                        NULL, NULL, NULL);
	DefineCustomIntVariable(
	    "pgrec.keep_versions",
	    "Versions of each model kept for pgrec.rollback(), the current one included.",
	    "Each training removes the versions older than this.", &pgrec_keep_versions, 3, 1, 1000,
	    PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("pgrec");
}

int effective_threads(void)
{
	return Min(pgrec_threads, pgrec_max_threads);
}

size_t training_memory_limit_bytes(void)
{
	double kb = pgrec_training_memory_limit >= 0 ? (double)pgrec_training_memory_limit
	                                             : 4.0 * (double)maintenance_work_mem;
	return (size_t)(kb * 1024.0);
}
