// Unit tests of NeuMF (neumf.cpp): the network's and the loss's gradients against finite
// differences, the stored layers read back, planted genres learnt, the scorer against the
// network, the fold-in of a visitor and of an item, determinism and bad shapes.
#include "algorithm_registry.h"
#include "core_errors.h"
#include "gradient_check.h"
#include "neumf.h"
#include "planted_genres.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

namespace
{

constexpr int kRowFactors = 8;

// Pair r of a batch of rows: user row r % 3 and item row r % 4 of the given tables.
struct Batch
{
	std::vector<float> users = random_values(3 * kRowFactors, 11, 0.5);
	std::vector<float> items = random_values(4 * kRowFactors, 12, 0.5);
	std::vector<const float *> user_rows, item_rows;

	explicit Batch(size_t rows)
	{
		for (size_t r = 0; r < rows; r++)
		{
			user_rows.push_back(users.data() + (r % 3) * kRowFactors);
			item_rows.push_back(items.data() + (r % 4) * kRowFactors);
		}
	}
};

// sum_r w_r s_r over the network's scores of the batch's pairs.
double weighted_scores(pgrec::NeuMFNetwork &network, const Batch &b, const std::vector<float> &w)
{
	const float *s =
	    network.forward(b.user_rows.data(), b.item_rows.data(), w.size(), 0.0f, nullptr, 1);
	double total = 0.0;
	for (size_t r = 0; r < w.size(); r++)
		total += static_cast<double>(w[r]) * s[r];
	return total;
}

} // namespace

TEST(NeuMF, BinaryCrossEntropyGradientIsThatOfTheMean)
{
	std::vector<float> s = {2.0f, -1.0f, 0.5f, 30.0f}, labels = {1, 0, 0, 1}, d(4);
	double sum = pgrec::binary_cross_entropy(s.data(), labels.data(), 4, d.data());
	double expected = std::log1p(std::exp(-2.0)) + std::log1p(std::exp(-1.0)) +
	                  std::log1p(std::exp(0.5)) + std::log1p(std::exp(-30.0));
	EXPECT_NEAR(sum, expected, 1e-6);
	expect_gradient(
	    s, d,
	    [&]
	    {
		    std::vector<float> scratch(4);
		    return pgrec::binary_cross_entropy(s.data(), labels.data(), 4, scratch.data()) / 4.0;
	    });
}

// The gradients of sum_r w_r s_r (fixed weights w) with respect to the user and item rows and
// to h, the network's last stored layer.
TEST(NeuMF, NetworkGradientsMatchFiniteDifferences)
{
	pgrec::Random rng(3);
	pgrec::NeuMFNetwork network(kRowFactors, sizes({6, 5}), rng);
	const size_t rows = 7;
	Batch b(rows);
	std::vector<float> w = random_values(rows, 13);
	auto objective = [&] { return weighted_scores(network, b, w); };
	objective();
	std::vector<float> d_users(rows * kRowFactors), d_items(rows * kRowFactors);
	network.backward(w.data(), d_users.data(), d_items.data());
	// Row r's gradient adds up into the table row it reads.
	std::vector<float> user_gradient(b.users.size(), 0.0f), item_gradient(b.items.size(), 0.0f);
	for (size_t r = 0; r < rows; r++)
		for (int c = 0; c < kRowFactors; c++)
		{
			user_gradient[(r % 3) * kRowFactors + c] += d_users[r * kRowFactors + c];
			item_gradient[(r % 4) * kRowFactors + c] += d_items[r * kRowFactors + c];
		}
	expect_gradient(b.users, user_gradient, objective);
	expect_gradient(b.items, item_gradient, objective);
	// h's gradient: its stored layer's weights, read back through a network built from them.
	pgrec::Network stored = network.layers();
	ASSERT_EQ(stored.count, 4u);
	EXPECT_TRUE(pgrec::fits_neumf(stored, kRowFactors));
	const pgrec::NetworkLayer &gmf = stored.layers[3];
	std::vector<float> h(gmf.weights, gmf.weights + gmf.inputs);
	std::vector<float> h_gradient(network.gmf_gradient().begin(), network.gmf_gradient().end());
	std::vector<pgrec::NetworkLayer> layers(stored.layers, stored.layers + stored.count);
	auto rebuilt = [&]
	{
		layers[3].weights = h.data();
		pgrec::NeuMFNetwork copy({layers.data(), layers.size()}, kRowFactors);
		return weighted_scores(copy, b, w);
	};
	EXPECT_NEAR(rebuilt(), objective(), 1e-5); // the stored layers are the network
	expect_gradient(h, h_gradient, rebuilt);
}

