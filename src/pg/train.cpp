// pgrec.train() and the training step of pgrec.retrain(): under the model's lock, read the
// interactions, train one epoch at a time in the C++ core (progress NOTICEs between epochs,
// cancel checked inside them) and store the model as a new version.
#include "postgres_headers.h"

#include "catalog_access.h"
#include "core_guard.h"
#include "feature_source.h"
#include "interaction_source.h"
#include "model_loader.h"
#include "model_store.h"
#include "owned_object.h"
#include "settings.h"
#include "warm_start.h"

extern "C"
{
#include "access/htup_details.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
}

PGREC_FUNCTION(pgrec_train)
PGREC_FUNCTION(pgrec_retrain_model)

// Positions of pgrec.train's arguments; the hyper-parameters follow ARG_ALGORITHM in the order
// of train_parameters below.
enum TrainArg
{
	ARG_MODEL_NAME,
	ARG_SOURCE,
	ARG_USER_COLUMN,
	ARG_ITEM_COLUMN,
	ARG_RATING_COLUMN,
	ARG_ALGORITHM,
	ARG_FACTORS,
	ARG_EPOCHS,
	ARG_REGULARIZATION,
	ARG_ALPHA,
	ARG_LEARNING_RATE,
	ARG_SEED,
	ARG_BIAS_REGULARIZATION,
	ARG_REGULARIZATION_EXPONENT,
	ARG_INIT_SCALE,
	ARG_WARM_START,
	ARG_NEIGHBORS,
	ARG_SHRINKAGE,
	ARG_SIMILARITY,
	ARG_NORMALIZATION,
	ARG_LOSS,
	ARG_ITEM_FEATURES,
	ARG_USER_FEATURES,
	ARG_TEXT_SEARCH_CONFIG,
	ARG_CG_STEPS,
	ARG_HIDDEN_LAYERS,
	ARG_BATCH_SIZE,
	ARG_DROPOUT,
	ARG_NEGATIVES,
	ARG_BLOCK_SIZE
};

// The hyper-parameter arguments of pgrec.train by position (seed aside).
static const struct
{
	int argno;
	const char *name;
} train_parameters[] = {{ARG_FACTORS, "factors"},
                        {ARG_EPOCHS, "epochs"},
                        {ARG_REGULARIZATION, "regularization"},
                        {ARG_ALPHA, "alpha"},
                        {ARG_LEARNING_RATE, "learning_rate"},
                        {ARG_BIAS_REGULARIZATION, "bias_regularization"},
                        {ARG_REGULARIZATION_EXPONENT, "regularization_exponent"},
                        {ARG_INIT_SCALE, "init_scale"},
                        {ARG_NEIGHBORS, "neighbors"},
                        {ARG_SHRINKAGE, "shrinkage"},
                        {ARG_SIMILARITY, "similarity"},
                        {ARG_NORMALIZATION, "normalization"},
                        {ARG_LOSS, "loss"},
                        {ARG_CG_STEPS, "cg_steps"},
                        {ARG_HIDDEN_LAYERS, "hidden_layers"},
                        {ARG_BATCH_SIZE, "batch_size"},
                        {ARG_DROPOUT, "dropout"},
                        {ARG_NEGATIVES, "negatives"},
                        {ARG_BLOCK_SIZE, "block_size"}};

// The C++ objects of one training run, owned by the run's memory context (owned_object.h).
struct TrainingRun
{
	pgrec::Interactions data;
	std::unique_ptr<pgrec::Trainer> trainer;
	pgrec::FeatureBuilder item_features, user_features;
};

// What one training reads and stores.
struct TrainingRequest
{
	const char *name;
	const pgrec::AlgorithmEntry *algorithm;
	pgrec::Hyperparameters h;
	const char *query;       // SELECT of user, item[, rating]
	const char *source;      // stored: the qualified table name or the query
	const char *search_path; // stored with a query source or feature sources; else NULL
	const char *user_column, *item_column, *rating_column;
	const char *item_features, *user_features; // feature sources, or NULL
	Oid text_search_config;                    // InvalidOid without feature sources
	bool warm_start;
	Oid source_role; // InvalidOid: read the source as the caller; else as this role (SRO)
	unsigned given;  // ParameterBit mask of the hyper-parameters set by the caller or stored
};

