// The parts of the two-tower trainer its tests check (two_tower_losses.cpp): the scaling of the
// towers' outputs to a fixed length and the three losses over a batch of them, each with its
// gradient.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pgrec
{

// Scales each of n rows x (k floats) to the given length: y = length x / |x|, with |x| (plus a
// floor that keeps a zero row finite) in norms. Rows are split between threads.
void scale_rows(const float *x, size_t n, int k, float length, float *norms, float *y, int threads);

// The gradient dx at x of a loss whose gradient at y = scale_rows(x) is dy (norms and y from
// scale_rows).
void scale_rows_backward(const float *y, const float *dy, const float *norms, size_t n, int k,
                         float length, float *dx, int threads);

// Sampled softmax (Yi et al. 2019) of rows users u_b (rows x k) against columns candidates v_c
// (columns x k, columns >= rows): the positive of row b is column b, the others are its
// negatives, except a column holding the same item (items[c] == items[b]: masked). The logit of
// (b, c) is u_b . v_c - log_q[c], log_q the logarithm of the expected count of item c among the
// candidates (the log-q correction of sampling). Returns the mean over rows of -log softmax at
// the positive and writes its gradients to d_users (rows x k) and d_candidates (columns x k);
// scratch holds rows x columns floats. The rows are split between threads; their shares of
// d_candidates are added in order (the same result every run for a thread count).
double sampled_softmax(const float *users, const float *candidates, size_t rows, size_t columns,
                       int k, const float *log_q, const int32_t *items, float *scratch,
                       float *d_users, float *d_candidates, int threads);

// BPR (Rendle et al. 2009) of rows triples (u_b, v_b positive, w_b negative), each k floats:
// the mean of -log sigmoid(u_b . (v_b - w_b)), with its gradients (rows x k each).
double bpr_pairs(const float *users, const float *positives, const float *negatives, size_t rows,
                 int k, float *d_users, float *d_positives, float *d_negatives);

// Squared error of rows predictions u_b . v_b against targets t_b: returns the sum of the squared
// errors and writes the gradients of their mean (rows x k each).
double squared_errors(const float *users, const float *items, const float *targets, size_t rows,
                      int k, float *d_users, float *d_items);

} // namespace pgrec
