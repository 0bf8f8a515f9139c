// Hybrid factorisation with metadata (Kula 2015, LightFM): item i's vector is
// q_i = e_i + sum_f w_if E_f and its bias b_i = c_i + sum_f w_if c_f, user u's p_u = d_u + sum_g
// w_ug D_g (no user bias: it does not change a ranking; a user_bias buffer stays 0), where e_i,
// c_i, d_u are id embeddings and biases (only for users and items with interactions: one known by
// its features alone has e_i = 0, c_i = 0), E_f, c_f, D_g those of the features and w_i. a feature
// row weighted and normalised with RowNorm::Sum. Without a side's features its vectors are the id
// embeddings alone (plain matrix factorisation). Score p_u . q_i + b_i.
//
// Trained on implicit feedback (interaction values ignored: each distinct (u, i) is one
// positive, taken once an epoch in an order shuffled afresh each epoch, as LightFM does; the
// rows of the sample kPrefetchAhead positions on are prefetched) with a ranking loss
// (Hyperparameters::loss): WARP (Weston et al. 2011, as LightFM has it: draw negatives among the
// items with interactions until one scores above s_ui - 1, at most kWarpMaxSampled, and scale
// the hinge 1 - x by log(max(1, floor((n - 1) / draws)))) or BPR (-log sigmoid(x)), x = s_ui -
// s_uj. Negatives are drawn among the n items with interactions only, so that an item known by
// its features alone gets exactly the vector project_features gives a new item. The reported
// loss is the mean of the samples' losses (0 for a WARP sample without a violating negative).
// Optimiser: SGD with per-parameter Adagrad (accumulators start at 1, the step is
// learning_rate / sqrt(accumulator including this gradient)) on each sample's loss plus
// regularization/2 |theta|^2 over the parameters the sample touches. One thread is
// deterministic for a seed (bpr's seeding: one stream per slice); more update lock-free.
//
// WARP screens each draw by the item's cached composed vector (warp_negative): the output
// buffers, exact at the start of an epoch, recomposed for the two items of each update and
// wholly every max(kCacheRefreshEvery, n) samples of a slice. A draw is thus rejected on a score
// that may miss the updates its features got from other samples since; the draws that pass are
// composed afresh and decide. Without item features (and with one thread) the cache is exact and
// the draws' decisions are those of composing every draw.
#include "hybrid.h"

#include "algorithm_registry.h"
#include "core_errors.h"
#include "normal_equations.h"
#include "factor_init.h"
#include "parallel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

// Rows between two cancel checks when composing the vectors of every user and item.
constexpr size_t kComposeCheckEvery = 4096;

// Samples of a slice between two refreshes of WARP's whole item vector cache, at least.
constexpr size_t kCacheRefreshEvery = 4096;

// How many samples ahead the user's and the positive's rows are prefetched.
constexpr size_t kPrefetchAhead = 4;

// One positive: a user and an item it interacted with.
struct Positive
{
	int32_t user, item;
};

// Throws DataError unless m has no rows or one per entity, with features in range.
void check_side_features(const FeatureMatrix &m, size_t entities, const char *side)
{
	if (m.rows.rows() == 0)
		return;
	if (m.rows.rows() != entities)
		throw DataError(std::string("the ") + side + " features have " +
		                std::to_string(m.rows.rows()) + " rows for " + std::to_string(entities) +
		                " " + side + "s");
	for (int32_t f : m.rows.index)
		if (f < 0 || static_cast<size_t>(f) >= m.features())
			throw DataError(std::string("a ") + side + " feature index is out of range");
}

// One side's parameters that the trainer owns besides the feature embeddings (which live in its
// FeatureModel), and the view for_each_gradient takes.
struct SideStore
{
	std::vector<float> id_factors, id_factors_sq, id_bias, id_bias_sq;
	std::vector<float> feature_factors_sq, feature_bias_sq;
	SparseRows rows;

	HybridSide view(FeatureEmbeddings &features)
	{
		auto data = [](std::vector<float> &v) { return v.empty() ? nullptr : v.data(); };
		return {data(id_factors),    data(id_factors_sq),    data(id_bias),
		        data(id_bias_sq),    data(features.factors), data(feature_factors_sq),
		        data(features.bias), data(feature_bias_sq),  &rows};
	}
};

