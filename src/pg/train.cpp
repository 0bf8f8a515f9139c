// pgrec.train(): reads the interactions, trains one epoch at a time in the C++ core (progress
// NOTICEs and interrupt checks between and inside epochs) and stores the model.
#include "postgres_headers.h"

#include "core_guard.h"
#include "interaction_source.h"
#include "model_loader.h"
#include "model_store.h"
#include "owned_object.h"
#include "settings.h"

#include "../core/training.h"

extern "C"
{
#include "access/htup_details.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
}

#include <cmath>

PGREC_FUNCTION(pgrec_train)

// Positions of pgrec.train's arguments.
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
	ARG_WARM_START
};

// The C++ objects of one training run, owned by the run's memory context (owned_object.h).
struct TrainingRun
{
	pgrec::Interactions data;
	std::unique_ptr<pgrec::Trainer> trainer;
};

// The defaults of each algorithm, tuned on ML-1M (als) and Gowalla (ials, bpr): bench/README.md.
static pgrec::Hyperparameters algorithm_defaults(const char *name)
{
	pgrec::Hyperparameters h;
	if (strcmp(name, "als") == 0)
	{
		h.algorithm = pgrec::Algorithm::Als;
		h.epochs = 8;
		h.regularization = 0.22;
		h.bias_regularization = 0.05;
		h.regularization_exponent = 0.8;
	}
	else if (strcmp(name, "ials") == 0)
	{
		h.algorithm = pgrec::Algorithm::Ials;
		h.epochs = 10;
		h.regularization = 3.0;
		h.alpha = 40.0;
		h.regularization_exponent = 0.5;
	}
	else if (strcmp(name, "bpr") == 0)
	{
		h.algorithm = pgrec::Algorithm::Bpr;
		h.epochs = 50;
		h.regularization = 0.005;
		h.learning_rate = 0.05;
	}
	else
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("unknown algorithm \"%s\"", name),
		         errhint("Use 'als' (explicit ratings), 'ials' (implicit feedback) or 'bpr' "
		                 "(implicit feedback, pairwise ranking).")));
	return h;
}

