// Unit tests of the neighbourhood models: item_knn similarities against their textbook formulas,
// ease against the dense closed form, pruning, scoring by accumulation, renumbering, the
// capped recall of the fold-in evaluation, thread-count independence and cancel.
#include "algorithm_registry.h"
#include "core_errors.h"
#include "dense_blocks.h"
#include "evaluation.h"
#include "factor_init.h"
#include "interactions.h"
#include "neighbors.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>

#include <cmath>
#include <csignal>
#include <vector>

namespace
{

// A seeded random users x items matrix (values 1..5, or 1 when binary).
pgrec::Interactions random_data(int users, int items, double density, uint64_t seed, bool binary)
{
	pgrec::Random rng(seed);
	std::vector<int64_t> u, i;
	std::vector<float> v;
	for (int a = 0; a < users; a++)
		for (int b = 0; b < items; b++)
			if (rng.uniform() < density || a % items == b)
			{
				u.push_back(a);
				i.push_back(b);
				v.push_back(binary ? 1.0f : static_cast<float>(1 + rng.below(5)));
			}
	return pgrec::build_interactions(u.data(), i.data(), v.data(), u.size(),
	                                 pgrec::DuplicatePolicy::Sum);
}

Eigen::MatrixXd dense(const pgrec::Interactions &d)
{
	Eigen::MatrixXd x = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(d.users()),
	                                          static_cast<Eigen::Index>(d.items()));
	for (size_t u = 0; u < d.users(); u++)
		for (int64_t e = d.by_user.ptr[u]; e < d.by_user.ptr[u + 1]; e++)
			x(static_cast<Eigen::Index>(u), d.by_user.index[e]) = d.by_user.value[e];
	return x;
}

// Trains algorithm name on d and returns its rows.
pgrec::SparseRows train(const char *name, const pgrec::Interactions &d, pgrec::Hyperparameters h)
{
	const pgrec::AlgorithmEntry &a = *pgrec::find_algorithm(name);
	float unused = 0;
	pgrec::FactorBuffers b = {&unused, &unused, nullptr, nullptr};
	auto trainer = pgrec::make_trainer(a, d, h, b);
	trainer->run_epoch(pgrec::no_cancel());
	return *trainer->neighbors();
}

// The weight of row i to column j, or 0.
double weight(const pgrec::SparseRows &s, int i, int j)
{
	for (int64_t e = s.ptr[i]; e < s.ptr[i + 1]; e++)
		if (s.index[e] == j)
			return s.value[e];
	return 0.0;
}

pgrec::Hyperparameters defaults(const char *name)
{
	pgrec::Hyperparameters h = pgrec::find_algorithm(name)->defaults;
	h.threads = 1;
	return h;
}

TEST(ItemKnn, SimilaritiesMatchTheirFormulas)
{
	pgrec::Interactions d = random_data(40, 12, 0.3, 7, false);
	Eigen::MatrixXd x = dense(d);
	Eigen::MatrixXd bin = (x.array() > 0).cast<double>().matrix();
	// Centred copies: by user mean (adjusted cosine) and by item mean (Pearson), over the
	// interactions only.
	Eigen::MatrixXd by_user = x, by_item = x;
	for (Eigen::Index u = 0; u < x.rows(); u++)
	{
		double mean = x.row(u).sum() / bin.row(u).sum();
		for (Eigen::Index i = 0; i < x.cols(); i++)
			by_user(u, i) = bin(u, i) > 0 ? x(u, i) - mean : 0.0;
	}
	for (Eigen::Index i = 0; i < x.cols(); i++)
	{
		double mean = x.col(i).sum() / bin.col(i).sum();
		for (Eigen::Index u = 0; u < x.rows(); u++)
			by_item(u, i) = bin(u, i) > 0 ? x(u, i) - mean : 0.0;
	}
	const double shrinkage = 2.0;
	for (int similarity = 0; similarity < pgrec::kSimilarityCount; similarity++)
	{
		pgrec::Hyperparameters h = defaults("item_knn");
		h.similarity = similarity;
		h.neighbors = 100; // all
		h.shrinkage = shrinkage;
		pgrec::SparseRows s = train("item_knn", d, h);
		const Eigen::MatrixXd &v = similarity == pgrec::kAdjustedCosine ? by_user
		                           : similarity == pgrec::kPearson      ? by_item
		                           : similarity == pgrec::kJaccard      ? bin
		                                                                : x;
		for (int i = 0; i < 12; i++)
			for (int j = 0; j < 12; j++)
			{
				if (i == j)
				{
					EXPECT_EQ(weight(s, i, j), 0.0);
					continue;
				}
				double dot = v.col(i).dot(v.col(j));
				double expected =
				    similarity == pgrec::kJaccard
				        ? dot / (bin.col(i).sum() + bin.col(j).sum() - dot + shrinkage)
				        : dot / (v.col(i).norm() * v.col(j).norm() + shrinkage);
				EXPECT_NEAR(weight(s, i, j), std::max(expected, 0.0), 1e-5)
				    << pgrec::kSimilarityNames[similarity] << " " << i << " " << j;
			}
	}
}

