// The matrix products for baseline x86-64 (or any other CPU).
#define MATRIX_PRODUCTS_TABLE generic_matrix_product_table
#define MATRIX_PRODUCTS_NAME  "generic"
#include "matrix_products_impl.h"

const pgrec::MatrixProducts &pgrec::generic_matrix_products() noexcept
{
	return *generic_matrix_product_table();
}
