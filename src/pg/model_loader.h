// Loading a stored model version into contiguous arrays (factor matrices, biases, sorted ids,
// training items as CSR), streamed through cursors and checked as it is read.
#pragma once

#include "postgres_headers.h"

#include "model_catalog.h"

#include "../core/evaluation.h"

// A model in memory; every array is allocated in the context given to load_model.
struct LoadedModel
{
	ModelCatalog catalog; // the version's catalog row
	size_t users, items;
	int64 *user_ids; // ascending
	int64 *item_ids; // ascending
	float *user_factors, *item_factors;
	float *user_bias, *item_bias; // NULL when the model has no biases
	int64 *seen_ptr;    // training items of user u: seen_index[seen_ptr[u] .. seen_ptr[u+1])
	int32 *seen_index;  // dense item indices, ascending, distinct
	float *seen_values; // their training values (user_knn), else NULL
	// The users' training interactions as rows with values (user_knn), else a NULL ptr.
	pgrec::NeighborView seen;
	// Neighbourhood models: row j lends neighbors.weight[e] to neighbors.index[e] for e in
	// [neighbors.ptr[j], neighbors.ptr[j+1]): item j to an item (item_knn, ease), or user j's
	// neighbour's interactions to user j (user_knn); ptr is NULL for a factor model.
	pgrec::NeighborView neighbors;
	// A network scorer's layers (count 0 for other models), checked by its algorithm.
	pgrec::Network network;
	size_t bytes; // what the arrays take
};

// Loads the factors (and neighbour weights) of the version catalog describes (SPI connected,
// with the rights of pgrec's tables) into *out. Ereports XX001 on rows it cannot trust
// (dimensions other than the catalog's, non-finite values, NULL or unknown seen items or
// neighbours, seen values that do not match the seen items, row counts other than the catalog's)
// and 53200 when the arrays would pass pgrec.training_memory_limit.
void load_model(const ModelCatalog *catalog, MemoryContext context, LoadedModel *out);

// The core's view of a loaded model (user_rows left NULL).
pgrec::ModelView model_view(const LoadedModel *model);

// The matrix a neighbour scorer sums rows of: the item-item weights, or the users' interactions
// (user_knn); NULL for a factor model.
const pgrec::NeighborView *scorer_rows(const LoadedModel *model);

// The rows of scorer_rows() that user u's scores add up: its training items (item-based) or its
// stored neighbours with their weights (user_knn). Points into the model.
pgrec::WeightedRows stored_user_rows(const LoadedModel *model, size_t u);

// count zeroed floats in context (huge allocations allowed, at least one float). May ereport.
float *zeroed_floats(MemoryContext context, size_t count);
