// copy_finite: every value copied, and an infinity or a NaN found at any position of rows of
// any length (the vectorised body and its remainder), while the extremes of the finite floats
// pass.
#include "finite_floats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace
{

using Limits = std::numeric_limits<float>;

TEST(CopyFinite, CopiesEveryFiniteValue)
{
	const std::vector<float> in = {0.0f,          -0.0f,        1.5f,          -2.25f,
	                               Limits::max(), Limits::lowest(), Limits::min(), Limits::denorm_min()};
	std::vector<float> out(in.size(), 7.0f);
	EXPECT_TRUE(pgrec::copy_finite(out.data(), in.data(), in.size()));
	for (size_t i = 0; i < in.size(); i++)
		EXPECT_EQ(std::signbit(out[i]), std::signbit(in[i])) << i;
	EXPECT_EQ(out, in);
	EXPECT_TRUE(pgrec::copy_finite(out.data(), in.data(), 0));
}

TEST(CopyFinite, FindsEveryNonFiniteValueAtEveryPosition)
{
	const float bad[] = {Limits::infinity(), -Limits::infinity(), Limits::quiet_NaN(),
	                     -Limits::quiet_NaN(), Limits::signaling_NaN()};
	for (size_t n = 1; n <= 40; n++)
		for (size_t at = 0; at < n; at++)
			for (float b : bad)
			{
				std::vector<float> in(n), out(n, 0.0f);
				for (size_t i = 0; i < n; i++)
					in[i] = static_cast<float>(i) - 3.5f;
				in[at] = b;
				EXPECT_FALSE(pgrec::copy_finite(out.data(), in.data(), n)) << n << " " << at;
				for (size_t i = 0; i < n; i++)
				{
					if (i == at)
						continue;
					EXPECT_EQ(out[i], in[i]);
				}
			}
}

} // namespace