// What a training reports.
struct TrainingResult
{
	int64 model_id;
	size_t users, items, interactions, duplicates;
	int64 skipped;
	double seconds, final_loss, peak_mb;
};

// Reads a required text or name argument, ereporting 22004 if it is NULL.
static char *required_string(FunctionCallInfo fcinfo, int argno, const char *what, bool is_name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", what)));
	return is_name ? pstrdup(NameStr(*PG_GETARG_NAME(argno)))
	               : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

// The layer sizes of an integer[] argument, one-dimensional and without NULLs; validate_sizes()
// checks them (count may be above kMaxHiddenLayers: only that many sizes are kept).
static pgrec::LayerSizes layer_sizes(ArrayType *array, const char *name)
{
	Datum *elements;
	bool *nulls;
	int count;
	if (ARR_NDIM(array) > 1)
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
		                errmsg("%s must be a one-dimensional array", name)));
	deconstruct_array(array, INT4OID, sizeof(int32), true, TYPALIGN_INT, &elements, &nulls, &count);
	pgrec::LayerSizes sizes;
	for (int l = 0; l < count; l++)
	{
		if (nulls[l])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("%s must not contain NULL", name)));
		if (l < pgrec::kMaxHiddenLayers)
			sizes.size[l] = DatumGetInt32(elements[l]);
	}
	sizes.count = count;
	return sizes;
}

// The hyper-parameters from the algorithm's defaults and the arguments given; a given value
// must be in its range and apply to the algorithm.
static pgrec::Hyperparameters read_hyperparameters(FunctionCallInfo fcinfo,
                                                   const pgrec::AlgorithmEntry *algorithm,
                                                   unsigned *given)
{
	pgrec::Hyperparameters h = algorithm->defaults;
	*given = 0;
	for (const auto &p : train_parameters)
	{
		if (PG_ARGISNULL(p.argno))
			continue;
		const pgrec::ParameterSpec *spec = pgrec::find_parameter(p.name);
		if ((algorithm->parameters & spec->bit) == 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("%s does not apply to algorithm %s", p.name, algorithm->name),
			                errhint("Leave it NULL, or choose an algorithm that uses it.")));
		double value = 0.0;
		pgrec::LayerSizes sizes;
		if (spec->sizes)
		{
			sizes = layer_sizes(PG_GETARG_ARRAYTYPE_P(p.argno), spec->name);
			CORE_CALL(pgrec::validate_sizes(*spec, sizes));
		}
		else
		{
			if (spec->choices)
			{
				char *choice = text_to_cstring(PG_GETARG_TEXT_PP(p.argno));
				CORE_CALL(value = pgrec::parameter_choice(*spec, choice, algorithm));
			}
			else
				value =
				    spec->integer ? (double)PG_GETARG_INT32(p.argno) : PG_GETARG_FLOAT8(p.argno);
			CORE_CALL(pgrec::validate_parameter(*spec, value));
		}
		if (spec->sizes)
			h.*spec->sizes = sizes;
		else
			pgrec::set_parameter(*spec, &h, value);
		*given |= spec->bit;
	}
	if (!PG_ARGISNULL(ARG_SEED))
		h.seed = (uint64_t)PG_GETARG_INT64(ARG_SEED);
	h.threads = effective_threads();
	CORE_CALL(pgrec::validate(*algorithm, h));
	return h;
}

static double seconds_since(instr_time start)
{
	instr_time now;
	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	return INSTR_TIME_GET_DOUBLE(now);
}

// Reads the request's source into rows and its feature sources into the run's builders: as the
// caller, or as the model's owner inside a security-restricted operation with the stored
// search_path.
static void read_source(const TrainingRequest &r, MemoryContext context, InteractionArrays *rows,
                        TrainingRun *run, FeatureSources *features)
{
	SavedRights rights;
	bool switched = OidIsValid(r.source_role);
	if (switched)
		enter_owner_rights(r.source_role, r.search_path, &rights);
	SPI_connect();
	read_interactions(r.query, r.rating_column != NULL, training_memory_limit_bytes(),
	                  pgrec::kInteractionPeakBytesPerRow, context, rows);
	read_feature_sources(r.item_features, r.user_features, r.text_search_config, r.name,
	                     &run->item_features, &run->user_features, context, &features->items,
	                     &features->users);
	SPI_finish();
	if (switched)
		leave_rights(&rights);
}

