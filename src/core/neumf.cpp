// NeuMF (He et al. 2017, as the NCF reference code trains it): GMF and MLP branches with
// embeddings of their own, fused by a last linear layer (neumf.h), trained with binary
// cross-entropy on each positive and `negatives` items drawn uniformly among those the user has
// not seen, afresh each epoch. Adam on mini-batches of batch_size positives (with their
// negatives); the embeddings take lazy Adam steps. One thread is deterministic for a seed; more
// split each batch's rows between threads. Served by neumf_scores over the stored network; a
// visitor (or, through refresh, a new item) is fitted against the fixed network.
#include "neumf.h"

#include "core_errors.h"
#include "flush_denormals.h"
#include "negative_sampling.h"
#include "parallel.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

// Pairs a serving pass scores at once.
constexpr size_t kScoreRows = 1024;

// The fit of a folded-in row: Adam steps, their step size and the L2 penalty that keeps a row
// with few items near the origin.
constexpr int kFoldInSteps = 100;
// The most of a visitor's items it is fitted to (the rest are left out, evenly spaced), and the
// negatives drawn for each: the fit's buffers stay small whatever the history.
constexpr size_t kFoldInItems = 2048;
constexpr size_t kFoldInNegatives = 4;
constexpr float kFoldInRate = 0.02f;
constexpr float kFoldInDecay = 0.01f;

int checked_half(int factors)
{
	if (factors < 2 || factors % 2 != 0)
		throw InvalidArgument("neumf needs an even number of factors: half for the GMF "
		                      "embeddings, half for the MLP ones");
	return factors / 2;
}

} // namespace

NeuMFNetwork::NeuMFNetwork(int factors, const LayerSizes &hidden, Random &rng)
    : half_(checked_half(factors)), tower_(factors, hidden, 1, rng)
{
	h_.resize(static_cast<size_t>(half_));
	init_normal(h_.data(), h_.size(), std::sqrt(1.0 / half_), rng);
	h_gradient_.assign(h_.size(), 0.0f);
	h_m_.assign(h_.size(), 0.0f);
	h_v_.assign(h_.size(), 0.0f);
}

NeuMFNetwork::NeuMFNetwork(const Network &stored, int factors)
    : half_(checked_half(factors)), tower_(stored.layers, stored.count - 1)
{
	const NetworkLayer &gmf = stored.layers[stored.count - 1];
	h_.assign(gmf.weights, gmf.weights + half_);
	h_gradient_.assign(h_.size(), 0.0f);
	h_m_.assign(h_.size(), 0.0f);
	h_v_.assign(h_.size(), 0.0f);
}

const float *NeuMFNetwork::forward(const float *const *users, const float *const *items, size_t n,
                                   float dropout, Random *rng, int threads)
{
	const size_t half = static_cast<size_t>(half_), width = 2 * half;
	users_ = users;
	items_ = items;
	n_ = n;
	input_.resize(n * width);
	gmf_.resize(n * half);
	scores_.resize(n);
	for (size_t r = 0; r < n; r++)
	{
		std::copy(users[r] + half, users[r] + width, input_.data() + r * width);
		std::copy(items[r] + half, items[r] + width, input_.data() + r * width + half);
		for (size_t c = 0; c < half; c++)
			gmf_[r * half + c] = users[r][c] * items[r][c];
	}
	const float *t = tower_.forward(input_.data(), n, dropout, rng, threads);
	for (size_t r = 0; r < n; r++)
	{
		float s = t[r];
		for (size_t c = 0; c < half; c++)
			s += h_[c] * gmf_[r * half + c];
		scores_[r] = s;
	}
	return scores_.data();
}

void NeuMFNetwork::backward(const float *d_scores, float *d_users, float *d_items)
{
	const size_t half = static_cast<size_t>(half_), width = 2 * half;
	d_input_.resize(n_ * width);
	tower_.backward(d_scores, d_input_.data());
	for (size_t r = 0; r < n_; r++)
	{
		const float d = d_scores[r];
		const float *in = d_input_.data() + r * width;
		for (size_t c = 0; c < half; c++)
			h_gradient_[c] += d * gmf_[r * half + c];
		if (d_users)
			for (size_t c = 0; c < half; c++)
			{
				d_users[r * width + c] = d * h_[c] * items_[r][c];
				d_users[r * width + half + c] = in[c];
			}
		if (d_items)
			for (size_t c = 0; c < half; c++)
			{
				d_items[r * width + c] = d * h_[c] * users_[r][c];
				d_items[r * width + half + c] = in[half + c];
			}
	}
}

