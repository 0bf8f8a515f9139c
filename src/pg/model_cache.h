// The per-backend cache of models for recommend(): each model version is loaded once into
// contiguous matrices and reused while the statement's snapshot shows the same version_uuid as
// current and no change made by hand was announced (cache_invalidation.h).
#pragma once

#include "postgres_headers.h"

#include "cache_file.h"
#include "model_loader.h"

#include "../core/compact_rows.h"
#include "../core/ivf_index.h"
#include "../core/user_knn.h"

// A model ready for scoring; lives in its own memory context under TopMemoryContext.
struct CachedModel
{
	char *name;
	LoadedModel model;
	float *item_inverse_norms; // 1 / |q_i| (0 for a zero vector), for cosine similarity
	float *user_inverse_norms;
	float *item_gramian; // items^T items, made on the first fold-in that needs it
	// user_knn: the training users that visitors' neighbours are found in, made on first use.
	const pgrec::UserIndex *user_index;
	// The int8 copies of the item and user factors for the compact scan, made on first use.
	pgrec::CompactRows *compact_items, *compact_users;
	int32 *popular_items; // dense item indices by training interactions, most first
	float *item_degrees;  // each item's training interactions (its users' seen items)
	MemoryContext context;
	// The approximate-search index of the items, made on first use (cached_item_index()).
	const pgrec::IvfIndex *item_index;
	// The shared cache file the arrays point into (model_file.h), or NULL for a private copy.
	void *mapping;
	size_t shared_bytes, index_shared_bytes;
	// The name of the version's shared cache files, when pgrec.shared_cache was on at its load.
	bool has_file_key;
	ModelFileKey file_key;
	uint64 last_used;
	uint64 generation; // announcements counted when it was loaded (or one less: reload)
	// The statement snapshot the entry was last checked against (xip copied).
	LocalTransactionId checked_lxid;
	CommandId checked_cid;
	TransactionId checked_xmin, checked_xmax;
	uint32 checked_xcnt;
	TransactionId *checked_xip;
	uint32 checked_xip_capacity;
};

// The current version of the model called name, loading it if needed. Ereports 42704 if there
// is no such model. The result stays valid until the next call of cached_model.
CachedModel *cached_model(const char *name);

// The Gramian of the model's items for its fold-in (made once, kept in the entry).
const float *cached_item_gramian(CachedModel *entry);

// The compact copy of the model's item (users false) or user factors for a scan, made once and
// kept in the entry; NULL when pgrec.compact_scan does not want it for a matrix that size.
// May ereport.
const pgrec::CompactRows *cached_compact_rows(CachedModel *entry, bool users);

// The approximate-search index of the model's items, made once and kept in the entry: mapped
// from the version's index file in the shared cache (index_file.h) when there is one, else built
// (by one connection of the server at a time) and written there. NULL for a model without
// items. May ereport.
const pgrec::IvfIndex *cached_item_index(CachedModel *e);

// The user index of a user_knn model (made once, kept in the entry). May ereport.
const pgrec::UserIndex *cached_user_index(CachedModel *entry);

// A user index owned by a memory context (owned_object.h) over the interactions of model m.
// May ereport.
const pgrec::UserIndex *new_user_index(const LoadedModel *m, MemoryContext context);
