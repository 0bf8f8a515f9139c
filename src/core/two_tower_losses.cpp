// The losses of the two-tower model over a batch of tower outputs and the scaling of the outputs
// to a fixed length, each with its gradient (two_tower.h).
#include "two_tower.h"

#include "aligned_buffer.h"
#include "matrix_products.h"
#include "parallel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

// Added to a norm before dividing by it.
constexpr float kNormFloor = 1e-6f;

} // namespace

void scale_rows(const float *x, size_t n, int k, float length, float *norms, float *y, int threads)
{
	const size_t kk = static_cast<size_t>(k);
	parallel_for(n, threads,
	             [&](size_t begin, size_t end, int)
	             {
		             for (size_t r = begin; r < end; r++)
		             {
			             const float *row = x + r * kk;
			             float sum = 0.0f;
			             for (size_t c = 0; c < kk; c++)
				             sum += row[c] * row[c];
			             norms[r] = std::sqrt(sum) + kNormFloor;
			             const float f = length / norms[r];
			             for (size_t c = 0; c < kk; c++)
				             y[r * kk + c] = row[c] * f;
		             }
	             });
}

void scale_rows_backward(const float *y, const float *dy, const float *norms, size_t n, int k,
                         float length, float *dx, int threads)
{
	const size_t kk = static_cast<size_t>(k);
	// y = length x / |x|: dx = (length / |x|) (dy - u (u . dy)), u = y / length.
	parallel_for(n, threads,
	             [&](size_t begin, size_t end, int)
	             {
		             for (size_t r = begin; r < end; r++)
		             {
			             const float *yr = y + r * kk, *dyr = dy + r * kk;
			             float dot = 0.0f;
			             for (size_t c = 0; c < kk; c++)
				             dot += yr[c] * dyr[c];
			             const float along = dot / (length * length);
			             const float f = length / norms[r];
			             for (size_t c = 0; c < kk; c++)
				             dx[r * kk + c] = f * (dyr[c] - yr[c] * along);
		             }
	             });
}

double sampled_softmax(const float *users, const float *candidates, size_t rows, size_t columns,
                       int k, const float *log_q, const int32_t *items, float *scratch,
                       float *d_users, float *d_candidates, int threads)
{
	const MatrixProducts &mp = matrix_products();
	const size_t slices = std::min(static_cast<size_t>(std::max(threads, 1)), rows);
	const size_t kk = static_cast<size_t>(k);
	std::vector<double> losses(slices, 0.0);
	std::vector<AlignedFloats> partial(slices);
	const float inv_rows = 1.0f / static_cast<float>(rows);
	// The columns ordered by item, to find those a row masks.
	std::vector<size_t> by_item(columns);
	std::iota(by_item.begin(), by_item.end(), size_t{0});
	auto by_item_order = [items](size_t a, size_t b) { return items[a] < items[b]; };
	std::stable_sort(by_item.begin(), by_item.end(), by_item_order);
	parallel_for(rows, threads,
	             [&](size_t begin, size_t end, int worker)
	             {
		             const size_t w = static_cast<size_t>(worker);
		             const ptrdiff_t n = static_cast<ptrdiff_t>(end - begin);
		             float *block = scratch + begin * columns;
		             mp.transposed_right(block, users + begin * kk, candidates, n, k,
		                                 static_cast<ptrdiff_t>(columns), false);
		             for (size_t b = begin; b < end; b++)
		             {
			             float *logits = scratch + b * columns;
			             auto same =
			                 std::equal_range(by_item.begin(), by_item.end(), b, by_item_order);
			             for (auto c = same.first; c != same.second; ++c)
				             if (*c != b)
					             logits[*c] = -std::numeric_limits<float>::infinity();
			             const float positive = logits[b] - log_q[b];
			             // The gradient of the mean loss at the row's logits: softmax minus the
			             // positive's indicator, over rows.
			             losses[w] += static_cast<double>(
			                 mp.softmax(logits, log_q, static_cast<ptrdiff_t>(columns), inv_rows) -
			                 positive);
			             logits[b] -= inv_rows;
		             }
		             mp.product(d_users + begin * kk, block, candidates, n,
		                        static_cast<ptrdiff_t>(columns), k, false);
		             float *out = d_candidates;
		             if (w > 0)
		             {
			             partial[w].resize(columns * kk);
			             out = partial[w].data();
		             }
		             mp.transposed_left(out, block, users + begin * kk, n,
		                                static_cast<ptrdiff_t>(columns), k, false);
	             });
	double loss = 0.0;
	for (size_t w = 0; w < slices; w++)
	{
		loss += losses[w];
		for (size_t j = 0; w > 0 && j < partial[w].size(); j++)
			d_candidates[j] += partial[w][j];
	}
	return loss / static_cast<double>(rows);
}

double bpr_pairs(const float *users, const float *positives, const float *negatives, size_t rows,
                 int k, float *d_users, float *d_positives, float *d_negatives)
{
	double loss = 0.0;
	const size_t kk = static_cast<size_t>(k);
	for (size_t b = 0; b < rows; b++)
	{
		const float *u = users + b * kk, *p = positives + b * kk, *w = negatives + b * kk;
		double x = 0.0;
		for (size_t c = 0; c < kk; c++)
			x += static_cast<double>(u[c]) * (p[c] - w[c]);
		// -log sigmoid(x) = log(1 + e^-x), computed without overflow on either side.
		loss += x > 0 ? std::log1p(std::exp(-x)) : -x + std::log1p(std::exp(x));
		const float g = static_cast<float>(-1.0 / (1.0 + std::exp(x)) / static_cast<double>(rows));
		for (size_t c = 0; c < kk; c++)
		{
			d_users[b * kk + c] = g * (p[c] - w[c]);
			d_positives[b * kk + c] = g * u[c];
			d_negatives[b * kk + c] = -g * u[c];
		}
	}
	return loss / static_cast<double>(rows);
}

double squared_errors(const float *users, const float *items, const float *targets, size_t rows,
                      int k, float *d_users, float *d_items)
{
	double sum = 0.0;
	const size_t kk = static_cast<size_t>(k);
	for (size_t b = 0; b < rows; b++)
	{
		const float *u = users + b * kk, *v = items + b * kk;
		double prediction = 0.0;
		for (size_t c = 0; c < kk; c++)
			prediction += static_cast<double>(u[c]) * v[c];
		const double error = prediction - targets[b];
		sum += error * error;
		const float g = static_cast<float>(2.0 * error / static_cast<double>(rows));
		for (size_t c = 0; c < kk; c++)
		{
			d_users[b * kk + c] = g * v[c];
			d_items[b * kk + c] = g * u[c];
		}
	}
	return sum;
}

} // namespace pgrec