void NeuMFNetwork::step(const AdamStep &s)
{
	tower_.step(s);
	adam_update(s, h_.data(), h_gradient_.data(), h_m_.data(), h_v_.data(), h_.size(), true);
}

Network NeuMFNetwork::layers()
{
	static const float kZero = 0.0f;
	stored_.clear();
	for (size_t l = 0; l < tower_.layer_count(); l++)
		stored_.push_back(tower_.layer(l));
	stored_.push_back({half_, 1, h_.data(), &kZero});
	return {stored_.data(), stored_.size()};
}

size_t NeuMFNetwork::bytes(int factors, const LayerSizes &hidden, size_t rows, int threads)
{
	const size_t half = static_cast<size_t>(factors / 2);
	return Tower::bytes(factors, hidden, 1, rows, threads) +
	       sizeof(float) * (4 * half + rows * (2 * static_cast<size_t>(factors) + half + 1));
}

bool fits_neumf(const Network &stored, int factors)
{
	if (factors < 2 || factors % 2 != 0 || stored.count < 2 ||
	    stored.count > static_cast<size_t>(kMaxHiddenLayers) + 2)
		return false;
	int in = factors;
	for (size_t l = 0; l < stored.count; l++)
	{
		const NetworkLayer &layer = stored.layers[l];
		const bool gmf = l + 1 == stored.count;
		if (!layer.weights || !layer.bias || layer.inputs != (gmf ? factors / 2 : in) ||
		    layer.outputs < 1 || (l + 2 >= stored.count && layer.outputs != 1) ||
		    (gmf && layer.bias[0] != 0.0f))
			return false;
		in = layer.outputs;
	}
	return true;
}

void neumf_scores(const Network &stored, const float *user, const ItemMatrix &items,
                  const int32_t *candidates, size_t n, float *scores, const CancelToken &cancel)
{
	NeuMFNetwork network(stored, items.dim);
	std::vector<const float *> users(std::min(n, kScoreRows), user), rows(users.size());
	for (size_t first = 0; first < n; first += kScoreRows)
	{
		cancel.check();
		const size_t count = std::min(kScoreRows, n - first);
		for (size_t r = 0; r < count; r++)
		{
			size_t item = candidates ? static_cast<size_t>(candidates[first + r]) : first + r;
			rows[r] = items.factors + item * static_cast<size_t>(items.dim);
		}
		const float *s = network.forward(users.data(), rows.data(), count, 0.0f, nullptr, 1);
		std::copy(s, s + count, scores + first);
	}
}

double binary_cross_entropy(const float *scores, const float *labels, size_t n, float *d_scores)
{
	double total = 0.0;
	const float scale = 1.0f / static_cast<float>(std::max<size_t>(n, 1));
	for (size_t r = 0; r < n; r++)
	{
		const double s = scores[r];
		total += std::max(s, 0.0) - labels[r] * s + std::log1p(std::exp(-std::fabs(s)));
		d_scores[r] = (1.0f / (1.0f + std::exp(-scores[r])) - labels[r]) * scale;
	}
	return total;
}

namespace
{

class NeuMFTrainer : public Trainer
{
  public:
	NeuMFTrainer(const Interactions &data, const Hyperparameters &h, const FactorBuffers &b)
	    : Trainer(data, h, b), rng_(h.seed ^ 0x6e6d66u), network_(h.factors, h.hidden_layers, rng_),
	      users_(data.users(), h.factors), items_(data.items(), h.factors), negatives_(data),
	      user_rows_table_(b.user_factors, b.user_factors + data.users() * h.factors),
	      item_rows_table_(b.item_factors, b.item_factors + data.items() * h.factors)
	{
		for (size_t u = 0; u < data.users(); u++)
			for (int64_t j = data.by_user.ptr[u]; j < data.by_user.ptr[u + 1]; j++)
				positives_.push_back(
				    {static_cast<int32_t>(u), data.by_user.index[static_cast<size_t>(j)]});
		if (positives_.empty())
			throw DataError("neumf needs at least one interaction");
	}

