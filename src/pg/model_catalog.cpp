// Reads the current catalog row of a model once into a ModelCatalog, with the model's
// algorithm from the registry and its hyper-parameters parsed from jsonb; the model lock and
// the owner check live here too.
#include "model_catalog.h"

#include "catalog_access.h"
#include "core_guard.h"
#include "jsonb_object.h"

extern "C"
{
#include "catalog/namespace.h"
#include "utils/regproc.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/numeric.h"
}

#include <cmath>

void lock_model(const char *name)
{
	LOCKTAG tag;
	uint32 key = DatumGetUInt32(hash_any((const unsigned char *)name, (int)strlen(name)));
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, pgrec_relation("model_versions"), key, 2);
	(void)LockAcquire(&tag, ExclusiveLock, false, false);
}

const pgrec::AlgorithmEntry *lookup_algorithm(const char *name, bool trainable)
{
	const pgrec::AlgorithmEntry *entry = pgrec::find_algorithm(name);
	if (entry != NULL && (!trainable || entry->make_trainer != NULL))
		return entry;
	char names[1024];
	pgrec::trainable_algorithm_list(names, sizeof names);
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
	                errmsg("unknown algorithm \"%s\"", name), errhint("Use %s.", names)));
}

void check_model_owner(const char *name, Oid owner, const char *action)
{
	if (has_privs_of_role(GetUserId(), owner))
		return;
	ereport(
	    ERROR,
	    (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("must be owner of model \"%s\"", name),
	     errdetail("Model \"%s\" is owned by role %s; only its members and superusers "
	               "may %s it.",
	               name,
	               GetUserNameFromId(owner, true) ? GetUserNameFromId(owner, true) : "(dropped)",
	               action)));
}

Jsonb *hyperparameters_jsonb(const pgrec::AlgorithmEntry *algorithm,
                             const pgrec::Hyperparameters &h)
{
	JsonbParseState *state = NULL;
	(void)pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	push_jsonb_string(&state, "algorithm", algorithm->name);
	for (size_t p = 0; p < pgrec::kParameterSpecCount; p++)
	{
		const pgrec::ParameterSpec &spec = pgrec::kParameterSpecs[p];
		if ((algorithm->parameters & spec.bit) == 0)
			continue;
		if (spec.choices)
		{
			push_jsonb_string(&state, spec.name, spec.choices[h.*spec.integer]);
			continue;
		}
		if (spec.sizes)
		{
			push_jsonb_integers(&state, spec.name, (h.*spec.sizes).size, (h.*spec.sizes).count);
			continue;
		}
		Datum number = spec.integer
		                   ? DirectFunctionCall1(int4_numeric, Int32GetDatum(h.*spec.integer))
		                   : DirectFunctionCall1(float8_numeric, Float8GetDatum(h.*spec.real));
		push_jsonb_number(&state, spec.name, number, false);
	}
	push_jsonb_number(&state, "seed",
	                  DirectFunctionCall1(int8_numeric, Int64GetDatum((int64)h.seed)), false);
	push_jsonb_number(&state, "threads",
	                  DirectFunctionCall1(int4_numeric, Int32GetDatum(h.threads)), false);
	return JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
}

// The number stored under key, or NULL when there is none; ereports XX001 for a value that is
// not a number.
static Numeric json_number(Jsonb *json, const char *key, const char *model_name)
{
	JsonbValue *v = getKeyJsonValueFromContainer(&json->root, key, (int)strlen(key), NULL);
	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (v->type != jbvNumeric)
		ereport(ERROR,
		        (errcode(ERRCODE_DATA_CORRUPTED),
		         errmsg("hyper-parameter %s of model \"%s\" is not a number", key, model_name)));
	return v->val.numeric;
}

// Sets the parameter with choices from the name stored under its key (if any); ereports XX001
// for a value that is not one of its choices.
static void read_choice(Jsonb *json, const pgrec::ParameterSpec &spec, pgrec::Hyperparameters *h,
                        const char *model_name)
{
	JsonbValue *v =
	    getKeyJsonValueFromContainer(&json->root, spec.name, (int)strlen(spec.name), NULL);
	if (v == NULL || v->type == jbvNull)
		return;
	char *choice = v->type == jbvString ? pnstrdup(v->val.string.val, v->val.string.len) : NULL;
	CoreError error;
	int index = -1;
	if (choice == NULL ||
	    !run_core(&error, [&]() { index = pgrec::parameter_choice(spec, choice); }))
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
		                errmsg("hyper-parameter %s of model \"%s\" is not one of its choices",
		                       spec.name, model_name)));
	h->*spec.integer = index;
}

