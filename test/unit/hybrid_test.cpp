// Unit tests of the hybrid (LightFM-style) trainer: its per-sample gradients against central
// finite differences, WARP's screened negatives, cold items and users from features on planted
// genres, determinism.
#include "algorithm_registry.h"
#include "core_errors.h"
#include "factor_init.h"
#include "hybrid.h"
#include "interactions.h"
#include "planted_genres.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <vector>

namespace
{

// A hybrid model trained for some epochs.
struct Trained
{
	pgrec::Hyperparameters h;
	std::vector<float> uf, itf, ub, ib;
	std::unique_ptr<pgrec::Trainer> trainer;

	Trained(const pgrec::Interactions &d, uint64_t seed, int loss = 0, int threads = 1)
	    : h(pgrec::find_algorithm("hybrid")->defaults)
	{
		h.factors = 8;
		h.epochs = 30;
		h.seed = seed;
		h.loss = loss;
		h.threads = threads;
		pgrec::apply_data_defaults(*pgrec::find_algorithm("hybrid"), &h,
		                           pgrec::kFactors | pgrec::kEpochs, d);
		uf.resize(d.users() * h.factors);
		itf.resize(d.items() * h.factors);
		ub.assign(d.users(), 0.0f);
		ib.resize(d.items());
		pgrec::FactorBuffers b = {uf.data(), itf.data(), ub.data(), ib.data()};
		trainer = pgrec::make_trainer(*pgrec::find_algorithm("hybrid"), d, h, b);
		for (int e = 0; e < h.epochs; e++)
			trainer->run_epoch(pgrec::no_cancel());
	}

	// The user's score of item i: p_u . q_i + b_i.
	double score(int u, int i) const
	{
		double s = ib[i];
		for (int c = 0; c < h.factors; c++)
			s += static_cast<double>(uf[u * h.factors + c]) * itf[i * h.factors + c];
		return s;
	}
};

// The fraction of (positive, negative) pairs the user scores in the right order.
double auc(const Trained &m, int u, const std::vector<int> &positives,
           const std::vector<int> &negatives)
{
	double right = 0.0;
	for (int i : positives)
		for (int j : negatives)
			right += m.score(u, i) > m.score(u, j) ? 1.0 : m.score(u, i) == m.score(u, j) ? 0.5 : 0;
	return right / (static_cast<double>(positives.size()) * negatives.size());
}

// The cold items of genre g and those of the other genres.
void cold_split(int g, std::vector<int> *same, std::vector<int> *other)
{
	for (int i = kWarmItems; i < kItems; i++)
		(genre(i) == g ? same : other)->push_back(i);
}

// A tiny model's parameters, by side: 2 users with 2 features, 4 items with 3 features; item 1
// (the positive) and item 2 (the negative) share feature 1.
struct TinyModel
{
	static constexpr int k = 3;
	std::vector<float> user_id, user_feature, item_id, item_bias, item_feature, item_feature_bias;
	std::vector<float> sq = std::vector<float>(64, 1.0f); // accumulators: unused here
	pgrec::SparseRows user_rows, item_rows;

	TinyModel()
	{
		pgrec::Random rng(5);
		auto fill = [&](std::vector<float> &v, size_t n)
		{
			v.resize(n);
			for (float &x : v)
				x = static_cast<float>(rng.normal() * 0.6);
		};
		fill(user_id, 2 * k);
		fill(user_feature, 2 * k);
		fill(item_id, 4 * k);
		fill(item_bias, 4);
		fill(item_feature, 3 * k);
		fill(item_feature_bias, 3);
		user_rows = {{0, 2, 3}, {0, 1, 1}, {0.7f, -0.3f, 1.0f}};
		item_rows = {{0, 1, 3, 5, 6}, {0, 0, 1, 1, 2, 2}, {1.0f, 0.25f, 0.75f, 0.6f, 0.4f, 1.0f}};
	}

