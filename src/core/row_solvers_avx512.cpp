// The row solvers for CPUs with AVX-512F and FMA: compiled with -mavx512f -mfma, with Eigen's
// namespace renamed so that none of its functions built here is shared with another build.
#include "row_solvers.h"

#if defined(__AVX512F__) && defined(__FMA__)
#define Eigen             EigenAvx512
#define ROW_SOLVERS_TABLE avx512_row_solver_table
#define ROW_SOLVERS_NAME  "avx512"
#include "row_solvers_impl.h"

const pgrec::RowSolvers *pgrec::avx512_row_solvers() noexcept
{
	return avx512_row_solver_table();
}
#else
const pgrec::RowSolvers *pgrec::avx512_row_solvers() noexcept
{
	return nullptr;
}
#endif
