// Unit tests of the neural layers (mlp.h, matrix_products.h): the tower's backward pass with and
// without dropout against central finite differences, dropout's share and scale, Adam's first
// step and weight decay, every build's kernels against plain loops, row slices between
// threads against one thread, and the flushing of denormals.
#include "flush_denormals.h"
#include "gradient_check.h"
#include "matrix_products.h"
#include "mlp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace
{

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

// The builds of the products this CPU can run.
static std::vector<const pgrec::MatrixProducts *> available_builds()
{
	std::vector<const pgrec::MatrixProducts *> builds = {&pgrec::generic_matrix_products()};
	for (const pgrec::MatrixProducts *mp :
	     {pgrec::avx2_matrix_products(), pgrec::avx512_matrix_products()})
		if (mp != nullptr)
			builds.push_back(mp);
	return builds;
}

// Every build of the products against a plain triple loop.
TEST(MatrixProducts, EveryBuildMatchesPlainLoops)
{
	const ptrdiff_t m = 7, k = 5, n = 9;
	std::vector<float> a = random_values(m * k, 1), b = random_values(k * n, 2);
	std::vector<float> at = random_values(m * n, 3), bt = random_values(n * k, 4);
	for (const pgrec::MatrixProducts *mp : available_builds())
	{
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
	for (const pgrec::MatrixProducts *mp : available_builds())
	{
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

} // namespace

#if defined(__x86_64__) || defined(__i386__)
// Inside the scope a product in the denormal range is flushed to zero; after it, the caller's
// mode is back and the product is denormal again (x86: elsewhere the scope does nothing).
TEST(FlushDenormals, FlushesInsideTheScopeOnly)
{
	volatile float tiny = 1e-38f, scale = 1e-3f;
	const float before = tiny * scale;
	EXPECT_GT(before, 0.0f);
	{
		pgrec::FlushDenormals flush;
		EXPECT_EQ(tiny * scale, 0.0f);
	}
	EXPECT_EQ(tiny * scale, before);
}
#endif
