// The two-tower model (Yi et al. 2019, as TensorFlow Recommenders builds it): each side's tower
// reads the entity's id embedding, concatenated with the mean of its features' embeddings when
// the side has features (weighted with RowNorm::Sum, as hybrid's), through an MLP (tower, mlp.h)
// to a factors-dimensional output; the score of (u, i) is the dot product of the outputs, so the
// trained model is the outputs of every user and item, served by the dot-product scan. An entity
// without interactions keeps a zero id embedding and is placed by its features alone.
//
// Trained by Adam on mini-batches of the distinct (user, item) pairs, shuffled afresh each epoch,
// with one of three losses (Hyperparameters::loss):
// - softmax: each positive against the batch's other items and kSampledShare x batch_size items
//   drawn uniformly among those with interactions, with the log-q correction (sampled_softmax);
// - bpr: each positive against one item drawn uniformly among those with interactions that the
//   user has not seen;
// - squared: explicit ratings, u . v fitted to the rating minus the global mean.
// The embeddings take lazy Adam steps (only the rows a batch touched), the towers dense ones;
// regularization is an L2 penalty on the weights and embeddings. One thread is deterministic for
// a seed; more split each batch's rows between threads.
#include "two_tower.h"

#include "algorithm_registry.h"
#include "core_errors.h"
#include "flush_denormals.h"
#include "feature_matrix.h"
#include "hybrid.h"
#include "mlp.h"
#include "negative_sampling.h"
#include "parallel.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

// The uniformly drawn negatives of a softmax batch, as a share of batch_size (mixed negative
// sampling, Yang et al. 2020): in-batch negatives alone under-train the rarely interacted items.
constexpr double kSampledShare = 0.25;

// The ranking losses score by cosine similarity over a temperature: the user outputs are scaled
// to length 1 / kTemperature, the items' to 1.
constexpr float kTemperature = 0.1f;

// Rows a serving pass computes at once, when the outputs of every entity are written.
constexpr size_t kServingRows = 4096;

// One side of the model: its entities' id embeddings, its features' embeddings (when the side has
// features), the tower and the batch buffers, with the lazy Adam state of the embeddings.
struct Side
{
	Side(size_t entities, const FeatureMatrix &features, const SparseRows *interactions,
	     const Hyperparameters &h, float length, Random &rng)
	    : k(h.factors), threads(h.threads), length(length), has_features(features.rows.rows() > 0),
	      tower(has_features ? 2 * h.factors : h.factors, h.hidden_layers, h.factors, rng),
	      id_adam(entities, h.factors), feature_adam(has_features ? features.features() : 0, k)
	{
		const size_t kk = static_cast<size_t>(k);
		id.assign(entities * kk, 0.0f);
		for (size_t e = 0; e < entities; e++)
			if (interactions->ptr[e + 1] > interactions->ptr[e])
				init_normal(id.data() + e * kk, kk, h.init_scale, rng);
		if (has_features)
		{
			rows = weighted_rows(features, RowNorm::Sum);
			feature.resize(features.features() * kk);
			init_normal(feature.data(), feature.size(), h.init_scale, rng);
		}
	}

	int input_dim() const
	{
		return has_features ? 2 * k : k;
	}

	// Fills input with the tower inputs of the n entities.
	void gather(const int32_t *entities, size_t n)
	{
		const size_t kk = static_cast<size_t>(k), dim = static_cast<size_t>(input_dim());
		input.assign(n * dim, 0.0f);
		parallel_for(
		    n, threads,
		    [&](size_t begin, size_t end, int)
		    {
			    for (size_t r = begin; r < end; r++)
			    {
				    float *in = input.data() + r * dim;
				    const float *e = id.data() + static_cast<size_t>(entities[r]) * kk;
				    std::copy(e, e + kk, in);
				    if (!has_features)
					    continue;
				    int64_t first = rows.ptr[entities[r]], last = rows.ptr[entities[r] + 1];
				    add_feature_embeddings(feature.data(), nullptr, k, rows.index.data() + first,
				                           rows.value.data() + first,
				                           static_cast<size_t>(last - first), in + kk);
			    }
		    });
	}