TEST(NeuMF, StoredLayersAreCheckedForShape)
{
	pgrec::Random rng(3);
	pgrec::NeuMFNetwork network(kRowFactors, sizes({6}), rng);
	pgrec::Network stored = network.layers();
	EXPECT_TRUE(pgrec::fits_neumf(stored, kRowFactors));
	EXPECT_FALSE(pgrec::fits_neumf(stored, kRowFactors + 2)); // the first layer reads 8
	EXPECT_FALSE(pgrec::fits_neumf({stored.layers, 1}, kRowFactors));
	std::vector<pgrec::NetworkLayer> layers(stored.layers, stored.layers + stored.count);
	layers[1].outputs = 2; // the tower must end in one output
	EXPECT_FALSE(pgrec::fits_neumf({layers.data(), layers.size()}, kRowFactors));
	layers = {stored.layers, stored.layers + stored.count};
	layers[2].inputs = 3; // h has one weight per GMF factor
	EXPECT_FALSE(pgrec::fits_neumf({layers.data(), layers.size()}, kRowFactors));
}

namespace
{

// A NeuMF model trained on d.
struct NeuMF
{
	pgrec::Hyperparameters h = pgrec::find_algorithm("neumf")->defaults;
	std::vector<float> uf, itf;
	std::unique_ptr<pgrec::Trainer> trainer;

	NeuMF(const pgrec::Interactions &d, uint64_t seed, int threads = 1)
	{
		h.factors = 16;
		h.hidden_layers = sizes({16, 8});
		h.epochs = 40;
		h.batch_size = 32;
		h.learning_rate = 0.01;
		h.seed = seed;
		h.threads = threads;
		uf.resize(d.users() * h.factors);
		itf.resize(d.items() * h.factors);
		pgrec::FactorBuffers b = {uf.data(), itf.data(), nullptr, nullptr};
		trainer = pgrec::make_trainer(*pgrec::find_algorithm("neumf"), d, h, b);
		for (int e = 0; e < h.epochs; e++)
			trainer->run_epoch(pgrec::no_cancel());
	}

	pgrec::ItemMatrix items(size_t count) const
	{
		return {itf.data(), nullptr, nullptr, count, h.factors};
	}

	// Every item's score for a row of factors.
	std::vector<float> scores(const float *row, size_t count) const
	{
		std::vector<float> s(count);
		pgrec::neumf_scores(trainer->network(), row, items(count), nullptr, count, s.data(),
		                    pgrec::no_cancel());
		return s;
	}

	// The fraction of (item of the user's genre, item of another genre) pairs among the warm
	// items that the row orders right, for a user of genre g.
	double genre_auc(const float *row, int g) const
	{
		std::vector<float> s = scores(row, kWarmItems);
		double right = 0.0, pairs = 0.0;
		for (int i = 0; i < kWarmItems; i++)
			for (int j = 0; j < kWarmItems; j++)
				if (genre(i) == g && genre(j) != g)
				{
					right += s[i] > s[j];
					pairs += 1.0;
				}
		return right / pairs;
	}
};

} // namespace

TEST(NeuMF, LearnsPlantedGenres)
{
	pgrec::Interactions d = planted(false, false, 5);
	NeuMF m(d, 3);
	double auc = 0.0;
	for (int u = 0; u < kWarmUsers; u++)
		auc += m.genre_auc(m.uf.data() + u * m.h.factors, genre(u)) / kWarmUsers;
	std::printf("[          ] neumf: warm genre AUC %.4f, loss %.4f\n", auc, m.trainer->loss());
	EXPECT_GT(auc, 0.85);
	EXPECT_LT(m.trainer->loss(), 0.45); // log 2 = 0.69 at the start
}

TEST(NeuMF, ScorerMatchesTheNetworkOnCandidates)
{
	pgrec::Interactions d = planted(false, false, 5);
	NeuMF m(d, 3);
	std::vector<float> all = m.scores(m.uf.data(), kWarmItems);
	std::vector<int32_t> candidates = {40, 2, 17};
	std::vector<float> some(candidates.size());
	pgrec::neumf_scores(m.trainer->network(), m.uf.data(), m.items(kWarmItems), candidates.data(),
	                    candidates.size(), some.data(), pgrec::no_cancel());
	for (size_t j = 0; j < candidates.size(); j++)
		EXPECT_FLOAT_EQ(some[j], all[static_cast<size_t>(candidates[j])]);
	// Hand-computed for item 2: the tower over [u_mlp, i_mlp] plus h . (u_gmf * i_gmf).
	pgrec::Network net = m.trainer->network();
	const int half = m.h.factors / 2;
	std::vector<double> a(m.uf.data() + half, m.uf.data() + 2 * half);
	a.insert(a.end(), m.itf.data() + 2 * m.h.factors + half, m.itf.data() + 3 * m.h.factors);
	for (size_t l = 0; l + 1 < net.count; l++)
	{
		const pgrec::NetworkLayer &layer = net.layers[l];
		std::vector<double> z(layer.bias, layer.bias + layer.outputs);
		for (int o = 0; o < layer.outputs; o++)
			for (int i = 0; i < layer.inputs; i++)
				z[o] += a[i] * layer.weights[i * layer.outputs + o];
		if (l + 2 < net.count)
			for (double &x : z)
				x = std::max(x, 0.0);
		a = z;
	}
	double s = a[0];
	for (int c = 0; c < half; c++)
		s += net.layers[net.count - 1].weights[c] * m.uf[c] * m.itf[2 * m.h.factors + c];
	EXPECT_NEAR(all[2], s, 1e-4);
}

