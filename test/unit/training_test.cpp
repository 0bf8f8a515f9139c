// Unit tests of the trainers against dense direct solves on tiny problems: after an epoch,
// the side solved last must be the exact minimiser of its objective given the other side.
#include "algorithm_registry.h"
#include "core_errors.h"
#include "factor_init.h"
#include "interactions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

namespace
{

// A 7 x 5 matrix with 20 observed ratings, some users and items sparse.
struct Tiny
{
	std::vector<int64_t> users, items;
	std::vector<float> values;
	Tiny()
	{
		for (int u = 0; u < 7; u++)
			for (int i = 0; i < 5; i++)
				if ((u * 3 + i * 2) % 7 < 4)
				{
					users.push_back(100 + u);
					items.push_back(10 * i);
					values.push_back(static_cast<float>(1 + (u * i + u) % 5));
				}
	}
};

// Runs epochs epochs of each trainer, in turn.
void run_epochs(int epochs, std::initializer_list<pgrec::Trainer *> trainers)
{
	for (int e = 0; e < epochs; e++)
		for (pgrec::Trainer *t : trainers)
			t->run_epoch(pgrec::no_cancel());
}

struct Model
{
	std::vector<float> uf, itf, ub, ib;
	pgrec::FactorBuffers buffers;
	Model(const pgrec::Interactions &d, int k, bool biases)
	    : uf(d.users() * k), itf(d.items() * k), ub(d.users()), ib(d.items())
	{
		buffers = {uf.data(), itf.data(), biases ? ub.data() : nullptr,
		           biases ? ib.data() : nullptr};
	}
};

TEST(Interactions, MapsIdsMergesDuplicatesAndTransposes)
{
	std::vector<int64_t> users = {50, 7, 50, 7, 50}, items = {3, 3, 9, 3, 3};
	std::vector<float> values = {1, 2, 3, 4, 5};
	pgrec::Interactions mean = pgrec::build_interactions(users.data(), items.data(), values.data(),
	                                                     5, pgrec::DuplicatePolicy::Mean);
	EXPECT_EQ(mean.user_ids, (std::vector<int64_t>{7, 50}));
	EXPECT_EQ(mean.item_ids, (std::vector<int64_t>{3, 9}));
	EXPECT_EQ(mean.nnz(), 3u);
	EXPECT_EQ(mean.duplicates, 2u);
	EXPECT_EQ(mean.by_user.ptr, (std::vector<int64_t>{0, 1, 3}));
	EXPECT_EQ(mean.by_user.value, (std::vector<float>{3.0f, 3.0f, 3.0f})); // (2+4)/2, (1+5)/2, 3
	EXPECT_EQ(mean.by_item.ptr, (std::vector<int64_t>{0, 2, 3}));
	EXPECT_EQ(mean.by_item.index, (std::vector<int32_t>{0, 1, 1}));
	pgrec::Interactions sum = pgrec::build_interactions(users.data(), items.data(), values.data(),
	                                                    5, pgrec::DuplicatePolicy::Sum);
	EXPECT_EQ(sum.by_user.value, (std::vector<float>{6.0f, 6.0f, 3.0f}));
	EXPECT_EQ(pgrec::dense_index(sum.item_ids.data(), sum.items(), 9), 1);
	EXPECT_EQ(pgrec::dense_index(sum.item_ids.data(), sum.items(), 4), -1);
	EXPECT_THROW(
	    pgrec::build_interactions(nullptr, nullptr, nullptr, 0, pgrec::DuplicatePolicy::Sum),
	    pgrec::DataError);
}

// Compact ids (a table) and spread ones (a sort) index the same triples alike, negative and
// extreme ids included.
TEST(Interactions, CompactAndSpreadIdsBuildTheSameMatrices)
{
	std::mt19937 rng(5);
	std::vector<int64_t> users, items, spread_users, spread_items;
	std::vector<float> values;
	for (int t = 0; t < 300; t++)
	{
		int64_t u = static_cast<int64_t>(rng() % 40) - 5, i = static_cast<int64_t>(rng() % 90) - 30;
		users.push_back(u);
		items.push_back(i);
		spread_users.push_back(u * 1000000007LL);
		spread_items.push_back(i == -30 ? INT64_MIN : i == 59 ? INT64_MAX : i * 1000000007LL);
		values.push_back(static_cast<float>(rng() % 5 + 1));
	}
	pgrec::Interactions compact = pgrec::build_interactions(
	    users.data(), items.data(), values.data(), users.size(), pgrec::DuplicatePolicy::Mean);
	pgrec::Interactions spread =
	    pgrec::build_interactions(spread_users.data(), spread_items.data(), values.data(),
	                              users.size(), pgrec::DuplicatePolicy::Mean);
	ASSERT_EQ(compact.users(), spread.users());
	ASSERT_EQ(compact.items(), spread.items());
	for (size_t u = 0; u < compact.users(); u++)
		EXPECT_EQ(compact.user_ids[u] * 1000000007LL, spread.user_ids[u]);
	EXPECT_EQ(spread.item_ids.front(), INT64_MIN);
	EXPECT_EQ(spread.item_ids.back(), INT64_MAX);
	EXPECT_TRUE(std::is_sorted(compact.item_ids.begin(), compact.item_ids.end()));
	EXPECT_EQ(compact.by_user.ptr, spread.by_user.ptr);
	EXPECT_EQ(compact.by_user.index, spread.by_user.index);
	EXPECT_EQ(compact.by_user.value, spread.by_user.value);
	EXPECT_EQ(compact.by_item.index, spread.by_item.index);
	EXPECT_EQ(compact.duplicates, spread.duplicates);
}

// Both solvers: exact (cg_steps 0) and conjugate gradient with enough steps for the 4 unknowns.
class ExplicitAlsSolver : public testing::TestWithParam<int>
{
};

TEST_P(ExplicitAlsSolver, ItemSideIsTheExactLeastSquaresSolution)
{
	Tiny t;
	pgrec::Interactions d =
	    pgrec::build_interactions(t.users.data(), t.items.data(), t.values.data(), t.users.size(),
	                              pgrec::DuplicatePolicy::Mean);
	pgrec::Hyperparameters h;
	const pgrec::AlgorithmEntry &algorithm = *pgrec::find_algorithm("als");
	h.factors = 3;
	h.regularization = 0.3;
	h.bias_regularization = 0.1;
	h.regularization_exponent = 0.8;
	h.cg_steps = GetParam();
	Model m(d, h.factors, true);
	auto trainer = pgrec::make_trainer(algorithm, d, h, m.buffers);
	trainer->run_epoch(pgrec::no_cancel());
	const int k = h.factors;
	const double mu = trainer->global_mean();
	for (size_t i = 0; i < d.items(); i++)
	{
		// Normal equations of min sum_u (r - mu - b_u - b_i - p_u.q_i)^2 + reg over [b_i, q_i].
		int64_t first = d.by_item.ptr[i], last = d.by_item.ptr[i + 1];
		double n = std::pow(static_cast<double>(last - first), h.regularization_exponent);
		Eigen::MatrixXd a = Eigen::MatrixXd::Zero(k + 1, k + 1);
		Eigen::VectorXd b = Eigen::VectorXd::Zero(k + 1);
		for (int64_t e = first; e < last; e++)
		{
			int32_t u = d.by_item.index[e];
			Eigen::VectorXd x(k + 1);
			x(0) = 1;
			for (int f = 0; f < k; f++)
				x(f + 1) = m.uf[u * k + f];
			a += x * x.transpose();
			b += (d.by_item.value[e] - mu - m.ub[u]) * x;
		}
		a.diagonal().array() += h.regularization * n;
		a(0, 0) += (h.bias_regularization - h.regularization) * n;
		Eigen::VectorXd w = a.fullPivLu().solve(b);
		EXPECT_NEAR(m.ib[i], w(0), 1e-4) << "item " << i;
		for (int f = 0; f < k; f++)
			EXPECT_NEAR(m.itf[i * k + f], w(f + 1), 1e-4) << "item " << i << " factor " << f;
	}
}

INSTANTIATE_TEST_SUITE_P(ExactAndCg, ExplicitAlsSolver, testing::Values(0, 20));

// Two conjugate-gradient steps a row per epoch (the CG solver, warm-started) reach the exact
// solver's training RMSE within 1% after 10 epochs.
TEST(ExplicitAls, ConjugateGradientReachesTheExactFit)
{
	Tiny t;
	pgrec::Interactions d =
	    pgrec::build_interactions(t.users.data(), t.items.data(), t.values.data(), t.users.size(),
	                              pgrec::DuplicatePolicy::Mean);
	const pgrec::AlgorithmEntry &algorithm = *pgrec::find_algorithm("als");
	pgrec::Hyperparameters h = algorithm.defaults;
	h.factors = 3;
	h.cg_steps = 0;
	Model exact(d, h.factors, true), cg(d, h.factors, true);
	auto te = pgrec::make_trainer(algorithm, d, h, exact.buffers);
	h.cg_steps = 2;
	auto tc = pgrec::make_trainer(algorithm, d, h, cg.buffers);
	run_epochs(10, {te.get(), tc.get()});
	EXPECT_NE(exact.itf, cg.itf); // two solvers
	EXPECT_NEAR(tc->loss(), te->loss(), 0.01 * te->loss());
	EXPECT_LT(te->loss(), 1.0);
}

TEST(ExplicitAls, FitsTheTrainingDataWhateverTheThreadCount)
{
	Tiny t;
	pgrec::Interactions d =
	    pgrec::build_interactions(t.users.data(), t.items.data(), t.values.data(), t.users.size(),
	                              pgrec::DuplicatePolicy::Mean);
	const pgrec::AlgorithmEntry &algorithm = *pgrec::find_algorithm("als");
	pgrec::Hyperparameters h;
	h.factors = 4;
	h.regularization = 0.01;
	h.regularization_exponent = 1.0;
	Model a(d, h.factors, true), b(d, h.factors, true);
	auto ta = pgrec::make_trainer(algorithm, d, h, a.buffers);
	h.threads = 3;
	auto tb = pgrec::make_trainer(algorithm, d, h, b.buffers);
	run_epochs(20, {ta.get(), tb.get()});
	EXPECT_LT(ta->loss(), 0.2); // 4 factors fit 20 ratings of a 7 x 5 matrix closely
	EXPECT_EQ(a.uf, b.uf) << "thread count must not change ALS factors";
	EXPECT_EQ(a.itf, b.itf);
}

// ials over more rows than one block of kRowBlock (300 users, 250 items): the same factors
// with one thread or three, with conjugate gradient and exactly (the reported loss sums
// per-thread slices: the same to rounding).
TEST(ImplicitAls, FactorsDoNotDependOnTheThreadCount)
{
	std::mt19937 rng(17);
	std::vector<int64_t> users, items;
	std::vector<float> values;
	for (int t = 0; t < 6000; t++)
	{
		users.push_back(static_cast<int64_t>(rng() % 300));
		items.push_back(static_cast<int64_t>(rng() % 250));
		values.push_back(static_cast<float>(rng() % 3 + 1));
	}
	pgrec::Interactions d = pgrec::build_interactions(users.data(), items.data(), values.data(),
	                                                  users.size(), pgrec::DuplicatePolicy::Sum);
	const pgrec::AlgorithmEntry &algorithm = *pgrec::find_algorithm("ials");
	for (int steps : {3, 0})
	{
		pgrec::Hyperparameters h;
		h.factors = 24;
		h.alpha = 5.0;
		h.cg_steps = steps;
		Model a(d, h.factors, false), b(d, h.factors, false);
		auto ta = pgrec::make_trainer(algorithm, d, h, a.buffers);
		h.threads = 3;
		auto tb = pgrec::make_trainer(algorithm, d, h, b.buffers);
		run_epochs(3, {ta.get(), tb.get()});
		EXPECT_EQ(a.uf, b.uf) << "cg_steps " << steps;
		EXPECT_EQ(a.itf, b.itf) << "cg_steps " << steps;
		EXPECT_NEAR(ta->loss(), tb->loss(), 1e-6 * ta->loss()); // sums over other slices
	}
}

// Both solvers: exact (cg_steps 0) and enough conjugate-gradient steps for a 3 x 3 system.
class ImplicitAlsSolver : public testing::TestWithParam<int>
{
};

TEST_P(ImplicitAlsSolver, ItemSideMatchesTheDenseWeightedSolve)
{
	Tiny t;
	pgrec::Interactions d =
	    pgrec::build_interactions(t.users.data(), t.items.data(), t.values.data(), t.users.size(),
	                              pgrec::DuplicatePolicy::Sum);
	pgrec::Hyperparameters h;
	const pgrec::AlgorithmEntry &algorithm = *pgrec::find_algorithm("ials");
	h.factors = 3;
	h.regularization = 0.5;
	h.regularization_exponent = 0.5;
	h.alpha = 2.0;
	h.cg_steps = GetParam();
	Model m(d, h.factors, false);
	auto trainer = pgrec::make_trainer(algorithm, d, h, m.buffers);
	trainer->run_epoch(pgrec::no_cancel());
	const int k = h.factors;
	// Dense confidence and preference over every (user, item) pair.
	for (size_t i = 0; i < d.items(); i++)
	{
		Eigen::MatrixXd a = Eigen::MatrixXd::Zero(k, k);
		Eigen::VectorXd b = Eigen::VectorXd::Zero(k);
		for (size_t u = 0; u < d.users(); u++)
		{
			double r = 0;
			for (int64_t e = d.by_item.ptr[i]; e < d.by_item.ptr[i + 1]; e++)
				if (static_cast<size_t>(d.by_item.index[e]) == u)
					r = d.by_item.value[e];
			double c = 1 + h.alpha * r, p = r > 0 ? 1 : 0;
			Eigen::VectorXd x(k);
			for (int f = 0; f < k; f++)
				x(f) = m.uf[u * k + f];
			a += c * x * x.transpose();
			b += c * p * x;
		}
		double count = static_cast<double>(d.by_item.ptr[i + 1] - d.by_item.ptr[i]);
		a.diagonal().array() += h.regularization * std::pow(count, h.regularization_exponent);
		Eigen::VectorXd y = a.ldlt().solve(b);
		for (int f = 0; f < k; f++)
			EXPECT_NEAR(m.itf[i * k + f], y(f), 1e-3) << "item " << i << " factor " << f;
	}
}

INSTANTIATE_TEST_SUITE_P(ExactAndCg, ImplicitAlsSolver, testing::Values(0, 50));

TEST(Bpr, RanksObservedItemsAboveOthersAndIsDeterministic)
{
	// Users 0-9 like items 0-4, users 10-19 like items 5-9.
	std::vector<int64_t> users, items;
	for (int u = 0; u < 20; u++)
		for (int i = 0; i < 5; i++)
			if ((u + i) % 5 != 0)
			{
				users.push_back(u);
				items.push_back(u < 10 ? i : i + 5);
			}
	pgrec::Interactions d = pgrec::build_interactions(users.data(), items.data(), nullptr,
	                                                  users.size(), pgrec::DuplicatePolicy::Sum);
	pgrec::Hyperparameters h;
	const pgrec::AlgorithmEntry &algorithm = *pgrec::find_algorithm("bpr");
	h.factors = 4;
	h.learning_rate = 0.1;
	h.regularization = 0.001;
	Model a(d, h.factors, true), b(d, h.factors, true);
	auto ta = pgrec::make_trainer(algorithm, d, h, a.buffers);
	auto tb = pgrec::make_trainer(algorithm, d, h, b.buffers);
	for (int e = 0; e < 200; e++)
	{
		ta->run_epoch(pgrec::no_cancel());
		tb->run_epoch(pgrec::no_cancel());
	}
	EXPECT_EQ(a.uf, b.uf) << "one thread and one seed give the same factors";
	EXPECT_LT(ta->loss(), 0.3);
	int correct = 0;
	for (int u = 0; u < 20; u++)
	{
		Eigen::Map<const Eigen::VectorXf> p(a.uf.data() + u * 4, 4);
		double own = 0, other = 0;
		for (int i = 0; i < 10; i++)
		{
			double s = p.dot(Eigen::Map<const Eigen::VectorXf>(a.itf.data() + i * 4, 4)) + a.ib[i];
			((i < 5) == (u < 10) ? own : other) += s;
		}
		correct += own > other;
	}
	EXPECT_EQ(correct, 20);
}

TEST(Training, OnlyACancelOrTerminateStopsAnEpoch)
{
	Tiny t;
	pgrec::Interactions d =
	    pgrec::build_interactions(t.users.data(), t.items.data(), t.values.data(), t.users.size(),
	                              pgrec::DuplicatePolicy::Mean);
	// hybrid twice: its default loss (alternating least squares) and WARP (SGD).
	for (const char *name : {"als", "ials", "bpr", "hybrid", "hybrid warp"})
	{
		const bool warp = std::string(name) == "hybrid warp";
		const pgrec::AlgorithmEntry &algorithm = *pgrec::find_algorithm(warp ? "hybrid" : name);
		pgrec::Hyperparameters h = algorithm.defaults;
		h.factors = 2;
		if (warp)
			h.loss = pgrec::parameter_choice(*pgrec::find_parameter("loss"), "warp");
		Model m(d, h.factors, true), quiet(d, h.factors, true);
		auto trainer = pgrec::make_trainer(algorithm, d, h, m.buffers);
		volatile sig_atomic_t cancel = 1, terminate = 0;
		pgrec::CancelToken token;
		token.cancel = &cancel;
		token.terminate = &terminate;
		EXPECT_THROW(trainer->run_epoch(token), pgrec::Cancelled) << name;
		cancel = 0;
		terminate = 1;
		EXPECT_THROW(trainer->run_epoch(token), pgrec::Cancelled) << name;
		// With neither flag set, an epoch runs to its end and gives the undisturbed factors.
		terminate = 0;
		auto fresh = pgrec::make_trainer(algorithm, d, h, m.buffers);
		auto reference = pgrec::make_trainer(algorithm, d, h, quiet.buffers);
		fresh->run_epoch(token);
		reference->run_epoch(pgrec::no_cancel());
		EXPECT_EQ(m.uf, quiet.uf) << name;
		EXPECT_EQ(m.itf, quiet.itf) << name;
	}
}

TEST(Training, CancelStopsBuildingTheMatrix)
{
	Tiny t;
	volatile sig_atomic_t cancel = 1;
	pgrec::CancelToken token;
	token.cancel = &cancel;
	EXPECT_THROW(pgrec::build_interactions(t.users.data(), t.items.data(), t.values.data(),
	                                       t.users.size(), pgrec::DuplicatePolicy::Mean, token),
	             pgrec::Cancelled);
}

TEST(Registry, EveryAlgorithmValidatesItsOwnParametersOnly)
{
	const pgrec::AlgorithmEntry &als = *pgrec::find_algorithm("als");
	const pgrec::AlgorithmEntry &bpr = *pgrec::find_algorithm("bpr");
	EXPECT_EQ(pgrec::find_algorithm("lightgcn"), nullptr);
	EXPECT_EQ(pgrec::find_algorithm("imported")->make_trainer, nullptr);
	EXPECT_NO_THROW(pgrec::validate(als, als.defaults));
	pgrec::Hyperparameters h = als.defaults;
	h.factors = 0;
	EXPECT_THROW(pgrec::validate(als, h), pgrec::InvalidArgument);
	h = als.defaults;
	h.regularization = NAN;
	EXPECT_THROW(pgrec::validate(als, h), pgrec::InvalidArgument);
	h = als.defaults;
	h.epochs = 0;
	EXPECT_THROW(pgrec::validate(als, h), pgrec::InvalidArgument);
	// learning_rate is bpr's: als does not check it, bpr does.
	h = als.defaults;
	h.learning_rate = 0;
	EXPECT_NO_THROW(pgrec::validate(als, h));
	EXPECT_THROW(pgrec::validate(bpr, h), pgrec::InvalidArgument);
	char names[1024];
	pgrec::trainable_algorithm_list(names, sizeof names);
	EXPECT_STREQ(
	    names,
	    "'als' (explicit ratings), 'ials' (implicit feedback), 'bpr' (implicit feedback, "
	    "pairwise ranking), 'svd' (truncated SVD of the degree-normalised interaction matrix), "
	    "'item_knn' (item-based neighbourhood, cosine or other similarities), 'user_knn' "
	    "(user-based neighbourhood, cosine or other similarities), 'ease' (EASE: "
	    "closed-form item-item autoencoder), 'content' (content-based: the item features' TF-IDF "
	    "reduced by a truncated SVD), 'hybrid' (LightFM-style: interactions with item "
	    "and user features), 'two_tower' (two-tower network: id and feature embeddings through "
	    "an MLP per side) or 'neumf' (NeuMF: GMF and MLP branches fused, scored by the "
	    "network)");
}

TEST(Interactions, MergeRepeatedFollowsTheTrainingPolicy)
{
	std::vector<int32_t> items = {7, 3, 7, 1, 3, 7};
	std::vector<float> values = {1, 2, 3, 4, 5, 8};
	std::vector<int32_t> mean_items = items;
	std::vector<float> mean_values = values;
	size_t n = pgrec::merge_repeated(items.data(), values.data(), items.size(),
	                                 pgrec::DuplicatePolicy::Sum);
	ASSERT_EQ(n, 3u);
	EXPECT_EQ(std::vector<int32_t>(items.begin(), items.begin() + 3),
	          (std::vector<int32_t>{1, 3, 7}));
	EXPECT_EQ(std::vector<float>(values.begin(), values.begin() + 3),
	          (std::vector<float>{4, 7, 12}));
	n = pgrec::merge_repeated(mean_items.data(), mean_values.data(), mean_items.size(),
	                          pgrec::DuplicatePolicy::Mean);
	ASSERT_EQ(n, 3u);
	EXPECT_EQ(std::vector<float>(mean_values.begin(), mean_values.begin() + 3),
	          (std::vector<float>{4, 3.5f, 4}));
}

} // namespace