	// Adds the input gradients d_input of the n entities of the last gather() to the
	// embeddings' gradients, marking the rows touched.
	void scatter(const int32_t *entities, size_t n)
	{
		const size_t kk = static_cast<size_t>(k), dim = static_cast<size_t>(input_dim());
		for (size_t r = 0; r < n; r++)
		{
			const float *d = d_input.data() + r * dim;
			const size_t e = static_cast<size_t>(entities[r]);
			float *g = id_adam.gradient(e);
			for (size_t c = 0; c < kk; c++)
				g[c] += d[c];
			if (!has_features)
				continue;
			for (int64_t j = rows.ptr[e]; j < rows.ptr[e + 1]; j++)
			{
				const size_t f = static_cast<size_t>(rows.index[static_cast<size_t>(j)]);
				const float w = rows.value[static_cast<size_t>(j)];
				float *fg = feature_adam.gradient(f);
				for (size_t c = 0; c < kk; c++)
					fg[c] += w * d[kk + c];
			}
		}
	}

	// Runs the tower forward on the inputs of the last gather(); with a length, returns the
	// outputs scaled to it.
	const float *forward(size_t n, float dropout, Random *rng)
	{
		const float *out = tower.forward(input.data(), n, dropout, rng, threads);
		if (length == 0.0f)
			return out;
		const size_t kk = static_cast<size_t>(k);
		scaled.resize(n * kk);
		norms.resize(n);
		scale_rows(out, n, k, length, norms.data(), scaled.data(), threads);
		return scaled.data();
	}

	// Backpropagates d_output (at what forward() returned) through the scaling and the tower to
	// the embeddings of the n entities.
	void backward(const float *d_output, const int32_t *entities, size_t n)
	{
		const size_t kk = static_cast<size_t>(k);
		if (length != 0.0f)
		{
			// y = length x / |x|: dx = (length / |x|) (dy - u (u . dy)), u = y / length.
			d_raw.resize(n * kk);
			scale_rows_backward(scaled.data(), d_output, norms.data(), n, k, length, d_raw.data(),
			                    threads);
			d_output = d_raw.data();
		}
		d_input.resize(n * static_cast<size_t>(input_dim()));
		tower.backward(d_output, d_input.data());
		scatter(entities, n);
	}

	// One Adam step of the tower and of the embedding rows touched since the last step.
	void step(const AdamStep &s)
	{
		tower.step(s);
		id_adam.step(s, id.data(), threads);
		if (has_features)
			feature_adam.step(s, feature.data(), threads);
	}

	// Writes the outputs of every entity to out (entities x k), kServingRows at a time.
	void serve(size_t entities, float *out, const CancelToken &cancel)
	{
		std::vector<int32_t> chunk;
		for (size_t first = 0; first < entities; first += kServingRows)
		{
			cancel.check();
			size_t n = std::min(kServingRows, entities - first);
			chunk.resize(n);
			std::iota(chunk.begin(), chunk.end(), static_cast<int32_t>(first));
			gather(chunk.data(), n);
			const float *o = forward(n, 0.0f, nullptr);
			std::copy(o, o + n * static_cast<size_t>(k), out + first * static_cast<size_t>(k));
		}
	}

	int k;
	int threads;
	float length; // 0: raw outputs; else outputs scaled to this length (cosine scores)
	bool has_features;
	Tower tower;
	RowAdam id_adam, feature_adam;
	AlignedFloats id;
	SparseRows rows;
	AlignedFloats feature;
	AlignedFloats input, d_input, scaled, d_raw;
	std::vector<float> norms;
};

