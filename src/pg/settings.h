// The pgrec.* configuration parameters (GUCs), defined at library load by define_settings().
#pragma once

// pgrec.threads: worker threads for the numeric work of training and evaluation.
extern int pgrec_threads;
// pgrec.max_threads: the server-wide cap on pgrec.threads (superuser-only).
extern int pgrec_max_threads;
// The threads a call may use: pgrec.threads, capped by pgrec.max_threads.
int effective_threads(void);
// pgrec.progress: report each training epoch as a NOTICE.
extern bool pgrec_progress;
// pgrec.training_memory_limit in kB; -1 means 4 x maintenance_work_mem.
extern int pgrec_training_memory_limit;

// pgrec.model_cache_size: models each backend keeps loaded for recommend().
extern int pgrec_model_cache_size;

// pgrec.compact_scan: when recommend() and its kin scan the int8 copy of the factors
// (compact_scan.h) instead of the floats; the results are the same.
enum CompactScanMode
{
	COMPACT_SCAN_AUTO, // for matrices of at least COMPACT_SCAN_MIN_FLOATS floats
	COMPACT_SCAN_ON,
	COMPACT_SCAN_OFF
};
#define COMPACT_SCAN_MIN_FLOATS (1 << 20)
extern int pgrec_compact_scan;

// pgrec.shared_cache: whether backends share each loaded model through a file under the data
// directory (model_file.h) instead of each loading its own copy.
extern bool pgrec_shared_cache;
// pgrec.shared_cache_limit in MB: the shared cache files kept, least recently used removed
// beyond it; -1 for no limit.
extern int pgrec_shared_cache_limit;

// pgrec.keep_versions: versions of each model kept for rollback, the current one included.
extern int pgrec_keep_versions;

// Defines the GUCs and reserves the pgrec. prefix; called from _PG_init.
void define_settings(void);

// The training memory limit in bytes, resolved from the GUCs.
size_t training_memory_limit_bytes(void);
