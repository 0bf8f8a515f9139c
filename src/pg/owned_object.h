// C++ objects that live across PostgreSQL calls: created with `new` inside the core guard and
// deleted by a reset callback of a memory context, so that an ERROR anywhere frees them too.
#pragma once

#include "core_guard.h"

extern "C"
{
#include "utils/memutils.h"
}

template <class T> void delete_owned_object(void *object)
{
	delete static_cast<T *>(object);
}

// A new T() that is deleted when context is reset or deleted. May ereport (out of memory).
template <class T> T *new_owned_by(MemoryContext context)
{
	MemoryContextCallback *callback =
	    (MemoryContextCallback *)MemoryContextAlloc(context, sizeof(MemoryContextCallback));
	T *object = NULL;
	CORE_CALL(object = new T());
	callback->func = delete_owned_object<T>;
	callback->arg = object;
	MemoryContextRegisterResetCallback(context, callback);
	return object;
}
