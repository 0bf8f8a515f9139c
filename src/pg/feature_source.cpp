// Reads a feature source in batches with an SPI cursor: checks its column types, splits text
// into words with the text search configuration, turns arrays into categories and numbers and
// booleans into numeric features, and hands every value to the core FeatureBuilder.
#include "feature_source.h"

#include "core_guard.h"
#include "interaction_source.h"
#include "settings.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

#include <cmath>

#define FETCH_BATCH 10000

bool feature_kind_of_type(Oid type, pgrec::FeatureKind *kind)
{
	switch (getBaseType(type))
	{
	case TEXTOID:
	case VARCHAROID:
	case BPCHAROID:
		*kind = pgrec::FeatureKind::Word;
		return true;
	case TEXTARRAYOID:
	case VARCHARARRAYOID:
		*kind = pgrec::FeatureKind::Category;
		return true;
	case INT2OID:
	case INT4OID:
	case INT8OID:
	case FLOAT4OID:
	case FLOAT8OID:
	case NUMERICOID:
	case BOOLOID:
		*kind = pgrec::FeatureKind::Number;
		return true;
	default:
		return false;
	}
}

const char *feature_kind_name(pgrec::FeatureKind kind)
{
	switch (kind)
	{
	case pgrec::FeatureKind::Word:
		return "word";
	case pgrec::FeatureKind::Category:
		return "category";
	case pgrec::FeatureKind::Number:
		break;
	}
	return "number";
}

void check_text_search_config(Oid config, const char *model_name)
{
	if (!OidIsValid(config) || !SearchSysCacheExists1(TSCONFIGOID, ObjectIdGetDatum(config)))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
		                errmsg("the text search configuration of model \"%s\" no longer exists",
		                       model_name),
		                errhint("Train the model again with an existing text_search_config.")));
}

pgrec::FeatureKind feature_kind_of_name(const char *name)
{
	if (strcmp(name, "word") == 0)
		return pgrec::FeatureKind::Word;
	if (strcmp(name, "category") == 0)
		return pgrec::FeatureKind::Category;
	return pgrec::FeatureKind::Number;
}

TSVector text_words(Oid config, text *value)
{
	return DatumGetTSVector(
	    DirectFunctionCall2(to_tsvector_byid, ObjectIdGetDatum(config), PointerGetDatum(value)));
}

int word_count(TSVector words, const WordEntry *e)
{
	return e->haspos ? Max((int)POSDATALEN(words, e), 1) : 1;
}

// Checks the columns of the source's result and records their names and kinds.
static void check_columns(TupleDesc desc, const char *what, MemoryContext context,
                          FeatureColumns *out)
{
	if (desc->natts < 2)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("the %s need an id column and at least one feature column", what),
		         errdetail_plural("The source returns %d column.", "The source returns %d columns.",
		                          desc->natts, desc->natts)));
	check_id_column(desc, 1);
	out->count = desc->natts - 1;
	out->names = (char **)MemoryContextAlloc(context, sizeof(char *) * out->count);
	out->kinds =
	    (pgrec::FeatureKind *)MemoryContextAlloc(context, sizeof(pgrec::FeatureKind) * out->count);
	for (int c = 0; c < out->count; c++)
	{
		Oid type = SPI_gettypeid(desc, c + 2);
		if (!feature_kind_of_type(type, &out->kinds[c]))
			ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
			                errmsg("column \"%s\" of the %s has type %s", SPI_fname(desc, c + 2),
			                       what, format_type_be(type)),
			                errhint("A feature column must be text (words), text[] (categories), a "
			                        "number or a boolean; cast the column or leave it out.")));
		out->names[c] = MemoryContextStrdup(context, SPI_fname(desc, c + 2));
		for (int earlier = 0; earlier < c; earlier++)
			if (strcmp(out->names[earlier], out->names[c]) == 0)
				ereport(ERROR, (errcode(ERRCODE_DUPLICATE_COLUMN),
				                errmsg("the %s have two columns named \"%s\"", what, out->names[c]),
				                errhint("Give each feature column its own name (AS ...).")));
	}
}

// Adds value (not NULL) of column c of the current entity to builder.
static void add_value(pgrec::FeatureBuilder *builder, const FeatureColumns *columns, int c,
                      Datum value, Oid type, Oid config, const char *what)
{
	pgrec::FeatureKind kind = columns->kinds[c];
	if (kind == pgrec::FeatureKind::Number)
	{
		double x =
		    type == BOOLOID ? (DatumGetBool(value) ? 1.0 : 0.0) : datum_to_number(value, type);
		if (!std::isfinite((float)x))
			ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
			                errmsg("column \"%s\" of the %s has a value that is not a finite "
			                       "float4",
			                       columns->names[c], what),
			                errdetail("The value is %g.", x)));
		CORE_CALL(builder->add(c, kind, "", 0, (float)x));
		return;
	}
	if (kind == pgrec::FeatureKind::Word)
	{
		TSVector words = text_words(config, DatumGetTextPP(value));
		WordEntry *entries = ARRPTR(words);
		char *strings = STRPTR(words);
		for (int32 w = 0; w < words->size; w++)
		{
			int count = word_count(words, &entries[w]);
			CORE_CALL(
			    builder->add(c, kind, strings + entries[w].pos, entries[w].len, (float)count));
		}
		pfree(words);
		return;
	}
	Datum *elements;
	bool *nulls;
	int n;
	ArrayType *array = DatumGetArrayTypeP(value);
	deconstruct_array(array, ARR_ELEMTYPE(array), -1, false, TYPALIGN_INT, &elements, &nulls, &n);
	for (int j = 0; j < n; j++)
		if (!nulls[j])
		{
			text *t = DatumGetTextPP(elements[j]);
			CORE_CALL(builder->add(c, kind, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), 1.0f));
		}
}