// A visitor with the items of user 0 is fitted to like user 0's genre; an item folded in from
// the users who have item 0 is liked by them.
TEST(NeuMF, FoldsInVisitorsAndItems)
{
	pgrec::Interactions d = planted(false, false, 5);
	NeuMF m(d, 3);
	const pgrec::Network net = m.trainer->network();
	const pgrec::AlgorithmEntry &neumf = *pgrec::find_algorithm("neumf");
	const pgrec::SparseRows &by_user = d.by_user;
	std::vector<int32_t> liked(by_user.index.begin() + by_user.ptr[0],
	                           by_user.index.begin() + by_user.ptr[1]);
	pgrec::ItemMatrix items = m.items(kWarmItems);
	pgrec::FoldInInput visitor = {items, 0.0, m.h, nullptr, liked.data(), nullptr, liked.size()};
	visitor.network = &net;
	std::vector<float> row(static_cast<size_t>(m.h.factors));
	pgrec::fold_in_user(neumf, visitor, pgrec::no_cancel(), row.data(), nullptr);
	double auc = m.genre_auc(row.data(), genre(0));
	std::printf("[          ] neumf: folded-in visitor's genre AUC %.4f\n", auc);
	EXPECT_GT(auc, 0.8);

	// Item 3 (genre 0) from its users, against the trained users.
	const pgrec::SparseRows &by_item = d.by_item;
	std::vector<int32_t> fans(by_item.index.begin() + by_item.ptr[3],
	                          by_item.index.begin() + by_item.ptr[4]);
	pgrec::ItemMatrix users = {m.uf.data(), nullptr, nullptr, d.users(), m.h.factors};
	pgrec::FoldInInput item = {users, 0.0, m.h, nullptr, fans.data(), nullptr, fans.size()};
	item.network = &net;
	item.folds_item = true;
	std::vector<float> item_row(static_cast<size_t>(m.h.factors));
	pgrec::fold_in_user(neumf, item, pgrec::no_cancel(), item_row.data(), nullptr);
	// The users of its genre score it above the others, on average.
	pgrec::ItemMatrix one = {item_row.data(), nullptr, nullptr, 1, m.h.factors};
	double same = 0.0, other = 0.0;
	for (int u = 0; u < kWarmUsers; u++)
	{
		float s;
		pgrec::neumf_scores(net, m.uf.data() + u * m.h.factors, one, nullptr, 1, &s,
		                    pgrec::no_cancel());
		(genre(u) == genre(3) ? same : other) += s;
	}
	same /= kWarmUsers / kGenres;
	other /= kWarmUsers - kWarmUsers / kGenres;
	std::printf("[          ] neumf: folded-in item's mean score %.3f by its genre, %.3f others\n",
	            same, other);
	EXPECT_GT(same, other + 1.0);
}

TEST(NeuMF, IsDeterministicForASeedAndAThreadCount)
{
	pgrec::Interactions d = planted(false, false, 5);
	NeuMF a(d, 8), b(d, 8), c(d, 9), two(d, 8, 2), two_again(d, 8, 2);
	EXPECT_EQ(a.uf, b.uf);
	EXPECT_EQ(a.itf, b.itf);
	EXPECT_NE(a.itf, c.itf);
	EXPECT_EQ(two.itf, two_again.itf);
}

TEST(NeuMF, RejectsBadShapes)
{
	pgrec::Interactions d = planted(false, false, 5);
	const pgrec::AlgorithmEntry &neumf = *pgrec::find_algorithm("neumf");
	pgrec::Hyperparameters h = neumf.defaults;
	std::vector<float> uf(d.users() * 65), itf(d.items() * 65);
	pgrec::FactorBuffers b = {uf.data(), itf.data(), nullptr, nullptr};
	h.factors = 65; // GMF and MLP halves
	EXPECT_THROW(pgrec::make_trainer(neumf, d, h, b), pgrec::InvalidArgument);
	h = neumf.defaults;
	h.negatives = 0;
	EXPECT_THROW(pgrec::validate(neumf, h), pgrec::InvalidArgument);
	h = neumf.defaults;
	h.hidden_layers.count = 0;
	EXPECT_THROW(pgrec::validate(neumf, h), pgrec::InvalidArgument);
}