// The names of the algorithms that learn from the side's features, for a hint ("'content' or
// 'hybrid'"); palloc'd.
static char *algorithms_with_features(unsigned side)
{
	StringInfoData names;
	initStringInfo(&names);
	int count = 0, written = 0;
	for (size_t a = 0; a < pgrec::kAlgorithmCount; a++)
		count += (pgrec::kAlgorithms[a].feature_sides & side) != 0;
	for (size_t a = 0; a < pgrec::kAlgorithmCount; a++)
		if (pgrec::kAlgorithms[a].feature_sides & side)
			appendStringInfo(&names, "%s'%s'",
			                 written++ == 0     ? ""
			                 : written == count ? " or "
			                                    : ", ",
			                 pgrec::kAlgorithms[a].name);
	return names.data;
}

// Checks the feature sources of a request against its algorithm: each must be one it learns
// from, and it must have those it needs. Ereports 22023.
static void check_feature_sources(const TrainingRequest &r)
{
	static const struct
	{
		unsigned side;
		const char *argument;
	} sides[] = {{pgrec::kItemFeatures, "item_features"}, {pgrec::kUserFeatures, "user_features"}};
	for (const auto &side : sides)
	{
		bool given =
		    side.side == pgrec::kItemFeatures ? r.item_features != NULL : r.user_features != NULL;
		if (given && (r.algorithm->feature_sides & side.side) == 0)
		{
			char *names = algorithms_with_features(side.side);
			ereport(ERROR,
			        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			         errmsg("%s does not apply to algorithm %s", side.argument, r.algorithm->name),
			         names[0] != '\0'
			             ? errhint("Leave it NULL, or choose an algorithm that learns from them: "
			                       "%s.",
			                       names)
			             : errhint("Leave it NULL: no algorithm learns from them.")));
		}
		if (!given && (r.algorithm->needs_features & side.side))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("algorithm %s needs %s", r.algorithm->name, side.argument),
			                errhint("Give a table or a query whose first column is the id and "
			                        "whose other columns are the features.")));
	}
}

