// The training interface of the core: hyper-parameters, the factor buffers a model is trained
// into (owned by the caller), and a Trainer that runs one epoch at a time.
#pragma once

#include "cancel_token.h"
#include "interactions.h"

#include <cstdint>
#include <memory>

namespace pgrec
{

// The most hidden layers a network's tower can have.
constexpr int kMaxHiddenLayers = 8;

// The widths of a tower's hidden layers, input side first.
struct LayerSizes
{
	int count = 0;
	int size[kMaxHiddenLayers] = {};
};

// The default towers of two_tower: two hidden layers of 256 and 128 units.
constexpr LayerSizes default_hidden_layers()
{
	LayerSizes s;
	s.count = 2;
	s.size[0] = 256;
	s.size[1] = 128;
	return s;
}

struct Hyperparameters
{
	int factors = 64;
	int epochs = 15;
	double regularization = 0.05;
	double bias_regularization = 0.05;    // als: of the biases, also times the row's count
	double regularization_exponent = 1.0; // als: lambda * count^exponent per row
	double alpha = 1.0;                   // ials: confidence 1 + alpha * r
	double learning_rate = 0.05;          // bpr
	uint64_t seed = 42;
	int threads = 1;
	int cg_steps = 3;           // ials, als: conjugate-gradient steps per row (0: exact solve)
	int block_size = 0;         // ials: iALS++ subspaces of this many factors (0, >= factors: CG)
	double init_scale = 0.1;    // standard deviation of the initial factors
	int neighbors = 100;        // item_knn, ease: weights kept per item; user_knn: per user
	double shrinkage = 0.0;     // item_knn, user_knn: added to the similarity's denominator
	int similarity = 0;         // item_knn, user_knn: index in kSimilarityNames (neighbors.h)
	double normalization = 0.0; // svd: exponent b of the degree normalisation D^-b R D^-b
	int loss = 0;               // hybrid, two_tower: index in kLossNames (algorithm_registry.cpp)
	LayerSizes hidden_layers = default_hidden_layers(); // two_tower: each tower's hidden layers
	int batch_size = 1024; // two_tower: samples per step; neumf: positives per step
	double dropout = 0.0;  // two_tower, neumf: probability of zeroing a hidden unit in training
	int negatives = 4;     // neumf: sampled negatives per positive
};

// One dense layer of a stored scoring network: z = a W + b, W inputs x outputs row-major.
struct NetworkLayer
{
	int inputs, outputs;
	const float *weights;
	const float *bias;
};

// The layers of a model scored by a network rather than a dot product (neumf), in order.
struct Network
{
	const NetworkLayer *layers;
	size_t count;
};

// Row-major buffers of the model, allocated by the caller: users x factors, items x factors,
// and one bias per user and per item (both unused, and may be null, for ials).
struct FactorBuffers
{
	float *user_factors;
	float *item_factors;
	float *user_bias;
	float *item_bias;
};

// Bytes of scratch memory a factor model's trainer takes beyond the data and the factor
// buffers (AlgorithmEntry::scratch_bytes of the matrix factorisation algorithms).
size_t factor_scratch_bytes(const Hyperparameters &h, const Interactions &data);

// Runs training one epoch at a time, so that the caller can report progress between epochs.
class Trainer
{
  public:
	virtual ~Trainer() = default;
	// Runs one epoch. Throws Cancelled when the token fires (the factors are then half
	// updated: the run is to be abandoned) and NumericDivergence if the loss is no longer
	// finite.
	virtual void run_epoch(const CancelToken &cancel) = 0;
	// Training loss after the last epoch: RMSE for als, mean weighted squared error per
	// interaction for ials, mean -log sigmoid(x_uij) for bpr.
	double loss() const
	{
		return loss_;
	}
	// The global mean rating the biases are relative to (0 without biases).
	virtual double global_mean() const
	{
		return 0.0;
	}
	// The item-item weights of a neighbourhood model (null for factor models).
	virtual const SparseRows *neighbors() const
	{
		return nullptr;
	}
	// The scoring network of a model that has one (no layers for the others), valid while the
	// trainer lives.
	virtual Network network() const
	{
		return {nullptr, 0};
	}
	// The embeddings of the features of a content or hybrid model (null for the others).
	virtual const FeatureModel *feature_model() const
	{
		return nullptr;
	}

  protected:
	// Fills the factors with seeded normal values and zeroes the biases.
	Trainer(const Interactions &data, const Hyperparameters &h, const FactorBuffers &b);
	// Records the epoch's loss; throws NumericDivergence naming `what` if it is not finite.
	void set_loss(double loss, const char *what);

	const Interactions &data_;
	Hyperparameters h_;
	FactorBuffers b_;

  private:
	double loss_ = 0.0;
};

} // namespace pgrec
