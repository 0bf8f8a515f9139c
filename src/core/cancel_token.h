// The cancellation contract of long core calls: the pg zone hands in a token that reports a
// cancel or terminate request only, and long loops call check(), which throws Cancelled.
#pragma once

#include "core_errors.h"

#include <csignal>

namespace pgrec
{

// Reports whether the caller asked the running call to stop. The flags are the caller's (the
// pg zone points them at QueryCancelPending and ProcDiePending); null flags never fire. Reading
// them from worker threads is safe: they are single sig_atomic_t words set by signal handlers.
struct CancelToken
{
	const volatile sig_atomic_t *cancel = nullptr;
	const volatile sig_atomic_t *terminate = nullptr;

	bool requested() const
	{
		return (cancel != nullptr && *cancel != 0) || (terminate != nullptr && *terminate != 0);
	}
	// Throws Cancelled when a stop was requested.
	void check() const
	{
		if (requested())
			throw Cancelled("canceled");
	}
};

// A token that never fires, for callers with nothing to cancel (tests, tools).
inline const CancelToken &no_cancel()
{
	static const CancelToken token;
	return token;
}

} // namespace pgrec
