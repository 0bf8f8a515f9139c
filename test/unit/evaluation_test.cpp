// Unit tests of top-k selection and of the evaluation metrics on hand-computed examples.
#include "evaluation.h"
#include "top_k.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

namespace
{

TEST(TopK, MatchesAFullSortWithTiesAndExclusions)
{
	std::mt19937 rng(3);
	std::uniform_int_distribution<int> value(0, 20);
	for (size_t n : {1, 5, 17, 100, 1000})
		for (size_t k : {1, 3, 10, 2000})
		{
			std::vector<float> scores(n);
			for (float &s : scores)
				s = value(rng) == 0 ? -INFINITY : static_cast<float>(value(rng)); // many ties
			std::vector<int32_t> expected;
			for (size_t i = 0; i < n; i++)
				if (scores[i] != -INFINITY)
					expected.push_back(static_cast<int32_t>(i));
			std::stable_sort(expected.begin(), expected.end(),
			                 [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
			expected.resize(std::min(k, expected.size()));
			std::vector<int32_t> got;
			pgrec::top_k(scores.data(), n, k, got);
			EXPECT_EQ(got, expected) << "n=" << n << " k=" << k;
		}
}

TEST(RankingMetrics, HandComputedExample)
{
	// 1-d factors: item scores are the item factors for a user factor of 1.
	std::vector<float> users = {1.0f, 1.0f};
	std::vector<float> items = {5, 4, 3, 2, 1, 0};
	pgrec::ModelView m = {users.data(), items.data(), nullptr, nullptr, 0.0, 2, 6, 1,
	                      nullptr,      nullptr};
	// User 0 trained on item 0, user 1 on nothing.
	std::vector<int64_t> ptr = {0, 1, 1};
	std::vector<int32_t> index = {0};
	// User 0: relevant items 2 and 5, plus one unknown item; user 1: relevant item 1.
	std::vector<int32_t> relevant0 = {2, 5}, relevant1 = {1};
	std::vector<pgrec::RankingCase> cases = {{0, relevant0.data(), 2, 1},
	                                         {1, relevant1.data(), 1, 0}};
	pgrec::RankingMetrics r = pgrec::ranking_metrics(m, {ptr.data(), index.data()}, cases.data(),
	                                                 cases.size(), 2, 2, pgrec::no_cancel());
	// User 0 top 2: items 1, 2 (item 0 was trained): one hit at rank 2 of 3 relevant.
	// User 1 top 2: items 0, 1: one hit at rank 2 of 1 relevant.
	double dcg = 1 / std::log2(3.0);
	EXPECT_NEAR(r.precision, (0.5 + 0.5) / 2, 1e-12);
	EXPECT_NEAR(r.recall, (1.0 / 3 + 1.0) / 2, 1e-12);
	EXPECT_NEAR(r.ndcg, (dcg / (1 + 1 / std::log2(3.0)) + dcg / 1.0) / 2, 1e-12);
	EXPECT_NEAR(r.hit_rate, 1.0, 1e-12);
	EXPECT_NEAR(r.map, (0.5 / 2 + 0.5 / 1) / 2, 1e-12);
	EXPECT_NEAR(r.coverage, 3.0 / 6, 1e-12); // items 0, 1, 2
	EXPECT_EQ(r.users, 2u);
}

TEST(RatingErrors, ClipsAndFallsBackToBiases)
{
	std::vector<float> uf = {1, 0}, itf = {2, 0}, ub = {0.5f}, ib = {-0.25f};
	pgrec::ModelView m = {uf.data(), itf.data(), ub.data(), ib.data(), 3.0,
	                      1,         1,          2,         nullptr,   nullptr};
	std::vector<pgrec::TestRating> test = {
	    {0, 0, 5.0f},  // 3 + 0.5 - 0.25 + 2 = 5.25, clipped to 5: error 0
	    {0, -1, 3.0f}, // unknown item: 3 + 0.5: error 0.5
	    {-1, 0, 2.0f}, // unknown user: 3 - 0.25: error 0.75
	};
	pgrec::RatingErrors e = pgrec::rating_errors(m, test.data(), test.size(), 1.0f, 5.0f);
	EXPECT_NEAR(e.mae, (0 + 0.5 + 0.75) / 3, 1e-6);
	EXPECT_NEAR(e.rmse, std::sqrt((0 + 0.25 + 0.5625) / 3), 1e-6);
}

} // namespace
