// Unit tests of k-means and the inverted-file index: planted clusters are found, every item is in
// exactly one list with its compact row, probing every list gives the exact scan's result bit for
// bit (bias, exclusions, one and two threads), the default probes find the top 10 of clustered
// data while reading a few per cent of it, the build is the same for every thread count, and
// bad queries, large k and cancellation are handled.
#include "ivf_index.h"
#include "kmeans.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>
#include <random>
#include <set>
#include <vector>

namespace
{

// An index with its own storage.
struct OwnedIvf
{
	std::vector<float> centroids;
	std::vector<int64_t> offsets;
	std::vector<int32_t> items;
	std::vector<int8_t> codes;
	std::vector<float> step, radius;
	pgrec::IvfIndex index;

	OwnedIvf(const pgrec::ItemMatrix &m, size_t lists, int threads)
	    : centroids(lists * (m.dim + 1)), offsets(lists + 1), items(m.count),
	      codes(m.count * pgrec::compact_stride(m.dim)), step(m.count), radius(m.count)
	{
		index = {lists, m.dim, centroids.data(), offsets.data(), items.data(),
		         {codes.data(), step.data(), radius.data(), m.count, m.dim,
		          pgrec::compact_stride(m.dim)}};
		pgrec::build_ivf(m, 7, threads, pgrec::no_cancel(), index);
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

// `count` random directions of norm about 1.
std::vector<float> directions(size_t count, int dim, std::mt19937 &rng)
{
	return gaussian(count * dim, 1.0f / std::sqrt(static_cast<float>(dim)), rng);
}

// count rows of the directions of `centres` (norm about 1) plus noise of norm about `noise`,
// each scaled by a log-normal norm; row r belongs to centre r % centres.
std::vector<float> around(const std::vector<float> &centres, size_t count, int dim, float noise,
                          std::mt19937 &rng)
{
	size_t n = centres.size() / dim;
	std::vector<float> v(count * dim);
	std::normal_distribution<float> d(0.0f, noise / std::sqrt(static_cast<float>(dim)));
	std::lognormal_distribution<float> norm(0.0f, 0.3f);
	for (size_t r = 0; r < count; r++)
	{
		float s = norm(rng);
		for (int f = 0; f < dim; f++)
			v[r * dim + f] = s * (centres[(r % n) * dim + f] + d(rng));
	}
	return v;
}

std::vector<float> clustered(size_t count, int dim, size_t centres, float noise, std::mt19937 &rng)
{
	return around(directions(centres, dim, rng), count, dim, noise, rng);
}

std::vector<pgrec::Recommendation> exact(const pgrec::ItemMatrix &m, const float *query,
                                         const std::vector<pgrec::SortedList> &excluded, size_t k)
{
	std::vector<pgrec::Recommendation> out(k);
	out.resize(pgrec::recommend_items(m, query, excluded.data(), static_cast<int>(excluded.size()),
	                                  nullptr, k, 1, out.data()));
	return out;
}

std::vector<pgrec::Recommendation> approximate(const pgrec::ItemMatrix &m, const pgrec::IvfIndex &index,
                                               const float *query,
                                               const std::vector<pgrec::SortedList> &excluded,
                                               size_t k, size_t probes, int threads,
                                               pgrec::IvfStats *stats = nullptr)
{
	std::vector<pgrec::Recommendation> out(k);
	out.resize(pgrec::recommend_items_ivf(m, index, query, excluded.data(),
	                                      static_cast<int>(excluded.size()), k, probes, threads,
	                                      out.data(), stats));
	return out;
}

// The share of the exact top k that the approximate search finds, over `queries` queries.
double recall(const pgrec::ItemMatrix &m, const pgrec::IvfIndex &index, const std::vector<float> &queries,
              size_t k, size_t probes, double *scanned)
{
	size_t count = queries.size() / m.dim, hits = 0, read = 0;
	for (size_t q = 0; q < count; q++)
	{
		std::set<int32_t> truth;
		for (const auto &r : exact(m, queries.data() + q * m.dim, {}, k))
			truth.insert(r.item);
		pgrec::IvfStats stats;
		for (const auto &r : approximate(m, index, queries.data() + q * m.dim, {}, k, probes, 1, &stats))
			hits += truth.count(r.item);
		read += stats.scanned;
	}
	*scanned = static_cast<double>(read) / count / m.count;
	return static_cast<double>(hits) / (count * k);
}

void expect_same(const std::vector<pgrec::Recommendation> &want,
                 const std::vector<pgrec::Recommendation> &got)
{
	ASSERT_EQ(want.size(), got.size());
	for (size_t r = 0; r < want.size(); r++)
	{
		EXPECT_EQ(want[r].item, got[r].item) << "rank " << r;
		EXPECT_EQ(std::memcmp(&want[r].score, &got[r].score, sizeof(float)), 0) << "rank " << r;
	}
}

TEST(Kmeans, FindsPlantedClusters)
{
	std::mt19937 rng(3);
	const int dim = 8;
	const size_t centres = 5, count = 5000, k = 20;
	std::vector<float> centre = gaussian(centres * dim, 10.0f, rng), rows(count * dim);
	std::normal_distribution<float> noise(0.0f, 0.1f);
	for (size_t r = 0; r < count; r++)
		for (int f = 0; f < dim; f++)
			rows[r * dim + f] = centre[(r % centres) * dim + f] + noise(rng);
	pgrec::PointRows points = {rows.data(), nullptr, count, dim, false};
	std::vector<float> centroids(k * (dim + 1));
	pgrec::train_kmeans(points, k, 1000, 10, 11, 2, pgrec::no_cancel(), centroids.data());
	std::vector<int32_t> assigned(count);
	pgrec::nearest_centroids(points, centroids.data(), k, 2, pgrec::no_cancel(), assigned.data());
	// Each cluster holds the rows of one planted centre only, and lies within it; every centre
	// has a cluster.
	std::vector<int> centre_of(k, -1);
	std::set<int> covered;
	for (size_t r = 0; r < count; r++)
	{
		int &c = centre_of[static_cast<size_t>(assigned[r])];
		if (c < 0)
			c = static_cast<int>(r % centres);
		ASSERT_EQ(c, static_cast<int>(r % centres)) << "row " << r;
		covered.insert(c);
	}
	EXPECT_EQ(covered.size(), centres);
	for (size_t j = 0; j < k; j++)
	{
		if (centre_of[j] < 0)
			continue;
		for (int f = 0; f < dim; f++)
			EXPECT_NEAR(centroids[j * (dim + 1) + f], centre[centre_of[j] * dim + f], 0.5);
		EXPECT_EQ(centroids[j * (dim + 1) + dim], 0.0f);
	}
}

TEST(IvfIndex, EveryItemIsInOneListWithItsCompactRow)
{
	std::mt19937 rng(4);
	const int dim = 20;
	const size_t count = 3000;
	std::vector<float> factors = clustered(count, dim, 30, 0.5f, rng), bias = gaussian(count, 1.0f, rng);
	pgrec::ItemMatrix m = {factors.data(), bias.data(), nullptr, count, dim};
	size_t lists = pgrec::ivf_lists(count);
	EXPECT_EQ(lists, 55u);
	OwnedIvf ivf(m, lists, 2);
	EXPECT_EQ(ivf.offsets[0], 0);
	EXPECT_EQ(ivf.offsets[lists], static_cast<int64_t>(count));
	std::vector<int> seen(count, 0);
	for (size_t l = 0; l < lists; l++)
	{
		ASSERT_LE(ivf.offsets[l], ivf.offsets[l + 1]);
		for (int64_t e = ivf.offsets[l]; e < ivf.offsets[l + 1]; e++)
		{
			if (e > ivf.offsets[l])
			{
				EXPECT_LT(ivf.items[e - 1], ivf.items[e]);
			}
			seen[ivf.items[e]]++;
		}
	}
	for (size_t i = 0; i < count; i++)
		ASSERT_EQ(seen[i], 1) << "item " << i;
	// Entry e's compact row is the row of its item, as the compact copy encodes it.
	std::vector<int8_t> codes(count * pgrec::compact_stride(dim));
	std::vector<float> step(count), radius(count);
	pgrec::CompactRows compact = {codes.data(), step.data(), radius.data(), count, dim, pgrec::compact_stride(dim)};
	pgrec::compact_rows(factors.data(), compact, 1, pgrec::no_cancel());
	size_t stride = compact.stride;
	for (size_t e = 0; e < count; e++)
	{
		size_t i = static_cast<size_t>(ivf.items[e]);
		ASSERT_EQ(std::memcmp(ivf.codes.data() + e * stride, codes.data() + i * stride, stride), 0);
		ASSERT_EQ(ivf.step[e], step[i]);
		ASSERT_EQ(ivf.radius[e], radius[i]);
	}
	// Unit centroids.
	for (size_t l = 0; l < lists; l++)
	{
		double norm = 0.0;
		for (int f = 0; f <= dim; f++)
			norm += static_cast<double>(ivf.centroids[l * (dim + 1) + f]) * ivf.centroids[l * (dim + 1) + f];
		EXPECT_NEAR(norm, 1.0, 1e-5);
	}
}

TEST(IvfIndex, SameIndexForEveryThreadCount)
{
	std::mt19937 rng(5);
	const int dim = 16;
	const size_t count = 20000;
	std::vector<float> factors = clustered(count, dim, 50, 0.5f, rng);
	pgrec::ItemMatrix m = {factors.data(), nullptr, nullptr, count, dim};
	OwnedIvf one(m, 100, 1), two(m, 100, 2);
	EXPECT_EQ(one.centroids, two.centroids);
	EXPECT_EQ(one.offsets, two.offsets);
	EXPECT_EQ(one.items, two.items);
	EXPECT_EQ(one.codes, two.codes);
}

TEST(IvfIndex, ProbingEveryListIsTheExactScan)
{
	std::mt19937 rng(6);
	for (int dim : {8, 64, 100})
	{
		const size_t count = 5000;
		std::vector<float> factors = gaussian(count * dim, 0.3f, rng), bias = gaussian(count, 0.5f, rng);
		std::vector<float> queries = gaussian(5 * dim, 1.0f, rng);
		std::vector<int32_t> seen = {0, 3, 17, 400, 4999}, other;
		// Exclusions that remove much of the top of the first query.
		for (const auto &r : exact({factors.data(), bias.data(), nullptr, count, dim}, queries.data(), {}, 50))
			other.push_back(r.item);
		std::sort(other.begin(), other.end());
		std::vector<pgrec::SortedList> excluded = {{seen.data(), seen.size()}, {other.data(), other.size()}};
		for (bool with_bias : {false, true})
		{
			pgrec::ItemMatrix m = {factors.data(), with_bias ? bias.data() : nullptr, nullptr, count, dim};
			OwnedIvf ivf(m, pgrec::ivf_lists(count), 2);
			for (size_t q = 0; q < 5; q++)
				for (size_t k : {1, 10, 100})
					for (int threads : {1, 2})
					{
						SCOPED_TRACE(testing::Message() << "dim " << dim << " bias " << with_bias << " k " << k
						                                << " threads " << threads);
						const float *query = queries.data() + q * dim;
						pgrec::IvfStats stats;
						expect_same(exact(m, query, {}, k),
						            approximate(m, ivf.index, query, {}, k, ivf.index.lists, threads, &stats));
						EXPECT_EQ(stats.scanned, count);
						EXPECT_LT(stats.rescored, count / 4);
						expect_same(exact(m, query, excluded, k),
						            approximate(m, ivf.index, query, excluded, k, ivf.index.lists, threads));
					}
		}
	}
}

TEST(IvfIndex, FloatFallbackKeepsTheExactScores)
{
	// Near-duplicate rows (ties almost everywhere) and a k of 2,000 make the code bounds give
	// up; every probed item is then scored in float, as the exact scan scores it (64 dimensions:
	// beyond the SIMD width, where a lone dot product rounds unlike the scan's groups of four).
	std::mt19937 rng(12);
	const int dim = 64;
	const size_t count = 20000;
	std::vector<float> base = gaussian(dim, 1.0f, rng), noise = gaussian(count * dim, 1e-5f, rng);
	std::vector<float> near(count * dim), spread = gaussian(count * dim, 0.3f, rng);
	for (size_t r = 0; r < count; r++)
		for (int f = 0; f < dim; f++)
			near[r * dim + f] = base[f] + noise[r * dim + f];
	std::vector<float> queries = gaussian(3 * dim, 1.0f, rng);
	for (const std::vector<float> *factors : {&near, &spread})
	{
		pgrec::ItemMatrix m = {factors->data(), nullptr, nullptr, count, dim};
		OwnedIvf ivf(m, pgrec::ivf_lists(count), 2);
		for (size_t q = 0; q < 3; q++)
			for (size_t k : {10, 2000, 3000})
			{
				SCOPED_TRACE(testing::Message() << (factors == &near ? "near" : "spread") << " k " << k);
				pgrec::IvfStats stats;
				expect_same(exact(m, queries.data() + q * dim, {}, k),
				            approximate(m, ivf.index, queries.data() + q * dim, {}, k, ivf.index.lists, 2, &stats));
				if (factors == &near)
				{
					EXPECT_EQ(stats.rescored, count); // the fallback
				}
			}
	}
}

TEST(IvfIndex, DefaultProbesFindTheTopOfClusteredData)
{
	std::mt19937 rng(7);
	const int dim = 32;
	const size_t count = 100000;
	std::vector<float> centres = directions(300, dim, rng);
	std::vector<float> factors = around(centres, count, dim, 0.5f, rng);
	// Users like the items: a taste (a centre) plus noise.
	std::vector<float> queries = around(centres, 100, dim, 0.5f, rng);
	pgrec::ItemMatrix m = {factors.data(), nullptr, nullptr, count, dim};
	OwnedIvf ivf(m, pgrec::ivf_lists(count), 2);
	double scanned;
	double r = recall(m, ivf.index, queries, 10, pgrec::ivf_default_probes(ivf.index.lists), &scanned);
	EXPECT_GE(r, 0.95);
	EXPECT_LE(scanned, 0.05);
	// Fewer probes read less and find less: the probes matter.
	double fewer_scanned;
	double fewer = recall(m, ivf.index, queries, 10, 1, &fewer_scanned);
	EXPECT_LT(fewer_scanned, scanned / 3);
	EXPECT_LT(fewer, r);
}

TEST(IvfIndex, CosineRankingForSimilarItems)
{
	std::mt19937 rng(8);
	const int dim = 32;
	const size_t count = 50000;
	std::vector<float> factors = clustered(count, dim, 200, 0.5f, rng), inverse(count);
	for (size_t i = 0; i < count; i++)
	{
		double sum = 0.0;
		for (int f = 0; f < dim; f++)
			sum += static_cast<double>(factors[i * dim + f]) * factors[i * dim + f];
		inverse[i] = static_cast<float>(1.0 / std::sqrt(sum));
	}
	pgrec::ItemMatrix m = {factors.data(), nullptr, nullptr, count, dim};
	OwnedIvf ivf(m, pgrec::ivf_lists(count), 2);
	pgrec::ItemMatrix cosine = {factors.data(), nullptr, inverse.data(), count, dim};
	// The items' own rows as queries, as similar_items() asks.
	std::vector<float> queries(factors.begin(), factors.begin() + 100 * dim);
	double scanned;
	EXPECT_GE(recall(cosine, ivf.index, queries, 10, pgrec::ivf_default_probes(ivf.index.lists), &scanned), 0.95);
}

TEST(IvfIndex, ProbesMoreListsForLargeKAndExclusions)
{
	std::mt19937 rng(9);
	const int dim = 8;
	const size_t count = 2000;
	std::vector<float> factors = clustered(count, dim, 40, 0.3f, rng), query = gaussian(dim, 1.0f, rng);
	pgrec::ItemMatrix m = {factors.data(), nullptr, nullptr, count, dim};
	OwnedIvf ivf(m, 45, 1);
	// One list holds about 45 items: k = 500 needs many lists, and gets 500 items.
	pgrec::IvfStats stats;
	auto got = approximate(m, ivf.index, query.data(), {}, 500, 1, 1, &stats);
	EXPECT_EQ(got.size(), 500u);
	EXPECT_GE(stats.scanned, 500u);
	EXPECT_GT(stats.probed, 1u);
	// k beyond the catalogue: every item once.
	got = approximate(m, ivf.index, query.data(), {}, 3000, 1, 1);
	EXPECT_EQ(got.size(), count);
	// Excluded items never come back, and k are still returned.
	std::vector<int32_t> all_but_ten;
	for (int32_t i = 10; i < static_cast<int32_t>(count); i++)
		all_but_ten.push_back(i);
	got = approximate(m, ivf.index, query.data(), {{all_but_ten.data(), all_but_ten.size()}}, 10, 1, 2);
	ASSERT_EQ(got.size(), 10u);
	for (const auto &r : got)
		EXPECT_LT(r.item, 10);
}

TEST(IvfIndex, BadQueriesAndEmptyCalls)
{
	std::mt19937 rng(10);
	const int dim = 8;
	const size_t count = 1000;
	std::vector<float> factors = gaussian(count * dim, 1.0f, rng);
	pgrec::ItemMatrix m = {factors.data(), nullptr, nullptr, count, dim};
	OwnedIvf ivf(m, 30, 1);
	std::vector<float> huge(dim, 1e30f), nan(dim, NAN), zero(dim, 0.0f);
	// Scores beyond the bounds' range are scored in float: the exact result over every list.
	expect_same(exact(m, huge.data(), {}, 10), approximate(m, ivf.index, huge.data(), {}, 10, 30, 1));
	EXPECT_LE(approximate(m, ivf.index, nan.data(), {}, 10, 3, 1).size(), 10u);
	// A zero query ties every item: the smallest indices of the probed lists, all scored 0.
	auto ties = approximate(m, ivf.index, zero.data(), {}, 10, 30, 1);
	expect_same(exact(m, zero.data(), {}, 10), ties);
	EXPECT_TRUE(approximate(m, ivf.index, zero.data(), {}, 0, 3, 1).empty());
}

TEST(IvfIndex, BuildStopsOnCancel)
{
	std::mt19937 rng(11);
	const int dim = 8;
	const size_t count = 5000;
	std::vector<float> factors = gaussian(count * dim, 1.0f, rng);
	pgrec::ItemMatrix m = {factors.data(), nullptr, nullptr, count, dim};
	volatile sig_atomic_t flag = 1;
	pgrec::CancelToken token;
	token.cancel = &flag;
	std::vector<float> centroids(70 * (dim + 1));
	std::vector<int64_t> offsets(71);
	std::vector<int32_t> items(count);
	std::vector<int8_t> codes(count * 64);
	std::vector<float> step(count), radius(count);
	pgrec::IvfIndex index = {70, dim, centroids.data(), offsets.data(), items.data(),
	                         {codes.data(), step.data(), radius.data(), count, dim, 64}};
	EXPECT_THROW(pgrec::build_ivf(m, 1, 2, token, index), pgrec::Cancelled);
}

} // namespace
