// Unit tests of the two-tower model: the output scaling's and the three losses' gradients
// against central finite differences, the softmax's masking and thread split, and trainings on
// planted genres (warm and cold items, ratings), fold-ins at the trained scale and determinism
// for a seed.
#include "algorithm_registry.h"
#include "core_errors.h"
#include "gradient_check.h"
#include "planted_genres.h"
#include "two_tower.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

namespace
{

TEST(Losses, SampledSoftmaxGradientMatchesFiniteDifferences)
{
	const size_t rows = 3, columns = 5;
	const int k = 4;
	std::vector<float> u = random_values(rows * k, 21), v = random_values(columns * k, 22);
	std::vector<float> log_q = {-1.0f, 0.5f, -0.2f, 0.0f, 1.5f};
	// Item 8 is the positive of rows 0 and 2: each is masked in the other's row.
	std::vector<int32_t> items = {8, 3, 8, 5, 3};
	std::vector<float> scratch(rows * columns), du(rows * k), dv(columns * k);
	auto loss = [&]
	{
		std::vector<float> s(rows * columns), a(rows * k), b(columns * k);
		return pgrec::sampled_softmax(u.data(), v.data(), rows, columns, k, log_q.data(),
		                              items.data(), s.data(), a.data(), b.data(), 1);
	};
	double value = pgrec::sampled_softmax(u.data(), v.data(), rows, columns, k, log_q.data(),
	                                      items.data(), scratch.data(), du.data(), dv.data(), 1);
	// The mean loss by hand, the masked (row, column) pairs left out of the sums.
	double expected = 0.0;
	for (size_t b = 0; b < rows; b++)
	{
		double sum = 0.0, positive = 0.0;
		for (size_t c = 0; c < columns; c++)
		{
			if (c != b && items[c] == items[b])
				continue;
			double dot = 0.0;
			for (int j = 0; j < k; j++)
				dot += static_cast<double>(u[b * k + j]) * v[c * k + j];
			sum += std::exp(dot - log_q[c]);
			if (c == b)
				positive = dot - log_q[c];
		}
		expected += (std::log(sum) - positive) / rows;
	}
	EXPECT_NEAR(value, expected, 1e-5);
	expect_gradient(u, du, loss);
	expect_gradient(v, dv, loss);
	// Split between two threads, the same loss and gradients to rounding.
	std::vector<float> du2(rows * k), dv2(columns * k), scratch2(rows * columns);
	double split = pgrec::sampled_softmax(u.data(), v.data(), rows, columns, k, log_q.data(),
	                                      items.data(), scratch2.data(), du2.data(), dv2.data(), 2);
	EXPECT_NEAR(split, value, 1e-6);
	for (size_t j = 0; j < du.size(); j++)
		EXPECT_NEAR(du2[j], du[j], 1e-6);
	for (size_t j = 0; j < dv.size(); j++)
		EXPECT_NEAR(dv2[j], dv[j], 1e-6);
}

TEST(Losses, SampledSoftmaxGivesAMaskedColumnNoGradient)
{
	// One row whose positive (item 5) is also column 1: column 1 is masked, not a negative.
	const int k = 3;
	std::vector<float> u = random_values(k, 51), v = random_values(3 * k, 52);
	std::vector<float> log_q(3, 0.0f), scratch(3), du(k), dv(3 * k);
	std::vector<int32_t> items = {5, 5, 7};
	double masked = pgrec::sampled_softmax(u.data(), v.data(), 1, 3, k, log_q.data(), items.data(),
	                                       scratch.data(), du.data(), dv.data(), 1);
	for (int c = 0; c < k; c++)
		EXPECT_EQ(dv[k + c], 0.0f);
	// The loss is that of the positive against column 2 alone.
	double s0 = 0.0, s2 = 0.0;
	for (int c = 0; c < k; c++)
	{
		s0 += static_cast<double>(u[c]) * v[c];
		s2 += static_cast<double>(u[c]) * v[2 * k + c];
	}
	EXPECT_NEAR(masked, std::log(std::exp(s0) + std::exp(s2)) - s0, 1e-5);
}

TEST(Losses, ScaledRowsBackwardMatchesFiniteDifferences)
{
	const size_t n = 3;
	const int k = 4;
	std::vector<float> x = random_values(n * k, 61), weights = random_values(n * k, 62);
	std::vector<float> norms(n), y(n * k), dx(n * k);
	auto loss = [&]
	{
		std::vector<float> m(n), out(n * k);
		pgrec::scale_rows(x.data(), n, k, 10.0f, m.data(), out.data(), 1);
		double sum = 0.0;
		for (size_t j = 0; j < out.size(); j++)
			sum += static_cast<double>(weights[j]) * out[j];
		return sum;
	};
	pgrec::scale_rows(x.data(), n, k, 10.0f, norms.data(), y.data(), 1);
	for (size_t r = 0; r < n; r++)
	{
		double length = 0.0;
		for (int c = 0; c < k; c++)
			length += static_cast<double>(y[r * k + c]) * y[r * k + c];
		EXPECT_NEAR(std::sqrt(length), 10.0, 1e-4);
	}
	pgrec::scale_rows_backward(y.data(), weights.data(), norms.data(), n, k, 10.0f, dx.data(), 2);
	expect_gradient(x, dx, loss);
}

TEST(Losses, BprGradientMatchesFiniteDifferences)
{
	const size_t rows = 4;
	const int k = 3;
	std::vector<float> u = random_values(rows * k, 31), p = random_values(rows * k, 32),
	                   w = random_values(rows * k, 33);
	std::vector<float> du(rows * k), dp(rows * k), dw(rows * k);
	auto loss = [&]
	{
		std::vector<float> a(rows * k), b(rows * k), c(rows * k);
		return pgrec::bpr_pairs(u.data(), p.data(), w.data(), rows, k, a.data(), b.data(),
		                        c.data());
	};
	double value =
	    pgrec::bpr_pairs(u.data(), p.data(), w.data(), rows, k, du.data(), dp.data(), dw.data());
	double expected = 0.0;
	for (size_t b = 0; b < rows; b++)
	{
		double x = 0.0;
		for (int j = 0; j < k; j++)
			x += static_cast<double>(u[b * k + j]) * (p[b * k + j] - w[b * k + j]);
		expected += std::log(1.0 + std::exp(-x)) / rows;
	}
	EXPECT_NEAR(value, expected, 1e-6);
	expect_gradient(u, du, loss);
	expect_gradient(p, dp, loss);
	expect_gradient(w, dw, loss);
}

TEST(Losses, SquaredErrorGradientIsThatOfTheMean)
{
	const size_t rows = 3;
	const int k = 2;
	std::vector<float> u = random_values(rows * k, 41), v = random_values(rows * k, 42);
	std::vector<float> t = {1.0f, -0.5f, 2.0f}, du(rows * k), dv(rows * k);
	auto mean = [&]
	{
		std::vector<float> a(rows * k), b(rows * k);
		return pgrec::squared_errors(u.data(), v.data(), t.data(), rows, k, a.data(), b.data()) /
		       rows;
	};
	double sum = pgrec::squared_errors(u.data(), v.data(), t.data(), rows, k, du.data(), dv.data());
	double expected = 0.0;
	for (size_t b = 0; b < rows; b++)
	{
		double e = static_cast<double>(u[b * k]) * v[b * k] +
		           static_cast<double>(u[b * k + 1]) * v[b * k + 1] - t[b];
		expected += e * e;
	}
	EXPECT_NEAR(sum, expected, 1e-5);
	expect_gradient(u, du, mean);
	expect_gradient(v, dv, mean);
}

// A two-tower model trained on d.
struct TwoTower
{
	pgrec::Hyperparameters h;
	std::vector<float> uf, itf;
	std::unique_ptr<pgrec::Trainer> trainer;