class TwoTowerTrainer : public Trainer
{
  public:
	TwoTowerTrainer(const Interactions &data, const Hyperparameters &h, const FactorBuffers &b)
	    : Trainer(data, h, b), rng_((check_hybrid_features(data), h.seed ^ 0x7477u)),
	      users_(data.users(), data.user_features, &data.by_user, h,
	             h.loss == kSquaredLoss ? 0.0f : 1.0f / kTemperature, rng_),
	      items_(data.items(), data.item_features, &data.by_item, h,
	             h.loss == kSquaredLoss ? 0.0f : 1.0f, rng_),
	      negatives_(data)
	{
		const SparseRows &by_user = data.by_user;
		positives_.reserve(data.nnz());
		for (size_t u = 0; u < data.users(); u++)
			for (int64_t j = by_user.ptr[u]; j < by_user.ptr[u + 1]; j++)
				positives_.push_back({static_cast<int32_t>(u), static_cast<int32_t>(j)});
		if (positives_.empty() || negatives_.size() == 0)
			throw DataError("two_tower needs at least one interaction");
		ratings_ = h.loss == kSquaredLoss;
		mean_ = ratings_ ? data.mean_value : 0.0;
		// The expected count of item i among a softmax batch's candidates, as a logarithm.
		const double batch = static_cast<double>(h.batch_size);
		sampled_ = static_cast<size_t>(std::ceil(kSampledShare * batch));
		log_q_.resize(data.items());
		for (size_t i = 0; i < data.items(); i++)
		{
			double degree = static_cast<double>(data.by_item.ptr[i + 1] - data.by_item.ptr[i]);
			log_q_[i] = static_cast<float>(
			    std::log(batch * degree / static_cast<double>(positives_.size()) +
			             static_cast<double>(sampled_) / static_cast<double>(negatives_.size())));
		}
	}

	double global_mean() const override
	{
		return mean_;
	}

	const FeatureModel *feature_model() const override
	{
		if (!users_.has_features && !items_.has_features)
			return nullptr;
		features_.users.factors.assign(users_.feature.begin(), users_.feature.end());
		features_.items.factors.assign(items_.feature.begin(), items_.feature.end());
		return &features_;
	}

	void run_epoch(const CancelToken &cancel) override
	{
		FlushDenormals flush;
		WorkerPool pool(h_.threads); // for the epoch's thousands of parallel passes
		double loss = shuffled_batches(positives_, rng_, static_cast<size_t>(h_.batch_size), cancel,
		                               [&](size_t first, size_t n)
		                               { return run_batch(first, n, cancel); });
		double mean = loss / static_cast<double>(positives_.size());
		set_loss(ratings_ ? std::sqrt(mean) : mean, "two_tower loss");
		if (++epoch_ == h_.epochs)
		{
			users_.serve(data_.users(), b_.user_factors, cancel);
			items_.serve(data_.items(), b_.item_factors, cancel);
		}
	}

  private:
	struct Positive
	{
		int32_t user;
		int32_t at; // index of the item in by_user
	};

