// Looks up a jsonb object of features in a model's vocabulary (pgrec.feature_factors, read with
// pgrec's own rights through its index by column and value) and projects them to factors
// through the algorithm registry.
#include "feature_lookup.h"

#include "catalog_access.h"
#include "core_guard.h"
#include "embedding.h"
#include "feature_source.h"
#include "interaction_source.h"
#include "owned_object.h"

#include "../core/algorithm_registry.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
}

#include <cmath>
#include <vector>

// The kind of a feature column of a side; no row when the side has no such column.
static const char *const column_kind_sql =
    "SELECT kind FROM pgrec.feature_factors WHERE model_id OPERATOR(pg_catalog.=) $1 AND side "
    "OPERATOR(pg_catalog.=) $2 AND column_name OPERATOR(pg_catalog.=) $3 LIMIT 1";

// The features of a word or category column among the values $4 (n numbers the value, the first
// of a repeated one, which counts once as in training), found through feature_factors_value.
static const char *const features_sql =
    "SELECT DISTINCT ON (f.feature) f.\"offset\", f.scale, f.bias, f.factors, "
    "v.n::pg_catalog.int4, f.value "
    "FROM pg_catalog.unnest($4::pg_catalog.text[]) WITH ORDINALITY AS v(value, n) "
    "JOIN pgrec.feature_factors f ON f.model_id OPERATOR(pg_catalog.=) $1 AND f.side "
    "OPERATOR(pg_catalog.=) $2 AND f.column_name OPERATOR(pg_catalog.=) $3 AND f.value "
    "OPERATOR(pg_catalog.=) v.value ORDER BY f.feature, v.n";

// The one feature of a numeric column.
static const char *const number_feature_sql =
    "SELECT f.\"offset\", f.scale, f.bias, f.factors, 1, '' FROM pgrec.feature_factors f WHERE "
    "f.model_id OPERATOR(pg_catalog.=) $1 AND f.side OPERATOR(pg_catalog.=) $2 AND f.column_name "
    "OPERATOR(pg_catalog.=) $3 AND f.value IS NULL";

// The found features of one entity: a vocabulary of just them, in the order found (feature j
// of the entity is vocabulary feature j: identity), with their raw values; owned by a memory
// context.
struct FoundFeatures
{
	pgrec::FeatureVocabulary vocabulary;
	std::vector<int32_t> identity;
	std::vector<float> raw;
};

// The values of one column of the object: words or categories (strings, with their raw
// values) or, for a number column, the number.
struct ColumnValues
{
	pgrec::FeatureKind kind;
	int count;
	Datum *strings; // text Datums
	float *raw;
};

char visitor_feature_side(const CachedModel *e)
{
	return e->model.catalog.user_features ? 'u' : 'i';
}

// Ereports XX001 for a stored feature that cannot be used.
static void corrupted_feature(const CachedModel *e, const char *column)
{
	ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
	                errmsg("a feature of column \"%s\" of model \"%s\" version %d is invalid",
	                       column, e->model.catalog.name, e->model.catalog.version),
	                errhint("Retrain the model.")));
}

static const char *side_name(char side)
{
	return side == 'u' ? "user" : "item";
}

// The stored kind of column `column` of the side; ereports 42703 when there is none. Catalog
// rights entered.
static pgrec::FeatureKind column_kind(const CachedModel *e, char side, const char *column)
{
	Oid types[3] = {INT8OID, CHAROID, NAMEOID};
	Datum values[3] = {Int64GetDatum(e->model.catalog.model_id), CharGetDatum(side),
	                   DirectFunctionCall1(namein, CStringGetDatum(column))};
	if (SPI_execute_with_args(column_kind_sql, 3, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the feature columns of model \"%s\"", e->model.catalog.name);
	if (SPI_processed == 0)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
		                errmsg("model \"%s\" has no %s feature column \"%s\"",
		                       e->model.catalog.name, side_name(side), column),
		                errhint("The keys of the object are the feature columns of the %s "
		                        "features the model was trained with.",
		                        side_name(side))));
	return feature_kind_of_name(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
}

