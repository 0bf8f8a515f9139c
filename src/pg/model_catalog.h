// The model catalog: the one place that reads a model's current row of pgrec.model_versions
// (under the model's lock where it is to be replaced) into a typed struct, checks ownership and
// turns hyper-parameters into jsonb and back.
#pragma once

#include "postgres_headers.h"

#include "../core/algorithm_registry.h"

extern "C"
{
#include "utils/jsonb.h"
}

// The current version of a model, as pgrec.model_versions holds it; strings and the uuid are
// allocated in the context given to read_model_catalog.
struct ModelCatalog
{
	char *name;
	int64 model_id;
	int32 version;
	Datum version_uuid; // pg_uuid_t *, palloc'd
	Oid owner;
	const pgrec::AlgorithmEntry *algorithm;
	pgrec::Hyperparameters hyperparameters; // the algorithm's defaults where the row has none
	int factors;
	int64 users, items;
	double global_mean;
	bool has_rating_range;
	float rating_min, rating_max;
	char *source;
	char *source_search_path;                        // NULL for a table source
	char *user_column, *item_column, *rating_column; // rating_column may be NULL
	char *item_features, *user_features;             // the feature sources, or NULL
	Oid text_search_config;                          // InvalidOid without features or if dropped
	char *text_search_config_name;                   // as stored, or NULL
	bool latest; // read with a new snapshot (after the model's lock): so are its factors
};

// Takes the transaction-level lock of a model name: trainings, refreshes, rollbacks, drops and
// tunings of one name queue on it; recommend() never takes it. The lock is an advisory lock
// whose first key is the OID of pgrec.model_versions, so it does not collide with
// applications' advisory locks. May ereport.
void lock_model(const char *name);

// Reads the current row of model name into *out; false if there is none (SPI connected; reads
// with the rights of the catalog's owner). With latest, reads with a new snapshot, as a writer
// must once it holds the model's lock (in READ COMMITTED it then sees the version a writer it
// waited for committed); otherwise with the statement's snapshot. Ereports XX001 on a row it
// cannot trust (unknown algorithm, out-of-range hyper-parameters).
bool read_model_catalog(const char *name, bool latest, MemoryContext context, ModelCatalog *out);

// The same with the statement's snapshot, ereporting 42704 when there is no such model.
void require_model_catalog(const char *name, MemoryContext context, ModelCatalog *out);

// Ereports 42501 unless the current user has the privileges of the model's owner (is the owner,
// a member of the owning role, or a superuser). action names what was refused ("retrain").
void check_model_owner(const char *name, Oid owner, const char *action);

// The algorithm called name, ereporting 22023 with the list of algorithms if there is none, or
// if it cannot be trained and trainable is set.
const pgrec::AlgorithmEntry *lookup_algorithm(const char *name, bool trainable);

// The hyper-parameters the algorithm uses, its name, and the seed, as a jsonb object.
Jsonb *hyperparameters_jsonb(const pgrec::AlgorithmEntry *algorithm,
                             const pgrec::Hyperparameters &h);

// Sets in *h every hyper-parameter of the algorithm that json holds (others keep their
// values), ereporting 22000 on a value that is not a number in the parameter's range.
void read_hyperparameters_jsonb(Jsonb *json, const pgrec::AlgorithmEntry *algorithm,
                                pgrec::Hyperparameters *h, const char *model_name);