// Sets the list of sizes stored under the spec's key (if any); ereports XX001 for a value that
// is not an array of integers (validate() checks their count and range).
static void read_sizes(Jsonb *json, const pgrec::ParameterSpec &spec, pgrec::Hyperparameters *h,
                       const char *model_name)
{
	JsonbValue *v =
	    getKeyJsonValueFromContainer(&json->root, spec.name, (int)strlen(spec.name), NULL);
	if (v == NULL || v->type == jbvNull)
		return;
	pgrec::LayerSizes sizes;
	bool valid = v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);
	int count = valid ? (int)JsonContainerSize(v->val.binary.data) : 0;
	for (int l = 0; valid && l < count; l++)
	{
		JsonbValue *element = getIthJsonbValueFromContainer(v->val.binary.data, (uint32)l);
		valid = element != NULL && element->type == jbvNumeric;
		if (valid && l < pgrec::kMaxHiddenLayers)
		{
			double size = DatumGetFloat8(
			    DirectFunctionCall1(numeric_float8, NumericGetDatum(element->val.numeric)));
			valid = size == floor(size) && fabs(size) < 2e9;
			sizes.size[l] = valid ? (int)size : 0;
		}
	}
	if (!valid)
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
		                errmsg("hyper-parameter %s of model \"%s\" is not an array of integers",
		                       spec.name, model_name)));
	sizes.count = count;
	h->*spec.sizes = sizes;
}

void read_hyperparameters_jsonb(Jsonb *json, const pgrec::AlgorithmEntry *algorithm,
                                pgrec::Hyperparameters *h, const char *model_name)
{
	for (size_t p = 0; p < pgrec::kParameterSpecCount; p++)
	{
		const pgrec::ParameterSpec &spec = pgrec::kParameterSpecs[p];
		if ((algorithm->parameters & spec.bit) == 0)
			continue;
		if (spec.choices)
		{
			read_choice(json, spec, h, model_name);
			continue;
		}
		if (spec.sizes)
		{
			read_sizes(json, spec, h, model_name);
			continue;
		}
		Numeric n = json_number(json, spec.name, model_name);
		if (n != NULL)
			pgrec::set_parameter(
			    spec, h, DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(n))));
	}
	Numeric seed = json_number(json, "seed", model_name);
	if (seed != NULL)
		h->seed = (uint64_t)DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(seed)));
	h->threads = 1; // validated below; the caller sets the threads of its own run
	CoreError error;
	if (!run_core(&error, [&]() { pgrec::validate(*algorithm, *h); }))
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
		                errmsg("model \"%s\" has invalid hyper-parameters", model_name),
		                errdetail("%s.", error.message)));
}

// Column numbers of the catalog query below.
enum CatalogColumn
{
	COL_MODEL_ID = 1,
	COL_VERSION,
	COL_UUID,
	COL_OWNER,
	COL_ALGORITHM,
	COL_HYPERPARAMETERS,
	COL_FACTORS,
	COL_USERS,
	COL_ITEMS,
	COL_GLOBAL_MEAN,
	COL_RATING_MIN,
	COL_RATING_MAX,
	COL_SOURCE,
	COL_SEARCH_PATH,
	COL_USER_COLUMN,
	COL_ITEM_COLUMN,
	COL_RATING_COLUMN,
	COL_ITEM_FEATURES,
	COL_USER_FEATURES,
	COL_TEXT_SEARCH_CONFIG
};

static const char *const catalog_sql =
    "SELECT model_id, version, version_uuid, owner::pg_catalog.oid, algorithm, hyperparameters, "
    "factors, users, items, global_mean, rating_min, rating_max, source, source_search_path, "
    "user_column::pg_catalog.text, item_column::pg_catalog.text, rating_column::pg_catalog.text, "
    "item_features, user_features, text_search_config "
    "FROM pgrec.model_versions WHERE name OPERATOR(pg_catalog.=) $1 AND is_current";

// Column c of the only row of SPI_tuptable as text (palloc'd), or NULL.
static char *text_column(int c)
{
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, c);
}

