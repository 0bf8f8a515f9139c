// pgrec.algorithms(): the algorithm registry as a table, so that SQL callers (tune, retrain,
// applications) ask the registry instead of comparing algorithm names.
#include "postgres_headers.h"

#include "core_guard.h"

#include "../core/algorithm_registry.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"
}

PGREC_FUNCTION(pgrec_algorithms)
PGREC_FUNCTION(pgrec_trains_on_ratings)

// The feature source arguments of pgrec.train in the FeatureSide mask `sides`, as a text[].
static Datum feature_arguments(unsigned sides)
{
	Datum names[2];
	int n = 0;
	if (sides & pgrec::kItemFeatures)
		names[n++] = CStringGetTextDatum("item_features");
	if (sides & pgrec::kUserFeatures)
		names[n++] = CStringGetTextDatum("user_features");
	return PointerGetDatum(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT));
}

// algorithms() -> (name, description, explicit_feedback, trainable, parameters, loss, features,
// required_features)
Datum pgrec_algorithms(PG_FUNCTION_ARGS)
{
	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	for (size_t a = 0; a < pgrec::kAlgorithmCount; a++)
	{
		const pgrec::AlgorithmEntry &entry = pgrec::kAlgorithms[a];
		Datum names[pgrec::kParameterSpecCountMax];
		int n = 0;
		for (size_t p = 0; p < pgrec::kParameterSpecCount; p++)
			if (entry.parameters & pgrec::kParameterSpecs[p].bit)
				names[n++] = CStringGetTextDatum(pgrec::kParameterSpecs[p].name);
		Datum values[8] = {
		    CStringGetTextDatum(entry.name),
		    CStringGetTextDatum(entry.description),
		    BoolGetDatum(entry.explicit_feedback),
		    BoolGetDatum(entry.make_trainer != NULL),
		    PointerGetDatum(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT)),
		    CStringGetTextDatum(entry.loss),
		    feature_arguments(entry.feature_sides),
		    feature_arguments(entry.needs_features)};
		bool nulls[8] = {false, false, false, false, false, false, false, false};
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum)0;
}

// trains_on_ratings(algorithm, loss DEFAULT NULL): whether a model of the algorithm with that
// loss (NULL: its default) trains on explicit ratings (hybrid with loss 'squared' does); NULL for
// an unknown algorithm or NULL algorithm; 22023 for a loss it does not know or take.
Datum pgrec_trains_on_ratings(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	const pgrec::AlgorithmEntry *entry =
	    pgrec::find_algorithm(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	if (entry == NULL)
		PG_RETURN_NULL();
	pgrec::Hyperparameters h = entry->defaults;
	if (!PG_ARGISNULL(1))
	{
		const pgrec::ParameterSpec &spec = *pgrec::find_parameter("loss");
		if ((entry->parameters & spec.bit) == 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("algorithm %s takes no loss", entry->name)));
		const char *loss = text_to_cstring(PG_GETARG_TEXT_PP(1));
		CORE_CALL(h.loss = pgrec::parameter_choice(spec, loss, entry));
	}
	PG_RETURN_BOOL(pgrec::trains_on_ratings(*entry, h));
}