void read_features(const char *source, const char *what, Oid config, size_t memory_limit,
                   pgrec::FeatureBuilder *builder, MemoryContext context, FeatureColumns *out)
{
	char *query = psprintf("SELECT * FROM %s AS features", source_from_item(source));
	SPIPlanPtr plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", query, SPI_result_code_string(SPI_result));
	Portal portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	bool checked = false;
	MemoryContext row_context =
	    AllocSetContextCreate(CurrentMemoryContext, "pgrec feature row", ALLOCSET_DEFAULT_SIZES);
	out->skipped = 0;
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, FETCH_BATCH);
		TupleDesc desc = SPI_tuptable->tupdesc;
		if (!checked)
			check_columns(desc, what, context, out);
		checked = true;
		if (SPI_processed == 0)
			break;
		Oid id_type = getBaseType(SPI_gettypeid(desc, 1));
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			if (r % 64 == 63)
				CHECK_FOR_INTERRUPTS(); // text search on long texts takes time
			HeapTuple tuple = SPI_tuptable->vals[r];
			bool isnull;
			Datum id = SPI_getbinval(tuple, desc, 1, &isnull);
			if (isnull)
			{
				out->skipped++;
				continue;
			}
			int64 entity = datum_to_id(id, id_type);
			bool first;
			CORE_CALL(first = builder->begin_entity(entity));
			if (!first)
				ereport(ERROR, (errcode(ERRCODE_CARDINALITY_VIOLATION),
				                errmsg("id %lld appears in more than one row of the %s",
				                       (long long)entity, what),
				                errhint("Give each id one row, for example with array_agg() "
				                        "or string_agg() and GROUP BY.")));
			MemoryContext previous = MemoryContextSwitchTo(row_context);
			for (int c = 0; c < out->count; c++)
			{
				Datum value = SPI_getbinval(tuple, desc, c + 2, &isnull);
				if (!isnull)
					add_value(builder, out, c, value, getBaseType(SPI_gettypeid(desc, c + 2)),
					          config, what);
			}
			MemoryContextSwitchTo(previous);
			MemoryContextReset(row_context);
		}
		double bytes = (double)builder->bytes();
		if (bytes > (double)memory_limit)
			ereport(
			    ERROR,
			    (errcode(ERRCODE_OUT_OF_MEMORY),
			     errmsg("the %s need more memory than pgrec.training_memory_limit allows", what),
			     errdetail("%zu values of %zu distinct features need about %s; the limit is %s.",
			               builder->entries(), builder->kinds().size(), pretty_size(bytes),
			               pretty_size((double)memory_limit)),
			     errhint("Raise pgrec.training_memory_limit (or maintenance_work_mem), or "
			             "give fewer features.")));
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	MemoryContextDelete(row_context);
}

void add_feature_matrices(pgrec::Interactions *data, const pgrec::FeatureBuilder *items,
                          const pgrec::FeatureBuilder *users, const pgrec::CancelToken &cancel)
{
	size_t user_count = data->users(), item_count = data->items();
	CORE_CALL({
		std::vector<int64_t> u = users ? users->entities() : std::vector<int64_t>();
		std::vector<int64_t> i = items ? items->entities() : std::vector<int64_t>();
		pgrec::add_entities(data, u.data(), u.size(), i.data(), i.size(), cancel);
		if (items)
			data->item_features = items->build(data->item_ids, cancel);
		if (users)
			data->user_features = users->build(data->user_ids, cancel);
	});
	if (data->users() > user_count || data->items() > item_count)
		ereport(NOTICE, (errmsg("known only by their features: %zu items, %zu users",
		                        data->items() - item_count, data->users() - user_count)));
}

void read_feature_sources(const char *item_source, const char *user_source, Oid config,
                          const char *model_name, pgrec::FeatureBuilder *items,
                          pgrec::FeatureBuilder *users, MemoryContext context,
                          FeatureColumns *item_columns, FeatureColumns *user_columns)
{
	if (item_source == NULL && user_source == NULL)
		return;
	check_text_search_config(config, model_name);
	size_t limit = training_memory_limit_bytes();
	if (item_source)
		read_features(item_source, "item features", config, limit, items, context, item_columns);
	// Both sides share the limit.
	if (user_source)
		read_features(user_source, "user features", config, limit - Min(limit, items->bytes()),
		              users, context, user_columns);
	int64 skipped =
	    (item_source ? item_columns->skipped : 0) + (user_source ? user_columns->skipped : 0);
	if (skipped > 0)
		ereport(NOTICE, (errmsg_plural("skipped %lld row of the feature sources with a NULL id",
		                               "skipped %lld rows of the feature sources with a NULL id",
		                               (unsigned long)skipped, (long long)skipped)));
}
