// Unit tests of the re-ranking core: diversity on planted clusters, the input order at diversity
// 0, caps on random pools against a counting bound, MMR against a naive reference, the cosine
// pools against the pairwise similarity, and a plugged-in similarity without vectors.
#include "rerank.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace
{

// Item factors with their inverse norms, for CosineSimilarity.
struct Factors
{
	std::vector<float> values, inverse_norms;
	int dim;
	Factors(std::vector<float> v, int d) : values(std::move(v)), dim(d)
	{
		size_t n = values.size() / dim;
		inverse_norms.resize(n);
		for (size_t i = 0; i < n; i++)
		{
			double s = 0;
			for (int f = 0; f < dim; f++)
				s += double(values[i * dim + f]) * values[i * dim + f];
			inverse_norms[i] = s > 0 ? float(1 / std::sqrt(s)) : 0.0f;
		}
	}
	pgrec::CosineSimilarity cosine() const
	{
		return pgrec::CosineSimilarity(values.data(), inverse_norms.data(), dim);
	}
};

// clusters x per_cluster near-identical vectors (cluster c points along axis c); item c *
// per_cluster + j scores 1 - 0.2 c - 0.002 j, so cluster 0 holds the most relevant items.
struct Planted
{
	Factors factors;
	std::vector<pgrec::Recommendation> pool;
};

Planted planted(int clusters, int per_cluster, int dim, unsigned seed)
{
	std::mt19937 rng(seed);
	std::uniform_real_distribution<float> noise(-0.02f, 0.02f);
	std::vector<float> v(size_t(clusters) * per_cluster * dim);
	std::vector<pgrec::Recommendation> pool;
	for (int c = 0; c < clusters; c++)
		for (int j = 0; j < per_cluster; j++)
		{
			int item = c * per_cluster + j;
			for (int f = 0; f < dim; f++)
				v[size_t(item) * dim + f] = (f == c ? 1.0f : 0.0f) + noise(rng);
			pool.push_back({item, 1.0f - 0.2f * c - 0.002f * j});
		}
	std::sort(pool.begin(), pool.end(),
	          [](const pgrec::Recommendation &a, const pgrec::Recommendation &b)
	          { return a.score > b.score || (a.score == b.score && a.item < b.item); });
	return {Factors(std::move(v), dim), std::move(pool)};
}

// Mean cosine similarity over the pairs of a list.
double intra_list_similarity(const pgrec::ItemSimilarity &s, const pgrec::Recommendation *list,
                             size_t n)
{
	double sum = 0;
	size_t pairs = 0;
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++, pairs++)
			sum += s.similarity(list[a].item, list[b].item);
	return pairs ? sum / pairs : 0;
}

std::vector<pgrec::Recommendation> run(const std::vector<pgrec::Recommendation> &pool, size_t k,
                                       double diversity, const pgrec::ItemSimilarity *similarity,
                                       const pgrec::GroupCaps *caps = nullptr)
{
	std::vector<pgrec::Recommendation> out(k);
	pgrec::RerankOptions options = {diversity, similarity, caps};
	out.resize(pgrec::rerank(pool.data(), pool.size(), k, options, pgrec::no_cancel(), out.data()));
	return out;
}

TEST(Rerank, IntraListSimilarityFallsAsDiversityRises)
{
	Planted p = planted(5, 20, 8, 3);
	pgrec::CosineSimilarity cosine = p.factors.cosine();
	std::vector<double> ils;
	std::vector<size_t> clusters;
	for (double lambda : {0.0, 0.25, 0.5, 0.75, 1.0})
	{
		std::vector<pgrec::Recommendation> out = run(p.pool, 10, lambda, &cosine);
		ASSERT_EQ(out.size(), 10u);
		ils.push_back(intra_list_similarity(cosine, out.data(), out.size()));
		std::set<int32_t> seen;
		for (const auto &r : out)
			seen.insert(r.item / 20);
		clusters.push_back(seen.size());
		// The first pick is always the most relevant item.
		EXPECT_EQ(out[0].item, 0);
	}
	for (size_t i = 1; i < ils.size(); i++)
		EXPECT_LE(ils[i], ils[i - 1] + 1e-9) << "diversity step " << i;
	EXPECT_GT(ils.front(), 0.99); // all ten from cluster 0
	EXPECT_EQ(clusters.front(), 1u);
	EXPECT_LT(ils.back(), ils.front() - 0.5);
	EXPECT_EQ(clusters.back(), 5u); // every cluster represented
}

