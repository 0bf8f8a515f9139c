// Eigen's dense module, with the warnings GCC 12 reports inside it at -O3 silenced for the
// library headers only: false "may be used uninitialized" in its blocked products and
// Householder code, false "is used uninitialized" in its AVX-512 transposes, and an unused
// variable of its AVX header. Included by the SIMD builds
// after they rename Eigen's namespace (row_solvers_impl.h, dense_blocks_impl.h,
// matrix_products_impl.h).
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wunused-variable"
#endif
#include <Eigen/Dense>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
