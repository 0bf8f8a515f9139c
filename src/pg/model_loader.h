// Loading a stored model from pgrec.models, pgrec.user_factors and pgrec.item_factors into
// contiguous arrays (factor matrices, biases, sorted ids, training items as CSR).
#pragma once

#include "postgres_headers.h"

#include "../core/evaluation.h"
#include "../core/training.h"

// A model in memory; every array is allocated in the context given to load_model.
struct LoadedModel
{
	int64 model_id;
	int version;
	char *algorithm;
	int factors;
	double global_mean;
	bool has_rating_range;
	float rating_min, rating_max;
	size_t users, items;
	int64 *user_ids; // ascending
	int64 *item_ids; // ascending
	float *user_factors, *item_factors;
	float *user_bias, *item_bias; // NULL when the model has no biases
	int64 *seen_ptr;   // training items of user u: seen_index[seen_ptr[u] .. seen_ptr[u+1])
	int32 *seen_index; // dense item indices, ascending
	pgrec::Hyperparameters hyperparameters; // as trained (imported models: the ials defaults)
};

// Loads the model called name (SPI must be connected), ereporting 42704 if there is none.
void load_model(const char *name, MemoryContext context, LoadedModel *out);

// The core's view of a loaded model.
pgrec::ModelView model_view(const LoadedModel *model);

// count zeroed floats in context (huge allocations allowed, at least one float). May ereport.
float *zeroed_floats(MemoryContext context, size_t count);

// Dense index of id in the ascending ids[0, count), or -1.
int64 dense_index(const int64 *ids, size_t count, int64 id);