TEST(Rerank, ZeroDiversityWithoutCapsReturnsTheInputOrder)
{
	Planted p = planted(4, 10, 6, 9);
	pgrec::CosineSimilarity cosine = p.factors.cosine();
	for (size_t k : {1, 7, 40, 100})
	{
		std::vector<pgrec::Recommendation> out = run(p.pool, k, 0.0, &cosine);
		ASSERT_EQ(out.size(), std::min(k, p.pool.size()));
		for (size_t r = 0; r < out.size(); r++)
		{
			EXPECT_EQ(out[r].item, p.pool[r].item);
			EXPECT_EQ(out[r].score, p.pool[r].score);
		}
	}
	// No similarity is needed (nor touched) at diversity 0.
	EXPECT_EQ(run(p.pool, 5, 0.0, nullptr).size(), 5u);
}

// A similarity from a table of item-pair weights and nothing else, as a neighbourhood model
// has: missing pairs are 0.
class PairWeights final : public pgrec::ItemSimilarity
{
  public:
	std::map<std::pair<int32_t, int32_t>, float> weights;
	float similarity(int32_t a, int32_t b) const override
	{
		if (a == b)
			return 1.0f;
		auto it = weights.find({std::min(a, b), std::max(a, b)});
		return it == weights.end() ? 0.0f : it->second;
	}
};

TEST(Rerank, APluggedInSimilarityWithoutVectors)
{
	PairWeights s;
	s.weights[{0, 1}] = 1.0f; // items 0 and 1 are the same thing
	std::vector<pgrec::Recommendation> pool = {{0, 3.0f}, {1, 2.9f}, {2, 1.0f}};
	// rel = 1, 0.95, 0; item 1: 0.5 * 0.95 - 0.5 * 1 < 0 = item 2: 0.5 * 0 - 0.5 * 0.
	std::vector<pgrec::Recommendation> out = run(pool, 2, 0.5, &s);
	ASSERT_EQ(out.size(), 2u);
	EXPECT_EQ(out[0].item, 0);
	EXPECT_EQ(out[1].item, 2);
	EXPECT_EQ(out[1].score, 1.0f); // scores are kept
	// With a little diversity relevance still wins.
	out = run(pool, 2, 0.02, &s);
	EXPECT_EQ(out[1].item, 1);
}

// MMR as the formula reads, re-computing max over the picks for every candidate.
std::vector<int32_t> naive_mmr(const std::vector<pgrec::Recommendation> &pool, size_t k,
                               double lambda, const pgrec::ItemSimilarity &s)
{
	float high = -INFINITY, low = INFINITY;
	for (const auto &r : pool)
		high = std::max(high, r.score), low = std::min(low, r.score);
	std::vector<int32_t> picked;
	std::vector<bool> used(pool.size());
	while (picked.size() < std::min(k, pool.size()))
	{
		size_t best = pool.size();
		double best_value = 0;
		for (size_t p = 0; p < pool.size(); p++)
		{
			if (used[p])
				continue;
			double rel = high > low ? (double(pool[p].score) - low) / (double(high) - low) : 1.0;
			double nearest = picked.empty() ? 0.0 : -INFINITY;
			for (int32_t j : picked)
				nearest = std::max(nearest, double(s.similarity(pool[p].item, j)));
			double value = (1 - lambda) * rel - lambda * nearest;
			if (best == pool.size() || value > best_value)
				best = p, best_value = value;
		}
		used[best] = true;
		picked.push_back(pool[best].item);
	}
	return picked;
}

// A similarity read from a dense random symmetric matrix (pairwise pool).
class DenseSimilarity final : public pgrec::ItemSimilarity
{
  public:
	DenseSimilarity(size_t n, std::mt19937 &rng) : n_(n), m_(n * n)
	{
		std::uniform_real_distribution<float> d(-1, 1);
		for (size_t a = 0; a < n; a++)
			for (size_t b = a; b < n; b++)
				m_[a * n + b] = m_[b * n + a] = a == b ? 1.0f : d(rng);
	}
	float similarity(int32_t a, int32_t b) const override
	{
		return m_[size_t(a) * n_ + b];
	}

  private:
	size_t n_;
	std::vector<float> m_;
};

// A pool of n distinct items out of a catalogue of 2n, best first, with some tied scores.
std::vector<pgrec::Recommendation> random_pool(size_t n, std::mt19937 &rng)
{
	std::vector<int32_t> items(2 * n);
	for (size_t i = 0; i < items.size(); i++)
		items[i] = int32_t(i);
	std::shuffle(items.begin(), items.end(), rng);
	std::uniform_int_distribution<int> score(0, int(n));
	std::vector<pgrec::Recommendation> pool;
	for (size_t i = 0; i < n; i++)
		pool.push_back({items[i], float(score(rng)) / 4});
	std::sort(pool.begin(), pool.end(),
	          [](const pgrec::Recommendation &a, const pgrec::Recommendation &b)
	          { return a.score > b.score || (a.score == b.score && a.item < b.item); });
	return pool;
}

