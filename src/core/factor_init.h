// Shared pieces of the trainers: seeded initialisation of factor matrices, the deterministic
// random generator, and the Eigen types over caller-owned buffers.
#pragma once

#include "training.h"

#include <Eigen/Dense>

namespace pgrec
{

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix, Eigen::Unaligned>;
using VectorMap = Eigen::Map<Eigen::VectorXf, Eigen::Unaligned>;

// splitmix64: a small, fast, seedable generator whose sequence is the same on every platform.
struct Random
{
	uint64_t state;
	explicit Random(uint64_t seed) : state(seed)
	{
	}
	uint64_t next()
	{
		uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		return z ^ (z >> 31);
	}
	// Uniform in [0, 1).
	double uniform()
	{
		return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
	}
	// Uniform integer in [0, n).
	uint64_t below(uint64_t n)
	{
		return static_cast<uint64_t>(uniform() * static_cast<double>(n));
	}
	// Approximately normal(0, 1): sum of four uniforms, rescaled (enough for initialisation).
	double normal()
	{
		double s = uniform() + uniform() + uniform() + uniform() - 2.0;
		return s * 1.7320508075688772;
	}
};

// Fills rows x cols floats with normal(0, scale) values from rng.
void init_normal(float *values, size_t count, double scale, Random &rng);

} // namespace pgrec