// The text of a scalar jsonb value that names a category (a string, a number or a boolean).
static text *scalar_text(const JsonbValue *v)
{
	switch (v->type)
	{
	case jbvString:
		return cstring_to_text_with_len(v->val.string.val, v->val.string.len);
	case jbvNumeric:
		return cstring_to_text(
		    DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric))));
	case jbvBool:
		return cstring_to_text(v->val.boolean ? "true" : "false");
	default:
		return NULL;
	}
}

// Ereports 22023 for a value that does not fit its column's kind.
static void wrong_value(const char *column, const char *expected) pg_attribute_noreturn();

static void wrong_value(const char *column, const char *expected)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
	                errmsg("feature \"%s\" must be %s", column, expected)));
}

// The values of column `column` of kind `kind` given by v (not null). Palloc'd; may ereport.
static ColumnValues column_values(const char *column, pgrec::FeatureKind kind, const JsonbValue *v,
                                  Oid config)
{
	ColumnValues out = {kind, 0, NULL, NULL};
	if (kind == pgrec::FeatureKind::Number)
	{
		double x;
		if (v->type == jbvNumeric)
			x = DatumGetFloat8(
			    DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
		else if (v->type == jbvBool)
			x = v->val.boolean ? 1.0 : 0.0;
		else
			wrong_value(column, "a number or a boolean");
		if (!std::isfinite((float)x))
			wrong_value(column, "a finite number");
		out.count = 1;
		out.raw = (float *)palloc(sizeof(float));
		out.raw[0] = (float)x;
		return out;
	}
	if (kind == pgrec::FeatureKind::Word)
	{
		if (v->type != jbvString)
			wrong_value(column, "a string of text");
		TSVector words = text_words(config, scalar_text(v));
		WordEntry *entries = ARRPTR(words);
		out.count = words->size;
		out.strings = (Datum *)palloc(sizeof(Datum) * Max(out.count, 1));
		out.raw = (float *)palloc(sizeof(float) * Max(out.count, 1));
		for (int w = 0; w < out.count; w++)
		{
			out.strings[w] = PointerGetDatum(
			    cstring_to_text_with_len(STRPTR(words) + entries[w].pos, entries[w].len));
			out.raw[w] = (float)word_count(words, &entries[w]);
		}
		return out;
	}
	// Categories: one scalar or an array of them.
	if (v->type != jbvBinary)
	{
		text *t = scalar_text(v);
		if (t == NULL)
			wrong_value(column, "a string or an array of strings");
		out.count = 1;
		out.strings = (Datum *)palloc(sizeof(Datum));
		out.strings[0] = PointerGetDatum(t);
		out.raw = (float *)palloc(sizeof(float));
		out.raw[0] = 1.0f;
		return out;
	}
	if (!JsonContainerIsArray(v->val.binary.data))
		wrong_value(column, "a string or an array of strings");
	int n = (int)JsonContainerSize(v->val.binary.data);
	out.strings = (Datum *)palloc(sizeof(Datum) * Max(n, 1));
	out.raw = (float *)palloc(sizeof(float) * Max(n, 1));
	for (int j = 0; j < n; j++)
	{
		JsonbValue *element = getIthJsonbValueFromContainer(v->val.binary.data, (uint32)j);
		if (element->type == jbvNull)
			continue;
		text *t = scalar_text(element);
		if (t == NULL)
			wrong_value(column, "a string or an array of strings");
		out.strings[out.count] = PointerGetDatum(t);
		out.raw[out.count++] = 1.0f;
	}
	return out;
}

// Appends the stored features of the values of one column to found. Catalog rights entered.
static void find_features(const CachedModel *e, char side, const char *column,
                          const ColumnValues &values, FoundFeatures *found)
{
	bool numeric = values.kind == pgrec::FeatureKind::Number;
	if (!numeric && values.count == 0)
		return;
	Oid types[4] = {INT8OID, CHAROID, NAMEOID, TEXTARRAYOID};
	Datum args[4] = {Int64GetDatum(e->model.catalog.model_id), CharGetDatum(side),
	                 DirectFunctionCall1(namein, CStringGetDatum(column)),
	                 numeric ? (Datum)0
	                         : PointerGetDatum(construct_array(values.strings, values.count,
	                                                           TEXTOID, -1, false, TYPALIGN_INT))};
	char nulls[5] = "    ";
	nulls[3] = numeric ? 'n' : ' ';
	if (SPI_execute_with_args(numeric ? number_feature_sql : features_sql, numeric ? 3 : 4, types,
	                          args, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the features of model \"%s\"", e->model.catalog.name);
	const int k = e->model.catalog.factors;
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple row = SPI_tuptable->vals[r];
		TupleDesc desc = SPI_tuptable->tupdesc;
		bool offset_null, scale_null, bias_null, factors_null, n_null;
		float offset = DatumGetFloat4(SPI_getbinval(row, desc, 1, &offset_null));
		float scale = DatumGetFloat4(SPI_getbinval(row, desc, 2, &scale_null));
		float bias = DatumGetFloat4(SPI_getbinval(row, desc, 3, &bias_null));
		Datum factors = SPI_getbinval(row, desc, 4, &factors_null);
		int32 n = DatumGetInt32(SPI_getbinval(row, desc, 5, &n_null));
		Embedding *vector = factors_null ? NULL : DatumGetEmbeddingP(factors);
		bool valid = !offset_null && !scale_null && std::isfinite(offset) && std::isfinite(scale) &&
		             vector != NULL && vector->dim == k && (bias_null || std::isfinite(bias)) &&
		             !n_null && n >= 1 && n <= values.count;
		for (int f = 0; valid && f < k; f++)
			valid = std::isfinite(vector->x[f]);
		if (!valid)
			corrupted_feature(e, column);
		float raw = values.raw[n - 1];
		char *value = SPI_getvalue(row, desc, 6);
		CORE_CALL({
			found->vocabulary.add(column, values.kind, value ? value : "", offset, scale, vector->x,
			                      k, bias_null ? 0.0f : bias);
			found->identity.push_back((int32_t)found->identity.size());
			found->raw.push_back(raw);
		});
	}
}

bool project_feature_object(CachedModel *e, char side, Jsonb *object, float *factors, float *bias)
{
	if (!JB_ROOT_IS_OBJECT(object))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("features must be a jsonb object"),
		                errhint("Give {\"column\": value, ...} with the feature columns of the "
		                        "model's %s features.",
		                        side_name(side))));
	const ModelCatalog &catalog = e->model.catalog;
	MemoryContext context =
	    AllocSetContextCreate(CurrentMemoryContext, "pgrec features", ALLOCSET_DEFAULT_SIZES);
	FoundFeatures *found = new_owned_by<FoundFeatures>(context);
	check_text_search_config(catalog.text_search_config, catalog.name);
	SavedRights rights;
	SPI_connect();
	enter_catalog_rights(&rights);
	JsonbIterator *it = JsonbIteratorInit(&object->root);
	JsonbValue key, value;
	JsonbIteratorToken token;
	while ((token = JsonbIteratorNext(&it, &key, true)) != WJB_DONE)
	{
		if (token != WJB_KEY)
			continue;
		char *column = pnstrdup(key.val.string.val, key.val.string.len);
		token = JsonbIteratorNext(&it, &value, true);
		pgrec::FeatureKind kind = column_kind(e, side, column);
		if (value.type == jbvNull)
			continue;
		find_features(e, side, column,
		              column_values(column, kind, &value, catalog.text_search_config), found);
	}
	leave_rights(&rights);
	SPI_finish();
	bool any = false;
	pgrec::FeatureSide feature_side = side == 'u' ? pgrec::kUserFeatures : pgrec::kItemFeatures;
	CORE_CALL(any = found->vocabulary.project(*catalog.algorithm, feature_side,
	                                          catalog.hyperparameters, found->identity,
	                                          found->identity.data(), found->raw.data(),
	                                          found->identity.size(), factors, bias));
	if (any)
	{
		// Features that weigh nothing (a constant column, a value at the mean) say nothing.
		any = false;
		for (int f = 0; f < catalog.factors; f++)
			any |= factors[f] != 0.0f;
	}
	MemoryContextDelete(context);
	return any;
}

