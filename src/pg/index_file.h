// The approximate-search index files of the shared cache (cache_file.h): the inverted-file
// index of a model version's items (ivf_index.h), written once per server by the first
// connection that searches the version approximately and mapped by the others.
#pragma once

#include "postgres_headers.h"

#include "cache_file.h"
#include "model_cache.h"

// Maps the index file of key and sets e->item_index to it (e->index_shared_bytes its size);
// released with e->context. False when there is none, or it does not pass its checks (it is
// then removed, and logged).
bool map_index_file(const ModelFileKey *key, CachedModel *e);

// Writes index (of e's items) to the index file of key; a failure is logged, never raised.
void write_index_file(const ModelFileKey *key, const CachedModel *e, const pgrec::IvfIndex *index);

// One connection at a time builds a version's index (cache_file.h).
void lock_index_file(const ModelFileKey *key);
void unlock_index_file(const ModelFileKey *key);
