// Unit tests of the numeric kernels: every instruction set this CPU runs, against a naive
// double-precision reference, on vector lengths around every SIMD width.
#include "kernels.h"
#include "runnable_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace
{

const size_t kSizes[] = {1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000};

std::vector<float> random_vector(size_t n, std::mt19937 &rng)
{
	std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
	std::vector<float> v(n);
	for (float &x : v)
		x = dist(rng);
	return v;
}

// Float accumulation in any order stays within this bound of the exact sum: n * eps * sum|terms|
// (the classic worst-case bound of recursive summation), with n the vector length.
double tolerance(size_t n, double magnitude)
{
	return static_cast<double>(n) * 1.2e-7 * magnitude + 1e-30;
}

class KernelsTest : public ::testing::TestWithParam<const pgrec::KernelTable *>
{
};

TEST_P(KernelsTest, MatchesNaiveReference)
{
	const pgrec::KernelTable *k = GetParam();
	std::mt19937 rng(42);
	for (size_t n : kSizes)
	{
		SCOPED_TRACE(std::string(k->name) + " n=" + std::to_string(n));
		std::vector<float> a = random_vector(n, rng), b = random_vector(n, rng);
		double dot = 0, dot_mag = 0, l2 = 0, l1 = 0, na = 0, nb = 0;
		for (size_t i = 0; i < n; i++)
		{
			dot += (double)a[i] * b[i];
			dot_mag += std::fabs((double)a[i] * b[i]);
			double d = (double)a[i] - (double)b[i];
			l2 += d * d;
			l1 += std::fabs(d);
			na += (double)a[i] * a[i];
			nb += (double)b[i] * b[i];
		}
		EXPECT_NEAR(k->dot_product(a.data(), b.data(), n), dot, tolerance(n, dot_mag));
		EXPECT_NEAR(k->l2_squared_distance(a.data(), b.data(), n), l2, tolerance(n, l2) * 2);
		EXPECT_NEAR(k->l1_distance(a.data(), b.data(), n), l1, tolerance(n, l1) * 2);
		pgrec::CosineParts p = k->cosine_parts(a.data(), b.data(), n);
		EXPECT_NEAR(p.dot, dot, tolerance(n, dot_mag));
		EXPECT_NEAR(p.norm_a, na, tolerance(n, na));
		EXPECT_NEAR(p.norm_b, nb, tolerance(n, nb));
	}
}

TEST_P(KernelsTest, ExactOnSmallIntegers)
{
	// Sums of small integers are exact in float, whatever the order: results must be equal.
	const pgrec::KernelTable *k = GetParam();
	for (size_t n : kSizes)
	{
		std::vector<float> a(n), b(n);
		double dot = 0, l2 = 0, l1 = 0;
		for (size_t i = 0; i < n; i++)
		{
			a[i] = static_cast<float>(static_cast<int>(i % 7) - 3);
			b[i] = static_cast<float>(static_cast<int>(i % 5) - 2);
			dot += a[i] * b[i];
			l2 += (a[i] - b[i]) * (a[i] - b[i]);
			l1 += std::fabs(a[i] - b[i]);
		}
		EXPECT_EQ(k->dot_product(a.data(), b.data(), n), dot) << k->name << " n=" << n;
		EXPECT_EQ(k->l2_squared_distance(a.data(), b.data(), n), l2) << k->name << " n=" << n;
		EXPECT_EQ(k->l1_distance(a.data(), b.data(), n), l1) << k->name << " n=" << n;
	}
}

TEST_P(KernelsTest, BatchEqualsRowByRow)
{
	const pgrec::KernelTable *k = GetParam();
	std::mt19937 rng(7);
	for (size_t dim : kSizes)
	{
		for (size_t count : {1, 2, 3, 4, 5, 7, 9, 64})
		{
			std::vector<float> rows = random_vector(count * dim, rng);
			std::vector<float> query = random_vector(dim, rng);
			std::vector<float> scores(count + 1, -12345.0f);
			k->dot_product_batch(rows.data(), count, dim, query.data(), scores.data());
			for (size_t r = 0; r < count; r++)
			{
				double ref = 0, mag = 0;
				for (size_t i = 0; i < dim; i++)
				{
					ref += (double)rows[r * dim + i] * query[i];
					mag += std::fabs((double)rows[r * dim + i] * query[i]);
				}
				EXPECT_NEAR(scores[r], ref, tolerance(dim, mag))
				    << k->name << " dim=" << dim << " count=" << count << " row=" << r;
			}
			EXPECT_EQ(scores[count], -12345.0f) << "wrote past the end";
		}
	}
}

TEST_P(KernelsTest, UnalignedInput)
{
	// palloc gives 8-byte alignment only: kernels must accept any float-aligned address.
	const pgrec::KernelTable *k = GetParam();
	std::vector<float> buf(200);
	for (size_t i = 0; i < buf.size(); i++)
		buf[i] = static_cast<float>(i % 3);
	for (size_t offset = 0; offset < 16; offset++)
	{
		const float *a = buf.data() + offset;
		double ref = 0;
		for (size_t i = 0; i < 65; i++)
			ref += (double)a[i] * a[i];
		EXPECT_EQ(k->dot_product(a, a, 65), ref) << k->name << " offset=" << offset;
	}
}

// add_scaled and adagrad_step against double-precision loops, at offsets that leave every
// vector unaligned; the float past the end must stay untouched.
TEST_P(KernelsTest, SgdUpdatesMatchNaiveReference)
{
	const pgrec::KernelTable *k = GetParam();
	std::mt19937 rng(11);
	const float w = -0.7f, scale = 1.3f, reg = 0.01f, lr = 0.05f;
	for (size_t n : kSizes)
	{
		SCOPED_TRACE(std::string(k->name) + " n=" + std::to_string(n));
		std::vector<float> x = random_vector(n + 1, rng), out = random_vector(n + 2, rng);
		std::vector<float> param = random_vector(n + 2, rng), dir = random_vector(n + 1, rng);
		std::vector<float> sq(n + 2);
		for (size_t i = 0; i < n + 2; i++)
			sq[i] = 1.0f + std::fabs(out[i]) * 3.0f;
		std::vector<float> out0 = out, param0 = param, sq0 = sq;
		k->add_scaled(out.data() + 1, x.data() + 1, w, n);
		k->adagrad_step(param.data() + 1, sq.data() + 1, dir.data() + 1, scale, reg, lr, n);
		for (size_t i = 1; i <= n; i++)
		{
			double sum = out0[i] + static_cast<double>(w) * x[i];
			EXPECT_NEAR(out[i], sum, 2.4e-7 * (std::fabs(out0[i]) + std::fabs(w * x[i])));
			double g = static_cast<double>(scale) * dir[i] + static_cast<double>(reg) * param0[i];
			double s = sq0[i] + g * g, p = param0[i] - lr * g / std::sqrt(s);
			EXPECT_NEAR(sq[i], s, 4e-7 * s) << i;
			EXPECT_NEAR(param[i], p, 4e-7 * (std::fabs(param0[i]) + lr * std::fabs(g))) << i;
		}
		EXPECT_EQ(out[0], out0[0]);
		EXPECT_EQ(out[n + 1], out0[n + 1]);
		EXPECT_EQ(param[n + 1], param0[n + 1]);
		EXPECT_EQ(sq[n + 1], sq0[n + 1]);
	}
}

INSTANTIATE_TEST_SUITE_P(AllRunnable, KernelsTest, ::testing::ValuesIn(runnable_tables()),
                         [](const ::testing::TestParamInfo<const pgrec::KernelTable *> &info)
                         { return std::string(info.param->name); });

TEST(KernelDispatch, PicksTheWidestRunnableTable)
{
	std::vector<const pgrec::KernelTable *> tables = runnable_tables();
	const char *cap = std::getenv("PGREC_KERNELS");
	if (cap == nullptr || *cap == '\0')
		EXPECT_EQ(&pgrec::kernels(), tables.back());
	else
		EXPECT_STREQ(pgrec::kernels().name, cap);
}

TEST(DoublePrecision, SurvivesFloatOverflow)
{
	std::vector<float> a = {3e30f, 4e30f}, b = {-3e30f, -4e30f};
	EXPECT_TRUE(std::isinf(pgrec::dot_product(a.data(), a.data(), 2)));
	EXPECT_NEAR(pgrec::dot_product_double(a.data(), a.data(), 2), 25e60, 25e60 * 1e-6);
	EXPECT_NEAR(pgrec::l2_squared_distance_double(a.data(), b.data(), 2), 100e60, 100e60 * 1e-6);
	EXPECT_NEAR(pgrec::l1_distance_double(a.data(), b.data(), 2), 14e30, 14e30 * 1e-6);
}

} // namespace
