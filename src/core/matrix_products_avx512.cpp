// The matrix products for CPUs with AVX-512: compiled with -mavx512f -mfma, with Eigen's namespace
// renamed so that none of its functions built here is shared with another build.
#include "matrix_products.h"

#if defined(__AVX512F__) && defined(__FMA__)
#define Eigen                 EigenAvx512
#define MATRIX_PRODUCTS_TABLE avx512_matrix_product_table
#define MATRIX_PRODUCTS_NAME  "avx512"
#include "matrix_products_impl.h"

const pgrec::MatrixProducts *pgrec::avx512_matrix_products() noexcept
{
	return avx512_matrix_product_table();
}
#else
const pgrec::MatrixProducts *pgrec::avx512_matrix_products() noexcept
{
	return nullptr;
}
#endif