// Trains and stores one model; current is the model's current version (NULL if none), read
// after its lock was taken.
static TrainingResult run_training(const TrainingRequest &r, const ModelCatalog *current)
{
	instr_time start;
	INSTR_TIME_SET_CURRENT(start);
	MemoryContext run_context =
	    AllocSetContextCreate(CurrentMemoryContext, "pgrec training", ALLOCSET_DEFAULT_SIZES);
	size_t limit = training_memory_limit_bytes();
	pgrec::Hyperparameters h = r.h;
	pgrec::CancelToken cancel = backend_cancel_token();
	InteractionArrays rows = {};
	TrainingRun *run = new_owned_by<TrainingRun>(run_context);
	FeatureSources features = {};
	ereport(DEBUG1, (errmsg("reading the interactions of model \"%s\"", r.name)));
	read_source(r, run_context, &rows, run, &features);
	ereport(DEBUG1, (errmsg("read %zu rows in %.3f s", rows.count, seconds_since(start))));
	if (rows.count == 0)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("no interactions to train on"),
		                rows.skipped > 0
		                    ? errdetail_plural(
		                          "The %lld row of the source has a NULL user, item or rating.",
		                          "All %lld rows of the source have a NULL user, item or rating.",
		                          (unsigned long)rows.skipped, (long long)rows.skipped)
		                    : errdetail("The source returned no rows.")));
	if (!pgrec::trains_on_ratings(*r.algorithm, h))
		for (size_t i = 0; i < rows.count; i++)
			if (rows.values[i] < 0.0f)
				ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
				                errmsg("implicit feedback must not be negative"),
				                errdetail("User %lld has value %g for item %lld.",
				                          (long long)rows.users[i], (double)rows.values[i],
				                          (long long)rows.items[i]),
				                errhint("Use algorithm 'als' for explicit ratings, or filter "
				                        "the source.")));

	// Build the matrix; the run's C++ objects are freed with run_context.
	ereport(DEBUG1, (errmsg("building the interaction matrix of %zu rows", rows.count)));
	pgrec::DuplicatePolicy policy = pgrec::duplicate_policy(*r.algorithm, h);
	CORE_CALL(run->data = pgrec::build_interactions(rows.users, rows.items,
	                                                r.rating_column ? rows.values : NULL,
	                                                rows.count, policy, cancel));
	if (r.item_features || r.user_features)
		add_feature_matrices(&run->data, r.item_features ? &run->item_features : NULL,
		                     r.user_features ? &run->user_features : NULL, cancel);
	const pgrec::Interactions &data = run->data;
	pgrec::apply_data_defaults(*r.algorithm, &h, r.given, data);
	CORE_CALL(pgrec::validate(*r.algorithm, h));
	double reading_peak = (double)MemoryContextMemAllocated(run_context, true) +
	                      (double)rows.count * pgrec::kInteractionPeakBytesPerRow;
	pfree(rows.users);
	pfree(rows.items);
	pfree(rows.values);

	size_t k = (size_t)h.factors;
	double factor_bytes = (double)(data.users() + data.items()) * (k + 1) * sizeof(float);
	size_t scratch = r.algorithm->scratch_bytes(h, data) + run->item_features.bytes() +
	                 run->user_features.bytes(); // the vocabularies stay until the model is stored
	if ((double)data.bytes() + factor_bytes + (double)scratch > (double)limit)
		ereport(ERROR,
		        (errcode(ERRCODE_OUT_OF_MEMORY),
		         errmsg("the model needs more memory than pgrec.training_memory_limit allows"),
		         errdetail("Algorithm %s needs about %s for %zu users and %zu items; the limit "
		                   "is %s.",
		                   r.algorithm->name,
		                   pretty_size((double)data.bytes() + factor_bytes + (double)scratch),
		                   data.users(), data.items(), pretty_size((double)limit)),
		         errhint("Raise pgrec.training_memory_limit (or maintenance_work_mem). %s",
		                 r.algorithm->memory_hint)));
	bool biases = r.algorithm->biases;
	pgrec::FactorBuffers buffers = {zeroed_floats(run_context, data.users() * k),
	                                zeroed_floats(run_context, data.items() * k),
	                                biases ? zeroed_floats(run_context, data.users()) : NULL,
	                                biases ? zeroed_floats(run_context, data.items()) : NULL};
	CORE_CALL(run->trainer = pgrec::make_trainer(*r.algorithm, data, h, buffers));
	if (r.warm_start)
		warm_start(current, r.name, r.algorithm, k, data, buffers, run_context);
	double peak_bytes = Max(reading_peak, (double)MemoryContextMemAllocated(run_context, true) +
	                                          (double)data.bytes() + (double)scratch);

	if (rows.skipped > 0 || data.duplicates > 0)
		ereport(NOTICE,
		        (errmsg("skipped %lld rows with a NULL user, item or rating; merged %zu "
		                "duplicate (user, item) rows (%s)",
		                (long long)rows.skipped, data.duplicates,
		                policy == pgrec::DuplicatePolicy::Mean ? "mean rating" : "summed")));

	// Between epochs every pending interrupt is serviced; inside one only a cancel or
	// terminate stops it, so other interrupts never change the factors.
	double *losses = (double *)palloc(sizeof(double) * h.epochs);
	for (int epoch = 0; epoch < h.epochs; epoch++)
	{
		instr_time epoch_start;
		INSTR_TIME_SET_CURRENT(epoch_start);
		CHECK_FOR_INTERRUPTS();
		CORE_CALL(run->trainer->run_epoch(cancel));
		losses[epoch] = run->trainer->loss();
		if (pgrec_progress)
			ereport(NOTICE, (errmsg("epoch %d of %d: loss %.6f, %.3f s", epoch + 1, h.epochs,
			                        losses[epoch], seconds_since(epoch_start))));
	}

	ModelRecord record = {};
	record.name = r.name;
	record.algorithm = r.algorithm;
	record.hyperparameters = h;
	record.factors = h.factors;
	record.global_mean = run->trainer->global_mean();
	record.has_rating_range = r.rating_column != NULL;
	record.rating_min = data.min_value;
	record.rating_max = data.max_value;
	record.interactions = (int64)data.nnz();
	record.source = r.source;
	record.source_search_path = r.search_path;
	record.user_column = r.user_column;
	record.item_column = r.item_column;
	record.rating_column = r.rating_column;
	record.training_seconds = seconds_since(start);
	record.peak_memory_bytes = (int64)peak_bytes;
	record.loss_history = losses;
	record.epochs = h.epochs;

	record.item_features = r.item_features;
	record.user_features = r.user_features;
	record.text_search_config = r.text_search_config;

	TrainingResult result;
	int32 version;
	ModelRows model = model_rows(*r.algorithm, data, buffers.user_factors, buffers.item_factors,
	                             buffers.user_bias, buffers.item_bias, run->trainer->neighbors());
	model.network = run->trainer->network();
	const pgrec::FeatureModel *learnt = run->trainer->feature_model();
	if ((r.item_features || r.user_features) && learnt == NULL)
		elog(ERROR, "algorithm %s learnt nothing from the features", r.algorithm->name);
	if (r.item_features)
		model.item_features = {&run->item_features, &features.items, &data.item_features,
		                       &learnt->items};
	if (r.user_features)
		model.user_features = {&run->user_features, &features.users, &data.user_features,
		                       &learnt->users};
	instr_time write_start;
	INSTR_TIME_SET_CURRENT(write_start);
	SPI_connect();
	result.model_id = store_model(&record, model, &version);
	SPI_finish();
	ereport(DEBUG1, (errmsg("wrote %zu user and %zu item rows in %.3f s", data.users(),
	                        data.items(), seconds_since(write_start))));
	result.users = data.users();
	result.items = data.items();
	result.interactions = data.nnz();
	result.skipped = rows.skipped;
	result.duplicates = data.duplicates;
	result.seconds = seconds_since(start);
	result.final_loss = losses[h.epochs - 1];
	result.peak_mb = peak_bytes / 1048576.0;
	MemoryContextDelete(run_context);
	return result;
}

