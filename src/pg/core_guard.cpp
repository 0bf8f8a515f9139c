// Turns a core exception, already copied into a CoreError, into ereport(ERROR) with the SQLSTATE
// that matches its kind, and hands long core calls the backend's cancellation token.
#include "core_guard.h"

extern "C"
{
#include "miscadmin.h"
}

pgrec::CancelToken backend_cancel_token()
{
	pgrec::CancelToken token;
	token.cancel = &QueryCancelPending;
	token.terminate = &ProcDiePending;
	return token;
}

void raise_core_error(const CoreError *error)
{
	switch (error->kind)
	{
	case CoreErrorKind::OutOfMemory:
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory"),
		                errdetail("The C++ core of pgrec could not allocate memory.")));
		break;
	case CoreErrorKind::InvalidArgument:
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", error->message)));
		break;
	case CoreErrorKind::DataError:
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("%s", error->message)));
		break;
	case CoreErrorKind::NumericDivergence:
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("%s", error->message),
		                errhint("Lower learning_rate or init_scale, or raise regularization.")));
		break;
	case CoreErrorKind::Cancelled:
		// The pending interrupt raises its own error (57014, or 57P01 for terminate).
		CHECK_FOR_INTERRUPTS();
		ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED),
		                errmsg("canceling statement due to user request")));
		break;
	case CoreErrorKind::Internal:
		break;
	}
	ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
	                errmsg("internal error in pgrec: %s", error->message)));
}
