// Unit tests of the explanations: for every algorithm the contributions plus the item bias add
// up to the folded-in user's score, the least-squares ones match a dense naive decomposition,
// and on planted data removing the top explaining item lowers the score most (ials).
#include "algorithm_registry.h"
#include "core_errors.h"
#include "factor_init.h"
#include "interactions.h"
#include "normal_equations.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace
{

// A model trained by one algorithm of the registry, with what a fold-in needs.
struct Trained
{
	const pgrec::AlgorithmEntry &algorithm;
	pgrec::Hyperparameters h;
	std::vector<float> uf, itf, ub, ib, gram;
	double mu = 0.0;
	size_t items = 0;

	// loss >= 0: that choice of parameter loss, with its data defaults.
	Trained(const char *name, const pgrec::Interactions &d, int k, int epochs, int loss = -1)
	    : algorithm(*pgrec::find_algorithm(name)), h(algorithm.defaults)
	{
		h.factors = k;
		h.threads = 1;
		if (loss >= 0)
		{
			h.loss = loss;
			pgrec::apply_data_defaults(algorithm, &h, pgrec::kFactors, d);
		}
		items = d.items();
		uf.resize(d.users() * k);
		itf.resize(items * k);
		ub.resize(d.users());
		ib.resize(items);
		pgrec::FactorBuffers b = {uf.data(), itf.data(), algorithm.biases ? ub.data() : nullptr,
		                          algorithm.biases ? ib.data() : nullptr};
		auto trainer = pgrec::make_trainer(algorithm, d, h, b);
		for (int e = 0; e < epochs; e++)
			trainer->run_epoch(pgrec::no_cancel());
		mu = trainer->global_mean();
		gram.resize(static_cast<size_t>(k) * k);
		pgrec::gramian(itf.data(), items, k, gram.data(), pgrec::no_cancel());
	}

	pgrec::ItemMatrix matrix() const
	{
		return {itf.data(), algorithm.biases ? ib.data() : nullptr, nullptr, items, h.factors};
	}
};

// The folded-in user's score of item t (p . q_t + b_t, as recommend_for_interactions scores).
double fold_in_score(const pgrec::AlgorithmEntry &algorithm, const pgrec::FoldInInput &in,
                     int32_t t)
{
	const int k = in.items.dim;
	std::vector<float> p(k);
	float bias = 0.0f;
	pgrec::fold_in_user(algorithm, in, pgrec::no_cancel(), p.data(), &bias);
	double s = in.items.bias ? in.items.bias[t] : 0.0;
	for (int f = 0; f < k; f++)
		s += static_cast<double>(p[f]) * in.items.factors[static_cast<size_t>(t) * k + f];
	return s;
}

// Every item's contribution to the score of t.
std::vector<float> contributions(const pgrec::AlgorithmEntry &algorithm,
                                 const pgrec::FoldInInput &in, int32_t t)
{
	std::vector<float> c(in.n);
	std::vector<pgrec::Recommendation> top(in.n);
	pgrec::explain_score(algorithm, in, t, in.n, pgrec::no_cancel(), c.data(), top.data());
	return c;
}

// users x items ratings 1..5 with density 0.3 from a seeded generator (every user rates one
// item at least), the items with random categories as features.
pgrec::Interactions random_ratings(int users, int items, uint64_t seed,
                                   pgrec::DuplicatePolicy policy)
{
	pgrec::Random rng(seed);
	std::vector<int64_t> u, i;
	std::vector<float> v;
	for (int a = 0; a < users; a++)
		for (int b = 0; b < items; b++)
			if (rng.uniform() < 0.3 || b == a % items)
			{
				u.push_back(a);
				i.push_back(b);
				v.push_back(static_cast<float>(1 + rng.below(5)));
			}
	pgrec::Interactions d =
	    pgrec::build_interactions(u.data(), i.data(), v.data(), u.size(), policy);
	// Every item has two of eight categories, for the algorithms that learn from features.
	pgrec::FeatureMatrix &m = d.item_features;
	m.kinds.assign(8, pgrec::FeatureKind::Category);
	m.rows.ptr.push_back(0);
	for (int b = 0; b < items; b++)
	{
		int first = static_cast<int>(rng.below(7));
		m.rows.index.insert(m.rows.index.end(), {first, first + 1});
		m.rows.value.insert(m.rows.value.end(), {1.0f, 1.0f});
		m.rows.ptr.push_back(static_cast<int64_t>(m.rows.index.size()));
	}
	pgrec::fit_feature_weights(&m);
	return d;
}

// A visitor: n distinct ascending items of the model with values 1..5.
struct Visitor
{
	std::vector<int32_t> items;
	std::vector<float> values;
	Visitor(size_t n, size_t catalogue, uint64_t seed)
	{
		pgrec::Random rng(seed);
		while (items.size() < n)
		{
			int32_t i = static_cast<int32_t>(rng.below(catalogue));
			if (std::find(items.begin(), items.end(), i) == items.end())
				items.push_back(i);
		}
		std::sort(items.begin(), items.end());
		for (size_t j = 0; j < n; j++)
			values.push_back(static_cast<float>(1 + rng.below(5)));
	}
};

TEST(Explain, ContributionsAddUpToTheFoldedInScoreForEveryAlgorithm)
{
	int checked = 0;
	for (size_t a = 0; a < pgrec::kAlgorithmCount; a++)
	{
		const pgrec::AlgorithmEntry &entry = pgrec::kAlgorithms[a];
		if (entry.fold_in == nullptr)
			continue; // neighbourhood models: their weights are their explanation
		if (entry.scorer == pgrec::Scorer::Network)
		{
			EXPECT_EQ(entry.explain, nullptr) << entry.name; // a network's score has no shares
			continue;
		}
		ASSERT_NE(entry.explain, nullptr) << entry.name;
		ASSERT_TRUE(entry.explain_exact) << entry.name;
		checked++;
		const char *trained_as = entry.make_trainer ? entry.name : "ials"; // imported: any factors
		// An algorithm with a choice of loss is explained for each it takes (hybrid: bpr's, ials'
		// and als').
		std::vector<int> losses = {-1};
		if (entry.parameters & pgrec::kLoss)
		{
			losses.clear();
			for (int c = 0; pgrec::kLossNames[c]; c++)
				if (entry.losses & (1u << c))
					losses.push_back(c);
		}
		for (int loss : losses)
		{
			pgrec::Hyperparameters chosen = entry.defaults;
			if (loss >= 0)
				chosen.loss = loss;
			pgrec::Interactions d =
			    random_ratings(30, 25, 7 + a, pgrec::duplicate_policy(entry, chosen));
			Trained m(trained_as, d, 5, 6, loss);
			pgrec::Hyperparameters h = loss >= 0 ? m.h : entry.defaults;
			h.factors = 5;
			Visitor v(9, d.items(), 3 + a);
			pgrec::ItemMatrix matrix = m.matrix();
			pgrec::FoldInInput in = {
			    matrix, m.mu, h, m.gram.data(), v.items.data(), v.values.data(), v.items.size()};
			for (int32_t t : {0, 4, 11, 24})
			{
				SCOPED_TRACE(std::string(entry.name) + " loss " + std::to_string(loss) +
				             " target " + std::to_string(t));
				std::vector<float> c = contributions(entry, in, t);
				double sum = 0.0, magnitude = 0.0;
				for (float x : c)
				{
					sum += x;
					magnitude += std::fabs(x);
				}
				double bias = matrix.bias ? matrix.bias[t] : 0.0;
				double score = fold_in_score(entry, in, t);
				EXPECT_GT(magnitude, 1e-3); // a decomposition of nothing would pass trivially
				EXPECT_NEAR(sum + bias, score, 1e-4 * (std::fabs(score) + magnitude));
			}
		}
	}
	EXPECT_EQ(checked, 8); // als, ials, bpr, svd, content, hybrid, two_tower, imported
}

// The naive method of implicit's explain with dense matrices: A^-1 formed, d_j and w_j
// written out, (z^T A^-1 d_j) w_j.
TEST(Explain, LeastSquaresSharesMatchTheDenseDecomposition)
{
	const int k = 4;
	pgrec::Interactions explicit_data = random_ratings(40, 30, 11, pgrec::DuplicatePolicy::Mean);
	pgrec::Interactions implicit_data = random_ratings(40, 30, 12, pgrec::DuplicatePolicy::Sum);
	Trained als("als", explicit_data, k, 5), ials("ials", implicit_data, k, 5);
	Visitor v(12, 30, 5);
	const size_t n = v.items.size();
	for (const Trained *m : {&als, &ials})
	{
		SCOPED_TRACE(m->algorithm.name);
		const bool offset = m->algorithm.explicit_feedback;
		const int width = k + (offset ? 1 : 0);
		Eigen::MatrixXd design(n, width);
		Eigen::VectorXd w(n);
		Eigen::MatrixXd a = Eigen::MatrixXd::Zero(width, width);
		double count = std::pow(static_cast<double>(n), m->h.regularization_exponent);
		for (size_t j = 0; j < n; j++)
		{
			int32_t i = v.items[j];
			double r = v.values[j];
			if (offset)
				design(j, 0) = 1.0;
			for (int f = 0; f < k; f++)
				design(j, width - k + f) = m->itf[i * k + f];
			if (offset) // explicit ALS: least squares on r - mu - b_i, weight 1 per row
			{
				w(j) = r - m->mu - m->ib[i];
				a += design.row(j).transpose() * design.row(j);
			}
			else // implicit ALS: confidence 1 + alpha r on a preference of 1
			{
				w(j) = 1.0 + m->h.alpha * r;
				a += m->h.alpha * r * design.row(j).transpose() * design.row(j);
			}
		}
		if (offset)
		{
			a.diagonal().array() += m->h.regularization * count;
			a(0, 0) += (m->h.bias_regularization - m->h.regularization) * count;
		}
		else
		{
			for (int f = 0; f < k; f++)
				for (int g = 0; g < k; g++)
					a(f, g) += m->gram[f * k + g];
			a.diagonal().array() += m->h.regularization * count;
		}
		Eigen::MatrixXd inverse = a.inverse();
		pgrec::ItemMatrix matrix = m->matrix();
		pgrec::FoldInInput in = {matrix,         m->mu,           m->h, m->gram.data(),
		                         v.items.data(), v.values.data(), n};
		for (int32_t t : {1, 17, 29})
		{
			Eigen::VectorXd z = Eigen::VectorXd::Zero(width);
			for (int f = 0; f < k; f++)
				z(width - k + f) = m->itf[t * k + f];
			std::vector<float> c = contributions(m->algorithm, in, t);
			for (size_t j = 0; j < n; j++)
			{
				double expected = z.dot(inverse * design.row(j).transpose()) * w(j);
				EXPECT_NEAR(c[j], expected, 1e-4 * (1 + std::fabs(expected)))
				    << "target " << t << " item " << v.items[j];
			}
		}
	}
}

// Planted taste groups: user u likes the items of group u % 3 (8 items each, 24 in all), and
// clicks on them (or rates them 4.5 to 5) far more often than on others (rated 1 to 3).
pgrec::Interactions planted(bool ratings)
{
	std::vector<int64_t> u, i;
	std::vector<float> r;
	pgrec::Random rng(17);
	for (int a = 0; a < 90; a++)
		for (int b = 0; b < 24; b++)
		{
			bool liked = b / 8 == a % 3;
			if (ratings ? rng.uniform() < 0.5
			            : (liked && rng.uniform() < 0.7) || rng.uniform() < 0.05)
			{
				u.push_back(a);
				i.push_back(b);
				r.push_back(!ratings ? 1.0f
				            : liked  ? 4.5f + 0.5f * static_cast<float>(rng.uniform())
				                     : 1.0f + 2.0f * static_cast<float>(rng.uniform()));
			}
		}
	return pgrec::build_interactions(u.data(), i.data(), r.data(), u.size(),
	                                 ratings ? pgrec::DuplicatePolicy::Mean
	                                         : pgrec::DuplicatePolicy::Sum);
}

// How much the score of t falls when each history item alone is left out of the fold-in.
std::vector<double> score_drops(const Trained &m, const pgrec::FoldInInput &in, int32_t t)
{
	double full = fold_in_score(m.algorithm, in, t);
	std::vector<double> drops;
	for (size_t left_out = 0; left_out < in.n; left_out++)
	{
		std::vector<int32_t> items;
		std::vector<float> values;
		for (size_t j = 0; j < in.n; j++)
			if (j != left_out)
			{
				items.push_back(in.item_indices[j]);
				values.push_back(in.values ? in.values[j] : 1.0f);
			}
		pgrec::FoldInInput fewer = {in.items,     in.global_mean, in.h,        in.gramian,
		                            items.data(), values.data(),  items.size()};
		drops.push_back(full - fold_in_score(m.algorithm, fewer, t));
	}
	return drops;
}

template <class T> size_t argmax(const std::vector<T> &v)
{
	return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

// A history of one item per taste group (none standing in for another): for every target the
// item that explains most is the one whose removal lowers the score most, for ials and als.
TEST(Explain, RemovingTheTopExplainingItemLowersTheScoreMost)
{
	std::vector<int32_t> history = {2, 9, 17};
	std::vector<float> ratings = {5, 1, 2}; // als: one liked group, two disliked
	for (bool explicit_ratings : {false, true})
	{
		pgrec::Interactions d = planted(explicit_ratings);
		Trained m(explicit_ratings ? "als" : "ials", d, 6, 10);
		SCOPED_TRACE(m.algorithm.name);
		pgrec::ItemMatrix matrix = m.matrix();
		pgrec::FoldInInput in = {
		    matrix,        m.mu,           m.h,
		    m.gram.data(), history.data(), explicit_ratings ? ratings.data() : nullptr,
		    history.size()};
		for (int32_t t = 0; t < 24; t++)
		{
			SCOPED_TRACE("target " + std::to_string(t));
			std::vector<float> c = contributions(m.algorithm, in, t);
			std::vector<double> drops = score_drops(m, in, t);
			size_t top = argmax(c);
			EXPECT_EQ(top, argmax(drops));
			EXPECT_GT(drops[top], 0.0);
			if (!explicit_ratings)
			{
				// Clicks: the item of the target's own group.
				EXPECT_EQ(history[top] / 8, t / 8);
			}
		}
	}
}

// Several items of one group stand in for each other: leaving one out changes the score
// little (the others take its place), so the largest share need not be the largest drop.
// The explanation still names an item of the target's group, as the largest drop does.
TEST(Explain, RedundantItemsShareTheScoreOfTheirGroup)
{
	pgrec::Interactions d = planted(false);
	Trained m("ials", d, 6, 10);
	std::vector<int32_t> history = {0, 2, 3, 5, 9, 17};
	pgrec::ItemMatrix matrix = m.matrix();
	pgrec::FoldInInput in = {matrix,         0.0,     m.h,           m.gram.data(),
	                         history.data(), nullptr, history.size()};
	int same_item = 0;
	for (int32_t t = 0; t < 24; t++)
	{
		if (std::binary_search(history.begin(), history.end(), t))
			continue; // not a recommendation
		SCOPED_TRACE("target " + std::to_string(t));
		std::vector<float> c = contributions(m.algorithm, in, t);
		std::vector<double> drops = score_drops(m, in, t);
		EXPECT_EQ(history[argmax(c)] / 8, t / 8);
		EXPECT_EQ(history[argmax(drops)] / 8, t / 8);
		same_item += argmax(c) == argmax(drops);
	}
	// 16 of the 18 on this data: the two others are targets of group 0, whose four history
	// items stand in for each other.
	EXPECT_GE(same_item, 14);
}

TEST(Explain, TopItemsAreLargestFirstTiesBySmallerIndex)
{
	// One factor and no regularisation: an svd system G = sum q^2 with the shares r_j q_t q_j / G.
	std::vector<float> f = {1, 2, 2, -1, 3}, gram = {0};
	for (float x : f)
		gram[0] += x * x;
	pgrec::ItemMatrix matrix = {f.data(), nullptr, nullptr, f.size(), 1};
	const pgrec::AlgorithmEntry &svd = *pgrec::find_algorithm("svd");
	pgrec::Hyperparameters h = svd.defaults;
	h.factors = 1;
	std::vector<int32_t> history = {0, 1, 2, 3, 4};
	std::vector<float> values = {2, 1, 1, 1, 0.5f};
	pgrec::FoldInInput in = {matrix, 0.0, h, gram.data(), history.data(), values.data(), 5};
	std::vector<float> c(5);
	std::vector<pgrec::Recommendation> top(3);
	// Shares of target 4 (q = 3): 2*1, 1*2, 1*2, -1, 0.5*3, times 3 / 19.
	size_t n = pgrec::explain_score(svd, in, 4, 3, pgrec::no_cancel(), c.data(), top.data());
	ASSERT_EQ(n, 3u);
	EXPECT_EQ(top[0].item, 0); // 6/19, tied with items 1 and 2: the smaller index first
	EXPECT_EQ(top[1].item, 1);
	EXPECT_EQ(top[2].item, 2);
	EXPECT_NEAR(top[0].score, 6.0 / 19, 1e-6);
	EXPECT_NEAR(c[3], -3.0 / 19, 1e-6);
	EXPECT_NEAR(c[4], 4.5 / 19, 1e-6);
	// k beyond the history: every item, the negative one last.
	std::vector<pgrec::Recommendation> all(5);
	EXPECT_EQ(pgrec::explain_score(svd, in, 4, 5, pgrec::no_cancel(), c.data(), all.data()), 5u);
	EXPECT_EQ(all[3].item, 4);
	EXPECT_EQ(all[4].item, 3);
}

TEST(Explain, RefusesWhatItCannotExplain)
{
	std::vector<float> f = {1, 2}, gram = {5};
	pgrec::ItemMatrix matrix = {f.data(), nullptr, nullptr, 2, 1};
	pgrec::AlgorithmEntry mute = *pgrec::find_algorithm("ials");
	mute.explain = nullptr;
	pgrec::Hyperparameters h = mute.defaults;
	h.factors = 1;
	int32_t item = 0;
	pgrec::FoldInInput in = {matrix, 0.0, h, gram.data(), &item, nullptr, 1};
	float c;
	pgrec::Recommendation top;
	EXPECT_THROW(pgrec::explain_score(mute, in, 1, 1, pgrec::no_cancel(), &c, &top),
	             pgrec::InvalidArgument);
	in.n = 0;
	EXPECT_THROW(pgrec::explain_score(*pgrec::find_algorithm("ials"), in, 1, 1, pgrec::no_cancel(),
	                                  &c, &top),
	             pgrec::DataError);
}

TEST(Explain, CancelStopsEveryExplainer)
{
	pgrec::Interactions d = random_ratings(20, 15, 3, pgrec::DuplicatePolicy::Mean);
	volatile sig_atomic_t cancel = 1;
	pgrec::CancelToken token;
	token.cancel = &cancel;
	Visitor v(5, d.items(), 1);
	for (size_t a = 0; a < pgrec::kAlgorithmCount; a++)
	{
		const pgrec::AlgorithmEntry &entry = pgrec::kAlgorithms[a];
		if (entry.fold_in == nullptr || entry.explain == nullptr)
			continue;
		Trained m(entry.make_trainer ? entry.name : "ials", d, 3, 1);
		pgrec::ItemMatrix matrix = m.matrix();
		pgrec::FoldInInput in = {matrix,          m.mu,          m.h, m.gram.data(), v.items.data(),
		                         v.values.data(), v.items.size()};
		std::vector<float> c(in.n);
		std::vector<pgrec::Recommendation> top(in.n);
		EXPECT_THROW(pgrec::explain_score(entry, in, 2, in.n, token, c.data(), top.data()),
		             pgrec::Cancelled)
		    << entry.name;
	}
}

} // namespace
