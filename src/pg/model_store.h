// Writing a trained model into pgrec.models, pgrec.user_factors and pgrec.item_factors with
// batched INSERT ... SELECT FROM unnest(...) statements, replacing the model of the same name.
#pragma once

#include "postgres_headers.h"

#include "../core/interactions.h"

// The catalog row of a model, as pgrec.train fills it.
struct ModelRecord
{
	const char *name;
	const char *algorithm;
	const char *hyperparameters; // JSON text
	int factors;
	double global_mean;
	bool has_rating_range;
	float rating_min, rating_max;
	const char *source;
	const char *user_column, *item_column, *rating_column; // rating_column may be NULL
	double training_seconds;
	int64 peak_memory_bytes;
	const double *loss_history;
	int epochs;
};

// Stores the model as the new current version of its name (SPI must be connected), prunes
// versions beyond pgrec.keep_versions, and returns its model_id. Factors are row-major in the
// dense order of data; biases may be NULL. Takes a transaction-level advisory lock on the name
// (pgrec.begin_version), so concurrent trainings of one name queue. May ereport.
int64 store_model(const ModelRecord *record, const pgrec::Interactions &data,
                  const float *user_factors, const float *item_factors, const float *user_bias,
                  const float *item_bias);