	// One optimiser step on positives [first, first + n); returns the batch's summed loss. The
	// token is checked between the passes (a cancel abandons the half-updated run).
	double run_batch(size_t first, size_t n, const CancelToken &cancel)
	{
		const int k = h_.factors;
		const float dropout = static_cast<float>(h_.dropout);
		batch_users_.resize(n);
		batch_items_.clear();
		targets_.resize(n);
		for (size_t b = 0; b < n; b++)
		{
			const Positive &p = positives_[first + b];
			batch_users_[b] = p.user;
			batch_items_.push_back(data_.by_user.index[static_cast<size_t>(p.at)]);
			targets_[b] =
			    data_.by_user.value[static_cast<size_t>(p.at)] - static_cast<float>(mean_);
		}
		const int loss = h_.loss;
		if (loss == kSoftmaxLoss)
			for (size_t s = 0; s < sampled_; s++)
				batch_items_.push_back(negatives_.any(rng_));
		else if (loss != kSquaredLoss)
			for (size_t b = 0; b < n; b++)
				batch_items_.push_back(negatives_.unseen(batch_users_[b], rng_));
		const size_t columns = batch_items_.size();

		users_.gather(batch_users_.data(), n);
		items_.gather(batch_items_.data(), columns);
		const float *u = users_.forward(n, dropout, &rng_);
		cancel.check();
		const float *v = items_.forward(columns, dropout, &rng_);
		cancel.check();
		d_users_.resize(n * static_cast<size_t>(k));
		d_items_.resize(columns * static_cast<size_t>(k));
		double total;
		if (loss == kSoftmaxLoss)
		{
			batch_log_q_.resize(columns);
			for (size_t c = 0; c < columns; c++)
				batch_log_q_[c] = log_q_[static_cast<size_t>(batch_items_[c])];
			scratch_.resize(n * columns);
			total = sampled_softmax(u, v, n, columns, k, batch_log_q_.data(), batch_items_.data(),
			                        scratch_.data(), d_users_.data(), d_items_.data(), h_.threads) *
			        static_cast<double>(n);
		}
		else if (loss == kSquaredLoss)
			total = squared_errors(u, v, targets_.data(), n, k, d_users_.data(), d_items_.data());
		else
			total = bpr_pairs(u, v, v + n * static_cast<size_t>(k), n, k, d_users_.data(),
			                  d_items_.data(), d_items_.data() + n * static_cast<size_t>(k)) *
			        static_cast<double>(n);
		cancel.check();
		users_.backward(d_users_.data(), batch_users_.data(), n);
		cancel.check();
		items_.backward(d_items_.data(), batch_items_.data(), columns);
		AdamStep s = AdamStep::at(static_cast<float>(h_.learning_rate),
		                          static_cast<float>(h_.regularization), ++steps_);
		users_.step(s);
		items_.step(s);
		return total;
	}

	Random rng_;
	Side users_, items_;
	std::vector<Positive> positives_;
	NegativeSampler negatives_;
	std::vector<float> log_q_;
	size_t sampled_ = 0;
	bool ratings_ = false;
	double mean_ = 0.0;
	int epoch_ = 0;
	int64_t steps_ = 0;
	std::vector<int32_t> batch_users_, batch_items_;
	std::vector<float> targets_;
	AlignedFloats batch_log_q_, scratch_, d_users_, d_items_;
	mutable FeatureModel features_;
};

} // namespace

std::unique_ptr<Trainer> make_two_tower_trainer(const Interactions &data, const Hyperparameters &h,
                                                const FactorBuffers &b)
{
	return std::make_unique<TwoTowerTrainer>(data, h, b);
}

size_t two_tower_scratch_bytes(const Hyperparameters &h, const Interactions &data)
{
	const size_t k = static_cast<size_t>(h.factors), batch = static_cast<size_t>(h.batch_size);
	const size_t columns = batch + static_cast<size_t>(std::ceil(kSampledShare * batch));
	const size_t rows = std::max(columns, kServingRows); // the most a tower pass takes
	const size_t entities = data.users() + data.items();
	const size_t features = data.user_features.features() + data.item_features.features();
	// Embeddings with their gradients and moments; touched flags and lists; the features'
	// weighted rows and the copy feature_model() hands out.
	const size_t embeddings = sizeof(float) * 4 * (entities + features) * k +
	                          (1 + sizeof(int32_t)) * (entities + features) +
	                          data.user_features.rows.bytes() + data.item_features.rows.bytes() +
	                          sizeof(float) * features * k;
	// Per side: the tower, and its inputs, their gradients, the scaled outputs and theirs.
	const size_t sides =
	    2 * (Tower::bytes(2 * h.factors, h.hidden_layers, h.factors, rows, h.threads) +
	         sizeof(float) * rows * 6 * k);
	// The logits, the outputs' gradients, the softmax's per-thread shares of them, log q.
	const size_t batch_buffers =
	    sizeof(float) * (batch * columns + (batch + columns) * k +
	                     static_cast<size_t>(h.threads) * columns * k + 2 * columns);
	// The positives, log q and the items with interactions.
	const size_t samples = data.nnz() * sizeof(int32_t) * 2 + data.items() * 8;
	return embeddings + sides + batch_buffers + samples;
}

