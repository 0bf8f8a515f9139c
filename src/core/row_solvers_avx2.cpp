// The row solvers for CPUs with AVX2 and FMA: compiled with -mavx2 -mfma, with Eigen's namespace
// renamed so that none of its functions built here is shared with another build.
#include "row_solvers.h"

#if defined(__AVX2__) && defined(__FMA__)
#define Eigen             EigenAvx2
#define ROW_SOLVERS_TABLE avx2_row_solver_table
#define ROW_SOLVERS_NAME  "avx2"
#include "row_solvers_impl.h"

const pgrec::RowSolvers *pgrec::avx2_row_solvers() noexcept
{
	return avx2_row_solver_table();
}
#else
const pgrec::RowSolvers *pgrec::avx2_row_solvers() noexcept
{
	return nullptr;
}
#endif
