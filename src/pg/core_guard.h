// The one way the pg zone calls the C++ core: run_core() runs a call inside try, copies any
// exception into plain data, and raise_core_error() then reports it with its SQLSTATE.
#pragma once

#include "postgres_headers.h"

#include "../core/cancel_token.h"
#include "../core/core_errors.h"

#include <cstdio>
#include <exception>
#include <new>

// What kind of exception the core threw.
enum class CoreErrorKind
{
	OutOfMemory,       // std::bad_alloc: 53200
	InvalidArgument,   // pgrec::InvalidArgument: 22023
	DataError,         // pgrec::DataError: 22000
	NumericDivergence, // pgrec::NumericDivergence: 22003, with a hint
	Cancelled,         // pgrec::Cancelled: the pending cancel or terminate is processed
	Internal           // anything else: XX000
};

// A core exception copied out of its catch block, so that no C++ frame is live when the
// error is raised.
struct CoreError
{
	CoreErrorKind kind;
	char message[512];
};

// Copies the message of the exception being handled into error.
inline void copy_message(CoreError *error, const char *message)
{
	std::snprintf(error->message, sizeof error->message, "%s", message);
}

// Runs call(); returns true, or false with *error filled if it threw. Never throws, never
// calls PostgreSQL.
template <class Call> bool run_core(CoreError *error, Call &&call) noexcept
{
	try
	{
		call();
		return true;
	}
	catch (const std::bad_alloc &)
	{
		error->kind = CoreErrorKind::OutOfMemory;
		copy_message(error, "out of memory");
	}
	catch (const pgrec::InvalidArgument &e)
	{
		error->kind = CoreErrorKind::InvalidArgument;
		copy_message(error, e.what());
	}
	catch (const pgrec::DataError &e)
	{
		error->kind = CoreErrorKind::DataError;
		copy_message(error, e.what());
	}
	catch (const pgrec::NumericDivergence &e)
	{
		error->kind = CoreErrorKind::NumericDivergence;
		copy_message(error, e.what());
	}
	catch (const pgrec::Cancelled &e)
	{
		error->kind = CoreErrorKind::Cancelled;
		copy_message(error, e.what());
	}
	catch (const std::exception &e)
	{
		error->kind = CoreErrorKind::Internal;
		copy_message(error, e.what());
	}
	catch (...)
	{
		error->kind = CoreErrorKind::Internal;
		copy_message(error, "unknown C++ exception");
	}
	return false;
}

// The token long core calls get: it fires on a pending query cancel (pg_cancel_backend,
// statement_timeout) or terminate only; other interrupts wait until the call returns.
pgrec::CancelToken backend_cancel_token();

// Raises ERROR for a failed core call with the SQLSTATE of its kind. Does not return.
pg_attribute_noreturn() void raise_core_error(const CoreError *error);

// Runs call() through run_core and raises its error, if any, after leaving the catch block.
#define CORE_CALL(...)                                                                             \
	do                                                                                             \
	{                                                                                              \
		CoreError core_error_;                                                                     \
		if (!run_core(&core_error_, [&]() { __VA_ARGS__; }))                                       \
			raise_core_error(&core_error_);                                                        \
	} while (0)
