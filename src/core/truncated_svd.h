// The leading eigenpairs of A A^T for a sparse matrix A given with its transpose, the left
// singular vectors of a truncated SVD, and the sparse-times-dense product the SVDs are built from.
#pragma once

#include "eigen_dense.h"

#include "cancel_token.h"
#include "sparse_rows.h"

#include <cstddef>
#include <cstdint>

namespace pgrec
{

using DenseMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The k largest eigenpairs of A A^T (A = a, a.rows() x at.rows(); at its transpose):
// eigenvalues (the squared singular values) descending, eigenvectors a.rows() x k. A side no
// wider than the randomized solver's block is decomposed densely; otherwise seeded randomized
// subspace iteration with power_iterations products with A A^T, split over threads (the same result
// for any thread count). Checks the token between steps; throws DataError if an eigen-decomposition
// does not converge.
void leading_eigenpairs(const SparseRows &a, const SparseRows &at, int k, int power_iterations,
                        uint64_t seed, int threads, const CancelToken &cancel,
                        Eigen::VectorXd *values, DenseMatrix *vectors);

// The rank-k truncated SVD A ~ U S V^T of a (its transpose at) from the eigenpairs of its
// smaller side: lambda the squared singular values, descending, and v = V (at.rows() x k), each
// column's largest entry positive, the columns beyond the matrix's rank zero.
void right_singular_vectors(const SparseRows &a, const SparseRows &at, int k, int power_iterations,
                            uint64_t seed, int threads, const CancelToken &cancel,
                            Eigen::VectorXd *lambda, DenseMatrix *v);

// Bytes of scratch leading_eigenpairs takes for a rows x columns matrix and k pairs.
size_t eigenpair_scratch_bytes(size_t rows, size_t columns, size_t k);

// out (rows.rows() x width, row-major) = rows * in (row-major, width wide), split over
// threads, the token checked every thousand rows.
void sparse_times_dense(const SparseRows &rows, const double *in, int width, double *out,
                        int threads, const CancelToken &cancel);

} // namespace pgrec