// The training's result row.
static Datum result_row(FunctionCallInfo fcinfo, const TrainingResult &t)
{
	TupleDesc desc;
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "pgrec.train must return a composite type");
	Datum values[9] = {Int64GetDatum(t.model_id),     Int64GetDatum((int64)t.users),
	                   Int64GetDatum((int64)t.items), Int64GetDatum((int64)t.interactions),
	                   Int64GetDatum(t.skipped),      Int64GetDatum((int64)t.duplicates),
	                   Float8GetDatum(t.seconds),     Float8GetDatum(t.final_loss),
	                   Float8GetDatum(t.peak_mb)};
	bool nulls[9] = {false};
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

// Takes the model's lock and reads its current version (checking the caller may replace it);
// returns it, or NULL for a new name.
static ModelCatalog *lock_and_read(const char *name, const char *action)
{
	MemoryContext caller = CurrentMemoryContext;
	ModelCatalog *current = (ModelCatalog *)palloc0(sizeof(ModelCatalog));
	SPI_connect();
	bool exists = begin_model_write(name, action, caller, current);
	SPI_finish();
	return exists ? current : NULL;
}

Datum pgrec_train(PG_FUNCTION_ARGS)
{
	require_writable("pgrec.train()");
	TrainingRequest r = {};
	r.name = required_string(fcinfo, ARG_MODEL_NAME, "model name", false);
	r.user_column = required_string(fcinfo, ARG_USER_COLUMN, "user column", true);
	r.item_column = required_string(fcinfo, ARG_ITEM_COLUMN, "item column", true);
	r.rating_column = PG_ARGISNULL(ARG_RATING_COLUMN)
	                      ? NULL
	                      : pstrdup(NameStr(*PG_GETARG_NAME(ARG_RATING_COLUMN)));
	r.algorithm =
	    lookup_algorithm(required_string(fcinfo, ARG_ALGORITHM, "algorithm", false), true);
	r.h = read_hyperparameters(fcinfo, r.algorithm, &r.given);
	if (r.rating_column == NULL && pgrec::trains_on_ratings(*r.algorithm, r.h) &&
	    !r.algorithm->explicit_feedback)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("loss \"squared\" needs a rating column"),
		                errhint("Give rating_column, or choose a loss for implicit feedback.")));
	char *description;
	r.query = interaction_source_query(fcinfo, ARG_SOURCE, r.user_column, r.item_column,
	                                   r.rating_column, &description);
	r.source = description;
	r.warm_start = !PG_ARGISNULL(ARG_WARM_START) && PG_GETARG_BOOL(ARG_WARM_START);
	r.item_features = PG_ARGISNULL(ARG_ITEM_FEATURES)
	                      ? NULL
	                      : text_to_cstring(PG_GETARG_TEXT_PP(ARG_ITEM_FEATURES));
	r.user_features = PG_ARGISNULL(ARG_USER_FEATURES)
	                      ? NULL
	                      : text_to_cstring(PG_GETARG_TEXT_PP(ARG_USER_FEATURES));
	// Feature sources are stored as given, so they need the search_path as a query does.
	r.search_path =
	    interaction_source_is_query(fcinfo, ARG_SOURCE) || r.item_features || r.user_features
	        ? pstrdup(GetConfigOption("search_path", false, false))
	        : NULL;
	if (r.item_features || r.user_features)
	{
		if (PG_ARGISNULL(ARG_TEXT_SEARCH_CONFIG))
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("text_search_config must not be NULL")));
		r.text_search_config = PG_GETARG_OID(ARG_TEXT_SEARCH_CONFIG);
	}
	check_feature_sources(r);
	if (strlen(r.name) == 0)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("model name must not be empty")));
	ModelCatalog *current = lock_and_read(r.name, "replace");
	return result_row(fcinfo, run_training(r, current));
}