TEST(Rerank, WeightSimilarityIsTheLargerStoredWeight)
{
	// Item 0 keeps 1 (0.5) and 2 (0.25); item 1 keeps 0 (0.75); item 2 keeps nothing.
	pgrec::SparseRows s;
	s.ptr = {0, 2, 3, 3};
	s.index = {1, 2, 0};
	s.value = {0.5f, 0.25f, 0.75f};
	pgrec::WeightSimilarity similarity(pgrec::neighbor_view(s));
	EXPECT_FLOAT_EQ(similarity.similarity(0, 1), 0.75f);
	EXPECT_FLOAT_EQ(similarity.similarity(1, 0), 0.75f);
	EXPECT_FLOAT_EQ(similarity.similarity(0, 2), 0.25f);
	EXPECT_FLOAT_EQ(similarity.similarity(2, 0), 0.25f);
	EXPECT_FLOAT_EQ(similarity.similarity(1, 2), 0.0f);
	// MMR with it: at diversity 1 the second pick is the item least like the first.
	std::vector<pgrec::Recommendation> pool = {{0, 3.0f}, {1, 2.0f}, {2, 1.0f}};
	std::vector<pgrec::Recommendation> out(2);
	pgrec::RerankOptions options = {1.0, &similarity, nullptr};
	ASSERT_EQ(pgrec::rerank(pool.data(), pool.size(), 2, options, pgrec::no_cancel(), out.data()),
	          2u);
	EXPECT_EQ(out[0].item, 0);
	EXPECT_EQ(out[1].item, 2);
}

TEST(Rerank, MatchesTheNaiveFormula)
{
	std::mt19937 rng(17);
	for (size_t n : {1, 2, 13, 60})
	{
		DenseSimilarity s(2 * n, rng);
		std::vector<pgrec::Recommendation> pool = random_pool(n, rng);
		for (double lambda : {0.1, 0.5, 0.9, 1.0})
			for (size_t k : {1, 5, 100})
			{
				SCOPED_TRACE("n=" + std::to_string(n) + " lambda=" + std::to_string(lambda) +
				             " k=" + std::to_string(k));
				std::vector<pgrec::Recommendation> out = run(pool, k, lambda, &s);
				std::vector<int32_t> items;
				for (const auto &r : out)
					items.push_back(r.item);
				EXPECT_EQ(items, naive_mmr(pool, k, lambda, s));
			}
	}
}

TEST(Rerank, EqualScoresAllCountAsFullyRelevant)
{
	PairWeights s;
	s.weights[{5, 6}] = 0.9f;
	std::vector<pgrec::Recommendation> pool = {{5, 2.0f}, {6, 2.0f}, {7, 2.0f}};
	std::vector<pgrec::Recommendation> out = run(pool, 3, 0.5, &s);
	ASSERT_EQ(out.size(), 3u);
	EXPECT_EQ(out[0].item, 5);
	EXPECT_EQ(out[1].item, 7); // 6 is near 5
	EXPECT_EQ(out[2].item, 6);
}

TEST(Rerank, CapsAlwaysHoldAndFillKWheneverPossible)
{
	std::mt19937 rng(23);
	const char *names[] = {"a", "b", "c", "d", "e"};
	for (int trial = 0; trial < 400; trial++)
	{
		size_t n = 1 + rng() % 150;
		DenseSimilarity s(2 * n, rng);
		std::vector<pgrec::Recommendation> pool = random_pool(n, rng);
		size_t groups = 1 + rng() % 5;
		std::vector<std::string> owned(n);
		std::vector<const char *> keys(n);
		for (size_t p = 0; p < n; p++)
		{
			size_t g = rng() % (groups + 1);
			// Equal keys in distinct buffers: groups compare by content.
			keys[p] = g == groups ? nullptr : (owned[p] = names[g]).c_str();
		}
		size_t cap = 1 + rng() % 4, k = 1 + rng() % 40;
		double lambda = std::vector<double>{0, 0.3, 0.7, 1}[rng() % 4];
		pgrec::GroupCaps caps = {keys.data(), cap};
		std::vector<pgrec::Recommendation> out = run(pool, k, lambda, &s, &caps);

		std::map<std::string, size_t> in_pool, picked;
		size_t ungrouped = 0;
		std::map<int32_t, size_t> position;
		for (size_t p = 0; p < n; p++)
		{
			position[pool[p].item] = p;
			if (keys[p])
				in_pool[keys[p]]++;
			else
				ungrouped++;
		}
		size_t possible = ungrouped;
		for (const auto &g : in_pool)
			possible += std::min(g.second, cap);
		SCOPED_TRACE("trial " + std::to_string(trial));
		ASSERT_EQ(out.size(), std::min(k, possible));
		std::set<int32_t> distinct;
		for (const auto &r : out)
		{
			ASSERT_TRUE(position.count(r.item));
			distinct.insert(r.item);
			size_t p = position[r.item];
			EXPECT_EQ(r.score, pool[p].score);
			if (keys[p])
			{
				EXPECT_LE(++picked[keys[p]], cap);
			}
		}
		EXPECT_EQ(distinct.size(), out.size());
		if (lambda == 0)
		{
			// Relevance order: the first items in pool order that the caps admit.
			std::vector<int32_t> greedy;
			std::map<std::string, size_t> counts;
			for (size_t p = 0; p < n && greedy.size() < k; p++)
				if (!keys[p] || counts[keys[p]]++ < cap)
					greedy.push_back(pool[p].item);
			std::vector<int32_t> got;
			for (const auto &r : out)
				got.push_back(r.item);
			EXPECT_EQ(got, greedy);
		}
	}
}

