// Unit tests of hybrid's squared losses (hybrid_als.cpp): without features they are als and
// ials, the feature embeddings are the ridge regression of the warm vectors, cold entities are
// their features' projection, and any thread count gives the same model.
#include "algorithm_registry.h"
#include "factor_init.h"
#include "hybrid.h"
#include "interactions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

namespace
{

constexpr int kUsers = 40, kWarmItems = 30, kColdItems = 6, kFeatures = 6;

// Random ratings 1..5 of kUsers users on kWarmItems items; with features, every item (and
// kColdItems more without interactions) has two of kFeatures categories and every user one of
// three.
pgrec::Interactions ratings(uint64_t seed, bool features)
{
	pgrec::Random rng(seed);
	std::vector<int64_t> u, i;
	std::vector<float> v;
	for (int a = 0; a < kUsers; a++)
		for (int b = 0; b < kWarmItems; b++)
			if (rng.uniform() < 0.3 || b == a % kWarmItems)
			{
				u.push_back(a);
				i.push_back(b);
				v.push_back(static_cast<float>(1 + rng.below(5)));
			}
	pgrec::Interactions d = pgrec::build_interactions(u.data(), i.data(), v.data(), u.size(),
	                                                  pgrec::DuplicatePolicy::Mean);
	if (!features)
		return d;
	std::vector<int64_t> items(kWarmItems + kColdItems);
	std::iota(items.begin(), items.end(), 0);
	pgrec::add_entities(&d, nullptr, 0, items.data(), items.size());
	auto categories = [&](pgrec::FeatureMatrix &m, size_t rows, int kinds, int per_row)
	{
		m.kinds.assign(static_cast<size_t>(kinds), pgrec::FeatureKind::Category);
		m.rows.ptr.push_back(0);
		for (size_t r = 0; r < rows; r++)
		{
			int first = static_cast<int>(rng.below(static_cast<uint64_t>(kinds - per_row + 1)));
			for (int c = 0; c < per_row; c++)
			{
				m.rows.index.push_back(first + c);
				m.rows.value.push_back(1.0f);
			}
			m.rows.ptr.push_back(static_cast<int64_t>(m.rows.index.size()));
		}
		pgrec::fit_feature_weights(&m);
	};
	categories(d.item_features, d.items(), kFeatures, 2);
	categories(d.user_features, d.users(), 3, 1);
	return d;
}

// A model of `algorithm` trained for `epochs` epochs with h.
struct Trained
{
	pgrec::Hyperparameters h;
	std::vector<float> uf, itf, ub, ib;
	std::unique_ptr<pgrec::Trainer> trainer;

	Trained(const char *algorithm, const pgrec::Interactions &d, pgrec::Hyperparameters params,
	        int epochs)
	    : h(params)
	{
		uf.resize(d.users() * h.factors);
		itf.resize(d.items() * h.factors);
		ub.resize(d.users());
		ib.resize(d.items());
		pgrec::FactorBuffers b = {uf.data(), itf.data(), ub.data(), ib.data()};
		trainer = pgrec::make_trainer(*pgrec::find_algorithm(algorithm), d, h, b);
		for (int e = 0; e < epochs; e++)
			trainer->run_epoch(pgrec::no_cancel());
	}
};

// The hyper-parameters hybrid trains with for loss (its data defaults applied), 5 factors.
pgrec::Hyperparameters hybrid_params(const char *loss, const pgrec::Interactions &d, int threads)
{
	const pgrec::AlgorithmEntry &hybrid = *pgrec::find_algorithm("hybrid");
	pgrec::Hyperparameters h = hybrid.defaults;
	h.factors = 5;
	h.threads = threads;
	h.loss = pgrec::parameter_choice(*pgrec::find_parameter("loss"), loss);
	pgrec::apply_data_defaults(hybrid, &h, pgrec::kFactors, d);
	return h;
}

} // namespace

// With no features, loss 'squared' is explicit ALS and 'ials' implicit ALS: the same solves on
// the same initial factors.
TEST(HybridAls, WithoutFeaturesIsAlsOrIals)
{
	pgrec::Interactions d = ratings(3, false);
	pgrec::Hyperparameters squared = hybrid_params("squared", d, 1);
	EXPECT_EQ(squared.regularization, pgrec::find_algorithm("als")->defaults.regularization);
	EXPECT_TRUE(pgrec::trains_on_ratings(*pgrec::find_algorithm("hybrid"), squared));
	Trained hybrid("hybrid", d, squared, 4), als("als", d, squared, 4);
	EXPECT_EQ(hybrid.uf, als.uf);
	EXPECT_EQ(hybrid.itf, als.itf);
	EXPECT_EQ(hybrid.ub, als.ub);
	EXPECT_EQ(hybrid.ib, als.ib);
	EXPECT_DOUBLE_EQ(hybrid.trainer->global_mean(), d.mean_value);
	EXPECT_DOUBLE_EQ(hybrid.trainer->loss(), als.trainer->loss());

	pgrec::Interactions clicks = ratings(4, false);
	pgrec::Hyperparameters implicit = hybrid_params("ials", clicks, 1);
	EXPECT_FALSE(pgrec::trains_on_ratings(*pgrec::find_algorithm("hybrid"), implicit));
	EXPECT_GT(implicit.alpha, 1.0); // ials' data default
	Trained hybrid_ials("hybrid", clicks, implicit, 4), ials("ials", clicks, implicit, 4);
	EXPECT_EQ(hybrid_ials.trainer->global_mean(), 0.0);
	double largest = 0.0;
	for (size_t c = 0; c < ials.itf.size(); c++)
	{
		// The Gramian is summed with weights of 1: close, not bit for bit.
		EXPECT_NEAR(hybrid_ials.itf[c], ials.itf[c], 1e-4) << c;
		largest = std::max(largest, std::fabs(static_cast<double>(ials.itf[c])));
	}
	EXPECT_GT(largest, 0.05);
	for (float b : hybrid_ials.ib)
		EXPECT_EQ(b, 0.0f);
}

