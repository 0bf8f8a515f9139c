// Writing models: a new version (catalog row, then user and item rows in batches of
// INSERT ... SELECT FROM unnest(...)), pruning old versions, and the checks every write of a
// model name starts with (its lock, its current row, its owner).
#pragma once

#include "postgres_headers.h"

#include "feature_source.h"
#include "model_catalog.h"

#include "../core/algorithm_registry.h"
#include "../core/interactions.h"
#include "../core/neighbors.h"

// The catalog row of a new version.
struct ModelRecord
{
	const char *name;
	const pgrec::AlgorithmEntry *algorithm;
	pgrec::Hyperparameters hyperparameters;
	int factors;
	double global_mean;
	bool has_rating_range;
	float rating_min, rating_max;
	int64 interactions;
	const char *source;
	const char *source_search_path;                        // NULL for a table source
	const char *user_column, *item_column, *rating_column; // rating_column may be NULL
	const char *item_features, *user_features;             // feature sources, or NULL
	Oid text_search_config;                                // InvalidOid without features
	double training_seconds;
	int64 peak_memory_bytes;
	const double *loss_history;
	int epochs;
};

// One side's features of a content or hybrid model: the vocabulary (builder), its columns,
// the weights (matrix) and what the model learnt for each feature (embeddings).
struct FeatureRows
{
	const pgrec::FeatureBuilder *builder;
	const FeatureColumns *columns;
	const pgrec::FeatureMatrix *matrix;
	const pgrec::FeatureEmbeddings *embeddings;
};

// The rows of a new version: ids ascending, factors row-major, biases may be NULL; seen_ptr and
// seen_index (dense item indices of each user's training items, CSR) may be NULL for none, and
// seen_values (their values) is NULL unless the algorithm keeps them; neighbors (one row per
// item, or per user for user_knn, of dense indices) has a NULL ptr for a factor model.
struct ModelRows
{
	const int64_t *user_ids;
	size_t users;
	const int64_t *item_ids;
	size_t items;
	const float *user_factors, *item_factors;
	const float *user_bias, *item_bias;
	const int64_t *seen_ptr;
	const int32_t *seen_index;
	const float *seen_values;
	pgrec::NeighborView neighbors;
	FeatureRows item_features, user_features; // builder NULL: none
	int64 features_from;    // a version whose stored features the new one keeps (0: none)
	pgrec::Network network; // the layers of a network scorer (count 0: none)
	int64 network_from;     // a version whose stored network the new one keeps (0: none)
};

// The rows of a model of algorithm trained on data (neighbors may be NULL).
ModelRows model_rows(const pgrec::AlgorithmEntry &algorithm, const pgrec::Interactions &data,
                     const float *user_factors, const float *item_factors, const float *user_bias,
                     const float *item_bias, const pgrec::SparseRows *neighbors);

// Starts a write of model name (SPI connected): takes its lock, reads its current row into
// *current (in context) and, if there is one, checks that the current user may `action` it.
// Returns whether the model exists. May ereport (42501).
bool begin_model_write(const char *name, const char *action, MemoryContext context,
                       ModelCatalog *current);

// Runs one of pgrec's statements on its tables (SPI connected) with the rights of their owner,
// with the model name as $1 and, when nargs is 2, number (an integer) as $2; returns SPI's
// code. A read that is not read_only takes a new snapshot, as reads under the model's lock must.
int run_model_statement(const char *sql, const char *name, int nargs, Datum number, bool read_only);

// Stores the model as the new current version of its name, owned by the current user (SPI
// connected; begin_model_write() must have been called in this transaction), prunes versions
// beyond pgrec.keep_versions, and returns its model_id; *version gets its version number.
// May ereport.
int64 store_model(const ModelRecord *record, const ModelRows &rows, int32 *version);

// Copies the stored features (pgrec.feature_factors) of version from_id to version to_id (SPI
// connected). May ereport.
void copy_feature_rows(int64 from_id, int64 to_id);

// Copies version model_id (catalog row and factors) as the new current version of name, with
// the same rules as store_model(); returns the new model_id.
int64 copy_version(int64 model_id, const char *name, int32 *version);
