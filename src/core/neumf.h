// NeuMF (He et al. 2017): the network that scores a (user, item) pair from their GMF and MLP
// embeddings, shared by its trainer, its scorer and its fold-in (neumf.cpp), and the functions
// the registry and the tests call.
#pragma once

#include "algorithm_registry.h"
#include "mlp.h"

#include <cstddef>
#include <cstdint>

namespace pgrec
{

// A user's or item's row of factors floats is its GMF embedding (the first half) then its MLP
// embedding (the second). The score of (u, i) is
//   s = mlp([u_mlp, i_mlp]) + h . (u_gmf * i_gmf),
// mlp a tower of ReLU layers whose linear last layer (one output, with the fusion's bias) is the
// MLP half of NCF's fusion layer and h its GMF half. Stored as the tower's layers, then h as a
// layer of factors / 2 inputs, one output and a zero bias.
class NeuMFNetwork
{
  public:
	// A new network for rows of factors floats (even, at least 2), He-initialised.
	NeuMFNetwork(int factors, const LayerSizes &hidden, Random &rng);
	// The network stored as layers (fits_neumf(stored, factors) must hold).
	NeuMFNetwork(const Network &stored, int factors);

	// The scores of n pairs (users[r], items[r]), rows of factors floats; with rng, dropout in
	// the tower's hidden layers.
	const float *forward(const float *const *users, const float *const *items, size_t n,
	                     float dropout, Random *rng, int threads);

	// Adds the parameters' gradients for d_scores (the loss's gradient at the last forward()'s
	// scores) and writes the rows' gradients to d_users and d_items (n x factors each; either
	// may be null).
	void backward(const float *d_scores, float *d_users, float *d_items);

	// One Adam step of the tower and of h; zeroes the gradients.
	void step(const AdamStep &step);

	// The stored layers (valid until the network changes).
	Network layers();

	// The gradient of h added up by backward() since the last step().
	const AlignedFloats &gmf_gradient() const
	{
		return h_gradient_;
	}

	// Bytes of a network of these shapes serving up to rows pairs on threads threads.
	static size_t bytes(int factors, const LayerSizes &hidden, size_t rows, int threads);

  private:
	int half_; // factors / 2: the size of each embedding
	Tower tower_;
	AlignedFloats h_, h_gradient_, h_m_, h_v_;
	std::vector<NetworkLayer> stored_;
	// The last forward()'s rows, inputs, GMF products and scores.
	const float *const *users_ = nullptr;
	const float *const *items_ = nullptr;
	size_t n_ = 0;
	AlignedFloats input_, gmf_, scores_, d_input_;
};

// Whether stored is a NeuMF network for rows of factors floats: the tower's layers chained from
// factors inputs to one output, then h (factors / 2 inputs, one output, a zero bias).
bool fits_neumf(const Network &stored, int factors);

// The scores of n items of the model (candidates, dense indices; all the items in order when
// null) for one user's row, through the stored network.
void neumf_scores(const Network &stored, const float *user, const ItemMatrix &items,
                  const int32_t *candidates, size_t n, float *scores, const CancelToken &cancel);

// Binary cross-entropy of n scores (logits) against labels (1 or 0): returns the summed loss and
// writes the gradient of its mean to d_scores.
double binary_cross_entropy(const float *scores, const float *labels, size_t n, float *d_scores);

} // namespace pgrec
