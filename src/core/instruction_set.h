// The one decision of which instruction set this process's kernels use: the widest of AVX-512
// (with FMA), AVX2 with FMA and baseline x86-64 that the CPU has, capped by PGREC_KERNELS. The
// scan kernels (kernels.h), ease's dense blocks (dense_blocks.h) and the ALS row solvers
// (row_solvers.h) all pick their build from it.
#pragma once

namespace pgrec
{

enum class InstructionSet
{
	Generic,
	Avx2,
	Avx512
};

// Chosen once, at first use. PGREC_KERNELS=generic|avx2|avx512 caps it, for tests and
// benchmarks; it never names a set the CPU lacks.
InstructionSet instruction_set() noexcept;

// Of a family's builds (null when not compiled in; generic always is), the widest up to
// instruction_set().
template <class Build>
const Build *widest_build(const Build *generic, const Build *avx2, const Build *avx512) noexcept
{
	InstructionSet set = instruction_set();
	if (set == InstructionSet::Avx512 && avx512)
		return avx512;
	if (set != InstructionSet::Generic && avx2)
		return avx2;
	return generic;
}

} // namespace pgrec
