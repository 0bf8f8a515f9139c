// pgrec.algorithms(): the algorithm registry as a table, so that SQL callers (tune, retrain,
// applications) ask the registry instead of comparing algorithm names.
#include "postgres_headers.h"

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

// algorithms() -> (name, description, explicit_feedback, trainable, parameters, loss)
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
		Datum values[6] = {
		    CStringGetTextDatum(entry.name),
		    CStringGetTextDatum(entry.description),
		    BoolGetDatum(entry.explicit_feedback),
		    BoolGetDatum(entry.make_trainer != NULL),
		    PointerGetDatum(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT)),
		    CStringGetTextDatum(entry.loss)};
		bool nulls[6] = {false, false, false, false, false, false};
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum)0;
}