// Fills *out from the only row of SPI_tuptable, allocating in the current context.
static void fill_catalog(const char *name, ModelCatalog *out)
{
	HeapTuple row = SPI_tuptable->vals[0];
	TupleDesc desc = SPI_tuptable->tupdesc;
	bool isnull;
	out->name = pstrdup(name);
	out->model_id = DatumGetInt64(SPI_getbinval(row, desc, COL_MODEL_ID, &isnull));
	out->version = DatumGetInt32(SPI_getbinval(row, desc, COL_VERSION, &isnull));
	out->version_uuid = datumCopy(SPI_getbinval(row, desc, COL_UUID, &isnull), false, 16);
	out->owner = DatumGetObjectId(SPI_getbinval(row, desc, COL_OWNER, &isnull));
	char *algorithm = text_column(COL_ALGORITHM);
	out->algorithm = pgrec::find_algorithm(algorithm);
	if (out->algorithm == NULL)
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
		                errmsg("model \"%s\" has unknown algorithm \"%s\"", name, algorithm)));
	out->factors = DatumGetInt32(SPI_getbinval(row, desc, COL_FACTORS, &isnull));
	out->hyperparameters = out->algorithm->defaults;
	out->hyperparameters.factors = out->factors;
	read_hyperparameters_jsonb(
	    DatumGetJsonbP(SPI_getbinval(row, desc, COL_HYPERPARAMETERS, &isnull)), out->algorithm,
	    &out->hyperparameters, name);
	if (out->hyperparameters.factors != out->factors)
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
		                errmsg("model \"%s\" has %d factors but hyper-parameters for %d", name,
		                       out->factors, out->hyperparameters.factors)));
	if ((out->factors > 0) != pgrec::has_factors(*out->algorithm))
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
		                errmsg("model \"%s\" has %d factors, which algorithm %s cannot have", name,
		                       out->factors, out->algorithm->name)));
	out->users = DatumGetInt64(SPI_getbinval(row, desc, COL_USERS, &isnull));
	out->items = DatumGetInt64(SPI_getbinval(row, desc, COL_ITEMS, &isnull));
	out->global_mean = DatumGetFloat8(SPI_getbinval(row, desc, COL_GLOBAL_MEAN, &isnull));
	out->rating_min = DatumGetFloat4(SPI_getbinval(row, desc, COL_RATING_MIN, &isnull));
	out->has_rating_range = !isnull;
	out->rating_max = DatumGetFloat4(SPI_getbinval(row, desc, COL_RATING_MAX, &isnull));
	out->has_rating_range = out->has_rating_range && !isnull;
	if (!std::isfinite(out->global_mean) ||
	    (out->has_rating_range &&
	     !(std::isfinite(out->rating_min) && std::isfinite(out->rating_max))))
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
		                errmsg("model \"%s\" has a global mean or rating range that is not finite",
		                       name)));
	out->source = text_column(COL_SOURCE);
	out->source_search_path = text_column(COL_SEARCH_PATH);
	out->user_column = text_column(COL_USER_COLUMN);
	out->item_column = text_column(COL_ITEM_COLUMN);
	out->rating_column = text_column(COL_RATING_COLUMN);
	out->item_features = text_column(COL_ITEM_FEATURES);
	out->user_features = text_column(COL_USER_FEATURES);
	// By name: a configuration dropped since is InvalidOid, which its users report (42704).
	out->text_search_config_name = text_column(COL_TEXT_SEARCH_CONFIG);
	out->text_search_config =
	    out->text_search_config_name
	        ? get_ts_config_oid(stringToQualifiedNameList(out->text_search_config_name), true)
	        : InvalidOid;
}

bool read_model_catalog(const char *name, bool latest, MemoryContext context, ModelCatalog *out)
{
	Oid types[1] = {TEXTOID};
	Datum values[1] = {CStringGetTextDatum(name)};
	SavedRights rights;
	enter_catalog_rights(&rights);
	int rc = SPI_execute_with_args(catalog_sql, 1, types, values, NULL, !latest, 1);
	leave_rights(&rights);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read pgrec.model_versions: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return false;
	MemoryContext spi_context = MemoryContextSwitchTo(context);
	fill_catalog(name, out);
	out->latest = latest;
	MemoryContextSwitchTo(spi_context);
	return true;
}

void require_model_catalog(const char *name, MemoryContext context, ModelCatalog *out)
{
	if (!read_model_catalog(name, false, context, out))
		ereport(
		    ERROR,
		    (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("model \"%s\" does not exist", name),
		     errhint(
		         "Train it with pgrec.train(), or see pgrec.models for the models there are.")));
}
