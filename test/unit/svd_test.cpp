// Unit tests of the 'svd' algorithm against a dense JacobiSVD of the same (normalised) matrix
// on small awkward shapes: scores, subspace, loss, the randomized solver's accuracy,
// determinism, fold-in, limits and cancel.
#include "algorithm_registry.h"
#include "core_errors.h"
#include "factor_init.h"
#include "interactions.h"
#include "normal_equations.h"

#include <gtest/gtest.h>

#include <Eigen/SVD>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

namespace
{

using pgrec::RowMatrix;

// Triples of a users x items matrix: each pair kept with probability density, value 1..5
// (or 1 with binary), all from a seeded generator; every user and item gets one entry at least.
struct Triples
{
	std::vector<int64_t> users, items;
	std::vector<float> values;
	Triples(int n_users, int n_items, double density, uint64_t seed, bool binary)
	{
		pgrec::Random rng(seed);
		for (int u = 0; u < n_users; u++)
			for (int i = 0; i < n_items; i++)
				if (rng.uniform() < density || u == i % n_users || i == u % n_items)
				{
					users.push_back(1000 + 7 * u); // sparse external ids
					items.push_back(50 + 3 * i);
					values.push_back(binary ? 1.0f : static_cast<float>(1 + rng.below(5)));
				}
	}
	pgrec::Interactions build() const
	{
		return pgrec::build_interactions(users.data(), items.data(), values.data(), users.size(),
		                                 pgrec::DuplicatePolicy::Sum);
	}
};

// The dense users x items matrix of the data.
Eigen::MatrixXd dense(const pgrec::Interactions &d)
{
	Eigen::MatrixXd r = Eigen::MatrixXd::Zero(d.users(), d.items());
	for (size_t u = 0; u < d.users(); u++)
		for (int64_t e = d.by_user.ptr[u]; e < d.by_user.ptr[u + 1]; e++)
			r(u, d.by_user.index[e]) = d.by_user.value[e];
	return r;
}

struct Model
{
	std::vector<float> uf, itf;
	pgrec::FactorBuffers buffers;
	Model(const pgrec::Interactions &d, int k) : uf(d.users() * k), itf(d.items() * k)
	{
		buffers = {uf.data(), itf.data(), nullptr, nullptr};
	}
	Eigen::MatrixXd users(int k) const
	{
		return Eigen::Map<const RowMatrix>(uf.data(), uf.size() / k, k).cast<double>();
	}
	Eigen::MatrixXd items(int k) const
	{
		return Eigen::Map<const RowMatrix>(itf.data(), itf.size() / k, k).cast<double>();
	}
};

// Trains 'svd' with k factors (and the given seed, threads and normalisation exponent);
// returns the trainer's loss.
double train(const pgrec::Interactions &d, Model &m, int k, uint64_t seed = 42, int threads = 1,
             double normalization = 0.0)
{
	const pgrec::AlgorithmEntry &svd = *pgrec::find_algorithm("svd");
	pgrec::Hyperparameters h = svd.defaults;
	h.factors = k;
	h.seed = seed;
	h.threads = threads;
	h.normalization = normalization;
	auto trainer = pgrec::make_trainer(svd, d, h, m.buffers);
	for (int e = 0; e < h.epochs; e++)
		trainer->run_epoch(pgrec::no_cancel());
	EXPECT_EQ(trainer->global_mean(), 0.0);
	return trainer->loss();
}

// Checks the model against the dense reference: scores P Q^T equal the best rank-k
// approximation U_k S_k V_k^T, Q is orthonormal and spans V_k, P = R Q, and the loss is the
// relative Frobenius error of R_k.
void expect_matches_reference(const pgrec::Interactions &d, const Model &m, int k, double loss)
{
	Eigen::MatrixXd r = dense(d);
	Eigen::JacobiSVD<Eigen::MatrixXd> svd(r, Eigen::ComputeThinU | Eigen::ComputeThinV);
	const Eigen::VectorXd &s = svd.singularValues();
	Eigen::MatrixXd uk = svd.matrixU().leftCols(k), vk = svd.matrixV().leftCols(k);
	Eigen::MatrixXd rk = uk * s.head(k).asDiagonal() * vk.transpose();
	Eigen::MatrixXd p = m.users(k), q = m.items(k);
	double scale = s(0);
	EXPECT_LT((p * q.transpose() - rk).cwiseAbs().maxCoeff(), 2e-5 * scale);
	EXPECT_LT((q.transpose() * q - Eigen::MatrixXd::Identity(k, k)).cwiseAbs().maxCoeff(), 1e-5);
	EXPECT_LT((q * q.transpose() - vk * vk.transpose()).cwiseAbs().maxCoeff(), 1e-5);
	EXPECT_LT((p - r * q).cwiseAbs().maxCoeff(), 1e-5 * scale);
	// Singular values descending: the columns of P have norms s_1 >= s_2 >= ...
	for (int f = 0; f < k; f++)
		EXPECT_NEAR(p.col(f).norm(), s(f), 1e-5 * scale) << "component " << f;
	double rest = s.tail(s.size() - k).squaredNorm();
	EXPECT_NEAR(loss, std::sqrt(rest / s.squaredNorm()), 1e-6);
}

// The randomized solver on a matrix whose spectrum it cannot capture exactly: P = R Q still
// holds exactly and Q is orthonormal; the leading singular values are found within tolerance
// (relative), no larger than the true ones; the loss is at least the optimum and within
// tolerance of it.
void expect_close_to_reference(const pgrec::Interactions &d, const Model &m, int k, double loss,
                               double tolerance)
{
	Eigen::MatrixXd r = dense(d);
	Eigen::JacobiSVD<Eigen::MatrixXd> svd(r);
	const Eigen::VectorXd &s = svd.singularValues();
	Eigen::MatrixXd p = m.users(k), q = m.items(k);
	double scale = s(0);
	EXPECT_LT((q.transpose() * q - Eigen::MatrixXd::Identity(k, k)).cwiseAbs().maxCoeff(), 1e-5);
	EXPECT_LT((p - r * q).cwiseAbs().maxCoeff(), 1e-5 * scale);
	for (int f = 0; f < k / 2; f++)
	{
		EXPECT_NEAR(p.col(f).norm(), s(f), tolerance * s(f)) << "component " << f;
		EXPECT_LE(p.col(f).norm(), s(f) * (1 + 1e-6)) << "component " << f;
	}
	double optimum = std::sqrt(s.tail(s.size() - k).squaredNorm() / s.squaredNorm());
	EXPECT_GE(loss, optimum - 1e-6);
	EXPECT_LT(loss, optimum + tolerance);
}

// The gap after the k-th singular value, relative to the largest: the subspace is unique and
// well conditioned only with a clear gap.
double gap_after(const pgrec::Interactions &d, int k)
{
	Eigen::JacobiSVD<Eigen::MatrixXd> svd(dense(d));
	const Eigen::VectorXd &s = svd.singularValues();
	return (s(k - 1) - s(k)) / s(0);
}

TEST(Svd, RegistryEntryIsClosedFormAndRanksOnly)
{
	const pgrec::AlgorithmEntry &svd = *pgrec::find_algorithm("svd");
	EXPECT_EQ(svd.parameters, static_cast<unsigned>(pgrec::kFactors | pgrec::kNormalization));
	EXPECT_EQ(svd.defaults.epochs, 1);
	EXPECT_FALSE(svd.explicit_feedback);
	EXPECT_FALSE(svd.biases);
	EXPECT_TRUE(svd.needs_gramian);
	EXPECT_EQ(pgrec::duplicate_policy(svd, svd.defaults), pgrec::DuplicatePolicy::Sum);
	EXPECT_NE(svd.make_trainer, nullptr);
}

TEST(Svd, DenseSideMatchesJacobiSvd)
{
	// 9 x 7 with ratings: n = 7 items, within the dense margin.
	Triples t(9, 7, 0.45, 3, false);
	pgrec::Interactions d = t.build();
	ASSERT_GT(gap_after(d, 3), 1e-3);
	Model m(d, 3);
	expect_matches_reference(d, m, 3, train(d, m, 3));
}

TEST(Svd, RandomizedOnTheItemSideIsCloseToJacobiSvd)
{
	// 83 users x 61 items: the item side (61) is the smaller, and a sample of 5 + 20 < 61
	// columns takes the randomized solver.
	Triples t(83, 61, 0.12, 11, false);
	pgrec::Interactions d = t.build();
	ASSERT_EQ(d.users(), 83u);
	ASSERT_EQ(d.items(), 61u);
	Model m(d, 5);
	expect_close_to_reference(d, m, 5, train(d, m, 5), 0.02);
}

TEST(Svd, RandomizedOnTheUserSideIsCloseToJacobiSvd)
{
	// 47 users x 90 items, binary: the user side; V comes from R^T U S^-1.
	Triples t(47, 90, 0.1, 5, true);
	pgrec::Interactions d = t.build();
	Model m(d, 4);
	expect_close_to_reference(d, m, 4, train(d, m, 4), 0.02);
}

TEST(Svd, NormalisedMatrixMatchesJacobiSvd)
{
	// 9 x 7 (dense side): A = D_u^-1/2 R D_i^-1/2 ~ U S V^T; the item factors are D_i^1/2 V,
	// the user factors R D_i^-1/2 V, so the scores are R D_i^-1/2 V V^T D_i^1/2.
	Triples t(9, 7, 0.45, 3, false);
	pgrec::Interactions d = t.build();
	Eigen::MatrixXd r = dense(d), ones = (r.array() != 0).cast<double>().matrix();
	Eigen::VectorXd du = ones.rowwise().sum(), di = ones.colwise().sum().transpose();
	Eigen::MatrixXd a =
	    du.cwiseSqrt().cwiseInverse().asDiagonal() * r * di.cwiseSqrt().cwiseInverse().asDiagonal();
	Eigen::JacobiSVD<Eigen::MatrixXd> svd(a, Eigen::ComputeThinV);
	const int k = 3;
	Eigen::MatrixXd vk = svd.matrixV().leftCols(k);
	Eigen::MatrixXd expected = r * di.cwiseSqrt().cwiseInverse().asDiagonal() * vk *
	                           vk.transpose() * di.cwiseSqrt().asDiagonal();
	Model m(d, k);
	double loss = train(d, m, k, 42, 1, 0.5);
	const Eigen::VectorXd &s = svd.singularValues();
	EXPECT_NEAR(loss, std::sqrt(s.tail(s.size() - k).squaredNorm() / s.squaredNorm()), 1e-6);
	EXPECT_LT((m.users(k) * m.items(k).transpose() - expected).cwiseAbs().maxCoeff(), 1e-5);
}

TEST(Svd, RankDeficientMatrixIsReproducedExactly)
{
	// 60 users, each a copy of one of 3 patterns over 50 items: rank 3, asked for 6 factors
	// (randomized: the sample holds the whole range) and for 50 (dense, all of the side).
	// Components beyond the rank are zero.
	std::vector<int64_t> users, items;
	for (int u = 0; u < 60; u++)
		for (int i = 0; i < 50; i++)
			if ((i + 3 * (u % 3)) % 5 < 2)
			{
				users.push_back(u);
				items.push_back(i);
			}
	pgrec::Interactions d = pgrec::build_interactions(users.data(), items.data(), nullptr,
	                                                  users.size(), pgrec::DuplicatePolicy::Sum);
	ASSERT_EQ(d.items(), 50u);
	Eigen::MatrixXd r = dense(d);
	for (int k : {6, 50})
	{
		Model m(d, k);
		double loss = train(d, m, k);
		Eigen::MatrixXd p = m.users(k), q = m.items(k);
		EXPECT_LT((p * q.transpose() - r).cwiseAbs().maxCoeff(), 1e-4) << k;
		EXPECT_LT(loss, 1e-3) << k;
		for (int f = 3; f < k; f++)
			EXPECT_LT(p.col(f).norm(), 1e-3) << "component " << f << " of " << k;
	}
}

TEST(Svd, RepeatedSingularValuesAreAllFound)
{
	// Two disjoint copies of one block: every singular value twice, which a single-vector
	// Krylov space cannot see in exact arithmetic but a block can; the top 6 are s1 s1 s2 s2
	// s3 s3.
	Triples block(30, 25, 0.2, 13, false);
	std::vector<int64_t> users, items;
	std::vector<float> values;
	for (int copy = 0; copy < 2; copy++)
		for (size_t e = 0; e < block.users.size(); e++)
		{
			users.push_back(block.users[e] + copy * 100000);
			items.push_back(block.items[e] + copy * 100000);
			values.push_back(block.values[e]);
		}
	pgrec::Interactions d = pgrec::build_interactions(users.data(), items.data(), values.data(),
	                                                  users.size(), pgrec::DuplicatePolicy::Sum);
	ASSERT_EQ(d.items(), 50u);
	Model m(d, 6);
	expect_close_to_reference(d, m, 6, train(d, m, 6), 0.02);
	Eigen::JacobiSVD<Eigen::MatrixXd> svd(dense(d));
	for (int f = 0; f < 6; f += 2)
		EXPECT_NEAR(m.users(6).col(f).norm(), m.users(6).col(f + 1).norm(),
		            0.02 * svd.singularValues()(f));
}

TEST(Svd, DeterministicForASeedAndAnyThreadCount)
{
	Triples t(120, 70, 0.08, 17, true);
	pgrec::Interactions d = t.build();
	Model a(d, 8), b(d, 8), c(d, 8), other(d, 8);
	train(d, a, 8, 7, 1);
	train(d, b, 8, 7, 1);
	train(d, c, 8, 7, 2);
	EXPECT_EQ(a.uf, b.uf);
	EXPECT_EQ(a.itf, b.itf);
	EXPECT_EQ(a.uf, c.uf) << "the thread count must not change the factors";
	EXPECT_EQ(a.itf, c.itf);
	// Another start block gives other factors, of about the same accuracy.
	double loss = train(d, a, 8), other_loss = train(d, other, 8, 12345, 1);
	EXPECT_NE(a.itf, other.itf);
	EXPECT_NEAR(loss, other_loss, 0.01);
}

TEST(Svd, LaterEpochsKeepTheDecomposition)
{
	Triples t(30, 40, 0.2, 9, true);
	pgrec::Interactions d = t.build();
	const pgrec::AlgorithmEntry &svd = *pgrec::find_algorithm("svd");
	pgrec::Hyperparameters h = svd.defaults;
	h.factors = 4;
	Model m(d, 4);
	auto trainer = pgrec::make_trainer(svd, d, h, m.buffers);
	trainer->run_epoch(pgrec::no_cancel());
	std::vector<float> first = m.uf;
	double loss = trainer->loss();
	m.uf.assign(m.uf.size(), 0.0f);
	trainer->run_epoch(pgrec::no_cancel());
	EXPECT_EQ(trainer->loss(), loss);
	EXPECT_NE(m.uf, first) << "a second epoch must not recompute (or rewrite) the factors";
}

TEST(Svd, FoldInIsTheTrainedRowForUsersAndItems)
{
	// Both sides' trainings (items smaller: the solver on V; users smaller), randomized and
	// dense, raw and with the degrees normalised: the fold-in weighs the fixed side's rows by
	// degree^-2b. A new user's fold-in is the trained projection whatever the solver; a new
	// item's is its trained row when the decomposition is exact (the dense side: 6 + 20 >= 24).
	struct Shape
	{
		int users, items;
		double b;
	};
	for (Shape shape : {Shape{90, 40, 0.0}, Shape{40, 90, 0.0}, Shape{90, 40, 0.5},
	                    Shape{40, 90, 0.5}, Shape{30, 24, 0.0}, Shape{24, 30, 0.5}})
	{
		double b = shape.b;
		Triples t(shape.users, shape.items, 0.1, 21, false);
		pgrec::Interactions d = t.build();
		const int k = 6;
		Model m(d, k);
		train(d, m, k, 42, 1, b);
		const pgrec::AlgorithmEntry &svd = *pgrec::find_algorithm("svd");
		pgrec::Hyperparameters h = svd.defaults;
		h.factors = k;
		h.normalization = b;
		std::vector<float> user_degrees(d.users()), item_degrees(d.items());
		for (size_t u = 0; u < d.users(); u++)
			user_degrees[u] = static_cast<float>(d.by_user.ptr[u + 1] - d.by_user.ptr[u]);
		for (size_t i = 0; i < d.items(); i++)
			item_degrees[i] = static_cast<float>(d.by_item.ptr[i + 1] - d.by_item.ptr[i]);
		pgrec::ItemMatrix items = {m.itf.data(), nullptr, nullptr, d.items(), k};
		pgrec::ItemMatrix users = {m.uf.data(), nullptr, nullptr, d.users(), k};
		std::vector<float> item_gramian(k * k), user_gramian(k * k), x(k);
		pgrec::fold_in_gramian(svd, h, items, item_degrees.data(), item_gramian.data(),
		                       pgrec::no_cancel());
		pgrec::fold_in_gramian(svd, h, users, user_degrees.data(), user_gramian.data(),
		                       pgrec::no_cancel());
		for (size_t u : {size_t(0), size_t(7), d.users() - 1})
		{
			int64_t first = d.by_user.ptr[u];
			pgrec::FoldInInput in = {items,
			                         0.0,
			                         h,
			                         item_gramian.data(),
			                         d.by_user.index.data() + first,
			                         d.by_user.value.data() + first,
			                         static_cast<size_t>(d.by_user.ptr[u + 1] - first),
			                         nullptr,
			                         item_degrees.data()};
			pgrec::fold_in_user(svd, in, pgrec::no_cancel(), x.data(), nullptr);
			// p = sum_j r_j d_j^-2b q_j (with q_j = d_j^b v_j), which is the trained row.
			Eigen::VectorXd projection = Eigen::VectorXd::Zero(k);
			for (size_t j = 0; j < in.n; j++)
				projection += in.values[j] * std::pow(item_degrees[in.item_indices[j]], -2 * b) *
				              m.items(k).row(in.item_indices[j]).transpose();
			for (int f = 0; f < k; f++)
			{
				EXPECT_NEAR(x[f], m.uf[u * k + f], 1e-4 * (1 + std::fabs(m.uf[u * k + f])))
				    << "user " << u << " factor " << f;
				EXPECT_NEAR(x[f], projection(f), 1e-4 * (1 + std::fabs(projection(f))));
			}
		}
		// A new item against the user factors D_u^b U S: its row of D_i^b V (refresh folds
		// items so).
		if (std::min(d.users(), d.items()) > 24)
			continue;
		for (size_t i : {size_t(0), size_t(5), d.items() - 1})
		{
			int64_t first = d.by_item.ptr[i];
			pgrec::FoldInInput in = {users,
			                         0.0,
			                         h,
			                         user_gramian.data(),
			                         d.by_item.index.data() + first,
			                         d.by_item.value.data() + first,
			                         static_cast<size_t>(d.by_item.ptr[i + 1] - first),
			                         nullptr,
			                         user_degrees.data()};
			pgrec::fold_in_user(svd, in, pgrec::no_cancel(), x.data(), nullptr);
			for (int f = 0; f < k; f++)
				EXPECT_NEAR(x[f], m.itf[i * k + f], 1e-4 * (1 + std::fabs(m.itf[i * k + f])))
				    << "item " << i << " factor " << f << " b " << b;
		}
	}
}

TEST(Svd, FactorsBeyondTheSmallerSideAreRejected)
{
	Triples t(12, 9, 0.3, 2, true);
	pgrec::Interactions d = t.build();
	const pgrec::AlgorithmEntry &svd = *pgrec::find_algorithm("svd");
	pgrec::Hyperparameters h = svd.defaults;
	h.factors = 10;
	Model m(d, 10);
	try
	{
		pgrec::make_trainer(svd, d, h, m.buffers);
		FAIL() << "10 factors of a 12 x 9 matrix were accepted";
	}
	catch (const pgrec::InvalidArgument &e)
	{
		EXPECT_STREQ(e.what(),
		             "factors must be at most 9 for algorithm svd (the number of items), not 10");
	}
	// All 9 are allowed: the full SVD reproduces the matrix.
	Model full(d, 9);
	EXPECT_LT(train(d, full, 9), 1e-6);
	EXPECT_LT((full.users(9) * full.items(9).transpose() - dense(d)).cwiseAbs().maxCoeff(), 1e-4);
}

TEST(Svd, CancelStopsTheDecomposition)
{
	volatile sig_atomic_t cancel = 1, terminate = 0;
	pgrec::CancelToken token;
	token.cancel = &cancel;
	token.terminate = &terminate;
	const pgrec::AlgorithmEntry &svd = *pgrec::find_algorithm("svd");
	for (int users : {9, 120}) // the dense and the randomized path
	{
		Triples t(users, 70, 0.1, 4, true);
		pgrec::Interactions d = t.build();
		pgrec::Hyperparameters h = svd.defaults;
		h.factors = 5;
		Model m(d, 5);
		auto trainer = pgrec::make_trainer(svd, d, h, m.buffers);
		EXPECT_THROW(trainer->run_epoch(token), pgrec::Cancelled) << users;
	}

	// A cancel arriving during a long decomposition stops it within a fraction of a second.
	Triples t(3000, 2500, 0.02, 8, true);
	pgrec::Interactions d = t.build();
	pgrec::Hyperparameters h = svd.defaults;
	h.factors = 200;
	Model m(d, h.factors);
	auto trainer = pgrec::make_trainer(svd, d, h, m.buffers);
	cancel = 0;
	std::atomic<bool> fired{false};
	std::chrono::steady_clock::time_point fired_at;
	std::thread timer(
	    [&]
	    {
		    std::this_thread::sleep_for(std::chrono::milliseconds(20));
		    fired_at = std::chrono::steady_clock::now();
		    fired = true;
		    cancel = 1;
	    });
	bool cancelled = false;
	try
	{
		trainer->run_epoch(token);
	}
	catch (const pgrec::Cancelled &)
	{
		cancelled = true;
	}
	auto stopped_at = std::chrono::steady_clock::now();
	timer.join();
	ASSERT_TRUE(fired.load());
	EXPECT_TRUE(cancelled) << "the decomposition finished before the cancel (make it larger)";
	EXPECT_LT(std::chrono::duration<double>(stopped_at - fired_at).count(), 1.0);
}

} // namespace
