// The matrix products for CPUs with AVX2 and FMA: compiled with -mavx2 -mfma, with Eigen's
// namespace renamed so that none of its functions built here is shared with another build.
#include "matrix_products.h"

#if defined(__AVX2__) && defined(__FMA__)
#define Eigen                 EigenAvx2
#define MATRIX_PRODUCTS_TABLE avx2_matrix_product_table
#define MATRIX_PRODUCTS_NAME  "avx2"
#include "matrix_products_impl.h"

const pgrec::MatrixProducts *pgrec::avx2_matrix_products() noexcept
{
	return avx2_matrix_product_table();
}
#else
const pgrec::MatrixProducts *pgrec::avx2_matrix_products() noexcept
{
	return nullptr;
}
#endif