// The whole vocabulary of a side, in feature order.
static const char *const vocabulary_sql =
    "SELECT feature, column_name::pg_catalog.text, kind, COALESCE(value, ''), \"offset\", scale, "
    "bias, factors FROM pgrec.feature_factors WHERE model_id OPERATOR(pg_catalog.=) $1 AND side "
    "OPERATOR(pg_catalog.=) $2 ORDER BY feature";

void load_feature_vocabulary(const ModelCatalog &catalog, char side, size_t budget,
                             pgrec::FeatureVocabulary *out)
{
	const int k = catalog.factors;
	SavedRights rights;
	enter_catalog_rights(&rights);
	Oid types[2] = {INT8OID, CHAROID};
	Datum args[2] = {Int64GetDatum(catalog.model_id), CharGetDatum(side)};
	Portal portal = SPI_cursor_open_with_args(NULL, vocabulary_sql, 2, types, args, NULL, true, 0);
	int32 expected = 0;
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		TupleDesc desc = SPI_tuptable->tupdesc;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple row = SPI_tuptable->vals[r];
			bool isnull[8];
			Datum v[8];
			for (int c = 0; c < 8; c++)
				v[c] = SPI_getbinval(row, desc, c + 1, &isnull[c]);
			char *column = isnull[1] ? NULL : TextDatumGetCString(v[1]);
			char *kind_name = isnull[2] ? NULL : TextDatumGetCString(v[2]);
			Embedding *vector = isnull[7] ? NULL : DatumGetEmbeddingP(v[7]);
			float offset = DatumGetFloat4(v[4]), scale = DatumGetFloat4(v[5]);
			float bias = isnull[6] ? 0.0f : DatumGetFloat4(v[6]);
			bool valid = !isnull[0] && DatumGetInt32(v[0]) == expected && column && kind_name &&
			             !isnull[4] && !isnull[5] && std::isfinite(offset) &&
			             std::isfinite(scale) && std::isfinite(bias) && vector && vector->dim == k;
			for (int f = 0; valid && f < k; f++)
				valid = std::isfinite(vector->x[f]);
			if (!valid)
				ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
				                errmsg("feature %d of the %s features of model \"%s\" version %d "
				                       "is invalid",
				                       expected, side_name(side), catalog.name, catalog.version),
				                errhint("Retrain the model.")));
			pgrec::FeatureKind kind = feature_kind_of_name(kind_name);
			char *value = TextDatumGetCString(v[3]);
			CORE_CALL(out->add(column, kind, value, offset, scale, vector->x, k, bias));
			expected++;
		}
		SPI_freetuptable(SPI_tuptable);
		if (out->bytes() > budget)
			ereport(ERROR,
			        (errcode(ERRCODE_OUT_OF_MEMORY),
			         errmsg("the stored %s features of model \"%s\" need more memory than "
			                "pgrec.training_memory_limit allows",
			                side_name(side), catalog.name),
			         errdetail("%d features need about %s; %s of the limit are left for them.",
			                   expected, pretty_size((double)out->bytes()),
			                   pretty_size((double)budget)),
			         errhint("Raise pgrec.training_memory_limit (or maintenance_work_mem).")));
	}
	SPI_cursor_close(portal);
	leave_rights(&rights);
}
