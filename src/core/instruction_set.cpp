// Reads the CPU's features once (and the PGREC_KERNELS cap) to pick the instruction set.
#include "instruction_set.h"

#include <cstdlib>
#include <cstring>

#include "core_only.h"

namespace pgrec
{

namespace
{

// The widest set PGREC_KERNELS allows (all of them when it is unset or unknown).
InstructionSet cap()
{
	const char *value = std::getenv("PGREC_KERNELS");
	if (value != nullptr && std::strcmp(value, "generic") == 0)
		return InstructionSet::Generic;
	if (value != nullptr && std::strcmp(value, "avx2") == 0)
		return InstructionSet::Avx2;
	return InstructionSet::Avx512;
}

InstructionSet detect()
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"))
		return InstructionSet::Avx512;
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return InstructionSet::Avx2;
#endif
	return InstructionSet::Generic;
}

} // namespace

InstructionSet instruction_set() noexcept
{
	static const InstructionSet chosen = []
	{
		InstructionSet cpu = detect(), allowed = cap();
		return static_cast<int>(cpu) < static_cast<int>(allowed) ? cpu : allowed;
	}();
	return chosen;
}

} // namespace pgrec
