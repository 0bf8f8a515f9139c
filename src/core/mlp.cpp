// The dense tower's forward and backward passes and the Adam updates (mlp.h). The products go
// through matrix_products(), built for each instruction set.
#include "mlp.h"

#include "matrix_products.h"
#include "parallel.h"

#include <algorithm>
#include <cmath>

#include "core_only.h"

namespace pgrec
{

AdamStep AdamStep::at(float learning_rate, float weight_decay, int64_t t)
{
	AdamStep s;
	s.learning_rate = learning_rate;
	s.weight_decay = weight_decay;
	s.correction1 = 1.0f - static_cast<float>(std::pow(s.beta1, static_cast<double>(t)));
	s.correction2 = 1.0f - static_cast<float>(std::pow(s.beta2, static_cast<double>(t)));
	return s;
}

void adam_update(const AdamStep &step, float *value, float *gradient, float *m, float *v, size_t n,
                 bool decay)
{
	matrix_products().adam(value, gradient, m, v, static_cast<ptrdiff_t>(n),
	                       decay ? step.weight_decay : 0.0f, step.beta1, step.beta2,
	                       step.learning_rate / step.correction1, 1.0f / step.correction2,
	                       step.epsilon);
}

Tower::Tower(int input, const LayerSizes &hidden, int output, Random &rng)
{
	int in = input;
	size_t offset = 0;
	for (int l = 0; l <= hidden.count; l++)
	{
		int out = l < hidden.count ? hidden.size[l] : output;
		Layer layer{in, out, offset, offset + static_cast<size_t>(in) * out};
		layers_.push_back(layer);
		offset = layer.bias + static_cast<size_t>(out);
		in = out;
	}
	allocate();
	for (const Layer &layer : layers_)
		init_normal(parameters_.data() + layer.weights, static_cast<size_t>(layer.in) * layer.out,
		            std::sqrt(2.0 / layer.in), rng);
}

Tower::Tower(const NetworkLayer *layers, size_t count)
{
	size_t offset = 0;
	for (size_t l = 0; l < count; l++)
	{
		const NetworkLayer &stored = layers[l];
		Layer layer{stored.inputs, stored.outputs, offset,
		            offset + static_cast<size_t>(stored.inputs) * stored.outputs};
		layers_.push_back(layer);
		offset = layer.bias + static_cast<size_t>(stored.outputs);
	}
	allocate();
	for (size_t l = 0; l < count; l++)
	{
		const Layer &layer = layers_[l];
		std::copy(layers[l].weights, layers[l].weights + (layer.bias - layer.weights),
		          parameters_.data() + layer.weights);
		std::copy(layers[l].bias, layers[l].bias + layer.out, parameters_.data() + layer.bias);
	}
}

void Tower::allocate()
{
	const size_t size = layers_.back().bias + static_cast<size_t>(layers_.back().out);
	parameters_.assign(size, 0.0f);
	gradients_.assign(size, 0.0f);
	m_.assign(size, 0.0f);
	v_.assign(size, 0.0f);
	activations_.resize(layers_.size());
}

const float *Tower::forward(const float *x, size_t rows, float dropout, Random *rng, int threads)
{
	input_ = x;
	rows_ = rows;
	threads_ = std::max(1, threads);
	keep_scale_ = rng && dropout > 0.0f ? 1.0f / (1.0f - dropout) : 1.0f;
	for (size_t l = 0; l < layers_.size(); l++)
		activations_[l].resize(rows * static_cast<size_t>(layers_[l].out));
	std::vector<uint64_t> seeds(static_cast<size_t>(threads_));
	for (uint64_t &seed : seeds)
		seed = keep_scale_ != 1.0f ? rng->next() : 0;
	parallel_for(rows, threads_,
	             [&](size_t begin, size_t end, int worker)
	             {
		             Random slice(seeds[static_cast<size_t>(worker)]);
		             forward_rows(begin, end, dropout, &slice);
	             });
	return activations_.back().data();
}

void Tower::forward_rows(size_t begin, size_t end, float dropout, Random *rng)
{
	const MatrixProducts &mp = matrix_products();
	const size_t rows = end - begin;
	const float *a = input_ + begin * static_cast<size_t>(input());
	for (size_t l = 0; l < layers_.size(); l++)
	{
		const Layer &layer = layers_[l];
		float *z = activations_[l].data() + begin * static_cast<size_t>(layer.out);
		const float *bias = parameters_.data() + layer.bias;
		for (size_t r = 0; r < rows; r++)
			std::copy(bias, bias + layer.out, z + r * layer.out);
		mp.product(z, a, parameters_.data() + layer.weights, static_cast<ptrdiff_t>(rows), layer.in,
		           layer.out, true);
		if (l + 1 < layers_.size())
		{
			const size_t n = rows * static_cast<size_t>(layer.out);
			for (size_t j = 0; j < n; j++)
				z[j] = std::max(z[j], 0.0f);
			if (keep_scale_ != 1.0f)
				for (size_t j = 0; j < n; j++)
					z[j] = rng->uniform() < dropout ? 0.0f : z[j] * keep_scale_;
		}
		a = z;
	}
}

void Tower::backward(const float *d_output, float *d_input)
{
	const size_t slices = std::min(static_cast<size_t>(threads_), std::max<size_t>(rows_, 1));
	slice_gradients_.resize(slices);
	slice_delta_.resize(slices);
	slice_previous_.resize(slices);
	for (size_t w = 1; w < slices; w++)
		slice_gradients_[w].assign(parameters_.size(), 0.0f);
	parallel_for(rows_, threads_,
	             [&](size_t begin, size_t end, int worker)
	             {
		             size_t w = static_cast<size_t>(worker);
		             backward_rows(begin, end, d_output, d_input,
		                           w == 0 ? gradients_.data() : slice_gradients_[w].data(),
		                           &slice_delta_[w], &slice_previous_[w]);
	             });
	for (size_t w = 1; w < slices; w++)
		for (size_t j = 0; j < gradients_.size(); j++)
			gradients_[j] += slice_gradients_[w][j];
}

void Tower::backward_rows(size_t begin, size_t end, const float *d_output, float *d_input,
                          float *gradients, AlignedFloats *delta_buffer, AlignedFloats *previous)
{
	const MatrixProducts &mp = matrix_products();
	const ptrdiff_t rows = static_cast<ptrdiff_t>(end - begin);
	const float *delta = d_output + begin * static_cast<size_t>(output());
	for (size_t l = layers_.size(); l-- > 0;)
	{
		const Layer &layer = layers_[l];
		const float *a = l == 0
		                     ? input_ + begin * static_cast<size_t>(layer.in)
		                     : activations_[l - 1].data() + begin * static_cast<size_t>(layer.in);
		mp.transposed_left(gradients + layer.weights, a, delta, rows, layer.in, layer.out, true);
		mp.add_column_sums(gradients + layer.bias, delta, rows, layer.out);
		if (l == 0)
		{
			if (d_input)
				mp.transposed_right(d_input + begin * static_cast<size_t>(layer.in), delta,
				                    parameters_.data() + layer.weights, rows, layer.out, layer.in,
				                    false);
			break;
		}
		// The gradient at a_l, then through the dropout and the ReLU that made it: a unit that
		// is 0 was either dropped or not active.
		previous->resize(static_cast<size_t>(rows) * layer.in);
		mp.transposed_right(previous->data(), delta, parameters_.data() + layer.weights, rows,
		                    layer.out, layer.in, false);
		mp.relu_backward(previous->data(), a, static_cast<ptrdiff_t>(previous->size()),
		                 keep_scale_);
		delta_buffer->swap(*previous);
		delta = delta_buffer->data();
	}
}

void Tower::step(const AdamStep &s)
{
	for (const Layer &layer : layers_)
	{
		size_t weights = static_cast<size_t>(layer.in) * layer.out;
		adam_update(s, parameters_.data() + layer.weights, gradients_.data() + layer.weights,
		            m_.data() + layer.weights, v_.data() + layer.weights, weights, true);
		adam_update(s, parameters_.data() + layer.bias, gradients_.data() + layer.bias,
		            m_.data() + layer.bias, v_.data() + layer.bias, static_cast<size_t>(layer.out),
		            false);
	}
}

size_t Tower::bytes(int input, const LayerSizes &hidden, int output, size_t rows, int threads)
{
	size_t parameters = 0, activations = 0, widest = static_cast<size_t>(input);
	int in = input;
	for (int l = 0; l <= hidden.count; l++)
	{
		int out = l < hidden.count ? hidden.size[l] : output;
		parameters += static_cast<size_t>(in) * out + static_cast<size_t>(out);
		activations += static_cast<size_t>(out);
		widest = std::max(widest, static_cast<size_t>(out));
		in = out;
	}
	const size_t slices = static_cast<size_t>(std::max(threads, 1));
	return sizeof(float) * ((3 + slices) * parameters + rows * (activations + 2 * widest));
}

RowAdam::RowAdam(size_t rows, int k) : k_(k), touched_(rows, 0)
{
	const size_t size = rows * static_cast<size_t>(k);
	gradient_.assign(size, 0.0f);
	m_.assign(size, 0.0f);
	v_.assign(size, 0.0f);
}

void RowAdam::step(const AdamStep &s, float *values, int threads)
{
	const size_t k = static_cast<size_t>(k_);
	parallel_for(list_.size(), threads,
	             [&](size_t begin, size_t end, int)
	             {
		             for (size_t j = begin; j < end; j++)
		             {
			             size_t at = static_cast<size_t>(list_[j]) * k;
			             adam_update(s, values + at, gradient_.data() + at, m_.data() + at,
			                         v_.data() + at, k, true);
		             }
	             });
	for (int32_t r : list_)
		touched_[static_cast<size_t>(r)] = 0;
	list_.clear();
}

} // namespace pgrec
