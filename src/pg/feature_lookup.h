// The factors of a visitor or an item known only by its features: its features given as a
// jsonb object looked up in a model's stored vocabulary (pgrec.feature_factors) and projected
// by the model's algorithm.
#pragma once

#include "postgres_headers.h"

#include "model_cache.h"

#include "../core/feature_vocabulary.h"

extern "C"
{
#include "utils/jsonb.h"
}

// Writes to factors (the model's dim) and *bias the vector of an entity of side 'u' or 'i' of
// model e with the features of object {"column": value, ...}: a text value is split into words
// for a word column, a string or an array of strings gives categories, a number or boolean a
// numeric feature; NULL values are skipped and unknown words or categories ignored. Returns
// false when none of them is in the model's vocabulary. Ereports 42703 for a key that is no
// feature column of the side, 22023 for a value of the wrong kind, XX001 for corrupt rows.
bool project_feature_object(CachedModel *e, char side, Jsonb *object, float *factors, float *bias);

// Loads the whole stored vocabulary of side 'u' or 'i' of the model into out (owned by a memory
// context). SPI must be connected. Ereports XX001 for rows that cannot be used, 53200 when it
// needs more than budget bytes (what pgrec.training_memory_limit leaves).
void load_feature_vocabulary(const ModelCatalog &catalog, char side, size_t budget,
                             pgrec::FeatureVocabulary *out);

// The side whose features a visitor's object describes: the users' when the model has user
// features, else the items' (a description of the items wanted).
char visitor_feature_side(const CachedModel *e);
