// Unit tests of user_knn: similarities by hand on a tiny matrix, the transposition property
// (user_knn's rows are item_knn's on the transposed matrix), top-K and shrinkage, visitors found
// as training finds neighbours, scoring by weighted rows, exact explanations and refresh rows.
#include "algorithm_registry.h"
#include "core_errors.h"
#include "interactions.h"
#include "neighbors.h"
#include "user_knn.h"

#include <gtest/gtest.h>

#include <cmath>
#include <csignal>
#include <vector>

namespace
{

// (user, item, value) triples as a matrix.
pgrec::Interactions matrix(const std::vector<int64_t> &u, const std::vector<int64_t> &i,
                           const std::vector<float> &v)
{
	return pgrec::build_interactions(u.data(), i.data(), v.data(), u.size(),
	                                 pgrec::DuplicatePolicy::Sum);
}

// Three users over three items (rows: users):
//   u0: i0 = 1, i1 = 2
//   u1: i0 = 2, i2 = 1
//   u2: i1 = 1, i2 = 3
pgrec::Interactions tiny()
{
	return matrix({0, 0, 1, 1, 2, 2}, {0, 1, 0, 2, 1, 2}, {1, 2, 2, 1, 1, 3});
}

pgrec::SparseRows train(const char *name, const pgrec::Interactions &d, pgrec::Hyperparameters h)
{
	float unused = 0;
	pgrec::FactorBuffers b = {&unused, &unused, nullptr, nullptr};
	auto trainer = pgrec::make_trainer(*pgrec::find_algorithm(name), d, h, b);
	trainer->run_epoch(pgrec::no_cancel());
	return *trainer->neighbors();
}

double weight(const pgrec::SparseRows &s, int r, int c)
{
	for (int64_t e = s.ptr[r]; e < s.ptr[r + 1]; e++)
		if (s.index[e] == c)
			return s.value[e];
	return 0.0;
}

pgrec::Hyperparameters defaults(int similarity, double shrinkage, int neighbors)
{
	pgrec::Hyperparameters h = pgrec::find_algorithm("user_knn")->defaults;
	h.threads = 1;
	h.similarity = similarity;
	h.shrinkage = shrinkage;
	h.neighbors = neighbors;
	return h;
}

TEST(UserKnn, SimilaritiesByHand)
{
	pgrec::Interactions d = tiny();
	// Cosine: u0.u1 = 1*2 = 2, |u0| = sqrt 5, |u1| = sqrt 5: 0.4; u0.u2 = 2*1 = 2, |u2| = sqrt
	// 10: 2 / sqrt 50; u1.u2 = 1*3 = 3: 3 / sqrt 50.
	pgrec::SparseRows s = train("user_knn", d, defaults(pgrec::kCosine, 0.0, 100));
	EXPECT_NEAR(weight(s, 0, 1), 0.4, 1e-6);
	EXPECT_NEAR(weight(s, 1, 0), 0.4, 1e-6);
	EXPECT_NEAR(weight(s, 0, 2), 2 / std::sqrt(50.0), 1e-6);
	EXPECT_NEAR(weight(s, 1, 2), 3 / std::sqrt(50.0), 1e-6);
	EXPECT_EQ(weight(s, 0, 0), 0.0);
	// Shrinkage 1 adds to the denominator: 2 / (5 + 1).
	s = train("user_knn", d, defaults(pgrec::kCosine, 1.0, 100));
	EXPECT_NEAR(weight(s, 0, 1), 2.0 / 6.0, 1e-6);
	// Jaccard: one shared item of 2 + 2 - 1 = 3.
	s = train("user_knn", d, defaults(pgrec::kJaccard, 0.0, 100));
	EXPECT_NEAR(weight(s, 0, 1), 1.0 / 3.0, 1e-6);
	// Pearson centres by the user's own mean: u0 (-0.5, 0.5, -), u1 (0.5, -, -0.5), u2 (-, -1,
	// 1); u0.u2 = 0.5 * -1 < 0: dropped; u1.u2 = -0.5 < 0: dropped; u0.u1 = -0.25: dropped.
	s = train("user_knn", d, defaults(pgrec::kPearson, 0.0, 100));
	EXPECT_EQ(s.ptr.back(), 0);
	// Adjusted cosine centres by the item's mean (i0 1.5, i1 1.5, i2 2): u0 (-0.5, 0.5, -),
	// u1 (0.5, -, -1), u2 (-, -0.5, 1): u1.u2 = -1 dropped, u0.u2 = -0.25 dropped, u0.u1 = -0.25.
	s = train("user_knn", d, defaults(pgrec::kAdjustedCosine, 0.0, 100));
	EXPECT_EQ(s.ptr.back(), 0);
}

// A seeded random matrix (values 1..5).
pgrec::Interactions random_data(int users, int items, uint64_t seed)
{
	std::vector<int64_t> u, i;
	std::vector<float> v;
	uint64_t x = seed;
	for (int a = 0; a < users; a++)
		for (int b = 0; b < items; b++)
		{
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			if ((x >> 33) % 10 < 3 || a % items == b)
			{
				u.push_back(a);
				i.push_back(b);
				v.push_back(static_cast<float>(1 + (x >> 40) % 5));
			}
		}
	return pgrec::build_interactions(u.data(), i.data(), v.data(), u.size(),
	                                 pgrec::DuplicatePolicy::Sum);
}

// The matrix with users and items swapped.
pgrec::Interactions transposed(const pgrec::Interactions &d)
{
	std::vector<int64_t> u, i;
	std::vector<float> v;
	for (size_t a = 0; a < d.users(); a++)
		for (int64_t e = d.by_user.ptr[a]; e < d.by_user.ptr[a + 1]; e++)
		{
			u.push_back(d.by_user.index[e]);
			i.push_back(static_cast<int64_t>(a));
			v.push_back(d.by_user.value[e]);
		}
	return pgrec::build_interactions(u.data(), i.data(), v.data(), u.size(),
	                                 pgrec::DuplicatePolicy::Sum);
}

TEST(UserKnn, IsItemKnnOnTheTransposedMatrix)
{
	pgrec::Interactions d = random_data(30, 14, 3), t = transposed(d);
	for (int similarity = 0; similarity < pgrec::kSimilarityCount; similarity++)
	{
		pgrec::Hyperparameters h = defaults(similarity, 1.5, 7);
		pgrec::SparseRows users = train("user_knn", d, h), items = train("item_knn", t, h);
		EXPECT_EQ(users.ptr, items.ptr) << pgrec::kSimilarityNames[similarity];
		EXPECT_EQ(users.index, items.index);
		EXPECT_EQ(users.value, items.value);
		for (size_t u = 0; u < d.users(); u++)
			EXPECT_LE(users.ptr[u + 1] - users.ptr[u], 7);
	}
}

TEST(UserKnn, KeepsTheStrongestNeighbours)
{
	pgrec::Interactions d = random_data(30, 14, 5);
	pgrec::SparseRows all = train("user_knn", d, defaults(pgrec::kCosine, 0.0, 1000));
	pgrec::SparseRows top = train("user_knn", d, defaults(pgrec::kCosine, 0.0, 3));
	for (size_t u = 0; u < d.users(); u++)
	{
		std::vector<float> w(all.value.begin() + all.ptr[u], all.value.begin() + all.ptr[u + 1]);
		std::sort(w.rbegin(), w.rend());
		ASSERT_EQ(top.ptr[u + 1] - top.ptr[u],
		          std::min<int64_t>(3, static_cast<int64_t>(w.size())));
		for (int64_t e = top.ptr[u]; e < top.ptr[u + 1]; e++)
		{
			EXPECT_GE(top.value[e], w[std::min<size_t>(2, w.size() - 1)]);
			EXPECT_EQ(top.value[e], weight(all, static_cast<int>(u), top.index[e]));
		}
	}
}

TEST(UserKnn, VisitorsFindTheirNeighboursAsTrainingDoes)
{
	pgrec::Interactions d = random_data(30, 14, 11);
	for (int similarity = 0; similarity < pgrec::kSimilarityCount; similarity++)
	{
		pgrec::Hyperparameters h = defaults(similarity, 0.5, 1000);
		pgrec::SparseRows s = train("user_knn", d, h);
		pgrec::UserIndex index(pgrec::neighbor_view(d.by_user), d.items(), h, pgrec::no_cancel());
		std::vector<int32_t> rows(d.users());
		std::vector<float> weights(d.users());
		for (size_t u = 0; u < d.users(); u++)
		{
			int64_t b = d.by_user.ptr[u];
			size_t n = index.visitor_neighbors(
			    d.by_user.index.data() + b, d.by_user.value.data() + b,
			    static_cast<size_t>(d.by_user.ptr[u + 1] - b), rows.data(), weights.data());
			// The visitor finds the trained user too; apart from it, the same neighbours and
			// bit-identical weights.
			size_t matched = 0;
			for (size_t r = 0; r < n; r++)
			{
				if (rows[r] == static_cast<int32_t>(u))
					continue;
				EXPECT_EQ(weights[r], weight(s, static_cast<int>(u), rows[r]));
				matched++;
			}
			EXPECT_EQ(matched, static_cast<size_t>(s.ptr[u + 1] - s.ptr[u]));
		}
	}
}

TEST(UserKnn, ScoresAreWeightedSumsAndExplanationsAddUp)
{
	pgrec::Interactions d = random_data(30, 14, 13);
	for (int similarity = 0; similarity < pgrec::kSimilarityCount; similarity++)
	{
		pgrec::Hyperparameters h = defaults(similarity, 0.5, 4);
		pgrec::SparseRows s = train("user_knn", d, h);
		pgrec::NeighborView interactions = pgrec::neighbor_view(d.by_user);
		pgrec::UserIndex index(interactions, d.items(), h, pgrec::no_cancel());
		for (int u = 0; u < 30; u += 7)
		{
			pgrec::WeightedRows row = {s.index.data() + s.ptr[u], s.value.data() + s.ptr[u],
			                           static_cast<size_t>(s.ptr[u + 1] - s.ptr[u])};
			std::vector<float> scores(d.items());
			pgrec::neighbor_scores(interactions, row, d.items(), scores.data());
			int64_t b = d.by_user.ptr[u];
			size_t n = static_cast<size_t>(d.by_user.ptr[u + 1] - b);
			pgrec::UserNeighbors neighbors = {&index, row};
			pgrec::ItemMatrix none = {nullptr, nullptr, nullptr, d.items(), 0};
			pgrec::FoldInInput in = {
			    none, 0.0, h, nullptr, d.by_user.index.data() + b, d.by_user.value.data() + b, n};
			in.user_neighbors = &neighbors;
			for (int32_t target = 0; target < 14; target++)
			{
				double expected = 0;
				for (size_t r = 0; r < row.n; r++)
					expected += row.weights[r] * weight(d.by_user, row.rows[r], target);
				EXPECT_NEAR(scores[target], expected, 1e-5);
				std::vector<float> c(n);
				std::vector<pgrec::Recommendation> top(n);
				pgrec::explain_score(*pgrec::find_algorithm("user_knn"), in, target, n,
				                     pgrec::no_cancel(), c.data(), top.data());
				double sum = 0;
				for (float x : c)
					sum += x;
				EXPECT_NEAR(sum, scores[target], 1e-4) << similarity << " " << u << " " << target;
			}
		}
	}
}

TEST(UserKnn, RefreshKeepsKnownRowsAndFindsNewUsers)
{
	pgrec::Interactions d = tiny();
	pgrec::Hyperparameters h = defaults(pgrec::kCosine, 0.0, 100);
	pgrec::SparseRows s = train("user_knn", d, h);
	pgrec::UserIndex index(pgrec::neighbor_view(d.by_user), d.items(), h, pgrec::no_cancel());
	// New users: old u1 dropped, old u0 and u2 become 0 and 2, new user 1 has i0 = 1 and an item
	// unknown to the old model (-1).
	pgrec::SparseRows current;
	current.ptr = {0, 2, 4, 6};
	current.index = {0, 1, 0, 3, 1, 2};
	current.value = {1, 2, 1, 5, 1, 3};
	std::vector<int64_t> old_of_new = {0, -1, 2}, new_of_old = {0, -1, 2};
	std::vector<int64_t> old_item = {0, 1, 2, -1};
	pgrec::SparseRows r = pgrec::refreshed_user_rows(
	    index, pgrec::neighbor_view(s), old_of_new.data(), pgrec::neighbor_view(current),
	    old_item.data(), new_of_old.data(), pgrec::no_cancel());
	// Known u0 keeps its weight to u2 (u1 is gone); the new user is like u0 (1/sqrt 5), not u2.
	EXPECT_EQ(r.ptr, (std::vector<int64_t>{0, 1, 2, 3}));
	EXPECT_EQ(r.index, (std::vector<int32_t>{2, 0, 0}));
	EXPECT_FLOAT_EQ(r.value[0], static_cast<float>(weight(s, 0, 2)));
	EXPECT_NEAR(r.value[1], 1 / std::sqrt(5.0), 1e-6);
	EXPECT_FLOAT_EQ(r.value[2], static_cast<float>(weight(s, 2, 0)));
}

TEST(UserKnn, CancelStopsBuildingTheVisitorIndex)
{
	pgrec::Interactions d = tiny();
	pgrec::Hyperparameters h = defaults(pgrec::kCosine, 0.0, 100);
	volatile sig_atomic_t cancel = 1, terminate = 0;
	pgrec::CancelToken token;
	token.cancel = &cancel;
	token.terminate = &terminate;
	EXPECT_THROW(pgrec::UserIndex(pgrec::neighbor_view(d.by_user), d.items(), h, token),
	             pgrec::Cancelled);
}

TEST(UserKnn, SimilarItemsAreItemKnnRows)
{
	// similar_items of a user_knn model is item_knn's similarity over the same values: for
	// every measure, each item's list is item_knn's trained row (all neighbours kept).
	pgrec::Interactions d = matrix({0, 0, 0, 1, 1, 2, 2, 2, 3, 3}, {0, 1, 3, 0, 2, 1, 2, 3, 0, 3},
	                               {1, 2, 4, 2, 1, 1, 3, 5, 4, 2});
	for (int similarity = 0; similarity < pgrec::kSimilarityCount; similarity++)
	{
		pgrec::Hyperparameters h = defaults(similarity, 0.5, 100);
		pgrec::SparseRows expected = train("item_knn", d, h);
		pgrec::UserIndex index(pgrec::neighbor_view(d.by_user), d.items(), h, pgrec::no_cancel());
		for (size_t i = 0; i < d.items(); i++)
		{
			std::vector<int32_t> rows(d.items());
			std::vector<float> weights(d.items());
			size_t n = index.similar_items(static_cast<int32_t>(i), d.items(), rows.data(),
			                               weights.data());
			ASSERT_EQ(n, static_cast<size_t>(expected.ptr[i + 1] - expected.ptr[i]))
			    << similarity << " " << i;
			for (size_t r = 0; r < n; r++)
			{
				EXPECT_EQ(rows[r], expected.index[expected.ptr[i] + r]) << similarity << " " << i;
				EXPECT_EQ(weights[r], expected.value[expected.ptr[i] + r])
				    << similarity << " " << i;
			}
		}
	}
}

} // namespace