class HybridTrainer : public Trainer
{
  public:
	// Checks the features, seeds the parameters and writes the initial vectors to the buffers.
	HybridTrainer(const Interactions &data, const Hyperparameters &h, const FactorBuffers &b)
	    : Trainer(data, h, b)
	{
		check_hybrid_features(data);
		if (b.item_bias == nullptr)
			throw InvalidArgument("hybrid trains item biases: the item bias buffer is missing");
		// The positives, in CSR order until the first epoch shuffles them.
		positives_.reserve(data.nnz());
		for (size_t u = 0; u < data.users(); u++)
			for (int64_t e = data.by_user.ptr[u]; e < data.by_user.ptr[u + 1]; e++)
				positives_.push_back({static_cast<int32_t>(u), data.by_user.index[e]});
		for (size_t i = 0; i < data.items(); i++)
			if (data.by_item.ptr[i + 1] > data.by_item.ptr[i])
				warm_items_.push_back(static_cast<int32_t>(i));

		// Seeded: the id embeddings of the users and items with interactions, then the item and
		// the user features' embeddings; every bias starts at 0, every accumulator at 1.
		Random rng(h.seed ^ 0x6a09e667f3bcc908ULL);
		init_side(&users_, data.by_user, data.user_features, false, &model_.users, rng);
		init_side(&items_, data.by_item, data.item_features, true, &model_.items, rng);
	}

	// nnz SGD steps, then every user's and item's vector written to the buffers.
	void run_epoch(const CancelToken &cancel) override
	{
		const int k = h_.factors;
		const HybridLoss kind = static_cast<HybridLoss>(h_.loss);
		const float lr = static_cast<float>(h_.learning_rate);
		const float reg = static_cast<float>(h_.regularization);
		const size_t samples = data_.nnz(), n_warm = warm_items_.size();
		const HybridSide users = users_.view(model_.users), items = items_.view(model_.items);
		// WARP's cache of the composed item vectors: the output buffers, exact at the start of
		// the epoch (compose_all), refreshed for the items each update touches and wholly every
		// refresh_every samples of a slice (at most one composition per sample).
		float *cached = b_.item_factors, *cached_bias = b_.item_bias;
		const size_t k_size = static_cast<size_t>(k);
		const size_t refresh_every = std::max(kCacheRefreshEvery, n_warm);
		if (epoch_ == 0)
			compose_all(cancel); // the initial vectors, which the cache starts from
		epoch_++;
		// Fisher-Yates with the epoch's stream: the same order for a seed and epoch.
		Random order(h_.seed * 0xbf58476d1ce4e5b9ULL + epoch_);
		for (size_t e = samples; e > 1; e--)
			std::swap(positives_[e - 1], positives_[order.below(e)]);

		double total = parallel_sum(
		    samples, h_.threads,
		    [&](size_t begin, size_t end)
		    {
			    // One stream per slice: the same for a seed, epoch and thread count.
			    Random rng(h_.seed * 0x9e3779b97f4a7c15ULL + epoch_ * 1000003ULL + begin);
			    std::vector<float> p(k), qi(k), qj(k), diff(k);
			    const KernelTable &kernel = kernels();
			    // Item c's composed vector and bias, written to the cache.
			    auto refresh = [&](int32_t c)
			    { cached_bias[c] = compose(items, k, c, cached + c * k_size); };
			    // Adagrad on the loss's gradient plus reg times the parameter.
			    auto vector_step = [&](float *param, float *sq, const float *direction, float scale)
			    {
				    kernel.adagrad_step(param, sq, direction, scale, reg, lr,
				                        static_cast<size_t>(k));
			    };
			    auto scalar_step = [&](float *param, float *sq, float gradient)
			    {
				    float g = gradient + reg * *param;
				    *sq += g * g;
				    *param -= lr * g / std::sqrt(*sq);
			    };
			    double loss = 0.0;
			    for (size_t s = begin; s < end; s++)
			    {
				    if ((s - begin) % 4096 == 0)
					    cancel.check();
				    if (s + kPrefetchAhead < end)
				    {
					    const Positive next = positives_[s + kPrefetchAhead];
					    __builtin_prefetch(data_.by_user.index.data() +
					                       data_.by_user.ptr[next.user]);
					    prefetch(users.id_factors + next.user * k_size, k_size);
					    prefetch(items.id_factors + next.item * k_size, k_size);
				    }
				    int32_t u = positives_[s].user, i = positives_[s].item;
				    const int32_t *seen = data_.by_user.index.data() + data_.by_user.ptr[u];
				    const int32_t *seen_end = data_.by_user.index.data() + data_.by_user.ptr[u + 1];
				    compose(users, k, u, p.data());
				    float score_i = dot(p, qi, compose(items, k, i, qi.data()));
				    if (!std::isfinite(score_i))
					    return std::numeric_limits<double>::quiet_NaN();
				    int32_t j = -1;
				    float score_j = 0.0f;
				    double weight = 1.0;
				    if (kind == HybridLoss::Warp)
				    {
					    if (s > begin && (s - begin) % refresh_every == 0)
						    for (int32_t c : warm_items_)
							    refresh(c);
					    // Screened by the cached vectors, decided on the composed one.
					    int draws;
					    j = warp_negative(
					        rng, warm_items_.data(), n_warm, seen, seen_end, score_i,
					        [&](int32_t c) {
						        return cached_bias[c] +
						               kernel.dot_product(p.data(), cached + c * k_size, k_size);
					        },
					        [&](int32_t c)
					        {
						        float bias = compose(items, k, c, qj.data());
						        std::copy(qj.begin(), qj.end(), cached + c * k_size);
						        cached_bias[c] = bias;
						        return dot(p, qj, bias);
					        },
					        &score_j, &draws);
					    if (j < 0)
						    continue; // no violating negative: a zero loss
					    weight = std::log(
					        std::max(1.0, std::floor(static_cast<double>(n_warm - 1) / draws)));
				    }
				    else
				    {
					    if (static_cast<size_t>(seen_end - seen) >= n_warm)
						    continue; // the user has seen every item: no negative exists
					    do
						    j = warm_items_[rng.below(n_warm)];
					    while (std::binary_search(seen, seen_end, j));
					    score_j = dot(p, qj, compose(items, k, j, qj.data()));
				    }
				    double slope;
				    loss += pair_loss(kind, static_cast<double>(score_i) - score_j, weight, &slope);
				    if (slope == 0.0)
					    continue;
				    for (int c = 0; c < k; c++)
					    diff[c] = qi[c] - qj[c];
				    for_each_gradient(users, items, k, u, i, j, static_cast<float>(slope), p.data(),
				                      diff.data(), vector_step, scalar_step);
				    if (kind == HybridLoss::Warp)
				    {
					    refresh(i);
					    refresh(j);
				    }
			    }
			    return loss;
		    });
		set_loss(total / static_cast<double>(std::max<size_t>(samples, 1)),
		         kind == HybridLoss::Warp ? "WARP" : "BPR");
		compose_all(cancel);
	}