// After an epoch each side's feature embeddings E solve the ridge regression of its warm
// vectors: sum_r x_r (x_r . E - q_r) + kFeatureRidge E = 0 (the rows L2-weighted; fewer
// features than conjugate-gradient steps, so the solve is exact), and every cold item is the
// projection of its features, bit for bit; the same for the biases with 'squared'.
TEST(HybridAls, EmbeddingsRegressTheWarmVectorsAndColdItemsAreProjections)
{
	const pgrec::AlgorithmEntry &hybrid = *pgrec::find_algorithm("hybrid");
	pgrec::Interactions d = ratings(5, true);
	for (const char *loss : {"ials", "squared"})
	{
		SCOPED_TRACE(loss);
		Trained m("hybrid", d, hybrid_params(loss, d, 1), 3);
		const int k = m.h.factors;
		const bool with_bias = std::string(loss) == "squared";
		const pgrec::FeatureModel &features = *m.trainer->feature_model();
		ASSERT_EQ(features.items.factors.size(), static_cast<size_t>(kFeatures * k));
		ASSERT_EQ(features.items.bias.size(), with_bias ? static_cast<size_t>(kFeatures) : 0);
		ASSERT_EQ(features.users.factors.size(), static_cast<size_t>(3 * k));
		pgrec::SparseRows x = pgrec::weighted_rows(d.item_features, pgrec::RowNorm::L2);
		// Column c of the gradient (c == k: the bias) against the scale of X^T q.
		for (int c = 0; c <= k; c++)
		{
			if (c == k && !with_bias)
				break;
			auto value = [&](const std::vector<float> &e, const std::vector<float> &b, size_t f)
			{ return c == k ? b[f] : e[f * k + c]; };
			std::vector<double> gradient(kFeatures), scale(kFeatures);
			for (int f = 0; f < kFeatures; f++)
				gradient[f] =
				    pgrec::kFeatureRidge *
				    value(features.items.factors, features.items.bias, static_cast<size_t>(f));
			for (int r = 0; r < kWarmItems; r++)
			{
				double fitted = 0.0;
				for (int64_t e = x.ptr[r]; e < x.ptr[r + 1]; e++)
					fitted += x.value[e] * value(features.items.factors, features.items.bias,
					                             static_cast<size_t>(x.index[e]));
				double q = c == k ? m.ib[r] : m.itf[r * k + c];
				for (int64_t e = x.ptr[r]; e < x.ptr[r + 1]; e++)
				{
					gradient[x.index[e]] += x.value[e] * (fitted - q);
					scale[x.index[e]] += std::fabs(x.value[e] * q);
				}
			}
			for (int f = 0; f < kFeatures; f++)
				EXPECT_NEAR(gradient[f], 0.0, 1e-4 * (scale[f] + 1.0))
				    << "feature " << f << ", column " << c;
		}
		const pgrec::SparseRows &rows = d.item_features.rows;
		for (int i = kWarmItems; i < kWarmItems + kColdItems; i++)
		{
			std::vector<float> q(k);
			float bias = -1.0f;
			pgrec::project_features(
			    hybrid, pgrec::kItemFeatures, m.h, d.item_features, features.items,
			    rows.index.data() + rows.ptr[i], rows.value.data() + rows.ptr[i],
			    static_cast<size_t>(rows.ptr[i + 1] - rows.ptr[i]), q.data(), &bias);
			for (int c = 0; c < k; c++)
				EXPECT_EQ(q[c], m.itf[i * k + c]) << "item " << i;
			EXPECT_EQ(bias, with_bias ? m.ib[i] : 0.0f) << "item " << i;
		}
	}
}

// Row solves are independent and the regression is summed in one order: two threads train the
// model one does.
TEST(HybridAls, IsTheSameForAnyThreadCount)
{
	pgrec::Interactions d = ratings(6, true);
	for (const char *loss : {"ials", "squared"})
	{
		SCOPED_TRACE(loss);
		Trained one("hybrid", d, hybrid_params(loss, d, 1), 3);
		Trained two("hybrid", d, hybrid_params(loss, d, 2), 3);
		EXPECT_EQ(one.uf, two.uf);
		EXPECT_EQ(one.itf, two.itf);
		EXPECT_EQ(one.ib, two.ib);
		EXPECT_EQ(one.trainer->feature_model()->items.factors,
		          two.trainer->feature_model()->items.factors);
	}
}

// A visitor is folded in against the items with interactions only, as training solves users:
// the fold-in Gramian leaves out the items of degree 0 (known by their features alone).
TEST(HybridAls, FoldInGramianLeavesOutItemsWithoutInteractions)
{
	const pgrec::AlgorithmEntry &hybrid = *pgrec::find_algorithm("hybrid");
	pgrec::Hyperparameters h = hybrid.defaults;
	h.factors = 2;
	const std::vector<float> factors = {1, 2, 30, 40, 3, -1, 50, 60}, degrees = {3, 0, 1, 0};
	const pgrec::ItemMatrix items = {factors.data(), nullptr, nullptr, 4, 2};
	std::vector<float> g(4);
	pgrec::fold_in_gramian(hybrid, h, items, degrees.data(), g.data(), pgrec::no_cancel());
	// Items 0 and 2: (1, 2) and (3, -1).
	EXPECT_EQ(g, (std::vector<float>{10, -1, -1, 5}));
}
