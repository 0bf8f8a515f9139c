// Unit tests of the feature pipeline against direct computations: TF-IDF and standardisation
// weights, row normalisation, the builder's rows, adding feature-only entities, the content
// model's latent semantic analysis against a dense SVD, and projection through a vocabulary.
#include "algorithm_registry.h"
#include "core_errors.h"
#include "feature_builder.h"
#include "feature_matrix.h"
#include "feature_vocabulary.h"
#include "interactions.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>

#include <cmath>
#include <cstring>
#include <vector>

namespace
{

// Adds the word, category or number value to the builder's current entity.
void add(pgrec::FeatureBuilder &b, int column, pgrec::FeatureKind kind, const char *value,
         float raw)
{
	b.add(column, kind, value, std::strlen(value), raw);
}

// A builder of four entities: words (column 0), categories (column 1), a number (column 2).
pgrec::FeatureBuilder sample_builder()
{
	using K = pgrec::FeatureKind;
	pgrec::FeatureBuilder b;
	b.begin_entity(30);
	add(b, 0, K::Word, "star", 2);
	add(b, 1, K::Category, "scifi", 1);
	add(b, 1, K::Category, "scifi", 1); // repeated in one row: once
	add(b, 2, K::Number, "", 1990);
	b.begin_entity(10);
	add(b, 0, K::Word, "star", 1);
	add(b, 0, K::Word, "love", 1);
	add(b, 2, K::Number, "", 2010);
	b.begin_entity(20);
	add(b, 1, K::Category, "romance", 1);
	b.begin_entity(40);
	add(b, 1, K::Category, "scifi", 1);
	return b;
}

TEST(Features, WeightsAreSmoothedIdfAndStandardisation)
{
	pgrec::FeatureBuilder b = sample_builder();
	pgrec::FeatureMatrix m = b.build({10, 20, 30, 40});
	ASSERT_EQ(m.features(), 5u); // star, scifi, year, love, romance
	ASSERT_EQ(b.values()[0], "star");
	ASSERT_EQ(b.values()[1], "scifi");
	// star: 2 of 4 rows, scifi 2, love 1, romance 1.
	EXPECT_NEAR(m.scale[0], std::log(5.0 / 3.0) + 1.0, 1e-6);
	EXPECT_NEAR(m.scale[1], std::log(5.0 / 3.0) + 1.0, 1e-6);
	EXPECT_NEAR(m.scale[3], std::log(5.0 / 2.0) + 1.0, 1e-6);
	EXPECT_EQ(m.offset[0], 0.0f);
	// The year: mean 2000, population standard deviation 10, over the rows that have it.
	EXPECT_FLOAT_EQ(m.offset[2], 2000.0f);
	EXPECT_NEAR(m.scale[2], 0.1, 1e-6);
	// Rows follow the ids given, entries by feature; the repeated category counts once.
	EXPECT_EQ(m.rows.ptr, (std::vector<int64_t>{0, 3, 4, 7, 8}));
	EXPECT_EQ(m.rows.index, (std::vector<int32_t>{0, 2, 3, 4, 0, 1, 2, 1}));
	EXPECT_EQ(m.rows.value[6], 1990.0f);
}

TEST(Features, RowsAreNormalisedByLengthOrBySum)
{
	pgrec::FeatureBuilder b = sample_builder();
	pgrec::FeatureMatrix m = b.build({10, 20, 30, 40});
	// Entity 30: star x2 (sublinear tf 1 + ln 2), scifi, year 1990 (-1 standard deviation).
	const int32_t features[3] = {0, 1, 2};
	const float raw[3] = {2, 1, 1990};
	double star = (1 + std::log(2.0)) * m.scale[0], scifi = m.scale[1], year = -1.0;
	double length = std::sqrt(star * star + scifi * scifi + year * year);
	float out[3];
	pgrec::weighted_row(m, features, raw, 3, pgrec::RowNorm::L2, out);
	EXPECT_NEAR(out[0], star / length, 1e-6);
	EXPECT_NEAR(out[1], scifi / length, 1e-6);
	EXPECT_NEAR(out[2], year / length, 1e-6);
	double sum = star + scifi + 1.0;
	pgrec::weighted_row(m, features, raw, 3, pgrec::RowNorm::Sum, out);
	EXPECT_NEAR(out[0], star / sum, 1e-6);
	EXPECT_NEAR(out[2], -1.0 / sum, 1e-6);
	// A row whose weights are all zero stays zero.
	const int32_t year_only[1] = {2};
	const float mean_year[1] = {2000};
	pgrec::weighted_row(m, year_only, mean_year, 1, pgrec::RowNorm::L2, out);
	EXPECT_EQ(out[0], 0.0f);
}

TEST(Features, RepeatedEntitiesAndUnknownIdsAreReported)
{
	pgrec::FeatureBuilder b = sample_builder();
	EXPECT_FALSE(b.begin_entity(20));
	EXPECT_TRUE(b.begin_entity(50));
	EXPECT_EQ(b.entities(), (std::vector<int64_t>{10, 20, 30, 40, 50}));
	// Every entity with a row must be in the model's ids.
	EXPECT_THROW(b.build({10, 20, 30}), pgrec::DataError);
}

TEST(Features, AddEntitiesKeepsTheInteractions)
{
	const int64_t users[3] = {5, 5, 9}, items[3] = {100, 300, 300};
	const float values[3] = {1, 2, 3};
	pgrec::Interactions d =
	    pgrec::build_interactions(users, items, values, 3, pgrec::DuplicatePolicy::Sum);
	const int64_t new_users[2] = {7, 5}, new_items[3] = {200, 400, 100};
	pgrec::add_entities(&d, new_users, 2, new_items, 3);
	EXPECT_EQ(d.user_ids, (std::vector<int64_t>{5, 7, 9}));
	EXPECT_EQ(d.item_ids, (std::vector<int64_t>{100, 200, 300, 400}));
	EXPECT_EQ(d.by_user.ptr, (std::vector<int64_t>{0, 2, 2, 3}));
	EXPECT_EQ(d.by_user.index, (std::vector<int32_t>{0, 2, 2}));
	EXPECT_EQ(d.by_user.value, (std::vector<float>{1, 2, 3}));
	EXPECT_EQ(d.by_item.ptr, (std::vector<int64_t>{0, 1, 1, 3, 3}));
	EXPECT_EQ(d.by_item.index, (std::vector<int32_t>{0, 0, 2}));
}

// A content model of 6 items with random word counts over 5 features, 2 factors.
struct ContentModel
{
	pgrec::Interactions data;
	std::vector<float> users, items;
	std::unique_ptr<pgrec::Trainer> trainer;

