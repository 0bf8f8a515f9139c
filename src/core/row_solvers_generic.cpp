// The row solvers for baseline x86-64 (or any other CPU).
#define ROW_SOLVERS_TABLE generic_row_solver_table
#define ROW_SOLVERS_NAME  "generic"
#include "row_solvers_impl.h"

const pgrec::RowSolvers &pgrec::generic_row_solvers() noexcept
{
	return *generic_row_solver_table();
}
