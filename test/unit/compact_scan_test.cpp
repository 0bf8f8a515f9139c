// Unit tests of the compact copy and the compact scan: the radius bounds the distance between
// the compact and float dot products, and the compact scan returns the float scan's result bit
// for bit on random, clustered, tied, tiny, huge and excluded data, with one and two threads,
// while re-scoring only a few items of ordinary data.
#include "compact_scan.h"
#include "kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace
{

// A compact copy with its own storage.
struct OwnedCompact
{
	std::vector<int8_t> codes;
	std::vector<float> step, radius;
	pgrec::CompactRows rows;

	OwnedCompact(const std::vector<float> &factors, size_t count, int dim)
	    : codes(count * pgrec::compact_stride(dim)), step(count), radius(count)
	{
		rows = {codes.data(), step.data(), radius.data(), count, dim, pgrec::compact_stride(dim)};
		pgrec::compact_rows(factors.data(), rows, 2, pgrec::no_cancel());
	}
};

std::vector<float> gaussian(size_t n, float sigma, std::mt19937 &rng)
{
	std::normal_distribution<float> d(0.0f, sigma);
	std::vector<float> v(n);
	for (float &x : v)
		x = d(rng);
	return v;
}

// count rows around `centres` random centres, each at distance about noise from its centre.
std::vector<float> clustered(size_t count, int dim, size_t centres, float noise, std::mt19937 &rng)
{
	std::vector<float> c = gaussian(centres * dim, 1.0f, rng), v(count * dim);
	std::normal_distribution<float> d(0.0f, noise);
	for (size_t r = 0; r < count; r++)
		for (int f = 0; f < dim; f++)
			v[r * dim + f] = c[(r % centres) * dim + f] + d(rng);
	return v;
}

// Runs both scans and expects the same items and the same float scores, in the same order.
pgrec::CompactScanStats expect_same_scan(const pgrec::ItemMatrix &m, const OwnedCompact &compact,
                                         const std::vector<float> &query,
                                         const std::vector<pgrec::SortedList> &excluded, size_t k,
                                         int threads)
{
	std::vector<pgrec::Recommendation> want(k), got(k);
	int lists = static_cast<int>(excluded.size());
	size_t n = pgrec::recommend_items(m, query.data(), excluded.data(), lists, nullptr, k,
	                                  threads, want.data());
	pgrec::CompactScanStats stats;
	size_t g = pgrec::recommend_items_compact(m, compact.rows, query.data(), excluded.data(), lists,
	                                          k, threads, got.data(), &stats);
	EXPECT_EQ(n, g);
	for (size_t r = 0; r < std::min(n, g); r++)
	{
		EXPECT_EQ(want[r].item, got[r].item) << "rank " << r;
		EXPECT_EQ(std::memcmp(&want[r].score, &got[r].score, sizeof(float)), 0) << "rank " << r;
	}
	return stats;
}

TEST(CompactRows, RadiusBoundsTheCompactDotProduct)
{
	std::mt19937 rng(1);
	for (int dim : {1, 7, 64, 100})
	{
		size_t count = 2000;
		std::vector<float> factors = gaussian(count * dim, 0.3f, rng);
		OwnedCompact c(factors, count, dim);
		size_t stride = pgrec::compact_stride(dim);
		ASSERT_EQ(stride % 64, 0u);
		for (int trial = 0; trial < 20; trial++)
		{
			std::vector<float> q = gaussian(dim, 2.0f, rng), padded(stride, 0.0f);
			std::copy(q.begin(), q.end(), padded.begin());
			double norm = 0;
			for (float x : q)
				norm += static_cast<double>(x) * x;
			std::vector<float> approx(count), exact(count);
			pgrec::code_dot_product_batch(c.codes.data(), count, stride, padded.data(),
			                              approx.data());
			pgrec::dot_product_batch(factors.data(), count, dim, q.data(), exact.data());
			double worst = 0;
			for (size_t r = 0; r < count; r++)
			{
				double gap = std::fabs(static_cast<double>(approx[r]) * c.step[r] - exact[r]);
				double allowed = std::sqrt(norm) * c.radius[r];
				EXPECT_LE(gap, allowed) << "dim " << dim << " row " << r;
				worst = std::max(worst, gap / allowed);
			}
			EXPECT_GT(worst, 0.01) << "the radius is far looser than needed";
		}
	}
}

TEST(CompactRows, CodesSpanTheRowsRange)
{
	std::vector<float> factors = {0.5f, -1.0f, 0.25f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
	OwnedCompact c(factors, 2, 4);
	EXPECT_EQ(c.codes[0], 64);
	EXPECT_EQ(c.codes[1], -127);
	EXPECT_EQ(c.codes[2], 32);
	EXPECT_FLOAT_EQ(c.step[0], 1.0f / 127.0f);
	EXPECT_EQ(c.step[1], 0.0f);
	EXPECT_EQ(c.radius[1], 0.0f);
	for (size_t f = 4; f < c.rows.stride; f++)
		EXPECT_EQ(c.codes[f], 0);
}

TEST(CompactScan, RandomDataMatchesTheFloatScanAndRescoresFewItems)
{
	std::mt19937 rng(2);
	for (int dim : {8, 64, 100})
	{
		size_t count = 70001; // not a multiple of four, and large enough for two threads at 64
		std::vector<float> factors = gaussian(count * dim, 0.1f, rng);
		OwnedCompact c(factors, count, dim);
		pgrec::ItemMatrix m = {factors.data(), nullptr, nullptr, count, dim};
		for (size_t k : {1, 10, 100})
			for (int threads : {1, 2})
			{
				pgrec::CompactScanStats stats =
				    expect_same_scan(m, c, gaussian(dim, 1.0f, rng), {}, k, threads);
				EXPECT_FALSE(stats.float_scan) << "dim " << dim << " k " << k;
				EXPECT_GE(stats.rescored, k);
				EXPECT_LT(stats.rescored, count / 20) << "dim " << dim << " k " << k;
			}
	}
}

TEST(CompactScan, BiasScaleAndExclusionsMatchTheFloatScan)
{
	std::mt19937 rng(3);
	size_t count = 131101; // 4.2M floats: two threads scan two slices
	int dim = 32;
	std::vector<float> factors = gaussian(count * dim, 0.2f, rng);
	std::vector<float> bias = gaussian(count, 0.5f, rng), scale(count);
	for (size_t r = 0; r < count; r++)
		scale[r] = 1.0f / (1.0f + static_cast<float>(r % 5));
	OwnedCompact c(factors, count, dim);
	// The float scan's best items excluded: the compact scan must not let them set the bar.
	pgrec::ItemMatrix plain = {factors.data(), nullptr, nullptr, count, dim};
	std::vector<float> q = gaussian(dim, 1.0f, rng);
	std::vector<pgrec::Recommendation> top(50);
	pgrec::recommend_items(plain, q.data(), nullptr, 0, nullptr, 50, 1, top.data());
	std::vector<int32_t> best, tail = {0, 5, static_cast<int32_t>(count - 1)};
	for (const auto &r : top)
		best.push_back(r.item);
	std::sort(best.begin(), best.end());
	std::vector<pgrec::SortedList> excluded = {{best.data(), best.size()},
	                                           {tail.data(), tail.size()}};
	const std::vector<const float *> biases = {nullptr, bias.data()}, scales = {nullptr, scale.data()};
	for (const float *b : biases)
		for (const float *s : scales)
		{
			pgrec::ItemMatrix m = {factors.data(), b, s, count, dim};
			for (int threads : {1, 2})
			{
				EXPECT_FALSE(expect_same_scan(m, c, q, excluded, 10, threads).float_scan);
				expect_same_scan(m, c, gaussian(dim, 1.0f, rng), {}, 20, threads);
			}
		}
}

TEST(CompactScan, ClusteredAndTiedDataMatchTheFloatScan)
{
	std::mt19937 rng(4);
	size_t count = 66000;
	int dim = 64;
	// Near duplicates: many intervals overlap the threshold.
	std::vector<float> near = clustered(count, dim, 50, 1e-4f, rng);
	OwnedCompact cn(near, count, dim);
	pgrec::ItemMatrix mn = {near.data(), nullptr, nullptr, count, dim};
	for (int threads : {1, 2})
		for (size_t k : {1, 10, 100})
			expect_same_scan(mn, cn, gaussian(dim, 1.0f, rng), {}, k, threads);
	// Exact duplicates: the ties must break by the smaller index, as in the float scan.
	std::vector<float> tied = clustered(count, dim, 300, 0.0f, rng);
	OwnedCompact ct(tied, count, dim);
	pgrec::ItemMatrix mt = {tied.data(), nullptr, nullptr, count, dim};
	for (int threads : {1, 2})
	{
		std::vector<float> q = gaussian(dim, 1.0f, rng);
		expect_same_scan(mt, ct, q, {}, 10, threads);
		EXPECT_FALSE(expect_same_scan(mt, ct, q, {}, 500, threads).float_scan);
	}
	// One row repeated everywhere, and a zero query: every item ties, so every interval reaches
	// the bar and the float scan takes over.
	std::vector<float> same(count * dim, 0.25f);
	OwnedCompact cs(same, count, dim);
	pgrec::ItemMatrix ms = {same.data(), nullptr, nullptr, count, dim};
	EXPECT_TRUE(expect_same_scan(ms, cs, gaussian(dim, 1.0f, rng), {}, 10, 1).float_scan);
	EXPECT_TRUE(expect_same_scan(mn, cn, std::vector<float>(dim, 0.0f), {}, 10, 2).float_scan);
}

TEST(CompactScan, ExtremeMagnitudesMatchTheFloatScan)
{
	std::mt19937 rng(5);
	size_t count = 40000;
	int dim = 16;
	// Tiny rows: scores of 1e-21 are scanned compactly; products in the subnormal range are
	// below the intervals' absolute slack, so the float scan takes over.
	std::vector<float> tiny = gaussian(count * dim, 1e-21f, rng);
	OwnedCompact ct(tiny, count, dim);
	pgrec::ItemMatrix mt = {tiny.data(), nullptr, nullptr, count, dim};
	EXPECT_FALSE(expect_same_scan(mt, ct, gaussian(dim, 1.0f, rng), {}, 10, 1).float_scan);
	EXPECT_TRUE(expect_same_scan(mt, ct, gaussian(dim, 1e-21f, rng), {}, 10, 1).float_scan);
	// Subnormal factors: the codes' scale stays finite.
	std::vector<float> subnormal = gaussian(count * dim, 1e-41f, rng);
	OwnedCompact cs(subnormal, count, dim);
	pgrec::ItemMatrix ms = {subnormal.data(), nullptr, nullptr, count, dim};
	EXPECT_FALSE(expect_same_scan(ms, cs, gaussian(dim, 1e30f, rng), {}, 10, 1).float_scan);
	expect_same_scan(ms, cs, gaussian(dim, 1.0f, rng), {}, 10, 1);
	// A dot product whose partial sums overflow though the score cancels (the float kernel
	// says inf): the float scan takes over (a review's counterexample).
	std::vector<float> cancelling(64 * 4, 0.0f);
	for (size_t r = 1; r < 64; r++)
		cancelling[r * 4] = 1e5f;
	for (int f = 0; f < 4; f++)
		cancelling[f] = f < 2 ? 3e8f : -3e8f;
	OwnedCompact co(cancelling, 64, 4);
	pgrec::ItemMatrix mo = {cancelling.data(), nullptr, nullptr, 64, 4};
	EXPECT_TRUE(expect_same_scan(mo, co, std::vector<float>(4, 1e30f), {}, 2, 1).float_scan);
	// Scores beyond the float range: the float scan takes over.
	std::vector<float> huge = gaussian(count * dim, 1e20f, rng);
	OwnedCompact ch(huge, count, dim);
	pgrec::ItemMatrix mh = {huge.data(), nullptr, nullptr, count, dim};
	EXPECT_TRUE(expect_same_scan(mh, ch, gaussian(dim, 1e20f, rng), {}, 10, 1).float_scan);
	std::vector<float> nan_query(dim, NAN);
	EXPECT_TRUE(expect_same_scan(mh, ch, nan_query, {}, 10, 1).float_scan);
	// A k near the catalogue's size leaves nothing to prune.
	EXPECT_TRUE(expect_same_scan(mt, ct, gaussian(dim, 1.0f, rng), {}, count, 1).float_scan);
}

} // namespace
