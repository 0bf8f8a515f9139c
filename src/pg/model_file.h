// The shared model cache: each loaded model version is also written, once per server, to a file
// under the data directory's pgrec_cache folder, which every backend maps read-only instead of
// loading the tables again. The files are a derived cache, never the source of truth: named by
// the database, the model's name (a hash) and version (model_id, version_uuid) and the token of
// the hand edits its snapshot saw (pgrec.cache_edits; so a statement maps only a file of what it
// sees), checked by layout, identity and checksum when mapped, written as unnamed files linked
// when complete (a crash leaves nothing behind), one connection at a time per version, and
// removed when another version of the model is written or beyond pgrec.shared_cache_limit.
#pragma once

#include "postgres_headers.h"

#include "cache_file.h"
#include "model_cache.h"

// Maps the file of key and points e's arrays (model, norms, popularity, degrees, the item's
// compact copy) into it; e->model.catalog and e->context must be set, the rest zeroed. The
// mapping is released with e->context. False when there is no file for key, or it does not
// pass its checks (it is then removed, and logged).
bool map_model_file(const ModelFileKey *key, CachedModel *e);

// Waits (interruptibly) until no other connection of the server loads the version of key, then
// holds it until unlock_model_file() or the end of the transaction.
void lock_model_file(const ModelFileKey *key);
void unlock_model_file(const ModelFileKey *key);

// Writes e's arrays to the file of key (a failure is logged, never raised: the backend then
// keeps its private copy), then removes the files of the model's older versions and the least
// recently used files beyond pgrec.shared_cache_limit.
void write_model_file(const ModelFileKey *key, const CachedModel *e);
