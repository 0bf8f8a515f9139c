// The algorithm registry: one entry per algorithm names its trainer, its hyper-parameters with
// their defaults and ranges, how it is served, how a new user is folded in and how a score is
// explained.
#pragma once

#include "cancel_token.h"
#include "neighbors.h"
#include "recommend.h"
#include "training.h"

#include <cstdint>
#include <memory>
#include <string>

namespace pgrec
{

// The hyper-parameters an algorithm can use, as bits of AlgorithmEntry::parameters.
enum ParameterBit : unsigned
{
	kFactors = 1u << 0,
	kEpochs = 1u << 1,
	kRegularization = 1u << 2,
	kAlpha = 1u << 3,
	kLearningRate = 1u << 4,
	kBiasRegularization = 1u << 5,
	kRegularizationExponent = 1u << 6,
	kInitScale = 1u << 7,
	kCgSteps = 1u << 8,
	kNeighbors = 1u << 9,
	kShrinkage = 1u << 10,
	kSimilarity = 1u << 11,
	kNormalization = 1u << 12,
	kLoss = 1u << 13,
	kHiddenLayers = 1u << 14,
	kBatchSize = 1u << 15,
	kDropout = 1u << 16,
	kNegatives = 1u << 17,
	kBlockSize = 1u << 18
};

// The feature sources an algorithm learns from, as bits of AlgorithmEntry::feature_sides.
enum FeatureSide : unsigned
{
	kItemFeatures = 1u << 0,
	kUserFeatures = 1u << 1
};

// One hyper-parameter: its name (the argument of pgrec.train and the key in the stored JSON),
// the field of Hyperparameters it sets (a double, an int or a list of layer sizes) and its valid
// range (of each size, for a list). A parameter with choices is given by name (a text argument,
// a JSON string) and held as the index of its choice.
struct ParameterSpec
{
	const char *name;
	ParameterBit bit;
	double Hyperparameters::*real;
	int Hyperparameters::*integer;
	double min, max;
	bool min_exclusive;
	const char *const *choices; // null-terminated names, or null for a number
	LayerSizes Hyperparameters::*sizes;
};

// The names of the choices of parameter loss: WARP (Weston et al. 2011), BPR, the implicit ALS
// objective (Hu et al. 2008), squared error on explicit ratings or a sampled softmax (Yi et al.
// 2019). Each algorithm with a loss takes some of them (AlgorithmEntry::losses).
extern const char *const kLossNames[];

// The bit of loss (an index in kLossNames) in AlgorithmEntry::losses.
constexpr unsigned loss_bit(int loss)
{
	return 1u << loss;
}

// The indices in kLossNames of the losses that train on explicit ratings and of the sampled
// softmax.
constexpr int kSquaredLoss = 3;
constexpr int kSoftmaxLoss = 4;

// Every hyper-parameter of every algorithm (seed and threads are not per algorithm).
extern const ParameterSpec kParameterSpecs[];
extern const size_t kParameterSpecCount;

// The spec called name, or null.
const ParameterSpec *find_parameter(const char *name) noexcept;

// The index of choice in a parameter with choices, among those the algorithm takes (any
// algorithm's when null); throws InvalidArgument naming the choices if there is no such choice.
struct AlgorithmEntry;
int parameter_choice(const ParameterSpec &spec, const char *choice,
                     const AlgorithmEntry *algorithm = nullptr);

// The value of a number or choice parameter in h, and setting it (integers are rounded toward
// zero).
double parameter_value(const ParameterSpec &spec, const Hyperparameters &h);
void set_parameter(const ParameterSpec &spec, Hyperparameters *h, double value);

// How recommend() scores items for a user of the model.
enum class Scorer
{
	DotProduct,    // p_u . q_i + b_i over the item factors: the SIMD scan
	ItemNeighbors, // the sum of the stored item-item weights over the user's items (neighbors.h)
	UserNeighbors, // the neighbours' interactions weighted by their similarity (user_knn.h)
	Network        // a stored network over the user's and the item's factors (neumf)
};

// How a model scored by a network reads its stored layers (AlgorithmEntry::network).
struct NetworkScoring
{
	// Whether the layers are a network of the algorithm for rows of factors floats.
	bool (*fits)(const Network &, int factors);
	// Writes the scores of n items (candidates, dense indices; every item in order when null)
	// for a user's row.
	void (*scores)(const Network &, const float *user, const ItemMatrix &items,
	               const int32_t *candidates, size_t n, float *scores, const CancelToken &);
};

struct UserNeighbors;

// What a fold-in solve gets: the fixed item side, the model's global mean, its
// hyper-parameters, the Gramian of the items (for algorithms that say needs_gramian, made by
// fold_in_gramian), the user's distinct items with their values (values null: all 1) and the
// items' degrees (their interaction counts in the model; null: all 1).
struct FoldInInput
{
	const ItemMatrix &items;
	double global_mean;
	const Hyperparameters &h;
	const float *gramian;
	const int32_t *item_indices;
	const float *values;
	size_t n;
	const NeighborView *neighbors = nullptr; // the item-item weights of ItemNeighbors
	const float *degrees = nullptr;
	const UserNeighbors *user_neighbors = nullptr; // the user's neighbours, UserNeighbors
	const Network *network = nullptr;              // the stored network of a Network scorer
	bool folds_item = false; // the row folded in is an item's (refresh), items holds the users
};

using TrainerFactory = std::unique_ptr<Trainer> (*)(const Interactions &, const Hyperparameters &,
                                                    const FactorBuffers &);
// Bytes of scratch memory the trainer takes beyond the data and the factor buffers.
using ScratchEstimate = size_t (*)(const Hyperparameters &, const Interactions &);
// Sets the defaults that depend on the data, for the parameters not in `given` (a ParameterBit
// mask of those the caller set).
using DataDefaults = void (*)(Hyperparameters *h, unsigned given, const Interactions &data);
// Writes the user's dim factors and, for algorithms with biases, *bias.
using FoldInSolver = void (*)(const FoldInInput &, const CancelToken &, float *factors,
                              float *bias);

// Writes the factors (dim of them) and *bias of a user or item known by its features alone,
// from its n distinct raw features (indices into m's features, m the side's weights) and the
// trained embeddings of its side's features.
using FeatureProjector = void (*)(const Hyperparameters &, const FeatureMatrix &m,
                                  const FeatureEmbeddings &embeddings, const int32_t *features,
                                  const float *raw, size_t n, int dim, float *factors, float *bias);

// The weight a fold-in's least squares gives a row of the fixed side of the given degree.
using RowWeight = double (*)(const Hyperparameters &, double degree);

// Writes contributions[j] (j < input.n): the share of item input.item_indices[j] in the score of
// item `target` for the user folded in from input, the same user fold_in solves for.
using Explainer = void (*)(const FoldInInput &, int32_t target, const CancelToken &,
                           float *contributions);

struct AlgorithmEntry
{
	const char *name;
	const char *description;     // one line, for hints and the catalog comment
	bool explicit_feedback;      // trains on ratings: duplicates averaged, fold-in needs ratings
	bool biases;                 // learns a global mean and per-user and per-item biases
	unsigned parameters;         // ParameterBit mask of the hyper-parameters it uses
	Hyperparameters defaults;    // tuned defaults (bench/README.md)
	TrainerFactory make_trainer; // null: not trainable (imported factors)
	Scorer scorer;
	FoldInSolver fold_in; // null: the visitor's items are their history (neighbour scorers)
	bool needs_gramian;   // fold_in reads FoldInInput::gramian (hybrid's for loss 'ials' only)
	const char *loss;     // what loss_history holds
	ScratchEstimate scratch_bytes;
	const char *memory_hint; // how to need less memory, a full sentence
	// How a score is explained by the user's items (null: it cannot be), and whether exactly:
	// the contributions plus the target's item bias add up to the score the folded-in user
	// gives it (recommend_for_interactions' score); false: an approximation.
	Explainer explain;
	bool explain_exact;
	DataDefaults data_defaults; // null: the defaults do not depend on the data
	// Item neighbour scorers: the stored weights are similarities in [0, 1] (item_knn), so
	// they measure diversity; false where they have no fixed scale (ease) or are not item-item
	// (user_knn).
	bool weights_are_similarities;
	RowWeight fold_in_weight; // null: every row of the fixed side weighs 1
	unsigned feature_sides;   // FeatureSide mask of the feature sources it learns from
	unsigned needs_features;  // of those, the ones it cannot train without
	// Factors of a user or item from its features (null without feature_sides, and for
	// two_tower, whose stored model keeps the towers' outputs but not the towers); a trained
	// one's factors are those of its features plus what it learnt from its interactions.
	FeatureProjector project_features;
	unsigned losses;               // the indices in kLossNames it takes, as bits (0 without kLoss)
	const NetworkScoring *network; // a Network scorer's, else null
};

// Every algorithm, in the order pgrec.algorithms() lists them.
extern const AlgorithmEntry kAlgorithms[];
extern const size_t kAlgorithmCount;

// An upper bound of kParameterSpecCount, for arrays sized at compile time.
constexpr size_t kParameterSpecCountMax = 32;

// The entry called name, or null.
const AlgorithmEntry *find_algorithm(const char *name) noexcept;

// Whether the algorithm's models have user and item factors (rather than neighbour weights).
inline bool has_factors(const AlgorithmEntry &algorithm)
{
	return algorithm.scorer == Scorer::DotProduct || algorithm.scorer == Scorer::Network;
}

// Whether the model stores its users' training values with their items (user_knn scores with
// its neighbours' values).
inline bool keeps_seen_values(const AlgorithmEntry &algorithm)
{
	return algorithm.scorer == Scorer::UserNeighbors;
}

// Whether a model of the algorithm with hyper-parameters h trains on explicit ratings: an
// explicit algorithm, or one with a loss set to squared error on ratings.
inline bool trains_on_ratings(const AlgorithmEntry &algorithm, const Hyperparameters &h)
{
	return algorithm.explicit_feedback ||
	       ((algorithm.parameters & kLoss) && h.loss == kSquaredLoss);
}

// Repeated (user, item) rows: explicit ratings average, implicit feedback adds up.
inline DuplicatePolicy duplicate_policy(const AlgorithmEntry &algorithm, const Hyperparameters &h)
{
	return trains_on_ratings(algorithm, h) ? DuplicatePolicy::Mean : DuplicatePolicy::Sum;
}

// Writes to out (size bytes, truncated if need be) the trainable algorithms as a hint lists
// them: "'als' (explicit ratings), ... or 'svd' (...)". Never throws: the pg zone calls it.
void trainable_algorithm_list(char *out, size_t size) noexcept;

// Throws InvalidArgument unless value is in the parameter's range.
void validate_parameter(const ParameterSpec &spec, double value);

// Throws InvalidArgument unless the list of sizes is valid for the parameter: 1 to
// kMaxHiddenLayers of them, each in the spec's range.
void validate_sizes(const ParameterSpec &spec, const LayerSizes &sizes);

// Throws InvalidArgument unless every parameter the algorithm uses is in its range and its loss
// is one it takes.
void validate(const AlgorithmEntry &algorithm, const Hyperparameters &h);

// Initialises the buffers from the seed and returns the algorithm's trainer; throws
// InvalidArgument for an algorithm that cannot be trained. data and buffers must outlive it.
std::unique_ptr<Trainer> make_trainer(const AlgorithmEntry &algorithm, const Interactions &data,
                                      const Hyperparameters &h, const FactorBuffers &buffers);

// Writes the factors and *bias (bias may be null) of a user or item known by its features alone
// (n raw features, indices into m's) from the embeddings of its side's features. Throws
// InvalidArgument if the algorithm does not learn from that side's features, NumericDivergence
// if the result is not finite.
void project_features(const AlgorithmEntry &algorithm, FeatureSide side, const Hyperparameters &h,
                      const FeatureMatrix &m, const FeatureEmbeddings &embeddings,
                      const int32_t *features, const float *raw, size_t n, float *factors,
                      float *bias);

// Applies the algorithm's data-dependent defaults to h for the parameters not in given.
void apply_data_defaults(const AlgorithmEntry &algorithm, Hyperparameters *h, unsigned given,
                         const Interactions &data);

// The Gramian sum_i w_i y_i y_i^T of the fixed side y for the algorithm's fold-in (dim x dim
// floats to out), w_i its fold_in_weight of degrees[i] (every w_i 1 without a fold_in_weight
// or degrees).
void fold_in_gramian(const AlgorithmEntry &algorithm, const Hyperparameters &h,
                     const ItemMatrix &fixed, const float *degrees, float *out,
                     const CancelToken &cancel);

// Folds one user in (input.n > 0 distinct items); throws NumericDivergence if the result is
// not finite.
void fold_in_user(const AlgorithmEntry &algorithm, const FoldInInput &input,
                  const CancelToken &cancel, float *factors, float *bias);

// Explains the score of item target for the user folded in from input (input.n > 0 distinct
// items): writes every item's share to contributions (room for input.n) and the k largest to
// out (room for min(k, input.n)), largest first, ties by the smaller index; returns how many.
// Throws InvalidArgument if the algorithm cannot explain, NumericDivergence if a share is not
// finite.
size_t explain_score(const AlgorithmEntry &algorithm, const FoldInInput &input, int32_t target,
                     size_t k, const CancelToken &cancel, float *contributions,
                     Recommendation *out);

} // namespace pgrec
