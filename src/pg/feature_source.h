// Reading a feature source (a table or a query: the id, then one feature per column) through
// SPI as the current user, words through PostgreSQL's text search, into a core FeatureBuilder.
#pragma once

#include "postgres_headers.h"

#include "../core/feature_builder.h"
#include "../core/interactions.h"

extern "C"
{
#include "tsearch/ts_type.h"
}

// The columns of a feature source after its id: names and kinds, in column order (the
// builder's column numbers index them).
struct FeatureColumns
{
	int count;
	char **names;
	pgrec::FeatureKind *kinds;
	int64 skipped; // rows with a NULL id
};

// The columns of both feature sources of a model.
struct FeatureSources
{
	FeatureColumns items, users;
};

// Reads `source` (a relation name or a query, resolved with the current search_path) into
// builder (owned by a memory context), text columns split into words by text search
// configuration config; what names the source in messages ("item features"). SPI must be
// connected. Ereports on a wrong column type (42804), a repeated id (21000) or when the
// features would pass memory_limit bytes (53200). The column names live in context.
void read_features(const char *source, const char *what, Oid config, size_t memory_limit,
                   pgrec::FeatureBuilder *builder, MemoryContext context, FeatureColumns *out);

// Reads the feature sources of a model (each NULL: none) into the builders and their columns
// into *item_columns and *user_columns, after checking that config still exists, and says in a
// NOTICE how many rows had a NULL id; SPI must be connected, the rights to read them entered.
// May ereport.
void read_feature_sources(const char *item_source, const char *user_source, Oid config,
                          const char *model_name, pgrec::FeatureBuilder *items,
                          pgrec::FeatureBuilder *users, MemoryContext context,
                          FeatureColumns *item_columns, FeatureColumns *user_columns);

// Adds the users and items known only by their features (the entities of the builders, NULL:
// none) to data, then the feature matrices aligned with its dense indices; says in a NOTICE how
// many were added. May ereport.
void add_feature_matrices(pgrec::Interactions *data, const pgrec::FeatureBuilder *items,
                          const pgrec::FeatureBuilder *users, const pgrec::CancelToken &cancel);

// The feature kind of a column type, or false for a type that cannot be a feature.
bool feature_kind_of_type(Oid type, pgrec::FeatureKind *kind);

// The name of a kind as pgrec.feature_factors stores it: word, category or number.
const char *feature_kind_name(pgrec::FeatureKind kind);

// The kind of a stored kind name (feature_kind_name's inverse; the table's CHECK allows no
// other names).
pgrec::FeatureKind feature_kind_of_name(const char *name);

// Ereports 42704 when text search configuration config (of model model_name) was dropped.
void check_text_search_config(Oid config, const char *model_name);

// The words of a text in text search configuration config, as to_tsvector() gives them (each
// lexeme once; word_count() says how often it occurs). palloc'd; may ereport.
TSVector text_words(Oid config, text *value);

// How often the lexeme of entry e occurs in its document (1 when positions were stripped).
int word_count(TSVector words, const WordEntry *e);