	// The feature embeddings and the item features' biases.
	const FeatureModel *feature_model() const override
	{
		return &model_;
	}

  private:
	// Prefetches the cache lines of n floats at p.
	static void prefetch(const float *p, size_t n)
	{
		for (size_t c = 0; c < n; c += 64 / sizeof(float))
			__builtin_prefetch(p + c);
	}

	// p . q + bias.
	static float dot(const std::vector<float> &p, const std::vector<float> &q, float bias)
	{
		return bias + dot_product(p.data(), q.data(), p.size());
	}

	// Allocates and seeds one side: id embeddings for the entities with interactions (rows of
	// by_entity not empty), its features' embeddings, and biases if the side has them.
	void init_side(SideStore *s, const SparseRows &by_entity, const FeatureMatrix &features,
	               bool biases, FeatureEmbeddings *embeddings, Random &rng)
	{
		const size_t k = static_cast<size_t>(h_.factors), n = by_entity.rows();
		s->id_factors.assign(n * k, 0.0f);
		s->id_factors_sq.assign(n * k, 1.0f);
		for (size_t r = 0; r < n; r++)
			if (by_entity.ptr[r + 1] > by_entity.ptr[r])
				init_normal(s->id_factors.data() + r * k, k, h_.init_scale, rng);
		if (biases)
		{
			s->id_bias.assign(n, 0.0f);
			s->id_bias_sq.assign(n, 1.0f);
		}
		if (features.rows.rows() == 0)
			return;
		const size_t f = features.features();
		embeddings->factors.resize(f * k);
		init_normal(embeddings->factors.data(), f * k, h_.init_scale, rng);
		s->feature_factors_sq.assign(f * k, 1.0f);
		if (biases)
		{
			embeddings->bias.assign(f, 0.0f);
			s->feature_bias_sq.assign(f, 1.0f);
		}
		s->rows = weighted_rows(features, hybrid_row_norm(h_));
	}

