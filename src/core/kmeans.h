// k-means clustering of float rows (Lloyd's algorithm over a random sample) and the assignment
// of rows to their nearest centroid, both through blocked matrix products (matrix_products.h)
// over several threads. For the inverted-file index of approximate search (ivf_index.h).
#pragma once

#include "cancel_token.h"

#include <cstddef>
#include <cstdint>

namespace pgrec
{

// count points of dim + 1 coordinates: a row of dim floats and an extra last coordinate (an
// item's bias; 0 when extra is null), scaled to unit length when unit is set (a zero point
// stays zero).
struct PointRows
{
	const float *rows;
	const float *extra;
	size_t count;
	int dim;
	bool unit;
};

// Writes to out[i] the index of point i's nearest centroid (squared distance; ties to the smaller
// index) among k centroids of dim + 1 floats. Throws Cancelled when the token fires.
void nearest_centroids(const PointRows &points, const float *centroids, size_t k, int threads,
                       const CancelToken &cancel, int32_t *out);

// Fills centroids (k x (dim + 1)) with `iterations` rounds of Lloyd's algorithm over at most
// sample points drawn by seed, starting from k of them; a cluster left empty takes half of the
// largest one. k must be at least 1 and at most points.count. Deterministic for a seed and
// thread count. Throws Cancelled when the token fires.
void train_kmeans(const PointRows &points, size_t k, size_t sample, int iterations, uint64_t seed,
                  int threads, const CancelToken &cancel, float *centroids);

} // namespace pgrec