	ContentModel()
	{
		const int64_t u[4] = {1, 1, 2, 3}, i[4] = {0, 1, 2, 5};
		data = pgrec::build_interactions(u, i, nullptr, 4, pgrec::DuplicatePolicy::Sum);
		const int64_t all_items[6] = {0, 1, 2, 3, 4, 5};
		pgrec::add_entities(&data, nullptr, 0, all_items, 6);
		pgrec::FeatureMatrix &m = data.item_features;
		m.kinds.assign(5, pgrec::FeatureKind::Word);
		const int counts[6][5] = {{3, 0, 1, 0, 0}, {2, 1, 0, 0, 0}, {0, 0, 2, 1, 0},
		                          {0, 0, 1, 3, 1}, {1, 0, 0, 0, 4}, {0, 2, 0, 1, 1}};
		m.rows.ptr.push_back(0);
		for (auto &row : counts)
		{
			for (int f = 0; f < 5; f++)
				if (row[f] > 0)
				{
					m.rows.index.push_back(f);
					m.rows.value.push_back(static_cast<float>(row[f]));
				}
			m.rows.ptr.push_back(static_cast<int64_t>(m.rows.index.size()));
		}
		pgrec::fit_feature_weights(&m);
		const pgrec::AlgorithmEntry &content = *pgrec::find_algorithm("content");
		pgrec::Hyperparameters h = content.defaults;
		h.factors = 2;
		users.resize(data.users() * 2);
		items.resize(data.items() * 2);
		trainer =
		    pgrec::make_trainer(content, data, h, {users.data(), items.data(), nullptr, nullptr});
		trainer->run_epoch(pgrec::no_cancel());
	}
};

TEST(Features, ContentIsTheLatentSemanticAnalysisOfTheTfIdfRows)
{
	ContentModel c;
	// The dense TF-IDF matrix, rows of unit length, and its rank-2 SVD.
	pgrec::SparseRows x = pgrec::weighted_rows(c.data.item_features, pgrec::RowNorm::L2);
	Eigen::MatrixXd dense = Eigen::MatrixXd::Zero(6, 5);
	for (int r = 0; r < 6; r++)
		for (int64_t e = x.ptr[r]; e < x.ptr[r + 1]; e++)
			dense(r, x.index[e]) = x.value[e];
	Eigen::JacobiSVD<Eigen::MatrixXd> svd(dense, Eigen::ComputeThinU | Eigen::ComputeThinV);
	Eigen::MatrixXd expected =
	    svd.matrixU().leftCols(2) * svd.singularValues().head(2).asDiagonal();
	// Item vectors: U S normalised, up to the sign of each component; so cosines between items
	// are those of the rank-2 projection exactly.
	for (int a = 0; a < 6; a++)
		for (int b = 0; b < 6; b++)
		{
			double want = expected.row(a).normalized().dot(expected.row(b).normalized());
			double got = c.items[a * 2] * c.items[b * 2] + c.items[a * 2 + 1] * c.items[b * 2 + 1];
			EXPECT_NEAR(got, want, 1e-5) << a << " " << b;
		}
	// The loss is the relative Frobenius error of the rank-2 approximation.
	double total = svd.singularValues().squaredNorm(),
	       kept = svd.singularValues().head(2).squaredNorm();
	EXPECT_NEAR(c.trainer->loss(), std::sqrt(1.0 - kept / total), 1e-6);
	// User 1 (items 0 and 1): the normalised sum of their vectors.
	Eigen::Vector2d sum(c.items[0] + c.items[2], c.items[1] + c.items[3]);
	sum.normalize();
	EXPECT_NEAR(c.users[0], sum(0), 1e-6);
	EXPECT_NEAR(c.users[1], sum(1), 1e-6);
}

TEST(Features, AVocabularyProjectsANewItemAsTheModelProjectsItsOwn)
{
	ContentModel c;
	const pgrec::FeatureMatrix &m = c.data.item_features;
	const pgrec::FeatureModel *learnt = c.trainer->feature_model();
	ASSERT_NE(learnt, nullptr);
	ASSERT_EQ(learnt->items.factors.size(), 10u);
	// The stored vocabulary of the model, words "w0".."w4" of column "title".
	pgrec::FeatureVocabulary v;
	for (int f = 0; f < 5; f++)
		v.add("title", pgrec::FeatureKind::Word, "w" + std::to_string(f), m.offset[f], m.scale[f],
		      learnt->items.factors.data() + f * 2, 2, 0.0f);
	EXPECT_THROW(
	    v.add("title", pgrec::FeatureKind::Word, "w0", 0, 1, learnt->items.factors.data(), 2, 0.0f),
	    pgrec::DataError);
	// A new item read by a builder: item 3's words, plus one the model does not know, and a
	// category of the same name as a word (another kind: unknown).
	pgrec::FeatureBuilder b;
	b.begin_entity(99);
	add(b, 0, pgrec::FeatureKind::Word, "zzz", 5);
	add(b, 0, pgrec::FeatureKind::Word, "w2", 1);
	add(b, 0, pgrec::FeatureKind::Word, "w3", 3);
	add(b, 0, pgrec::FeatureKind::Word, "w4", 1);
	add(b, 1, pgrec::FeatureKind::Category, "w2", 1);
	std::vector<int32_t> map = v.map(b, {"title", "title"});
	EXPECT_EQ(map, (std::vector<int32_t>{-1, 2, 3, 4, -1}));
	const int32_t features[5] = {0, 1, 2, 3, 4};
	const float raw[5] = {5, 1, 3, 1, 1};
	float factors[2], bias = 1.0f;
	const pgrec::AlgorithmEntry &content = *pgrec::find_algorithm("content");
	pgrec::Hyperparameters h = content.defaults;
	h.factors = 2;
	ASSERT_TRUE(v.project(content, pgrec::kItemFeatures, h, map, features, raw, 5, factors, &bias));
	EXPECT_NEAR(factors[0], c.items[3 * 2], 1e-6);
	EXPECT_NEAR(factors[1], c.items[3 * 2 + 1], 1e-6);
	// Nothing known: no projection. A side the algorithm does not learn from: an error.
	EXPECT_FALSE(
	    v.project(content, pgrec::kItemFeatures, h, map, features, raw, 1, factors, &bias));
	EXPECT_THROW(
	    v.project(content, pgrec::kUserFeatures, h, map, features + 1, raw + 1, 3, factors, &bias),
	    pgrec::InvalidArgument);
}

} // namespace
