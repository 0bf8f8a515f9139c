// The building blocks of the neural trainers: a tower of dense layers (ReLU between them, the
// last one linear) with its hand-written backward pass, inverted dropout on the hidden units,
// and the Adam optimiser (Kingma and Ba 2015) for dense and row-sparse parameters.
#pragma once

#include "aligned_buffer.h"
#include "factor_init.h"
#include "training.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pgrec
{

// One optimiser step's settings: the step size, the moments' decays, the L2 penalty added to each
// gradient (regularization) and the bias corrections 1 - beta^t of step t.
struct AdamStep
{
	float learning_rate;
	float weight_decay;
	float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
	float correction1 = 1.0f, correction2 = 1.0f;

	// The settings of step t (t >= 1).
	static AdamStep at(float learning_rate, float weight_decay, int64_t t);
};

// Updates n parameters from their gradients (then zeroed) and moments m and v. Biases are given
// decay false: the L2 penalty is for weights and embeddings only.
void adam_update(const AdamStep &step, float *value, float *gradient, float *m, float *v, size_t n,
                 bool decay = true);

// A multi-layer perceptron input -> hidden[0] -> ... -> output over a batch of rows, row-major:
// z_l = a_l W_l + b_l, a_{l+1} = dropout(relu(z_l)) for the hidden layers, the output z_L.
// Weights start He-normal (standard deviation sqrt(2 / fan-in)), biases at 0. A batch's rows are
// split into `threads` contiguous slices that pass through the layers independently; the
// slices' weight gradients are added in slice order, so a thread count gives the same result
// every run.
class Tower
{
  public:
	Tower(int input, const LayerSizes &hidden, int output, Random &rng);
	// A tower with the weights of count stored layers (their shapes chained: checked by the
	// caller), for serving.
	Tower(const NetworkLayer *layers, size_t count);

	int input() const
	{
		return layers_.front().in;
	}
	int output() const
	{
		return layers_.back().out;
	}

	// The outputs (rows x output) of rows inputs x, which must stay unchanged until backward().
	// With rng, each hidden unit is zeroed with probability dropout and the others scaled by
	// 1 / (1 - dropout) (each slice draws from its own generator seeded from rng); without, no
	// dropout (serving).
	const float *forward(const float *x, size_t rows, float dropout, Random *rng, int threads);

	// Adds the gradients of the parameters for d_output (rows x output, the loss's gradient at
	// the last forward()'s outputs) and writes the input's gradient (rows x input) to d_input
	// unless it is null.
	void backward(const float *d_output, float *d_input);

	// One Adam step of every parameter; zeroes the gradients.
	void step(const AdamStep &step);

	// The parameters and their gradients, flat (every layer's weights, then its biases).
	AlignedFloats &parameters()
	{
		return parameters_;
	}
	const AlignedFloats &gradients() const
	{
		return gradients_;
	}

	// Layer l's shape and parameters, for storing them.
	size_t layer_count() const
	{
		return layers_.size();
	}
	NetworkLayer layer(size_t l) const
	{
		const Layer &layer = layers_[l];
		return {layer.in, layer.out, parameters_.data() + layer.weights,
		        parameters_.data() + layer.bias};
	}

	// Bytes of a tower with these shapes serving batches of up to rows rows on threads threads.
	static size_t bytes(int input, const LayerSizes &hidden, int output, size_t rows, int threads);

  private:
	struct Layer
	{
		int in, out;
		size_t weights, bias; // offsets into parameters_
	};
	// The forward and backward passes of rows [begin, end), the backward one adding the weight
	// gradients to gradients (parameters_.size() floats) with delta buffers of its own.
	void forward_rows(size_t begin, size_t end, float dropout, Random *rng);
	void backward_rows(size_t begin, size_t end, const float *d_output, float *d_input,
	                   float *gradients, AlignedFloats *delta, AlignedFloats *previous);

	// Sets up the buffers of the layers' shapes (parameters zero).
	void allocate();

	std::vector<Layer> layers_;
	AlignedFloats parameters_, gradients_, m_, v_;
	// activations_[l] holds a_{l+1}, the input of layer l + 1; the last one is the output.
	std::vector<AlignedFloats> activations_;
	// Per slice: its weight gradients (slices after the first) and two delta buffers.
	std::vector<AlignedFloats> slice_gradients_, slice_delta_, slice_previous_;
	const float *input_ = nullptr;
	size_t rows_ = 0;
	int threads_ = 1;
	float keep_scale_ = 1.0f; // 1 / (1 - dropout) of the last forward()
};

// Lazy Adam (as TensorFlow's LazyAdam) for an embedding table of rows x k floats: gradients are
// added to the rows a batch touches, and step() moves only those rows.
class RowAdam
{
  public:
	RowAdam(size_t rows, int k);

	// Row r's gradient, to add to; marks the row touched.
	float *gradient(size_t r)
	{
		if (!touched_[r])
		{
			touched_[r] = 1;
			list_.push_back(static_cast<int32_t>(r));
		}
		return gradient_.data() + r * static_cast<size_t>(k_);
	}

	// One Adam step of the touched rows of values (rows x k), their rows split between threads;
	// zeroes their gradients and forgets them.
	void step(const AdamStep &step, float *values, int threads);

	// Bytes of the state of a table of rows x k floats.
	static size_t bytes(size_t rows, int k)
	{
		return rows * (3 * sizeof(float) * static_cast<size_t>(k) + 1 + sizeof(int32_t));
	}

  private:
	int k_;
	AlignedFloats gradient_, m_, v_;
	std::vector<uint8_t> touched_;
	std::vector<int32_t> list_;
};

} // namespace pgrec
