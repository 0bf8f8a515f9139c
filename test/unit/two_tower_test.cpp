// Unit tests of the neural layers and the two-tower model: the tower's backward pass (with and
// without dropout) and the three losses' gradients against central finite differences, Adam's
// first step, the matrix products of every build against a plain loop, and two-tower trainings
// on planted genres (warm and cold items), with determinism for a seed.
#include "algorithm_registry.h"
#include "core_errors.h"
#include "matrix_products.h"
#include "mlp.h"
#include "planted_genres.h"
#include "two_tower.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <vector>

namespace
{

std::vector<float> random_values(size_t n, uint64_t seed, double scale = 1.0)
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

pgrec::LayerSizes sizes(std::initializer_list<int> widths)
{
	pgrec::LayerSizes s;
	for (int w : widths)
		s.size[s.count++] = w;
	return s;
}

// A tower's loss sum(weights . output) and its gradients, with dropout from a copy of one
// generator so that every pass drops the same units. The biases are made random too: a unit
// whose inputs are all dropped would otherwise sit on ReLU's kink, where the differences are not
// the gradient.
struct TowerCase
{
	pgrec::Random init{7};
	pgrec::Tower tower{6, sizes({5, 4}), 3, init};
	std::vector<float> x = random_values(4 * 6, 11);
	std::vector<float> weights = random_values(4 * 3, 13);
	float dropout;
	pgrec::Random masks{17};