// retrain_model(model_name, warm_start, epochs): trains the model again from its stored
// source and hyper-parameters, reading the source with its owner's rights.
Datum pgrec_retrain_model(PG_FUNCTION_ARGS)
{
	require_writable("pgrec.retrain()");
	char *name = required_string(fcinfo, 0, "model name", false);
	ModelCatalog *current = lock_and_read(name, "retrain");
	if (current == NULL)
		ereport(ERROR,
		        (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("model \"%s\" does not exist", name)));
	if (current->algorithm->make_trainer == NULL)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("model \"%s\" was imported and cannot be retrained", name),
		                errhint("Import the new factors with pgrec.import_model().")));
	TrainingRequest r = {};
	r.name = name;
	r.algorithm = current->algorithm;
	r.h = current->hyperparameters;
	r.given = ~0u; // the stored values, data-dependent defaults included
	if (!PG_ARGISNULL(2))
	{
		if ((r.algorithm->parameters & pgrec::kEpochs) == 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("epochs does not apply to algorithm %s", r.algorithm->name),
			                errhint("Leave it NULL: the algorithm is computed in closed form.")));
		r.h.epochs = PG_GETARG_INT32(2);
	}
	r.h.threads = effective_threads();
	CORE_CALL(pgrec::validate(*r.algorithm, r.h));
	r.user_column = current->user_column;
	r.item_column = current->item_column;
	r.rating_column = current->rating_column;
	r.source = current->source;
	r.search_path = current->source_search_path;
	r.source_role = current->owner;
	r.warm_start = PG_ARGISNULL(1) || PG_GETARG_BOOL(1);
	r.item_features = current->item_features;
	r.user_features = current->user_features;
	r.text_search_config = current->text_search_config;
	// The stored source is resolved as its owner, with the search_path it was trained with.
	SavedRights rights;
	enter_owner_rights(r.source_role, r.search_path, &rights);
	char *description;
	r.query = interaction_query_from_text(r.source, r.user_column, r.item_column, r.rating_column,
	                                      &description);
	leave_rights(&rights);
	return result_row(fcinfo, run_training(r, current));
}