	// Writes the composed vector of every user and item (and the items' biases) to the buffers.
	void compose_all(const CancelToken &cancel)
	{
		const int k = h_.factors;
		const HybridSide users = users_.view(model_.users), items = items_.view(model_.items);
		auto side = [&](const HybridSide &s, size_t n, float *factors, float *bias)
		{
			parallel_for(n, h_.threads,
			             [&](size_t begin, size_t end, int)
			             {
				             for (size_t r = begin; r < end; r++)
				             {
					             if ((r - begin) % kComposeCheckEvery == 0)
						             cancel.check();
					             float b = compose(s, k, static_cast<int32_t>(r),
					                               factors + r * static_cast<size_t>(k));
					             if (bias)
						             bias[r] = b;
				             }
			             });
		};
		side(users, data_.users(), b_.user_factors, nullptr);
		side(items, data_.items(), b_.item_factors, b_.item_bias);
	}

	uint64_t epoch_ = 0;
	std::vector<Positive> positives_;
	std::vector<int32_t> warm_items_;
	SideStore users_, items_;
	FeatureModel model_;
};

} // namespace

void check_hybrid_features(const Interactions &data)
{
	check_side_features(data.user_features, data.users(), "user");
	check_side_features(data.item_features, data.items(), "item");
}

// The registry's factory of hybrid trainers: SGD for the ranking losses, alternating least
// squares for the squared ones.
std::unique_ptr<Trainer> make_hybrid_trainer(const Interactions &data, const Hyperparameters &h,
                                             const FactorBuffers &b)
{
	if (squared_loss(h.loss))
		return make_hybrid_als_trainer(data, h, b);
	return std::unique_ptr<Trainer>(new HybridTrainer(data, h, b));
}

// SGD: parameters and accumulators of both sides, the weighted feature rows, the sampling tables
// and each thread's vectors. ALS: the priors and weights of both sides, the weighted feature
// rows, the regression's four features x k matrices and one row per entity, and each thread's
// row scratch.
size_t hybrid_scratch_bytes(const Hyperparameters &h, const Interactions &data)
{
	const size_t k = static_cast<size_t>(h.factors);
	const size_t item_features = data.item_features.rows.rows() ? data.item_features.features() : 0;
	const size_t user_features = data.user_features.rows.rows() ? data.user_features.features() : 0;
	const size_t rows = data.user_features.rows.bytes() + data.item_features.rows.bytes();
	const size_t entities = data.users() + data.items();
	if (squared_loss(h.loss))
	{
		// Priors and weights, the feature embeddings, the regression's matrices and rows, the
		// weighted Gramian's temporary.
		size_t floats = entities * (k + 4) + (item_features + user_features) * (k + 1) +
		                4 * std::max(item_features, user_features) * (k + 1) +
		                std::max(data.users(), data.items()) * k +
		                std::min(kGramianBlock, std::max(data.users(), data.items())) * k;
		size_t per_thread = row_solver_thread_bytes(h.factors);
		return floats * sizeof(float) + rows + per_thread * static_cast<size_t>(h.threads);
	}
	// Parameters and their accumulators: id and feature embeddings, item and item feature biases.
	size_t floats =
	    2 * ((entities + item_features + user_features) * k + data.items() + item_features);
	size_t per_thread = 4 * k * sizeof(float);
	return floats * sizeof(float) + rows + (2 * data.nnz() + data.items()) * sizeof(int32_t) +
	       per_thread * static_cast<size_t>(h.threads);
}

// A new entity's factors and bias: its weighted row (hybrid_row_norm) times its features'
// embeddings, as compose() gives an entity without interactions.
void project_hybrid(const Hyperparameters &h, const FeatureMatrix &m,
                    const FeatureEmbeddings &embeddings, const int32_t *features, const float *raw,
                    size_t n, int dim, float *factors, float *bias)
{
	if (embeddings.factors.size() != m.features() * static_cast<size_t>(dim))
		throw DataError("the feature embeddings do not match the features");
	for (size_t j = 0; j < n; j++)
		if (features[j] < 0 || static_cast<size_t>(features[j]) >= m.features())
			throw DataError("a feature index is out of range");
	std::vector<float> weights(n);
	weighted_row(m, features, raw, n, hybrid_row_norm(h), weights.data());
	std::fill(factors, factors + dim, 0.0f);
	*bias = add_feature_embeddings(embeddings.factors.data(),
	                               embeddings.bias.empty() ? nullptr : embeddings.bias.data(), dim,
	                               features, weights.data(), n, factors);
}

} // namespace pgrec