	explicit TowerCase(float dropout) : dropout(dropout)
	{
		std::vector<float> noise = random_values(tower.parameters().size(), 19, 0.3);
		for (size_t j = 0; j < noise.size(); j++)
			tower.parameters()[j] += noise[j];
	}
	double loss()
	{
		pgrec::Random rng = masks;
		const float *out = tower.forward(x.data(), 4, dropout, dropout > 0 ? &rng : nullptr, 1);
		double sum = 0.0;
		for (size_t j = 0; j < weights.size(); j++)
			sum += static_cast<double>(weights[j]) * out[j];
		return sum;
	}
};

void check_tower(float dropout)
{
	TowerCase c(dropout);
	c.loss();
	std::vector<float> d_input(c.x.size());
	c.tower.backward(c.weights.data(), d_input.data());
	pgrec::AlignedFloats analytic = c.tower.gradients();
	expect_gradient(c.tower.parameters(), analytic, [&] { return c.loss(); });
	expect_gradient(c.x, d_input, [&] { return c.loss(); });
}

TEST(Tower, BackwardMatchesFiniteDifferences)
{
	check_tower(0.0f);
}

TEST(Tower, BackwardThroughDropoutMatchesFiniteDifferences)
{
	check_tower(0.4f);
}

TEST(Tower, DropoutZeroesAboutItsShareAndScalesTheRest)
{
	// 2000 identical positive hidden units summed by the output: the output with dropout over
	// the one without is the share of units kept over 1 - dropout.
	pgrec::Random init(3);
	pgrec::Tower tower(1, sizes({2000}), 1, init);
	std::fill(tower.parameters().begin(), tower.parameters().end(), 1.0f);
	std::vector<float> x = {0.5f};
	const float plain = tower.forward(x.data(), 1, 0.0f, nullptr, 1)[0];
	EXPECT_FLOAT_EQ(plain, 2000 * 1.5f + 1.0f);
	pgrec::Random rng(9);
	const float dropped = tower.forward(x.data(), 1, 0.25f, &rng, 1)[0];
	const double kept = (dropped - 1.0) / 1.5 * 0.75; // units kept
	EXPECT_NEAR(kept / 2000, 0.75, 0.03);
	EXPECT_NEAR(kept, std::round(kept), 1e-2); // whole units, each scaled by 1 / 0.75
}

TEST(Adam, FirstStepMovesEachParameterByTheLearningRate)
{
	std::vector<float> value = {1.0f, -2.0f, 0.5f}, gradient = {0.3f, -4.0f, 0.0f};
	std::vector<float> m(3, 0.0f), v(3, 0.0f);
	pgrec::adam_update(pgrec::AdamStep::at(0.01f, 0.0f, 1), value.data(), gradient.data(), m.data(),
	                   v.data(), 3);
	EXPECT_NEAR(value[0], 0.99f, 1e-6);
	EXPECT_NEAR(value[1], -1.99f, 1e-6);
	EXPECT_FLOAT_EQ(value[2], 0.5f);
	EXPECT_EQ(gradient, std::vector<float>(3, 0.0f));
}

TEST(Adam, WeightDecayPullsTowardZeroUnlessDisabled)
{
	std::vector<float> value = {1.0f, 1.0f}, gradient = {0.0f, 0.0f}, m(2, 0.0f), v(2, 0.0f);
	pgrec::AdamStep s = pgrec::AdamStep::at(0.1f, 0.5f, 1);
	pgrec::adam_update(s, value.data(), gradient.data(), m.data(), v.data(), 1, true);
	pgrec::adam_update(s, value.data() + 1, gradient.data() + 1, m.data() + 1, v.data() + 1, 1,
	                   false);
	EXPECT_NEAR(value[0], 0.9f, 1e-6);
	EXPECT_FLOAT_EQ(value[1], 1.0f);
}

// Every build of the products against a plain triple loop.
TEST(MatrixProducts, EveryBuildMatchesPlainLoops)
{
	const ptrdiff_t m = 7, k = 5, n = 9;
	std::vector<float> a = random_values(m * k, 1), b = random_values(k * n, 2);
	std::vector<float> at = random_values(m * n, 3), bt = random_values(n * k, 4);
	const pgrec::MatrixProducts *builds[] = {&pgrec::generic_matrix_products(),
	                                         pgrec::avx2_matrix_products(),
	                                         pgrec::avx512_matrix_products()};
	for (const pgrec::MatrixProducts *mp : builds)
	{
		if (mp == nullptr)
			continue;
		std::vector<float> c(m * n, 1.0f), left(k * n, 1.0f), right(m * n, 0.0f);
		mp->product(c.data(), a.data(), b.data(), m, k, n, true);
		mp->transposed_left(left.data(), a.data(), at.data(), m, k, n, true);
		mp->transposed_right(right.data(), a.data(), bt.data(), m, k, n, false);
		for (ptrdiff_t r = 0; r < m; r++)
			for (ptrdiff_t col = 0; col < n; col++)
			{
				double p = 1.0, q = 0.0;
				for (ptrdiff_t j = 0; j < k; j++)
				{
					p += static_cast<double>(a[r * k + j]) * b[j * n + col];
					q += static_cast<double>(a[r * k + j]) * bt[col * k + j];
				}
				EXPECT_NEAR(c[r * n + col], p, 1e-4) << mp->name;
				EXPECT_NEAR(right[r * n + col], q, 1e-4) << mp->name;
			}
		for (ptrdiff_t j = 0; j < k; j++)
			for (ptrdiff_t col = 0; col < n; col++)
			{
				double p = 1.0;
				for (ptrdiff_t r = 0; r < m; r++)
					p += static_cast<double>(a[r * k + j]) * at[r * n + col];
				EXPECT_NEAR(left[j * n + col], p, 1e-4) << mp->name;
			}
	}
}

// The element-wise kernels of every build against plain loops: the softmax with offsets and a
// masked entry, column sums, the ReLU's backward pass and an Adam step.
TEST(MatrixProducts, EveryBuildsElementKernelsMatchPlainLoops)
{
	const ptrdiff_t n = 37; // not a multiple of any vector width
	std::vector<float> x = random_values(n, 5, 3.0), offset = random_values(n, 6);
	x[3] = -std::numeric_limits<float>::infinity();
	const pgrec::MatrixProducts *builds[] = {&pgrec::generic_matrix_products(),
	                                         pgrec::avx2_matrix_products(),
	                                         pgrec::avx512_matrix_products()};
	for (const pgrec::MatrixProducts *mp : builds)
	{
		if (mp == nullptr)
			continue;
		double top = -1e30, sum = 0.0;
		for (ptrdiff_t j = 0; j < n; j++)
			top = std::max(top, static_cast<double>(x[j]) - offset[j]);
		for (ptrdiff_t j = 0; j < n; j++)
			sum += std::exp(static_cast<double>(x[j]) - offset[j] - top);
		std::vector<float> y = x;
		float log_sum = mp->softmax(y.data(), offset.data(), n, 0.5f);
		EXPECT_NEAR(log_sum, top + std::log(sum), 1e-5) << mp->name;
		for (ptrdiff_t j = 0; j < n; j++)
			EXPECT_NEAR(y[j], 0.5 * std::exp(static_cast<double>(x[j]) - offset[j] - top) / sum,
			            1e-6)
			    << mp->name << " " << j;

		std::vector<float> sums = {1.0f, 2.0f, 3.0f}, block = random_values(5 * 3, 7);
		mp->add_column_sums(sums.data(), block.data(), 5, 3);
		for (int c = 0; c < 3; c++)
		{
			double expected = c + 1.0;
			for (int r = 0; r < 5; r++)
				expected += block[r * 3 + c];
			EXPECT_NEAR(sums[c], expected, 1e-5) << mp->name;
		}

		std::vector<float> delta = random_values(n, 8), activation = random_values(n, 9);
		std::vector<float> through = delta;
		mp->relu_backward(through.data(), activation.data(), n, 2.0f);
		for (ptrdiff_t j = 0; j < n; j++)
			EXPECT_FLOAT_EQ(through[j], activation[j] > 0 ? 2.0f * delta[j] : 0.0f) << mp->name;

		std::vector<float> value = random_values(n, 10), gradient = random_values(n, 11);
		std::vector<float> m = random_values(n, 12, 0.1), v(n, 0.5f);
		std::vector<float> value0 = value, gradient0 = gradient, m0 = m, v0 = v;
		mp->adam(value.data(), gradient.data(), m.data(), v.data(), n, 0.1f, 0.9f, 0.999f, 0.01f,
		         2.0f, 1e-8f);
		for (ptrdiff_t j = 0; j < n; j++)
		{
			double g = gradient0[j] + 0.1 * value0[j];
			double first = 0.9 * m0[j] + 0.1 * g, second = 0.999 * v0[j] + 0.001 * g * g;
			EXPECT_NEAR(m[j], first, 1e-6) << mp->name;
			EXPECT_NEAR(v[j], second, 1e-6) << mp->name;
			EXPECT_NEAR(value[j], value0[j] - 0.01 * first / (std::sqrt(second * 2.0) + 1e-8), 1e-6)
			    << mp->name;
			EXPECT_EQ(gradient[j], 0.0f);
		}
	}
}

// A tower's forward and backward passes split between threads agree with one thread's to
// rounding (the products' blocking and the order of the slices' weight gradients differ).
TEST(Tower, ThreadsSplitRowsWithoutChangingTheResult)
{
	std::vector<float> x = random_values(50 * 6, 3), d = random_values(50 * 3, 4);
	pgrec::AlignedFloats gradients[2];
	std::vector<float> outputs[2], d_inputs[2];
	for (int t = 0; t < 2; t++)
	{
		pgrec::Random init(7);
		pgrec::Tower tower(6, sizes({9, 5}), 3, init);
		const float *out = tower.forward(x.data(), 50, 0.0f, nullptr, t + 1);
		outputs[t].assign(out, out + 50 * 3);
		d_inputs[t].resize(50 * 6);
		tower.backward(d.data(), d_inputs[t].data());
		gradients[t] = tower.gradients();
	}
	for (size_t j = 0; j < outputs[0].size(); j++)
		EXPECT_NEAR(outputs[0][j], outputs[1][j], 1e-5);
	for (size_t j = 0; j < d_inputs[0].size(); j++)
		EXPECT_NEAR(d_inputs[0][j], d_inputs[1][j], 1e-5);
	for (size_t j = 0; j < gradients[0].size(); j++)
		EXPECT_NEAR(gradients[0][j], gradients[1][j], 1e-4 * (1 + std::fabs(gradients[0][j])));
}

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

TEST(TwoTower, FitsRatingsWithTheSquaredLoss)
{
	// Ratings 5 on the user's genre, 1 elsewhere: the RMSE falls well below the spread's.
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
