// Picks, once, the row solvers of the instruction set chosen for this CPU (instruction_set.h),
// AVX-512 for wide rows only.
#include "row_solvers.h"

#include "instruction_set.h"

#include "core_only.h"

namespace pgrec
{

const RowSolvers &row_solvers(int dim) noexcept
{
	static const RowSolvers *const narrow =
	    widest_build<RowSolvers>(&generic_row_solvers(), avx2_row_solvers(), nullptr);
	static const RowSolvers *const wide =
	    widest_build(&generic_row_solvers(), avx2_row_solvers(), avx512_row_solvers());
	return dim > kNarrowRowDim ? *wide : *narrow;
}

} // namespace pgrec