// Reads a required text or name argument, ereporting 22004 if it is NULL.
static char *required_string(FunctionCallInfo fcinfo, int argno, const char *what, bool is_name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", what)));
	return is_name ? pstrdup(NameStr(*PG_GETARG_NAME(argno)))
	               : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

// Overrides *value with a float8 argument when it is not NULL.
static void optional_double(FunctionCallInfo fcinfo, int argno, double *value)
{
	if (!PG_ARGISNULL(argno))
		*value = PG_GETARG_FLOAT8(argno);
}

// The hyper-parameters from the algorithm's defaults and the arguments given.
static pgrec::Hyperparameters read_hyperparameters(FunctionCallInfo fcinfo, const char *algorithm)
{
	pgrec::Hyperparameters h = algorithm_defaults(algorithm);
	if (!PG_ARGISNULL(ARG_FACTORS))
		h.factors = PG_GETARG_INT32(ARG_FACTORS);
	if (!PG_ARGISNULL(ARG_EPOCHS))
		h.epochs = PG_GETARG_INT32(ARG_EPOCHS);
	optional_double(fcinfo, ARG_REGULARIZATION, &h.regularization);
	optional_double(fcinfo, ARG_ALPHA, &h.alpha);
	optional_double(fcinfo, ARG_LEARNING_RATE, &h.learning_rate);
	optional_double(fcinfo, ARG_BIAS_REGULARIZATION, &h.bias_regularization);
	optional_double(fcinfo, ARG_REGULARIZATION_EXPONENT, &h.regularization_exponent);
	optional_double(fcinfo, ARG_INIT_SCALE, &h.init_scale);
	if (!PG_ARGISNULL(ARG_SEED))
		h.seed = (uint64_t)PG_GETARG_INT64(ARG_SEED);
	h.threads = pgrec_threads;
	CORE_CALL(pgrec::validate(h));
	return h;
}

// The hyper-parameters as the JSON stored in pgrec.models.
static char *hyperparameters_json(const pgrec::Hyperparameters &h, const char *algorithm)
{
	StringInfoData s;
	initStringInfo(&s);
	appendStringInfo(&s,
	                 "{\"algorithm\": \"%s\", \"factors\": %d, \"epochs\": %d, "
	                 "\"regularization\": %.17g, \"alpha\": %.17g, \"learning_rate\": %.17g, "
	                 "\"seed\": %lld, \"bias_regularization\": %.17g, "
	                 "\"regularization_exponent\": %.17g, \"init_scale\": %.17g, \"cg_steps\": %d, "
	                 "\"threads\": %d}",
	                 algorithm, h.factors, h.epochs, h.regularization, h.alpha, h.learning_rate,
	                 (long long)h.seed, h.bias_regularization, h.regularization_exponent,
	                 h.init_scale, h.cg_steps, h.threads);
	return s.data;
}

static double seconds_since(instr_time start)
{
	instr_time now;
	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	return INSTR_TIME_GET_DOUBLE(now);
}

// Copies one side's rows of the current model into the new buffers, matching external ids.
static size_t copy_side(const int64 *old_ids, size_t old_count, const float *old_factors,
                        const float *old_bias, const std::vector<int64_t> &ids, float *factors,
                        float *bias, int k)
{
	size_t copied = 0;
	for (size_t r = 0; r < ids.size(); r++)
	{
		int64 old = dense_index(old_ids, old_count, ids[r]);
		if (old < 0)
			continue;
		memcpy(factors + r * k, old_factors + old * k, sizeof(float) * k);
		if (bias && old_bias)
			bias[r] = old_bias[old];
		copied++;
	}
	return copied;
}

// Starts from the factors of the current model of this name, for the users and items it
// knows, when it has the same algorithm and factors; reports what it did in a NOTICE.
static void warm_start(const char *name, const char *algorithm, int factors,
                       const pgrec::Interactions &data, const pgrec::FactorBuffers &b,
                       MemoryContext context)
{
	Oid types[3] = {TEXTOID, TEXTOID, INT4OID};
	Datum values[3] = {CStringGetTextDatum(name), CStringGetTextDatum(algorithm),
	                   Int32GetDatum(factors)};
	SPI_connect();
	bool exists =
	    SPI_execute_with_args(
	        "SELECT 1 FROM pgrec.models WHERE name OPERATOR(pg_catalog.=) $1 "
	        "AND algorithm OPERATOR(pg_catalog.=) $2 AND factors OPERATOR(pg_catalog.=) $3",
	        3, types, values, NULL, true, 1) == SPI_OK_SELECT &&
	    SPI_processed == 1;
	if (!exists)
	{
		SPI_finish();
		ereport(NOTICE, (errmsg("no current model \"%s\" with algorithm %s and %d factors: "
		                        "starting from random factors",
		                        name, algorithm, factors)));
		return;
	}
	LoadedModel old;
	load_model(name, context, &old);
	SPI_finish();
	size_t users = copy_side(old.user_ids, old.users, old.user_factors, old.user_bias,
	                         data.user_ids, b.user_factors, b.user_bias, factors);
	size_t items = copy_side(old.item_ids, old.items, old.item_factors, old.item_bias,
	                         data.item_ids, b.item_factors, b.item_bias, factors);
	ereport(NOTICE, (errmsg("warm start from version %d: %zu of %zu users and %zu of %zu items "
	                        "start from their current factors",
	                        old.version, users, data.users(), items, data.items())));
}

Datum pgrec_train(PG_FUNCTION_ARGS)
{
	instr_time start;
	INSTR_TIME_SET_CURRENT(start);

	char *name = required_string(fcinfo, ARG_MODEL_NAME, "model name", false);
	char *user_column = required_string(fcinfo, ARG_USER_COLUMN, "user column", true);
	char *item_column = required_string(fcinfo, ARG_ITEM_COLUMN, "item column", true);
	char *rating_column = PG_ARGISNULL(ARG_RATING_COLUMN)
	                          ? NULL
	                          : pstrdup(NameStr(*PG_GETARG_NAME(ARG_RATING_COLUMN)));
	char *algorithm = required_string(fcinfo, ARG_ALGORITHM, "algorithm", false);
	pgrec::Hyperparameters h = read_hyperparameters(fcinfo, algorithm);
	char *description;
	char *query = interaction_source_query(fcinfo, ARG_SOURCE, user_column, item_column,
	                                       rating_column, &description);
	if (strlen(name) == 0)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("model name must not be empty")));
	TupleDesc result_desc;
	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "pgrec.train must return a composite type");

	MemoryContext run_context =
	    AllocSetContextCreate(CurrentMemoryContext, "pgrec training", ALLOCSET_DEFAULT_SIZES);
	size_t limit = training_memory_limit_bytes();
	size_t per_row = pgrec::kInteractionPeakBytesPerRow;
	InteractionArrays rows = {};

	SPI_connect();
	read_interactions(query, rating_column != NULL, limit, per_row, run_context, &rows);
	SPI_finish();
	if (rows.count == 0)
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("no interactions to train on"),
		                rows.skipped > 0
		                    ? errdetail_plural(
		                          "The %lld row of the source has a NULL user, item or rating.",
		                          "All %lld rows of the source have a NULL user, item or rating.",
		                          (unsigned long)rows.skipped, (long long)rows.skipped)
		                    : errdetail("The source returned no rows.")));
	if (h.algorithm != pgrec::Algorithm::Als)
		for (size_t r = 0; r < rows.count; r++)
			if (rows.values[r] < 0.0f)
				ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
				                errmsg("implicit feedback must not be negative"),
				                errdetail("User %lld has value %g for item %lld.",
				                          (long long)rows.users[r], (double)rows.values[r],
				                          (long long)rows.items[r]),
				                errhint("Use algorithm 'als' for explicit ratings, or filter "
				                        "the source.")));

	// Build the matrix; the run's C++ objects are freed with run_context.
	TrainingRun *run = new_owned_by<TrainingRun>(run_context);
	CORE_CALL(run->data = pgrec::build_interactions(rows.users, rows.items,
	                                                rating_column ? rows.values : NULL, rows.count,
	                                                pgrec::duplicate_policy(h.algorithm)));
	const pgrec::Interactions &data = run->data;
	double reading_peak = (double)MemoryContextMemAllocated(run_context, true) +
	                      (double)rows.count * pgrec::kInteractionPeakBytesPerRow;
	pfree(rows.users);
	pfree(rows.items);
	pfree(rows.values);

	size_t k = (size_t)h.factors;
	double factor_bytes = (double)(data.users() + data.items()) * (k + 1) * sizeof(float);
	size_t scratch = pgrec::trainer_scratch_bytes(h, data);
	if ((double)data.bytes() + factor_bytes + (double)scratch > (double)limit)
		ereport(ERROR,
		        (errcode(ERRCODE_OUT_OF_MEMORY),
		         errmsg("the model needs more memory than pgrec.training_memory_limit allows"),
		         errdetail("%zu users and %zu items with %d factors need about %s; the "
		                   "limit is %s.",
		                   data.users(), data.items(), h.factors,
		                   pretty_size((double)data.bytes() + factor_bytes + (double)scratch),
		                   pretty_size((double)limit)),
		         errhint("Raise pgrec.training_memory_limit (or maintenance_work_mem), or "
		                 "lower factors.")));
	bool biases = pgrec::has_biases(h.algorithm);
	pgrec::FactorBuffers buffers = {zeroed_floats(run_context, data.users() * k),
	                                zeroed_floats(run_context, data.items() * k),
	                                biases ? zeroed_floats(run_context, data.users()) : NULL,
	                                biases ? zeroed_floats(run_context, data.items()) : NULL};
	CORE_CALL(run->trainer = pgrec::make_trainer(data, h, buffers));
	if (!PG_ARGISNULL(ARG_WARM_START) && PG_GETARG_BOOL(ARG_WARM_START))
		warm_start(name, algorithm, h.factors, data, buffers, run_context);
	double peak_bytes = Max(reading_peak, (double)MemoryContextMemAllocated(run_context, true) +
	                                          (double)data.bytes() + (double)scratch);

	if (rows.skipped > 0 || data.duplicates > 0)
		ereport(NOTICE, (errmsg("skipped %lld rows with a NULL user, item or rating; merged %zu "
		                        "duplicate (user, item) rows (%s)",
		                        (long long)rows.skipped, data.duplicates,
		                        h.algorithm == pgrec::Algorithm::Als ? "mean rating" : "summed")));

	double *losses = (double *)palloc(sizeof(double) * h.epochs);
	for (int epoch = 0; epoch < h.epochs; epoch++)
	{
		instr_time epoch_start;
		INSTR_TIME_SET_CURRENT(epoch_start);
		bool finished = false;
		while (!finished)
		{
			CORE_CALL(finished = run->trainer->run_epoch(&InterruptPending));
			CHECK_FOR_INTERRUPTS();
		}
		losses[epoch] = run->trainer->loss();
		if (pgrec_progress)
			ereport(NOTICE, (errmsg("epoch %d of %d: loss %.6f, %.3f s", epoch + 1, h.epochs,
			                        losses[epoch], seconds_since(epoch_start))));
	}
	double training_seconds = seconds_since(start);

	ModelRecord record = {};
	record.name = name;
	record.algorithm = algorithm;
	record.hyperparameters = hyperparameters_json(h, algorithm);
	record.factors = h.factors;
	record.global_mean = run->trainer->global_mean();
	record.has_rating_range = rating_column != NULL;
	record.rating_min = data.min_value;
	record.rating_max = data.max_value;
	record.source = description;
	record.user_column = user_column;
	record.item_column = item_column;
	record.rating_column = rating_column;
	record.training_seconds = training_seconds;
	record.peak_memory_bytes = (int64)peak_bytes;
	record.loss_history = losses;
	record.epochs = h.epochs;

	SPI_connect();
	int64 model_id = store_model(&record, data, buffers.user_factors, buffers.item_factors,
	                             buffers.user_bias, buffers.item_bias);
	SPI_finish();

	Datum values[9];
	bool nulls[9] = {false};
	values[0] = Int64GetDatum(model_id);
	values[1] = Int64GetDatum((int64)data.users());
	values[2] = Int64GetDatum((int64)data.items());
	values[3] = Int64GetDatum((int64)data.nnz());
	values[4] = Int64GetDatum(rows.skipped);
	values[5] = Int64GetDatum((int64)data.duplicates);
	values[6] = Float8GetDatum(seconds_since(start));
	values[7] = Float8GetDatum(losses[h.epochs - 1]);
	values[8] = Float8GetDatum(peak_bytes / 1048576.0);
	MemoryContextDelete(run_context);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(result_desc), values, nulls)));
}