TEST(ItemKnn, KeepsTheStrongestNeighbors)
{
	pgrec::Interactions d = random_data(60, 30, 0.2, 11, true);
	pgrec::Hyperparameters h = defaults("item_knn");
	h.neighbors = 100;
	pgrec::SparseRows all = train("item_knn", d, h);
	h.neighbors = 3;
	pgrec::SparseRows kept = train("item_knn", d, h);
	for (int i = 0; i < 30; i++)
	{
		ASSERT_LE(kept.ptr[i + 1] - kept.ptr[i], 3);
		double weakest_kept = INFINITY, strongest_dropped = 0;
		for (int j = 0; j < 30; j++)
		{
			double w = weight(all, i, j);
			if (weight(kept, i, j) != 0.0)
			{
				EXPECT_EQ(weight(kept, i, j), w);
				weakest_kept = std::min(weakest_kept, w);
			}
			else
				strongest_dropped = std::max(strongest_dropped, w);
		}
		EXPECT_LE(strongest_dropped, weakest_kept);
		for (int64_t e = kept.ptr[i] + 1; e < kept.ptr[i + 1]; e++)
			EXPECT_LT(kept.index[e - 1], kept.index[e]); // column order
	}
}

TEST(Ease, MatchesTheDenseClosedForm)
{
	// More items than one block of the factorisation, so that the blocked code is exercised.
	pgrec::Interactions d = random_data(300, 290, 0.05, 3, true);
	pgrec::Hyperparameters h = defaults("ease");
	h.regularization = 5.0;
	h.neighbors = 100000;
	Eigen::MatrixXd x = dense(d);
	Eigen::MatrixXd g = x.transpose() * x;
	g.diagonal().array() += h.regularization;
	Eigen::MatrixXd p = g.inverse();
	for (int threads : {1, 2})
	{
		h.threads = threads;
		pgrec::SparseRows s = train("ease", d, h);
		double worst = 0;
		for (Eigen::Index i = 0; i < p.rows(); i++)
			for (Eigen::Index j = 0; j < p.cols(); j++)
			{
				double expected = i == j ? 0.0 : -p(i, j) / p(j, j);
				worst =
				    std::max(worst, std::fabs(weight(s, static_cast<int>(i), static_cast<int>(j)) -
				                              expected));
			}
		EXPECT_LT(worst, 1e-4) << threads << " threads";
	}
}

TEST(Ease, SameRowsForAnyThreadCount)
{
	pgrec::Interactions d = random_data(200, 260, 0.08, 5, true);
	pgrec::Hyperparameters h = defaults("ease");
	h.neighbors = 20;
	pgrec::SparseRows one = train("ease", d, h);
	h.threads = 2;
	pgrec::SparseRows two = train("ease", d, h);
	EXPECT_EQ(one.ptr, two.ptr);
	EXPECT_EQ(one.index, two.index);
	EXPECT_EQ(one.value, two.value);
}

TEST(Ease, StopsWhenCancelled)
{
	pgrec::Interactions d = random_data(100, 400, 0.05, 5, true);
	pgrec::Hyperparameters h = defaults("ease");
	const pgrec::AlgorithmEntry &a = *pgrec::find_algorithm("ease");
	float unused = 0;
	pgrec::FactorBuffers b = {&unused, &unused, nullptr, nullptr};
	auto trainer = pgrec::make_trainer(a, d, h, b);
	static volatile sig_atomic_t flag = 1, never = 0;
	pgrec::CancelToken cancel = {&flag, &never};
	EXPECT_THROW(trainer->run_epoch(cancel), pgrec::Cancelled);
}

TEST(DenseBlocks, EveryBuildFactorsSolvesAndMultiplies)
{
	std::vector<const pgrec::DenseBlockKernels *> builds = {&pgrec::generic_dense_blocks()};
	if (pgrec::avx2_dense_blocks() && __builtin_cpu_supports("avx2") &&
	    __builtin_cpu_supports("fma"))
		builds.push_back(pgrec::avx2_dense_blocks());
	const ptrdiff_t n = 70;
	Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n);
	Eigen::MatrixXf spd = a * a.transpose() + 10.0f * Eigen::MatrixXf::Identity(n, n);
	Eigen::MatrixXf l = spd.llt().matrixL();
	for (const pgrec::DenseBlockKernels *k : builds)
	{
		Eigen::MatrixXf f = spd;
		ASSERT_TRUE(k->factor_diagonal(f.data(), n, n)) << k->name;
		EXPECT_LT((Eigen::MatrixXf(f.triangularView<Eigen::Lower>()) - l).cwiseAbs().maxCoeff(),
		          1e-3)
		    << k->name;
		Eigen::MatrixXf x = Eigen::MatrixXf::Identity(n, n);
		k->solve_lower(l.data(), x.data(), n, n, n);
		EXPECT_LT((l * x - Eigen::MatrixXf::Identity(n, n)).cwiseAbs().maxCoeff(), 1e-3) << k->name;
		Eigen::MatrixXf p(n, n);
		k->transposed_product(p.data(), a.data(), spd.data(), n, n, n, n);
		EXPECT_LT((p - a.transpose() * spd).cwiseAbs().maxCoeff(), 1e-2) << k->name;
		Eigen::MatrixXf panel = a;
		k->solve_panel(l.data(), panel.data(), n, n, n);
		EXPECT_LT((panel * l.transpose() - a).cwiseAbs().maxCoeff(), 1e-3) << k->name;
		Eigen::MatrixXf d = spd;
		k->subtract_plain_product(d.data(), a.data(), a.data(), n, n, n, n);
		EXPECT_LT((d - (spd - a * a)).cwiseAbs().maxCoeff(), 1e-2) << k->name;
		Eigen::MatrixXf c = spd;
		k->subtract_product(c.data(), a.data(), a.data(), n, n, n, n);
		EXPECT_LT((c - 10.0f * Eigen::MatrixXf::Identity(n, n)).cwiseAbs().maxCoeff(), 1e-2)
		    << k->name;
	}
	EXPECT_EQ(builds.size(),
	          __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 2u : 1u);
}

