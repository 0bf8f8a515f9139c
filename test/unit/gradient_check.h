// Shared by the unit tests of the neural layers and the two-tower model: seeded random values,
// a central finite-difference check of an analytic gradient, and tower widths.
#pragma once

#include "factor_init.h"
#include "training.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <vector>

namespace
{

inline std::vector<float> random_values(size_t n, uint64_t seed, double scale = 1.0)
{
	pgrec::Random rng(seed);
	std::vector<float> v(n);
	pgrec::init_normal(v.data(), n, scale, rng);
	return v;
}

// Checks the analytic gradient of f at x against central differences, coordinate by coordinate,
// to a relative tolerance (floats: differences of 1e-3 steps).
template <class Values, class Gradient>
void expect_gradient(Values &x, const Gradient &analytic, const std::function<double()> &f,
                     double tolerance = 2e-2)
{
	ASSERT_EQ(x.size(), analytic.size());
	for (size_t j = 0; j < x.size(); j++)
	{
		const float saved = x[j], step = 1e-3f;
		x[j] = saved + step;
		double up = f();
		x[j] = saved - step;
		double down = f();
		x[j] = saved;
		double numeric = (up - down) / (2.0 * step);
		EXPECT_NEAR(analytic[j], numeric, tolerance * std::max(1.0, std::fabs(numeric)))
		    << "coordinate " << j;
	}
}

inline pgrec::LayerSizes sizes(std::initializer_list<int> widths)
{
	pgrec::LayerSizes s;
	for (int w : widths)
		s.size[s.count++] = w;
	return s;
}

} // namespace
