// The kernel tables of every instruction set this CPU runs (the dispatcher's choice is one of
// them), for the tests that hold each against the generic build.
#pragma once

#include "kernels.h"

#include <vector>

inline std::vector<const pgrec::KernelTable *> runnable_tables()
{
	std::vector<const pgrec::KernelTable *> tables = {pgrec::generic_kernels()};
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (pgrec::avx2_kernels() && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		tables.push_back(pgrec::avx2_kernels());
	if (pgrec::avx512_kernels() && __builtin_cpu_supports("avx512f"))
		tables.push_back(pgrec::avx512_kernels());
#endif
	return tables;
}