TEST(Rerank, CosinePoolsMatchThePairwiseSimilarity)
{
	std::mt19937 rng(29);
	std::uniform_real_distribution<float> d(-1, 1);
	for (size_t n : {3, 20000}) // a block, and a pool above kPoolBlockFloats read in place
	{
		const int dim = 64;
		std::vector<float> v(n * dim);
		for (float &x : v)
			x = d(rng);
		std::fill(v.begin() + dim, v.begin() + 2 * dim, 0.0f); // item 1: a zero vector
		Factors f(std::move(v), dim);
		pgrec::CosineSimilarity cosine = f.cosine();
		std::vector<int32_t> items(n);
		for (size_t i = 0; i < n; i++)
			items[i] = int32_t(n - 1 - i);
		ASSERT_EQ(n * dim > pgrec::kPoolBlockFloats, n == 20000);
		std::unique_ptr<pgrec::PoolSimilarity> pool = cosine.for_pool(items.data(), n);
		std::vector<float> row(n);
		for (size_t p : {size_t(0), n / 2, n - 1})
		{
			pool->row(p, row.data());
			for (size_t q = 0; q < n; q++)
			{
				double a = 0, na = 0, nb = 0;
				for (int k = 0; k < dim; k++)
				{
					double x = f.values[items[p] * dim + k], y = f.values[items[q] * dim + k];
					a += x * y, na += x * x, nb += y * y;
				}
				double expected = na > 0 && nb > 0 ? a / std::sqrt(na * nb) : 0.0;
				ASSERT_NEAR(row[q], expected, 1e-5) << "p=" << p << " q=" << q;
				ASSERT_NEAR(cosine.similarity(items[p], items[q]), expected, 1e-5);
			}
		}
	}
}

TEST(Rerank, InvalidArgumentsAndCancel)
{
	Planted p = planted(2, 5, 3, 1);
	pgrec::CosineSimilarity cosine = p.factors.cosine();
	std::vector<pgrec::Recommendation> out(5);
	for (double bad : {-0.01, 1.01, double(NAN)})
	{
		pgrec::RerankOptions options = {bad, &cosine, nullptr};
		EXPECT_THROW(
		    pgrec::rerank(p.pool.data(), p.pool.size(), 5, options, pgrec::no_cancel(), out.data()),
		    pgrec::InvalidArgument);
	}
	pgrec::RerankOptions no_similarity = {0.5, nullptr, nullptr};
	EXPECT_THROW(pgrec::rerank(p.pool.data(), p.pool.size(), 5, no_similarity, pgrec::no_cancel(),
	                           out.data()),
	             pgrec::InvalidArgument);
	volatile sig_atomic_t flag = 1;
	pgrec::CancelToken cancel;
	cancel.cancel = &flag;
	pgrec::RerankOptions options = {0.5, &cosine, nullptr};
	EXPECT_THROW(pgrec::rerank(p.pool.data(), p.pool.size(), 5, options, cancel, out.data()),
	             pgrec::Cancelled);
	EXPECT_EQ(
	    pgrec::rerank(p.pool.data(), p.pool.size(), 0, options, pgrec::no_cancel(), out.data()),
	    0u);
}

TEST(Rerank, PoolSize)
{
	EXPECT_EQ(pgrec::rerank_pool_size(10, 1000000), 100u);
	EXPECT_EQ(pgrec::rerank_pool_size(1, 1000000), 100u);
	EXPECT_EQ(pgrec::rerank_pool_size(25, 1000000), 250u);
	EXPECT_EQ(pgrec::rerank_pool_size(10, 40), 40u);
	EXPECT_EQ(pgrec::rerank_pool_size(SIZE_MAX / 2, 7), 7u);
}

} // namespace