TEST(Neighbors, ScoresAreSumsOfTheHistoryRows)
{
	pgrec::Interactions d = random_data(50, 20, 0.3, 9, true);
	pgrec::Hyperparameters h = defaults("item_knn");
	h.neighbors = 5;
	pgrec::SparseRows s = train("item_knn", d, h);
	pgrec::NeighborView view = pgrec::neighbor_view(s);
	std::vector<int32_t> history = {1, 4, 7};
	std::vector<float> scores(20);
	pgrec::neighbor_scores(view, {history.data(), nullptr, history.size()}, 20, scores.data());
	for (int i = 0; i < 20; i++)
		EXPECT_FLOAT_EQ(scores[i], weight(s, 1, i) + weight(s, 4, i) + weight(s, 7, i));

	// The batch gives each user the top k of those sums, the history excluded.
	pgrec::SortedList list = {history.data(), history.size()};
	std::vector<pgrec::Recommendation> out(5);
	size_t count = 0;
	pgrec::WeightedRows rows = {history.data(), nullptr, history.size()};
	pgrec::recommend_neighbors_batch(view, 20, &rows, &list, 1, 5, 2, pgrec::no_cancel(),
	                                 out.data(), &count);
	ASSERT_EQ(count, 5u);
	for (size_t r = 0; r < count; r++)
	{
		EXPECT_FLOAT_EQ(out[r].score, scores[out[r].item]);
		EXPECT_NE(out[r].item, 1);
		EXPECT_NE(out[r].item, 4);
		EXPECT_NE(out[r].item, 7);
		if (r > 0)
		{
			EXPECT_GE(out[r - 1].score, out[r].score);
		}
	}
}

TEST(Neighbors, RenumberingFollowsTheIds)
{
	pgrec::SparseRows s;
	s.ptr = {0, 2, 3, 4};
	s.index = {1, 2, 0, 1};
	s.value = {0.5f, 0.25f, 1.0f, 2.0f};
	// Old items 0, 1, 2 become 1, -, 2 of four new items (new 0 and 3 are new).
	std::vector<int64_t> old_of_new = {-1, 0, 2, -1}, new_of_old = {1, -1, 2};
	pgrec::SparseRows r =
	    pgrec::renumber_rows(pgrec::neighbor_view(s), old_of_new.data(), 4, new_of_old.data());
	EXPECT_EQ(r.ptr, (std::vector<int64_t>{0, 0, 1, 1, 1}));
	EXPECT_EQ(r.index, (std::vector<int32_t>{2}));
	EXPECT_EQ(r.value, (std::vector<float>{0.25f}));
}

TEST(Evaluation, CappedRecallDividesByMinOfKAndRelevant)
{
	// One item row per item: item i scores 10 - i, so the top 2 are items 0 and 1.
	pgrec::SparseRows s;
	s.ptr = {0, 5, 5, 5, 5, 5};
	s.index = {0, 1, 2, 3, 4};
	s.value = {10, 9, 8, 7, 6};
	pgrec::NeighborView view = pgrec::neighbor_view(s);
	pgrec::ModelView m = {nullptr, nullptr, nullptr, nullptr, 0, 1, 5, 0, &view, nullptr};
	std::vector<int64_t> ptr = {0, 1};
	std::vector<int32_t> seen = {0}; // item 0 is the history: masked
	std::vector<int32_t> relevant = {1, 3, 4};
	pgrec::RankingCase c = {0, relevant.data(), relevant.size(), 0};
	pgrec::RankingMetrics plain =
	    pgrec::ranking_metrics(m, {ptr.data(), seen.data()}, &c, 1, 2, 1, pgrec::no_cancel());
	pgrec::RankingMetrics capped =
	    pgrec::ranking_metrics(m, {ptr.data(), seen.data()}, &c, 1, 2, 1, pgrec::no_cancel(),
	                           pgrec::RecallDenominator::CappedAtK);
	// Top 2 of items 1..4 are 1 and 2: one hit of three relevant.
	EXPECT_DOUBLE_EQ(plain.recall, 1.0 / 3.0);
	EXPECT_DOUBLE_EQ(capped.recall, 1.0 / 2.0);
}

} // namespace
