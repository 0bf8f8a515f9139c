// Lloyd's k-means and the nearest-centroid assignment (kmeans.h): distances as |c|^2 - 2 x . c
// from matrix products of blocks of points against chunks of centroids, per worker thread.
#include "kmeans.h"

#include "matrix_products.h"
#include "parallel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

constexpr size_t kPointBlock = 256;
constexpr size_t kCentroidChunk = 2048;

void scale_to_unit(float *x, size_t n)
{
	double sum = 0.0;
	for (size_t f = 0; f < n; f++)
		sum += static_cast<double>(x[f]) * x[f];
	if (sum > 0.0)
	{
		float inverse = static_cast<float>(1.0 / std::sqrt(sum));
		for (size_t f = 0; f < n; f++)
			x[f] *= inverse;
	}
}

// Copies points [first, first + count) as rows of dim + 1 floats to out.
void copy_points(const PointRows &p, size_t first, size_t count, float *out)
{
	size_t d = static_cast<size_t>(p.dim);
	for (size_t i = 0; i < count; i++)
	{
		std::copy(p.rows + (first + i) * d, p.rows + (first + i + 1) * d, out + i * (d + 1));
		out[i * (d + 1) + d] = p.extra ? p.extra[first + i] : 0.0f;
		if (p.unit)
			scale_to_unit(out + i * (d + 1), d + 1);
	}
}

} // namespace

void nearest_centroids(const PointRows &points, const float *centroids, size_t k, int threads,
                       const CancelToken &cancel, int32_t *out)
{
	size_t width = static_cast<size_t>(points.dim) + 1;
	std::vector<float> half_norms(k);
	for (size_t c = 0; c < k; c++)
	{
		double sum = 0.0;
		for (size_t f = 0; f < width; f++)
			sum += static_cast<double>(centroids[c * width + f]) * centroids[c * width + f];
		half_norms[c] = static_cast<float>(0.5 * sum);
	}
	const MatrixProducts &mp = matrix_products();
	size_t blocks = (points.count + kPointBlock - 1) / kPointBlock;
	parallel_for(blocks, threads,
	             [&](size_t begin, size_t end, int)
	             {
		             std::vector<float> block(kPointBlock * width);
		             std::vector<float> dots(kPointBlock * std::min(k, kCentroidChunk));
		             std::vector<float> best(kPointBlock);
		             for (size_t b = begin; b < end; b++)
		             {
			             cancel.check();
			             size_t first = b * kPointBlock;
			             size_t count = std::min(kPointBlock, points.count - first);
			             copy_points(points, first, count, block.data());
			             std::fill(best.begin(), best.end(), std::numeric_limits<float>::infinity());
			             for (size_t c0 = 0; c0 < k; c0 += kCentroidChunk)
			             {
				             size_t n = std::min(kCentroidChunk, k - c0);
				             mp.transposed_right(dots.data(), block.data(), centroids + c0 * width,
				                                 static_cast<ptrdiff_t>(count),
				                                 static_cast<ptrdiff_t>(width),
				                                 static_cast<ptrdiff_t>(n), false);
				             for (size_t i = 0; i < count; i++)
				             {
					             const float *row = dots.data() + i * n;
					             for (size_t c = 0; c < n; c++)
					             {
						             // Half the squared distance less the point's own norm.
						             float d = half_norms[c0 + c] - row[c];
						             if (d < best[i])
						             {
							             best[i] = d;
							             out[first + i] = static_cast<int32_t>(c0 + c);
						             }
					             }
				             }
			             }
		             }
	             });
}

void train_kmeans(const PointRows &points, size_t k, size_t sample, int iterations, uint64_t seed,
                  int threads, const CancelToken &cancel, float *centroids)
{
	size_t width = static_cast<size_t>(points.dim) + 1;
	size_t n = std::min(std::max(k, sample), points.count);
	size_t d = static_cast<size_t>(points.dim);
	// A uniform sample of n points in their order (selection sampling), then shuffled so that
	// its first k points are a uniform choice of starting centroids.
	std::mt19937_64 random(seed);
	std::vector<float> rows(n * d), extra(n, 0.0f);
	size_t taken = 0;
	for (size_t i = 0; i < points.count && taken < n; i++)
	{
		if ((i & 65535) == 0)
			cancel.check();
		if (std::uniform_int_distribution<size_t>(0, points.count - i - 1)(random) < n - taken)
		{
			std::vector<float> point(width);
			copy_points(points, i, 1, point.data());
			std::copy(point.begin(), point.begin() + static_cast<ptrdiff_t>(d), rows.data() + taken * d);
			extra[taken++] = point[d];
		}
	}
	std::vector<size_t> order(n);
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	std::shuffle(order.begin(), order.end(), random);
	for (size_t c = 0; c < k; c++)
	{
		std::copy(rows.begin() + static_cast<ptrdiff_t>(order[c] * d),
		          rows.begin() + static_cast<ptrdiff_t>((order[c] + 1) * d), centroids + c * width);
		centroids[c * width + d] = extra[order[c]];
	}
	// The sample is already scaled.
	PointRows sampled = {rows.data(), extra.data(), n, points.dim, false};
	std::vector<int32_t> assigned(n);
	std::vector<double> sums(k * width);
	std::vector<size_t> sizes(k);
	for (int it = 0; it < iterations; it++)
	{
		cancel.check();
		nearest_centroids(sampled, centroids, k, threads, cancel, assigned.data());
		std::fill(sums.begin(), sums.end(), 0.0);
		std::fill(sizes.begin(), sizes.end(), 0);
		for (size_t i = 0; i < n; i++)
		{
			size_t c = static_cast<size_t>(assigned[i]);
			sizes[c]++;
			for (size_t f = 0; f < d; f++)
				sums[c * width + f] += rows[i * d + f];
			sums[c * width + d] += extra[i];
		}
		for (size_t c = 0; c < k; c++)
			if (sizes[c] > 0)
				for (size_t f = 0; f < width; f++)
					centroids[c * width + f] = static_cast<float>(sums[c * width + f] / sizes[c]);
		// Empty clusters split the largest: two centroids either side of its mean.
		for (size_t c = 0; c < k; c++)
		{
			if (sizes[c] > 0)
				continue;
			size_t big = static_cast<size_t>(std::max_element(sizes.begin(), sizes.end()) - sizes.begin());
			for (size_t f = 0; f < width; f++)
			{
				float v = centroids[big * width + f];
				float nudge = (f % 2 ? 1.0f : -1.0f) * (1.0f / 1024.0f) * (std::fabs(v) + 1e-6f);
				centroids[c * width + f] = v + nudge;
				centroids[big * width + f] = v - nudge;
			}
			sizes[c] = sizes[big] / 2;
			sizes[big] -= sizes[c];
		}
	}
}

} // namespace pgrec