namespace
{

// The weight of a folded-in user's item j: 1 for the ranking losses, its value less the global
// mean for the squared loss.
float fold_in_weight(const FoldInInput &in, size_t j)
{
	if (in.h.loss != kSquaredLoss)
		return 1.0f;
	return (in.values ? in.values[j] : 1.0f) - static_cast<float>(in.global_mean);
}

// The folded-in vector's direction d = sum_j w_j q_j / n (k floats to d) and its scale s, so the
// vector is s d. The ranking losses give it the length that keeps the trained scale: a user's
// output times an item's has length 1 / kTemperature, so s makes |s d| that over the mean
// length of the q_j (a visitor then has a trained user's length, an item refresh folds in from
// users a trained item's). The squared loss takes the s of the least squares of the values less
// the mean along d.
float fold_in_direction(const FoldInInput &in, const CancelToken &cancel, float *d)
{
	const int k = in.items.dim;
	std::fill(d, d + k, 0.0f);
	double length = 0.0;
	for (size_t j = 0; j < in.n; j++)
	{
		if ((j & 4095) == 0)
			cancel.check();
		const float *q = in.items.factors + static_cast<size_t>(in.item_indices[j]) * k;
		const float w = fold_in_weight(in, j) / static_cast<float>(in.n);
		double norm = 0.0;
		for (int c = 0; c < k; c++)
		{
			d[c] += w * q[c];
			norm += static_cast<double>(q[c]) * q[c];
		}
		length += std::sqrt(norm) / static_cast<double>(in.n);
	}
	if (in.h.loss != kSquaredLoss)
	{
		double norm = 0.0;
		for (int c = 0; c < k; c++)
			norm += static_cast<double>(d[c]) * d[c];
		norm = std::sqrt(norm);
		return norm > 0.0 && length > 0.0 ? static_cast<float>(1.0 / kTemperature / (norm * length))
		                                  : 0.0f;
	}
	double fit = 0.0, power = 0.0;
	for (size_t j = 0; j < in.n; j++)
	{
		const float *q = in.items.factors + static_cast<size_t>(in.item_indices[j]) * k;
		double along = 0.0;
		for (int c = 0; c < k; c++)
			along += static_cast<double>(d[c]) * q[c];
		fit += along * fold_in_weight(in, j);
		power += along * along;
	}
	return power > 0.0 ? static_cast<float>(fit / power) : 0.0f;
}

} // namespace

// A visitor (or, through refresh, a new item from its users) is s d (fold_in_direction): the
// towers cannot place it, as they need an id the model was trained with.
void fold_in_two_tower(const FoldInInput &in, const CancelToken &cancel, float *factors, float *)
{
	const float scale = fold_in_direction(in, cancel, factors);
	for (int c = 0; c < in.items.dim; c++)
		factors[c] *= scale;
}

// The share of item j in the folded-in score of target: s w_j q_j . q_target / n, exactly.
void explain_two_tower(const FoldInInput &in, int32_t target, const CancelToken &cancel,
                       float *contributions)
{
	const int k = in.items.dim;
	std::vector<float> d(static_cast<size_t>(k));
	const double scale = fold_in_direction(in, cancel, d.data());
	const float *t = in.items.factors + static_cast<size_t>(target) * k;
	for (size_t j = 0; j < in.n; j++)
	{
		if ((j & 4095) == 0)
			cancel.check();
		const float *q = in.items.factors + static_cast<size_t>(in.item_indices[j]) * k;
		double dot = 0.0;
		for (int c = 0; c < k; c++)
			dot += static_cast<double>(q[c]) * t[c];
		contributions[j] =
		    static_cast<float>(scale * fold_in_weight(in, j) * dot / static_cast<double>(in.n));
	}
}

} // namespace pgrec