	pgrec::HybridSide users()
	{
		return {user_id.data(), sq.data(), nullptr, nullptr,   user_feature.data(),
		        sq.data(),      nullptr,   nullptr, &user_rows};
	}
	pgrec::HybridSide items()
	{
		return {item_id.data(),      sq.data(), item_bias.data(),         sq.data(),
		        item_feature.data(), sq.data(), item_feature_bias.data(), sq.data(),
		        &item_rows};
	}

	// x = s_ui - s_uj from the composed vectors; p and diff receive p_u and q_i - q_j.
	double difference(int u, int i, int j, float *p, float *diff)
	{
		float qi[k], qj[k];
		pgrec::compose(users(), k, u, p);
		float bi = pgrec::compose(items(), k, i, qi), bj = pgrec::compose(items(), k, j, qj);
		double x = static_cast<double>(bi) - bj;
		for (int c = 0; c < k; c++)
		{
			diff[c] = qi[c] - qj[c];
			x += static_cast<double>(p[c]) * diff[c];
		}
		return x;
	}
};

// for_each_gradient's gradient of every parameter against (f(theta + h) - f(theta - h)) / 2h,
// for BPR and for WARP's hinge on a violating pair; the untouched item 3 must get 0.
TEST(Hybrid, PerSampleGradientsMatchFiniteDifferences)
{
	for (pgrec::HybridLoss kind : {pgrec::HybridLoss::Bpr, pgrec::HybridLoss::Warp})
	{
		SCOPED_TRACE(kind == pgrec::HybridLoss::Bpr ? "bpr" : "warp");
		TinyModel m;
		const int u = 1, i = 1, j = 2;
		const double warp_weight = 1.7;
		float p[TinyModel::k], diff[TinyModel::k];
		if (kind == pgrec::HybridLoss::Warp) // a clear violation: x well below 1
			m.item_bias[j] = m.item_bias[i] + 1.5f;
		double x = m.difference(u, i, j, p, diff), slope;
		pgrec::pair_loss(kind, x, warp_weight, &slope);
		if (kind == pgrec::HybridLoss::Warp)
		{
			ASSERT_LT(x, 0.5);
			EXPECT_DOUBLE_EQ(slope, -warp_weight);
		}
		std::map<const float *, double> gradient;
		pgrec::for_each_gradient(
		    m.users(), m.items(), TinyModel::k, u, i, j, static_cast<float>(slope), p, diff,
		    [&](float *param, float *, const float *direction, float scale)
		    {
			    for (int c = 0; c < TinyModel::k; c++)
				    gradient[param + c] += static_cast<double>(scale) * direction[c];
		    },
		    [&](float *param, float *, float g) { gradient[param] += g; });
		auto loss = [&]()
		{
			float p2[TinyModel::k], diff2[TinyModel::k];
			double unused;
			return pgrec::pair_loss(kind, m.difference(u, i, j, p2, diff2), warp_weight, &unused);
		};
		int checked = 0, nonzero = 0;
		for (std::vector<float> *v : {&m.user_id, &m.user_feature, &m.item_id, &m.item_bias,
		                              &m.item_feature, &m.item_feature_bias})
			for (float &theta : *v)
			{
				const float saved = theta, high = saved + 1e-2f, low = saved - 1e-2f;
				theta = high;
				double up = loss();
				theta = low;
				double down = loss();
				theta = saved;
				double numeric = (up - down) / (static_cast<double>(high) - low);
				double analytic = gradient.count(&theta) ? gradient[&theta] : 0.0;
				EXPECT_NEAR(analytic, numeric, 2e-3 * (1.0 + std::fabs(numeric)))
				    << "parameter " << checked;
				checked++;
				nonzero += std::fabs(numeric) > 1e-2;
			}
		EXPECT_EQ(checked, 6 + 6 + 12 + 4 + 9 + 3);
		// User 1's id and feature 1, items 1 and 2 and features 0-2 with their biases; not
		// user 0's id, user feature 0, item 0 or item 3.
		EXPECT_GE(nonzero, 3 + 3 + 6 + 2 + 9 + 3 - 2);
		for (int c = 0; c < TinyModel::k; c++)
		{
			EXPECT_EQ(gradient.count(&m.item_id[3 * TinyModel::k + c]), 0u);
			EXPECT_EQ(gradient.count(&m.user_id[c]), 0u);
		}
	}
}

// Cold items get the vectors of their features alone, exactly as project_features computes
// them, and a user's genre's cold items rank above the others'.
TEST(Hybrid, ColdItemsAreTheirFeaturesAndRankByGenre)
{
	const pgrec::AlgorithmEntry &hybrid = *pgrec::find_algorithm("hybrid");
	pgrec::Interactions d = planted(true, false, 3);
	ASSERT_EQ(d.items(), static_cast<size_t>(kItems));
	ASSERT_EQ(d.by_item.ptr[kItems] - d.by_item.ptr[kWarmItems], 0); // cold: no interactions
	for (int loss : {0, 1, 2})
	{
		SCOPED_TRACE(pgrec::kLossNames[loss]);
		Trained m(d, 7, loss);
		const pgrec::FeatureModel *features = m.trainer->feature_model();
		ASSERT_NE(features, nullptr);
		ASSERT_EQ(features->items.factors.size(), d.item_features.features() * m.h.factors);
		EXPECT_TRUE(features->users.factors.empty());
		const pgrec::SparseRows &rows = d.item_features.rows;
		double magnitude = 0.0;
		for (int i = kWarmItems; i < kItems; i++)
		{
			std::vector<float> q(m.h.factors);
			float bias = -1.0f;
			pgrec::project_features(
			    hybrid, pgrec::kItemFeatures, m.h, d.item_features, features->items,
			    rows.index.data() + rows.ptr[i], rows.value.data() + rows.ptr[i],
			    static_cast<size_t>(rows.ptr[i + 1] - rows.ptr[i]), q.data(), &bias);
			// The same float operations in the same order: equal, not just close.
			for (int c = 0; c < m.h.factors; c++)
			{
				EXPECT_EQ(q[c], m.itf[i * m.h.factors + c]) << "item " << i;
				magnitude += std::fabs(q[c]);
			}
			EXPECT_EQ(bias, m.ib[i]) << "item " << i;
		}
		EXPECT_GT(magnitude, 0.1);
		// Among the cold items; and the user's genre's cold items against the other genres'
		// warm items (feature embeddings left at their initial values give 0.91 with WARP and
		// 0.94 with BPR: the users align with them alone).
		double total = 0.0, mixed = 0.0;
		for (int u = 0; u < kWarmUsers; u++)
		{
			std::vector<int> same, other, warm_other;
			cold_split(genre(u), &same, &other);
			total += auc(m, u, same, other);
			for (int i = 0; i < kWarmItems; i++)
				if (genre(i) != genre(u))
					warm_other.push_back(i);
			mixed += auc(m, u, same, warm_other);
		}
		double mean_auc = total / kWarmUsers, mixed_auc = mixed / kWarmUsers;
		std::printf("[          ] hybrid %s: cold-item AUC %.4f, against other genres' warm items "
		            "%.4f, loss %.4f\n",
		            pgrec::kLossNames[loss], mean_auc, mixed_auc, m.trainer->loss());
		EXPECT_GT(mean_auc, 0.85);
		EXPECT_GT(mixed_auc, 0.97);
	}
}

// warp_negative with an exact screen takes the plain rule's decisions (a seen draw skipped, the
// first unseen one above score_i - 1 taken), draw for draw; with a stale screen it takes the
// same stream of draws and only skips more: its negative is unseen and above the margin on the
// exact score, and differs from the plain rule's only when the screen put that one below it.
TEST(Hybrid, WarpNegativeIsScreenedThenDecidedExactly)
{
	const size_t n = 50;
	std::vector<int32_t> candidates(n), seen = {2, 3, 5, 8, 13, 21, 34};
	std::iota(candidates.begin(), candidates.end(), 0);
	std::vector<float> score(n), stale(n);
	pgrec::Random values(3);
	for (size_t c = 0; c < n; c++)
	{
		score[c] = static_cast<float>(values.uniform() * 2.0 - 1.0);
		stale[c] = score[c] + static_cast<float>(values.uniform() - 0.5) * 0.6f;
	}
	auto exact = [&](int32_t c) { return score[c]; };
	auto screen = [&](int32_t c) { return stale[c]; };
	auto is_seen = [&](int32_t c) { return std::binary_search(seen.begin(), seen.end(), c); };
	int found = 0, differed = 0;
	for (uint64_t trial = 0; trial < 2000; trial++)
	{
		const float score_i = static_cast<float>(trial % 10) * 0.22f; // margin -1 to 0.98
		const float margin = score_i - 1.0f;
		pgrec::Random plain(trial), same(trial), screened(trial);
		int32_t expect = -1;
		int expect_draws = pgrec::kWarpMaxSampled;
		for (int d = 1; d <= pgrec::kWarpMaxSampled && expect < 0; d++)
		{
			int32_t c = candidates[plain.below(n)];
			if (!is_seen(c) && score[c] > margin)
				expect = c, expect_draws = d;
		}
		float score_j = 0.0f;
		int draws = 0;
		int32_t got =
		    pgrec::warp_negative(same, candidates.data(), n, seen.data(), seen.data() + seen.size(),
		                         score_i, exact, exact, &score_j, &draws);
		ASSERT_EQ(got, expect) << trial;
		EXPECT_EQ(draws, expect_draws);
		if (got >= 0)
		{
			EXPECT_EQ(score_j, score[got]);
		}
		found += got >= 0;
		got = pgrec::warp_negative(screened, candidates.data(), n, seen.data(),
		                           seen.data() + seen.size(), score_i, screen, exact, &score_j,
		                           &draws);
		if (got >= 0)
		{
			EXPECT_FALSE(is_seen(got));
			EXPECT_GT(score[got], margin);
			EXPECT_GT(stale[got], margin);
			EXPECT_EQ(score_j, score[got]);
			EXPECT_GE(draws, expect_draws);
		}
		if (got != expect)
		{
			differed++;
			ASSERT_GE(expect, 0) << "a stale screen cannot find a negative the plain rule misses";
			EXPECT_LE(stale[expect], margin);
		}
	}
	// Both outcomes occur, and the staleness changes some decisions, not most.
	EXPECT_GT(found, 200);
	EXPECT_LT(found, 1900);
	EXPECT_GT(differed, 10);
	EXPECT_LT(differed, 600);
}

// One thread and one seed give the same model; another seed another one.
TEST(Hybrid, IsDeterministicForASeed)
{
	pgrec::Interactions d = planted(true, true, 4);
	Trained a(d, 11), b(d, 11), c(d, 12);
	EXPECT_EQ(a.uf, b.uf);
	EXPECT_EQ(a.itf, b.itf);
	EXPECT_EQ(a.ib, b.ib);
	EXPECT_EQ(a.trainer->feature_model()->items.factors, b.trainer->feature_model()->items.factors);
	EXPECT_EQ(a.trainer->feature_model()->users.factors, b.trainer->feature_model()->users.factors);
	EXPECT_EQ(a.trainer->loss(), b.trainer->loss());
	EXPECT_NE(a.uf, c.uf);
	EXPECT_NE(a.itf, c.itf);
}

// Feature rows that do not match the entities are refused; a run whose loss is no longer finite
// stops with NumericDivergence.
TEST(Hybrid, RefusesMismatchedFeaturesAndReportsDivergence)
{
	const pgrec::AlgorithmEntry &hybrid = *pgrec::find_algorithm("hybrid");
	pgrec::Interactions d = planted(true, false, 8);
	pgrec::Hyperparameters h = hybrid.defaults;
	h.factors = 4;
	std::vector<float> uf(d.users() * 4), itf(d.items() * 4), ib(d.items());
	pgrec::FactorBuffers b = {uf.data(), itf.data(), nullptr, ib.data()};
	pgrec::Interactions short_rows = d;
	short_rows.item_features = genre_features(kItems - 1);
	EXPECT_THROW(pgrec::make_trainer(hybrid, short_rows, h, b), pgrec::DataError);
	h.loss = static_cast<int>(pgrec::HybridLoss::Warp);
	h.learning_rate = 1e30;
	auto trainer = pgrec::make_trainer(hybrid, d, h, b);
	EXPECT_THROW(for (int e = 0; e < 5; e++) trainer->run_epoch(pgrec::no_cancel()),
	             pgrec::NumericDivergence);
}

// Without features hybrid is matrix factorisation with a ranking loss: it ranks each user's
// held-out item above the items the user never saw.
TEST(Hybrid, WithoutFeaturesLearnsHeldOutInteractions)
{
	std::vector<int32_t> held_out;
	pgrec::Interactions d = planted(false, false, 5, &held_out);
	ASSERT_EQ(d.items(), static_cast<size_t>(kWarmItems));
	ASSERT_EQ(d.item_features.rows.rows(), 0u);
	for (int loss : {0, 1})
	{
		SCOPED_TRACE(loss == 0 ? "warp" : "bpr");
		Trained m(d, 9, loss, 2);
		EXPECT_TRUE(m.trainer->feature_model()->items.factors.empty());
		double total = 0.0;
		for (int u = 0; u < kWarmUsers; u++)
		{
			const int32_t *seen = d.by_user.index.data() + d.by_user.ptr[u];
			const int32_t *seen_end = d.by_user.index.data() + d.by_user.ptr[u + 1];
			std::vector<int> unseen;
			for (int i = 0; i < kWarmItems; i++)
				if (!std::binary_search(seen, seen_end, i) && i != held_out[u])
					unseen.push_back(i);
			total += auc(m, u, {held_out[u]}, unseen);
		}
		double mean_auc = total / kWarmUsers;
		std::printf("[          ] hybrid %s without features: held-out AUC %.4f\n",
		            loss == 0 ? "warp" : "bpr", mean_auc);
		EXPECT_GT(mean_auc, 0.8);
	}
}

// A user known only by features gets their vector (as project_features computes it) and ranks
// the items of the genre the features say first.
TEST(Hybrid, ColdUsersRankTheirFeaturesGenreFirst)
{
	const pgrec::AlgorithmEntry &hybrid = *pgrec::find_algorithm("hybrid");
	pgrec::Interactions d = planted(false, true, 6);
	ASSERT_EQ(d.users(), static_cast<size_t>(kWarmUsers + kColdUsers));
	Trained m(d, 13);
	const pgrec::FeatureEmbeddings &users = m.trainer->feature_model()->users;
	EXPECT_TRUE(users.bias.empty());
	const pgrec::SparseRows &rows = d.user_features.rows;
	for (int u = kWarmUsers; u < kWarmUsers + kColdUsers; u++)
	{
		SCOPED_TRACE("cold user " + std::to_string(u));
		ASSERT_EQ(d.by_user.ptr[u + 1], d.by_user.ptr[u]);
		std::vector<float> p(m.h.factors);
		float bias = -1.0f;
		pgrec::project_features(hybrid, pgrec::kUserFeatures, m.h, d.user_features, users,
		                        rows.index.data() + rows.ptr[u], rows.value.data() + rows.ptr[u],
		                        static_cast<size_t>(rows.ptr[u + 1] - rows.ptr[u]), p.data(),
		                        &bias);
		EXPECT_EQ(bias, 0.0f);
		for (int c = 0; c < m.h.factors; c++)
			EXPECT_EQ(p[c], m.uf[u * m.h.factors + c]);
		std::vector<int> order(kWarmItems), same, other;
		std::iota(order.begin(), order.end(), 0);
		std::sort(order.begin(), order.end(),
		          [&](int a, int b) { return m.score(u, a) > m.score(u, b); });
		for (int r = 0; r < kWarmItems / kGenres; r++)
			EXPECT_EQ(genre(order[r]), genre(u)) << "rank " << r << ": item " << order[r];
		for (int i = 0; i < kWarmItems; i++)
			(genre(i) == genre(u) ? same : other).push_back(i);
		std::printf("[          ] hybrid cold user %d: genre AUC %.4f\n", u,
		            auc(m, u, same, other));
	}
}

} // namespace
