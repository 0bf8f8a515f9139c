// Unit tests of the top-k scans against a brute-force reference: exclusions, candidates, ties,
// the multi-threaded scan of a large matrix, the batch path, and the fold-in solves.
#include "algorithm_registry.h"
#include "recommend.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <random>
#include <vector>

namespace
{

// Brute force: every item not excluded (and among candidates), sorted by score then index.
std::vector<pgrec::Recommendation> reference(const pgrec::ItemMatrix &m, const float *q,
                                             const std::vector<int32_t> &excluded,
                                             const std::vector<int32_t> *candidates, size_t k)
{
	std::vector<pgrec::Recommendation> all;
	for (size_t i = 0; i < m.count; i++)
	{
		int32_t id = static_cast<int32_t>(i);
		if (std::binary_search(excluded.begin(), excluded.end(), id))
			continue;
		if (candidates && !std::binary_search(candidates->begin(), candidates->end(), id))
			continue;
		float s = 0;
		for (int f = 0; f < m.dim; f++)
			s += m.factors[i * m.dim + f] * q[f];
		if (m.bias)
			s += m.bias[i];
		all.push_back({id, s});
	}
	std::stable_sort(all.begin(), all.end(),
	                 [](const pgrec::Recommendation &a, const pgrec::Recommendation &b)
	                 { return a.score > b.score || (a.score == b.score && a.item < b.item); });
	all.resize(std::min(k, all.size()));
	return all;
}

// Small integer values keep every score exact, so results must match the reference exactly.
std::vector<float> integers(size_t n, std::mt19937 &rng)
{
	std::uniform_int_distribution<int> d(-3, 3);
	std::vector<float> v(n);
	for (float &x : v)
		x = static_cast<float>(d(rng));
	return v;
}

void expect_same(const std::vector<pgrec::Recommendation> &a, const pgrec::Recommendation *b,
                 size_t n)
{
	ASSERT_EQ(a.size(), n);
	for (size_t r = 0; r < n; r++)
	{
		EXPECT_EQ(a[r].item, b[r].item) << "rank " << r;
		EXPECT_EQ(a[r].score, b[r].score) << "rank " << r;
	}
}

TEST(RecommendItems, MatchesBruteForceWithExclusionsCandidatesAndThreads)
{
	std::mt19937 rng(11);
	for (size_t items : {1, 5, 1000, 1025, 70000})
		for (int dim : {3, 64})
		{
			std::vector<float> f = integers(items * dim, rng), bias = integers(items, rng),
			                   q = integers(dim, rng);
			pgrec::ItemMatrix m = {f.data(), bias.data(), nullptr, items, dim};
			std::vector<int32_t> excluded;
			for (size_t i = 0; i < items; i += 3)
				excluded.push_back(static_cast<int32_t>(i));
			std::vector<int32_t> candidates;
			for (size_t i = 0; i < items; i += 2)
				candidates.push_back(static_cast<int32_t>(i));
			pgrec::SortedList ex = {excluded.data(), excluded.size()},
			                  ca = {candidates.data(), candidates.size()};
			for (size_t k : {1, 10, 100})
				for (int threads : {1, 2})
				{
					SCOPED_TRACE("items=" + std::to_string(items) + " dim=" + std::to_string(dim) +
					             " k=" + std::to_string(k) + " threads=" + std::to_string(threads));
					std::vector<pgrec::Recommendation> out(k);
					size_t n = pgrec::recommend_items(m, q.data(), &ex, 1, nullptr, k, threads,
					                                  out.data());
					expect_same(reference(m, q.data(), excluded, nullptr, k), out.data(), n);
					n = pgrec::recommend_items(m, q.data(), &ex, 1, &ca, k, threads, out.data());
					expect_same(reference(m, q.data(), excluded, &candidates, k), out.data(), n);
				}
		}
}

TEST(RecommendBatch, EqualsOneUserAtATime)
{
	std::mt19937 rng(5);
	const size_t items = 3000, users = 300;
	const int dim = 16;
	std::vector<float> f = integers(items * dim, rng), q = integers(users * dim, rng);
	pgrec::ItemMatrix m = {f.data(), nullptr, nullptr, items, dim};
	std::vector<std::vector<int32_t>> seen(users);
	std::vector<pgrec::SortedList> lists(users);
	for (size_t u = 0; u < users; u++)
	{
		for (size_t i = u % 7; i < items; i += 50 + u % 13)
			seen[u].push_back(static_cast<int32_t>(i));
		lists[u] = {seen[u].data(), seen[u].size()};
	}
	const size_t k = 10;
	std::vector<pgrec::Recommendation> out(users * k);
	std::vector<size_t> counts(users);
	pgrec::recommend_batch(m, q.data(), users, lists.data(), k, 2, pgrec::no_cancel(), out.data(),
	                       counts.data());
	for (size_t u = 0; u < users; u++)
		expect_same(reference(m, q.data() + u * dim, seen[u], nullptr, k), out.data() + u * k,
		            counts[u]);
}

TEST(FoldIn, ExplicitUserSolveMatchesDirectLeastSquares)
{
	std::mt19937 rng(2);
	const int dim = 4;
	const size_t items = 20;
	std::vector<float> f(items * dim), bias(items);
	std::normal_distribution<float> d(0, 1);
	for (float &x : f)
		x = d(rng);
	for (float &x : bias)
		x = d(rng);
	pgrec::ItemMatrix m = {f.data(), bias.data(), nullptr, items, dim};
	pgrec::Hyperparameters h;
	h.regularization = 0.2;
	h.bias_regularization = 0.05;
	h.regularization_exponent = 0.8;
	std::vector<int32_t> rated = {1, 4, 7, 9, 15, 18};
	std::vector<float> ratings = {5, 3, 4, 1, 2, 5};
	std::vector<float> user(dim);
	float user_bias;
	pgrec::FoldInInput input = {m, 3.5, h, nullptr, rated.data(), ratings.data(), rated.size()};
	pgrec::fold_in_user(*pgrec::find_algorithm("als"), input, pgrec::no_cancel(), user.data(),
	                    &user_bias);
	// The same problem with a dense QR of the regularised design matrix.
	double n = std::pow(static_cast<double>(rated.size()), h.regularization_exponent);
	Eigen::MatrixXd x(rated.size() + dim + 1, dim + 1);
	Eigen::VectorXd y(rated.size() + dim + 1);
	x.setZero();
	y.setZero();
	for (size_t r = 0; r < rated.size(); r++)
	{
		x(r, 0) = 1;
		for (int c = 0; c < dim; c++)
			x(r, c + 1) = f[rated[r] * dim + c];
		y(r) = ratings[r] - 3.5 - bias[rated[r]];
	}
	x(rated.size(), 0) = std::sqrt(h.bias_regularization * n);
	for (int c = 0; c < dim; c++)
		x(rated.size() + 1 + c, c + 1) = std::sqrt(h.regularization * n);
	Eigen::VectorXd w = x.colPivHouseholderQr().solve(y);
	EXPECT_NEAR(user_bias, w(0), 1e-4);
	for (int c = 0; c < dim; c++)
		EXPECT_NEAR(user[c], w(c + 1), 1e-4);
}

} // namespace
