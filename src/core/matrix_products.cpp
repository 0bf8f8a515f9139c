// Picks, once, the matrix products of the instruction set chosen for this CPU (instruction_set.h).
#include "matrix_products.h"

#include "instruction_set.h"

#include "core_only.h"

namespace pgrec
{

const MatrixProducts &matrix_products() noexcept
{
	static const MatrixProducts *const chosen =
	    widest_build(&generic_matrix_products(), avx2_matrix_products(), avx512_matrix_products());
	return *chosen;
}

} // namespace pgrec