	Network network() const override
	{
		return network_.layers();
	}

	void run_epoch(const CancelToken &cancel) override
	{
		FlushDenormals flush;
		WorkerPool pool(h_.threads); // for the epoch's thousands of parallel passes
		double loss = shuffled_batches(positives_, rng_, static_cast<size_t>(h_.batch_size), cancel,
		                               [&](size_t first, size_t n)
		                               { return run_batch(first, n, cancel); });
		const double samples =
		    static_cast<double>(positives_.size()) * (1.0 + static_cast<double>(h_.negatives));
		set_loss(loss / samples, "neumf loss");
		std::copy(user_rows_table_.begin(), user_rows_table_.end(), b_.user_factors);
		std::copy(item_rows_table_.begin(), item_rows_table_.end(), b_.item_factors);
	}

  private:
	struct Pair
	{
		int32_t user, item;
	};

	// One optimiser step on positives [first, first + n) and their negatives; returns the summed
	// loss. The token is checked between the passes (a cancel abandons the half-updated run).
	double run_batch(size_t first, size_t n, const CancelToken &cancel)
	{
		const size_t k = static_cast<size_t>(h_.factors),
		             per = 1 + static_cast<size_t>(h_.negatives);
		const size_t rows = n * per;
		pairs_.resize(rows);
		labels_.resize(rows);
		for (size_t b = 0; b < n; b++)
		{
			const Pair &p = positives_[first + b];
			for (size_t j = 0; j < per; j++)
			{
				pairs_[b * per + j] = {p.user, j == 0 ? p.item : negatives_.unseen(p.user, rng_)};
				labels_[b * per + j] = j == 0 ? 1.0f : 0.0f;
			}
		}
		user_rows_.resize(rows);
		item_rows_.resize(rows);
		for (size_t r = 0; r < rows; r++)
		{
			user_rows_[r] = user_rows_table_.data() + static_cast<size_t>(pairs_[r].user) * k;
			item_rows_[r] = item_rows_table_.data() + static_cast<size_t>(pairs_[r].item) * k;
		}
		const float *s = network_.forward(user_rows_.data(), item_rows_.data(), rows,
		                                  static_cast<float>(h_.dropout), &rng_, h_.threads);
		cancel.check();
		d_scores_.resize(rows);
		const double loss = binary_cross_entropy(s, labels_.data(), rows, d_scores_.data());
		d_users_.resize(rows * k);
		d_items_.resize(rows * k);
		network_.backward(d_scores_.data(), d_users_.data(), d_items_.data());
		cancel.check();
		for (size_t r = 0; r < rows; r++)
		{
			float *gu = users_.gradient(static_cast<size_t>(pairs_[r].user));
			float *gi = items_.gradient(static_cast<size_t>(pairs_[r].item));
			for (size_t c = 0; c < k; c++)
			{
				gu[c] += d_users_[r * k + c];
				gi[c] += d_items_[r * k + c];
			}
		}
		AdamStep step = AdamStep::at(static_cast<float>(h_.learning_rate),
		                             static_cast<float>(h_.regularization), ++steps_);
		network_.step(step);
		users_.step(step, user_rows_table_.data(), h_.threads);
		items_.step(step, item_rows_table_.data(), h_.threads);
		return loss;
	}

	Random rng_;
	mutable NeuMFNetwork network_;
	RowAdam users_, items_;
	NegativeSampler negatives_;
	// The embeddings trained, 64-byte aligned (Eigen's rounding depends on the alignment), copied
	// to the factor buffers after each epoch.
	AlignedFloats user_rows_table_, item_rows_table_;
	std::vector<Pair> positives_, pairs_;
	std::vector<float> labels_;
	std::vector<const float *> user_rows_, item_rows_;
	AlignedFloats d_scores_, d_users_, d_items_;
	int64_t steps_ = 0;
};

} // namespace