	TwoTower(const pgrec::Interactions &d, uint64_t seed, int loss = pgrec::kSoftmaxLoss,
	         float dropout = 0.0f)
	    : h(pgrec::find_algorithm("two_tower")->defaults)
	{
		h.factors = 16;
		h.hidden_layers = sizes({32});
		h.epochs = 60;
		h.batch_size = 64;
		h.learning_rate = 0.01;
		h.seed = seed;
		h.loss = loss;
		h.dropout = dropout;
		uf.resize(d.users() * h.factors);
		itf.resize(d.items() * h.factors);
		pgrec::FactorBuffers b = {uf.data(), itf.data(), nullptr, nullptr};
		trainer = pgrec::make_trainer(*pgrec::find_algorithm("two_tower"), d, h, b);
		for (int e = 0; e < h.epochs; e++)
			trainer->run_epoch(pgrec::no_cancel());
	}

	double score(int u, int i) const
	{
		double s = 0.0;
		for (int c = 0; c < h.factors; c++)
			s += static_cast<double>(uf[u * h.factors + c]) * itf[i * h.factors + c];
		return s;
	}

	// The fraction of (item of the user's genre, item of another genre) pairs among items
	// [first, last) that warm user u orders right.
	double genre_auc(int u, int first, int last) const
	{
		double right = 0.0, pairs = 0.0;
		for (int i = first; i < last; i++)
			for (int j = first; j < last; j++)
				if (genre(i) == genre(u) && genre(j) != genre(u))
				{
					right += score(u, i) > score(u, j);
					pairs += 1.0;
				}
		return right / pairs;
	}
};

double mean_genre_auc(const TwoTower &m, int first, int last)
{
	double sum = 0.0;
	for (int u = 0; u < kWarmUsers; u++)
		sum += m.genre_auc(u, first, last);
	return sum / kWarmUsers;
}

TEST(TwoTower, LearnsPlantedGenresWithEachRankingLoss)
{
	pgrec::Interactions d = planted(false, false, 5);
	for (int loss : {pgrec::kSoftmaxLoss, 1})
	{
		TwoTower m(d, 3, loss);
		double auc = mean_genre_auc(m, 0, kWarmItems);
		std::printf("[          ] two_tower %s: warm genre AUC %.4f\n", pgrec::kLossNames[loss],
		            auc);
		EXPECT_GT(auc, 0.85) << pgrec::kLossNames[loss];
		EXPECT_TRUE(std::isfinite(m.trainer->loss()));
	}
}

TEST(TwoTower, PlacesColdItemsByTheirFeatures)
{
	pgrec::Interactions d = planted(true, false, 5);
	TwoTower m(d, 3, pgrec::kSoftmaxLoss, 0.1f);
	// The cold items have no interactions: only their genre feature can rank them.
	double auc = mean_genre_auc(m, kWarmItems, kItems);
	std::printf("[          ] two_tower: cold items' genre AUC %.4f\n", auc);
	EXPECT_GT(auc, 0.8);
	ASSERT_NE(m.trainer->feature_model(), nullptr);
	EXPECT_EQ(m.trainer->feature_model()->items.factors.size(),
	          d.item_features.features() * static_cast<size_t>(m.h.factors));
}

// Half the pairs of 40 users and 30 items, rated 5 on the user's genre and 1 elsewhere.
pgrec::Interactions genre_ratings()
{
	pgrec::Random rng(4);
	std::vector<int64_t> users, items;
	std::vector<float> ratings;
	for (int u = 0; u < 40; u++)
		for (int i = 0; i < 30; i++)
			if (rng.uniform() < 0.5)
			{
				users.push_back(u);
				items.push_back(i);
				ratings.push_back(genre(i) == genre(u) ? 5.0f : 1.0f);
			}
	pgrec::Interactions d = pgrec::build_interactions(users.data(), items.data(), ratings.data(),
	                                                  users.size(), pgrec::DuplicatePolicy::Mean);
	return d;
}

TEST(TwoTower, FitsRatingsWithTheSquaredLoss)
{
	// Ratings 5 on the user's genre, 1 elsewhere: the RMSE falls well below the spread's.
	pgrec::Interactions d = genre_ratings();
	TwoTower m(d, 3, pgrec::kSquaredLoss);
	std::printf("[          ] two_tower squared: training RMSE %.4f\n", m.trainer->loss());
	EXPECT_LT(m.trainer->loss(), 0.5);
	EXPECT_NEAR(m.trainer->global_mean(), d.mean_value, 1e-9);
}

TEST(TwoTower, OneThreadIsDeterministicForASeed)
{
	pgrec::Interactions d = planted(true, true, 5);
	TwoTower a(d, 8, pgrec::kSoftmaxLoss, 0.2f), b(d, 8, pgrec::kSoftmaxLoss, 0.2f),
	    c(d, 9, pgrec::kSoftmaxLoss, 0.2f);
	EXPECT_EQ(a.uf, b.uf);
	EXPECT_EQ(a.itf, b.itf);
	EXPECT_NE(a.itf, c.itf);
}

// A visitor folded in from items gets a trained user's length (1 / temperature), an entity
// folded in from users (refresh's new items) a trained item's (1): both score on the scale of the
// trained ones.
TEST(TwoTower, FoldInKeepsTheTrainedScale)
{
	pgrec::Interactions d = planted(false, false, 5);
	TwoTower m(d, 3);
	const pgrec::AlgorithmEntry &two_tower = *pgrec::find_algorithm("two_tower");
	auto folded_length =
	    [&](const std::vector<float> &side, size_t count, std::vector<int32_t> rows)
	{
		pgrec::ItemMatrix matrix = {side.data(), nullptr, nullptr, count, m.h.factors};
		pgrec::FoldInInput in = {matrix, 0.0, m.h, nullptr, rows.data(), nullptr, rows.size()};
		std::vector<float> p(static_cast<size_t>(m.h.factors));
		pgrec::fold_in_user(two_tower, in, pgrec::no_cancel(), p.data(), nullptr);
		double length = 0.0;
		for (float value : p)
			length += static_cast<double>(value) * value;
		return std::sqrt(length);
	};
	EXPECT_NEAR(folded_length(m.itf, d.items(), {0, 3, 6}), 10.0, 1e-3);
	EXPECT_NEAR(folded_length(m.uf, d.users(), {0, 3, 6}), 1.0, 1e-4);
}

TEST(TwoTower, SquaredLossFoldsInTheRatings)
{
	// A visitor who rates genre 0 high and genre 1 low scores unrated genre 0 items above
	// genre 1 ones, and its predictions fit its ratings in sign.
	pgrec::Interactions d = genre_ratings();
	TwoTower m(d, 3, pgrec::kSquaredLoss);
	std::vector<int32_t> rated = {0, 3, 1, 4};
	std::vector<float> values = {5.0f, 5.0f, 1.0f, 1.0f};
	pgrec::ItemMatrix matrix = {m.itf.data(), nullptr, nullptr, d.items(), m.h.factors};
	pgrec::FoldInInput in = {matrix, d.mean_value, m.h, nullptr, rated.data(), values.data(), 4};
	std::vector<float> p(static_cast<size_t>(m.h.factors));
	pgrec::fold_in_user(*pgrec::find_algorithm("two_tower"), in, pgrec::no_cancel(), p.data(),
	                    nullptr);
	auto score = [&](int i)
	{
		double s = 0.0;
		for (int c = 0; c < m.h.factors; c++)
			s += static_cast<double>(p[c]) * m.itf[i * m.h.factors + c];
		return s;
	};
	double own = 0.0, other = 0.0;
	int own_n = 0, other_n = 0;
	for (int i = 6; i < 30; i++)
		if (genre(i) == 0)
		{
			own += score(i);
			own_n++;
		}
		else if (genre(i) == 1)
		{
			other += score(i);
			other_n++;
		}
	EXPECT_GT(own / own_n, other / other_n);
	EXPECT_GT(score(0), 0.0); // above the mean
	EXPECT_LT(score(1), 0.0); // below it
}

TEST(TwoTower, RejectsBadHyperparameters)
{
	const pgrec::AlgorithmEntry &two_tower = *pgrec::find_algorithm("two_tower");
	pgrec::Hyperparameters h = two_tower.defaults;
	h.hidden_layers.count = 0;
	EXPECT_THROW(pgrec::validate(two_tower, h), pgrec::InvalidArgument);
	h = two_tower.defaults;
	h.hidden_layers.size[1] = 0;
	EXPECT_THROW(pgrec::validate(two_tower, h), pgrec::InvalidArgument);
	h = two_tower.defaults;
	h.dropout = 1.0;
	EXPECT_THROW(pgrec::validate(two_tower, h), pgrec::InvalidArgument);
	h = two_tower.defaults;
	h.batch_size = 0;
	EXPECT_THROW(pgrec::validate(two_tower, h), pgrec::InvalidArgument);
	h = two_tower.defaults;
	h.loss = 0; // warp is hybrid's
	EXPECT_THROW(pgrec::validate(two_tower, h), pgrec::InvalidArgument);
	EXPECT_NO_THROW(pgrec::validate(two_tower, two_tower.defaults));
}

} // namespace
