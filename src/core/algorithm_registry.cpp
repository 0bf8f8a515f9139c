// The table of algorithms: every place that turns an algorithm name into behaviour (train,
// evaluate, refresh, recommend, explain, the catalog) looks it up here. Their hyper-parameters'
// specs are in parameter_specs.cpp.
#include "algorithm_registry.h"

#include "core_errors.h"
#include "hybrid.h"
#include "neumf.h"
#include "neighbors.h"
#include "normal_equations.h"
#include "top_k.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core_only.h"

namespace pgrec
{

// Each algorithm's own file (als_explicit.cpp, ials.cpp, bpr.cpp, svd.cpp, item_knn.cpp,
// user_knn.cpp, ease.cpp, content.cpp, hybrid.cpp, two_tower.cpp) defines these.
std::unique_ptr<Trainer> make_als_trainer(const Interactions &, const Hyperparameters &,
                                          const FactorBuffers &);
std::unique_ptr<Trainer> make_ials_trainer(const Interactions &, const Hyperparameters &,
                                           const FactorBuffers &);
std::unique_ptr<Trainer> make_bpr_trainer(const Interactions &, const Hyperparameters &,
                                          const FactorBuffers &);
std::unique_ptr<Trainer> make_svd_trainer(const Interactions &, const Hyperparameters &,
                                          const FactorBuffers &);
void fold_in_als(const FoldInInput &, const CancelToken &, float *, float *);
void fold_in_ials(const FoldInInput &, const CancelToken &, float *, float *);
void ials_data_defaults(Hyperparameters *, unsigned, const Interactions &);
void fold_in_bpr(const FoldInInput &, const CancelToken &, float *, float *);
void fold_in_svd(const FoldInInput &, const CancelToken &, float *, float *);
std::unique_ptr<Trainer> make_item_knn_trainer(const Interactions &, const Hyperparameters &,
                                               const FactorBuffers &);
std::unique_ptr<Trainer> make_user_knn_trainer(const Interactions &, const Hyperparameters &,
                                               const FactorBuffers &);
std::unique_ptr<Trainer> make_ease_trainer(const Interactions &, const Hyperparameters &,
                                           const FactorBuffers &);
size_t svd_scratch_bytes(const Hyperparameters &, const Interactions &);
size_t item_knn_scratch_bytes(const Hyperparameters &, const Interactions &);
size_t user_knn_scratch_bytes(const Hyperparameters &, const Interactions &);
size_t ease_scratch_bytes(const Hyperparameters &, const Interactions &);
void explain_als(const FoldInInput &, int32_t, const CancelToken &, float *);
void explain_ials(const FoldInInput &, int32_t, const CancelToken &, float *);
void explain_bpr(const FoldInInput &, int32_t, const CancelToken &, float *);
void explain_svd(const FoldInInput &, int32_t, const CancelToken &, float *);
double svd_fold_in_weight(const Hyperparameters &, double);
void explain_neighbors(const FoldInInput &, int32_t, const CancelToken &, float *);
std::unique_ptr<Trainer> make_content_trainer(const Interactions &, const Hyperparameters &,
                                              const FactorBuffers &);
size_t content_scratch_bytes(const Hyperparameters &, const Interactions &);
void fold_in_content(const FoldInInput &, const CancelToken &, float *, float *);
void explain_content(const FoldInInput &, int32_t, const CancelToken &, float *);
void project_content(const Hyperparameters &, const FeatureMatrix &, const FeatureEmbeddings &,
                     const int32_t *, const float *, size_t, int, float *, float *);
void explain_user_neighbors(const FoldInInput &, int32_t, const CancelToken &, float *);
std::unique_ptr<Trainer> make_hybrid_trainer(const Interactions &, const Hyperparameters &,
                                             const FactorBuffers &);
size_t hybrid_scratch_bytes(const Hyperparameters &, const Interactions &);
void project_hybrid(const Hyperparameters &, const FeatureMatrix &, const FeatureEmbeddings &,
                    const int32_t *, const float *, size_t, int, float *, float *);
std::unique_ptr<Trainer> make_two_tower_trainer(const Interactions &, const Hyperparameters &,
                                                const FactorBuffers &);
size_t two_tower_scratch_bytes(const Hyperparameters &, const Interactions &);
void fold_in_two_tower(const FoldInInput &, const CancelToken &, float *, float *);
void explain_two_tower(const FoldInInput &, int32_t, const CancelToken &, float *);
std::unique_ptr<Trainer> make_neumf_trainer(const Interactions &, const Hyperparameters &,
                                            const FactorBuffers &);
size_t neumf_scratch_bytes(const Hyperparameters &, const Interactions &);
void fold_in_neumf(const FoldInInput &, const CancelToken &, float *, float *);

namespace
{

// Defaults tuned on ML-1M (als, item_knn and ease under strong generalisation) and Gowalla (ials,
// bpr): bench/README.md. als: 2 conjugate-gradient steps a row and 6 epochs reach the exact
// solver's RMSE on ML-1M within 0.001 (standalone split 0.8425 against 0.8419 after 8 epochs;
// bench/train_bench.sh 0.8443 against 0.8436) in a quarter to a third of its time.
constexpr Hyperparameters als_defaults()
{
	Hyperparameters h;
	h.epochs = 6;
	h.regularization = 0.22;
	h.bias_regularization = 0.05;
	h.regularization_exponent = 0.8;
	h.cg_steps = 2;
	return h;
}

constexpr Hyperparameters ials_defaults()
{
	Hyperparameters h;
	h.epochs = 10;
	h.regularization = 3.0;
	h.alpha = 40.0;
	h.regularization_exponent = 0.5;
	return h;
}

constexpr Hyperparameters bpr_defaults()
{
	Hyperparameters h;
	h.epochs = 50;
	h.regularization = 0.005;
	h.learning_rate = 0.05;
	return h;
}

// PureSVD is closed form: one "epoch" computes the decomposition, and epochs cannot be set.
constexpr Hyperparameters svd_defaults()
{
	Hyperparameters h;
	h.factors = 64;
	h.epochs = 1;
	h.normalization = 0.5;
	return h;
}

// The latent semantic analysis of content is closed form: one "epoch".
constexpr Hyperparameters content_defaults()
{
	Hyperparameters h;
	h.factors = 64;
	h.epochs = 1;
	return h;
}

// Neighbourhood models are closed form: one "epoch", no factors.
constexpr Hyperparameters neighbor_defaults(int neighbors, double regularization)
{
	Hyperparameters h;
	h.factors = 0;
	h.epochs = 1;
	h.neighbors = neighbors;
	h.regularization = regularization;
	return h;
}

// hybrid's defaults are those of its default loss, 'ials': ials' with a stronger lambda, the best
// of 3, 5, 7 and 10 on the ML-1M cold-start split (the features take up what the id embeddings
// lose; bench/README.md), and the data's alpha (hybrid_data_defaults).
constexpr Hyperparameters hybrid_defaults()
{
	Hyperparameters h = ials_defaults();
	h.factors = 64;
	h.regularization = 7.0;
	h.learning_rate = 0.05;
	h.loss = static_cast<int>(HybridLoss::Ials);
	return h;
}

// hybrid's ranking losses: LightFM's learning rate; regularization and init_scale picked on an
// ML-100K random 80/20 split (ratings >= 4) without features, and still the best of a sweep on
// ML-1M with features (bench/README.md, issue 10).
constexpr Hyperparameters hybrid_ranking_defaults()
{
	Hyperparameters h = hybrid_defaults();
	h.regularization = 0.001;
	h.init_scale = 0.01;
	return h;
}

// Factors trained elsewhere are folded in as implicit ALS with a mild, constant lambda.
constexpr Hyperparameters imported_defaults()
{
	Hyperparameters h;
	h.regularization = 0.1;
	h.alpha = 1.0;
	h.regularization_exponent = 0.0;
	return h;
}

// The defaults of hybrid's other losses, for the parameters not given: hybrid_ranking_defaults()
// for 'warp' and 'bpr', als' lambdas and exponent for 'squared' (epochs stay 10); and ials'
// alpha for 'ials'.
void hybrid_data_defaults(Hyperparameters *h, unsigned given, const Interactions &data)
{
	const HybridLoss loss = static_cast<HybridLoss>(h->loss);
	if (loss == HybridLoss::Ials)
	{
		ials_data_defaults(h, given, data);
		return;
	}
	const Hyperparameters d =
	    loss == HybridLoss::Squared ? als_defaults() : hybrid_ranking_defaults();
	if (!(given & kRegularization))
		h->regularization = d.regularization;
	if (!(given & kBiasRegularization))
		h->bias_regularization = d.bias_regularization;
	if (!(given & kRegularizationExponent))
		h->regularization_exponent = d.regularization_exponent;
	if (!(given & kInitScale))
		h->init_scale = d.init_scale;
	if (!(given & kCgSteps))
		h->cg_steps = d.cg_steps;
}

// hybrid's fold-in weighs only the items with interactions (degree > 0): training leaves the
// others out of 'ials'' unobserved pairs (the only loss whose fold-in reads the Gramian).
double hybrid_fold_in_weight(const Hyperparameters &, double degree)
{
	return degree > 0.0 ? 1.0 : 0.0;
}

// hybrid's fold-in and explanation are those of the algorithm its loss trains like: bpr for the
// ranking losses, ials and als for the squared ones.
void fold_in_hybrid(const FoldInInput &in, const CancelToken &cancel, float *factors, float *bias)
{
	switch (static_cast<HybridLoss>(in.h.loss))
	{
	case HybridLoss::Ials:
		return fold_in_ials(in, cancel, factors, bias);
	case HybridLoss::Squared:
		return fold_in_als(in, cancel, factors, bias);
	default:
		return fold_in_bpr(in, cancel, factors, bias);
	}
}

void explain_hybrid(const FoldInInput &in, int32_t target, const CancelToken &cancel,
                    float *contributions)
{
	switch (static_cast<HybridLoss>(in.h.loss))
	{
	case HybridLoss::Ials:
		return explain_ials(in, target, cancel, contributions);
	case HybridLoss::Squared:
		return explain_als(in, target, cancel, contributions);
	default:
		return explain_bpr(in, target, cancel, contributions);
	}
}

// two_tower: the towers of Hyperparameters (256 and 128 units), batches of 1024, a sampled
// softmax and Adam's step 0.01 (Gowalla, 10 epochs: Recall@20 0.1414 with these towers; 0.1438
// with one 64-unit layer at 0.01, 0.1296 at 0.003 after 8 epochs; bench/README.md).
constexpr Hyperparameters two_tower_defaults()
{
	Hyperparameters h;
	h.factors = 64;
	h.epochs = 10;
	h.learning_rate = 0.01;
	h.regularization = 0.0;
	h.init_scale = 0.1;
	h.loss = kSoftmaxLoss;
	return h;
}

// neumf: NCF's shape for 32 predictive factors (32-dimensional GMF and MLP embeddings, MLP
// layers of 64 and 32 units), 4 negatives per positive, its initial scale and Adam's step
// (bench/README.md).
constexpr Hyperparameters neumf_defaults()
{
	Hyperparameters h;
	h.factors = 64;
	h.epochs = 20;
	h.learning_rate = 0.001;
	h.regularization = 0.0;
	h.init_scale = 0.01;
	h.hidden_layers.count = 2;
	h.hidden_layers.size[0] = 64;
	h.hidden_layers.size[1] = 32;
	h.batch_size = 256;
	h.negatives = 4;
	return h;
}

constexpr NetworkScoring kNeuMFScoring = {fits_neumf, neumf_scores};

} // namespace

// Constant-initialised: no code runs when the library is loaded.
constexpr const char *kLowerFactors = "Lower factors.";

// One entry per algorithm, its fields in the order of AlgorithmEntry (clang-format would put each
// on its own line).
// clang-format off
constexpr AlgorithmEntry kAlgorithms[] = {
    {"als", "explicit ratings", true, true,
     kFactors | kEpochs | kRegularization | kBiasRegularization | kRegularizationExponent |
         kInitScale | kCgSteps,
     als_defaults(), make_als_trainer, Scorer::DotProduct, fold_in_als, false, "RMSE",
     factor_scratch_bytes, kLowerFactors, explain_als, true, nullptr, false, nullptr,
     0, 0, nullptr, 0, nullptr},
    {"ials", "implicit feedback", false, false,
     kFactors | kEpochs | kRegularization | kAlpha | kRegularizationExponent | kInitScale |
         kCgSteps | kBlockSize,
     ials_defaults(), make_ials_trainer, Scorer::DotProduct, fold_in_ials, true,
     "objective per interaction", factor_scratch_bytes, kLowerFactors, explain_ials, true,
     ials_data_defaults, false, nullptr, 0, 0, nullptr, 0, nullptr},
    {"bpr", "implicit feedback, pairwise ranking", false, true,
     kFactors | kEpochs | kRegularization | kLearningRate | kInitScale, bpr_defaults(),
     make_bpr_trainer, Scorer::DotProduct, fold_in_bpr, false, "-log sigmoid", factor_scratch_bytes,
     kLowerFactors, explain_bpr, true, nullptr, false, nullptr, 0, 0, nullptr, 0, nullptr},
    {"svd", "truncated SVD of the degree-normalised interaction matrix", false, false,
     kFactors | kNormalization, svd_defaults(), make_svd_trainer, Scorer::DotProduct, fold_in_svd,
     true, "relative Frobenius error", svd_scratch_bytes, kLowerFactors, explain_svd, true, nullptr,
     false, svd_fold_in_weight, 0, 0, nullptr, 0, nullptr},
    {"item_knn", "item-based neighbourhood, cosine or other similarities", false, false,
     kNeighbors | kShrinkage | kSimilarity, neighbor_defaults(20, 0.0), make_item_knn_trainer,
     Scorer::ItemNeighbors, nullptr, false, "none", item_knn_scratch_bytes, "Lower neighbors.",
     explain_neighbors, true, nullptr, true, nullptr, 0, 0, nullptr, 0, nullptr},
    {"user_knn", "user-based neighbourhood, cosine or other similarities", false, false,
     kNeighbors | kShrinkage | kSimilarity, neighbor_defaults(100, 0.0), make_user_knn_trainer,
     Scorer::UserNeighbors, nullptr, false, "none", user_knn_scratch_bytes, "Lower neighbors.",
     explain_user_neighbors, true, nullptr, false, nullptr, 0, 0, nullptr, 0, nullptr},
    {"ease", "EASE: closed-form item-item autoencoder", false, false, kRegularization | kNeighbors,
     neighbor_defaults(500, 500.0), make_ease_trainer, Scorer::ItemNeighbors, nullptr, false,
     "none", ease_scratch_bytes,
     "EASE holds two dense items x items matrices: train it on fewer items (for example the "
     "most popular ones).",
     explain_neighbors, true, nullptr, false, nullptr, 0, 0, nullptr, 0, nullptr},
    {"content", "content-based: the item features' TF-IDF reduced by a truncated SVD", false,
     false, kFactors, content_defaults(), make_content_trainer, Scorer::DotProduct,
     fold_in_content, false, "relative Frobenius error", content_scratch_bytes, kLowerFactors,
     explain_content, true, nullptr, false, nullptr, kItemFeatures, kItemFeatures,
     project_content, 0, nullptr},
    {"hybrid", "LightFM-style: interactions with item and user features", false, true,
     kFactors | kEpochs | kRegularization | kLearningRate | kInitScale | kLoss | kAlpha |
         kRegularizationExponent | kBiasRegularization | kCgSteps,
     hybrid_defaults(), make_hybrid_trainer, Scorer::DotProduct, fold_in_hybrid, true,
     "per loss: the implicit ALS objective's data term per interaction, WARP or BPR per sample, "
     "or RMSE",
     hybrid_scratch_bytes, "Lower factors, or use fewer features.", explain_hybrid, true,
     hybrid_data_defaults, false, hybrid_fold_in_weight, kItemFeatures | kUserFeatures, 0,
     project_hybrid, loss_bit(0) | loss_bit(1) | loss_bit(2) | loss_bit(kSquaredLoss), nullptr},
    {"two_tower", "two-tower network: id and feature embeddings through an MLP per side", false,
     false, kFactors | kEpochs | kRegularization | kLearningRate | kInitScale | kLoss |
         kHiddenLayers | kBatchSize | kDropout,
     two_tower_defaults(), make_two_tower_trainer, Scorer::DotProduct, fold_in_two_tower, false,
     "per loss: sampled softmax or BPR per positive, or RMSE", two_tower_scratch_bytes,
     "Lower factors, batch_size or the hidden layers' sizes.", explain_two_tower, true, nullptr,
     false, nullptr, kItemFeatures | kUserFeatures, 0, nullptr,
     loss_bit(1) | loss_bit(kSquaredLoss) | loss_bit(kSoftmaxLoss), nullptr},
    {"neumf", "NeuMF: GMF and MLP branches fused, scored by the network", false,
     false, kFactors | kEpochs | kRegularization | kLearningRate | kInitScale | kHiddenLayers |
         kBatchSize | kDropout | kNegatives,
     neumf_defaults(), make_neumf_trainer, Scorer::Network, fold_in_neumf, false,
     "binary cross-entropy per sample", neumf_scratch_bytes,
     "Lower factors, batch_size, negatives or the hidden layers' sizes.", nullptr, false, nullptr,
     false, nullptr, 0, 0, nullptr, 0, &kNeuMFScoring},
    {"imported", "factors trained elsewhere", false, false,
     kFactors | kRegularization | kAlpha | kRegularizationExponent, imported_defaults(), nullptr,
     Scorer::DotProduct, fold_in_ials, true, "none", factor_scratch_bytes, kLowerFactors,
     explain_ials, true, nullptr, false, nullptr, 0, 0, nullptr, 0, nullptr},
};
// clang-format on
const size_t kAlgorithmCount = sizeof kAlgorithms / sizeof kAlgorithms[0];

const AlgorithmEntry *find_algorithm(const char *name) noexcept
{
	for (const AlgorithmEntry &entry : kAlgorithms)
		if (std::strcmp(name, entry.name) == 0)
			return &entry;
	return nullptr;
}

void trainable_algorithm_list(char *out, size_t size) noexcept
{
	size_t count = 0, written = 0, used = 0;
	out[0] = '\0';
	for (const AlgorithmEntry &entry : kAlgorithms)
		count += entry.make_trainer != nullptr;
	for (const AlgorithmEntry &entry : kAlgorithms)
	{
		if (entry.make_trainer == nullptr || used >= size)
			continue;
		const char *separator = written == 0 ? "" : written + 1 == count ? " or " : ", ";
		int n = std::snprintf(out + used, size - used, "%s'%s' (%s)", separator, entry.name,
		                      entry.description);
		used += n > 0 ? static_cast<size_t>(n) : 0;
		written++;
	}
}

std::unique_ptr<Trainer> make_trainer(const AlgorithmEntry &algorithm, const Interactions &data,
                                      const Hyperparameters &h, const FactorBuffers &buffers)
{
	if (algorithm.make_trainer == nullptr)
		throw InvalidArgument(std::string("algorithm ") + algorithm.name + " cannot be trained");
	validate(algorithm, h);
	return algorithm.make_trainer(data, h, buffers);
}

void project_features(const AlgorithmEntry &algorithm, FeatureSide side, const Hyperparameters &h,
                      const FeatureMatrix &m, const FeatureEmbeddings &embeddings,
                      const int32_t *features, const float *raw, size_t n, float *factors,
                      float *bias)
{
	const char *which = side == kItemFeatures ? "item" : "user";
	if ((algorithm.feature_sides & side) == 0)
		throw InvalidArgument(std::string("algorithm ") + algorithm.name + " does not learn from " +
		                      which + " features");
	if (algorithm.project_features == nullptr)
		throw InvalidArgument(std::string("algorithm ") + algorithm.name + " places a new " +
		                      which + " by its features only when it is trained: retrain the " +
		                      "model to include it");
	float unused_bias = 0.0f;
	algorithm.project_features(h, m, embeddings, features, raw, n, h.factors, factors,
	                           bias ? bias : &unused_bias);
	for (int f = 0; f < h.factors; f++)
		if (!std::isfinite(factors[f]))
			throw NumericDivergence("the factors computed from the features are not finite");
}

void apply_data_defaults(const AlgorithmEntry &algorithm, Hyperparameters *h, unsigned given,
                         const Interactions &data)
{
	if (algorithm.data_defaults)
		algorithm.data_defaults(h, given, data);
}

void fold_in_gramian(const AlgorithmEntry &algorithm, const Hyperparameters &h,
                     const ItemMatrix &fixed, const float *degrees, float *out,
                     const CancelToken &cancel)
{
	if (algorithm.fold_in_weight == nullptr || degrees == nullptr)
	{
		gramian(fixed.factors, fixed.count, fixed.dim, out, cancel);
		return;
	}
	std::vector<float> weights(fixed.count);
	for (size_t i = 0; i < fixed.count; i++)
		weights[i] = static_cast<float>(algorithm.fold_in_weight(h, degrees[i]));
	gramian(fixed.factors, fixed.count, fixed.dim, out, cancel, weights.data());
}

void fold_in_user(const AlgorithmEntry &algorithm, const FoldInInput &input,
                  const CancelToken &cancel, float *factors, float *bias)
{
	if (input.n == 0)
		throw DataError("no known items to fold the user in from");
	float unused_bias = 0.0f;
	algorithm.fold_in(input, cancel, factors, bias ? bias : &unused_bias);
	for (int f = 0; f < input.items.dim; f++)
		if (!std::isfinite(factors[f]))
			throw NumericDivergence("the folded-in user's factors are not finite");
}

size_t explain_score(const AlgorithmEntry &algorithm, const FoldInInput &input, int32_t target,
                     size_t k, const CancelToken &cancel, float *contributions, Recommendation *out)
{
	if (algorithm.explain == nullptr)
		throw InvalidArgument(std::string("algorithm ") + algorithm.name +
		                      " cannot explain its scores");
	if (input.n == 0)
		throw DataError("no known items to explain the score by");
	algorithm.explain(input, target, cancel, contributions);
	TopK best(k);
	for (size_t j = 0; j < input.n; j++)
	{
		if (!std::isfinite(contributions[j]))
			throw NumericDivergence("the contributions to the score are not finite");
		best.offer(contributions[j], input.item_indices[j]);
	}
	size_t count = 0;
	for (const auto &entry : best.take_sorted())
		out[count++] = {entry.second, entry.first};
	return count;
}

} // namespace pgrec