std::unique_ptr<Trainer> make_neumf_trainer(const Interactions &data, const Hyperparameters &h,
                                            const FactorBuffers &b)
{
	return std::make_unique<NeuMFTrainer>(data, h, b);
}

size_t neumf_scratch_bytes(const Hyperparameters &h, const Interactions &data)
{
	const size_t k = static_cast<size_t>(h.factors);
	const size_t rows = static_cast<size_t>(h.batch_size) * (1 + static_cast<size_t>(h.negatives));
	// The network and its batch; the embeddings' Adam state and aligned copy; the positives and a
	// batch's pairs, labels, row pointers and gradients; the items with interactions.
	return NeuMFNetwork::bytes(h.factors, h.hidden_layers, rows, h.threads) +
	       RowAdam::bytes(data.users() + data.items(), h.factors) +
	       sizeof(float) * (data.users() + data.items()) * k + data.nnz() * 2 * sizeof(int32_t) +
	       rows * (2 * sizeof(int32_t) + 2 * sizeof(float) + 2 * sizeof(float *) +
	               2 * k * sizeof(float)) +
	       data.items() * sizeof(int32_t);
}

// The row that fits the input's items (label 1, at most kFoldInItems of them, evenly spaced)
// and kFoldInNegatives others for each (label 0, drawn uniformly among the other side's rows, the
// last of a few tries) by Adam against the fixed network, from zero. in.items is the other side:
// the items for a visitor, the users for a new item (in.folds_item).
void fold_in_neumf(const FoldInInput &in, const CancelToken &cancel, float *factors, float *)
{
	const int k = in.items.dim;
	if (in.network == nullptr)
		throw InvalidArgument("neumf folds in against its stored network, and none was given");
	NeuMFNetwork network(*in.network, k);
	Random rng(in.h.seed ^ static_cast<uint64_t>(in.n));
	const size_t positives = std::min(in.n, kFoldInItems), per = 1 + kFoldInNegatives;
	const size_t rows = positives * per;
	AlignedFloats row(static_cast<size_t>(k), 0.0f), gradient(row.size(), 0.0f),
	    m(row.size(), 0.0f), v(row.size(), 0.0f);
	std::vector<const float *> own(rows, row.data()), other(rows);
	std::vector<float> labels(rows), d_scores(rows), d_rows(rows * static_cast<size_t>(k));
	for (size_t p = 0; p < positives; p++)
	{
		cancel.check();
		const int32_t *seen = in.item_indices, *seen_end = in.item_indices + in.n;
		for (size_t c = 0; c < per; c++)
		{
			int32_t index = in.item_indices[p * in.n / positives];
			if (c > 0)
			{
				index = static_cast<int32_t>(rng.below(in.items.count));
				for (int tries = 0; tries < 10 && std::binary_search(seen, seen_end, index);
				     tries++)
					index = static_cast<int32_t>(rng.below(in.items.count));
			}
			other[p * per + c] = in.items.factors + static_cast<size_t>(index) * k;
			labels[p * per + c] = c == 0 ? 1.0f : 0.0f;
		}
	}
	const float *const *users = in.folds_item ? other.data() : own.data();
	const float *const *items = in.folds_item ? own.data() : other.data();
	for (int t = 1; t <= kFoldInSteps; t++)
	{
		cancel.check();
		const float *s = network.forward(users, items, rows, 0.0f, nullptr, 1);
		binary_cross_entropy(s, labels.data(), rows, d_scores.data());
		network.backward(d_scores.data(), in.folds_item ? nullptr : d_rows.data(),
		                 in.folds_item ? d_rows.data() : nullptr);
		for (size_t r = 0; r < rows; r++)
			for (int c = 0; c < k; c++)
				gradient[static_cast<size_t>(c)] += d_rows[r * static_cast<size_t>(k) + c];
		adam_update(AdamStep::at(kFoldInRate, kFoldInDecay, t), row.data(), gradient.data(),
		            m.data(), v.data(), row.size(), true);
	}
	std::copy(row.begin(), row.end(), factors);
}

} // namespace pgrec
