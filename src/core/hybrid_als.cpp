// The squared losses of hybrid, solved by alternating least squares: loss 'ials', the implicit
// ALS objective (Hu et al. 2008: every pair of a user and an item with interactions, observed
// ones with confidence 1 + alpha v), and loss 'squared', explicit ratings r ~ mu + b_u + b_i +
// p_u.q_i on the observed pairs. The model is hybrid.cpp's, q_i = e_i + X_i E and the same for
// users (and for the biases with 'squared'), except that the feature rows X_i are weighted with
// RowNorm::L2 (hybrid_row_norm). Each epoch alternates, users then items:
//   - each entity with interactions is an ALS row solve regularised towards its prior X_i E
//     instead of 0 (lambda_i |q_i - X_i E|^2 = lambda_i |e_i|^2, lambda_i = lambda
//     n_i^exponent: solve_implicit_side, solve_explicit_row);
//   - E is the ridge regression of those entities' vectors on their feature rows, every entity
//     weighing the same, sum_i |q_i - X_i E|^2 + kFeatureRidge |E|^2, by conjugate gradient
//     warm-started at the previous E (kEmbeddingCgSteps steps, each column its own steps).
// Weighing each entity by its lambda_i instead, which would make the two steps the block
// coordinate descent of one objective, fits E to the popular items: cold items then look
// popular and crowd the warm ones out (NDCG@20 0.214 against 0.254, bench/README.md).
// Users and items without interactions are left out of the loss, as hybrid's samplers leave
// them out of the negatives: their vectors are their priors X_i E exactly, which is what
// project_hybrid gives a new one. Deterministic for any thread count.
#include "hybrid.h"

#include "algorithm_registry.h"
#include "normal_equations.h"
#include "parallel.h"

#include <algorithm>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

// Conjugate-gradient steps per epoch of the feature embeddings' regression (2 and 30 gave the
// same quality on ML-1M as 8).
constexpr int kEmbeddingCgSteps = 8;

// Rows between two cancel checks in the row solves and the regression's products.
constexpr size_t kCheckEvery = 256;

using ColumnMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Minimises sum_r w_r |t_r - X_r Z|^2 + kFeatureRidge |Z|^2 over Z (features x m, row-major, warm
// start) by kEmbeddingCgSteps steps of conjugate gradient per column, X the rows of x, t_r the
// m floats at targets + r * stride; rows with w_r = 0 are left out.
void fit_embeddings(const SparseRows &x, Eigen::Index features, const std::vector<float> &w,
                    const float *targets, size_t stride, Eigen::Index m, float *z_out,
                    const CancelToken &cancel)
{
	const float lambda = kFeatureRidge;
	const size_t rows = x.rows();
	Eigen::Map<ColumnMatrix> z(z_out, features, m);
	ColumnMatrix xz(static_cast<Eigen::Index>(rows), m);
	// out = X^T W (X v) + lambda v (v: features x m); with t: X^T W t.
	auto apply = [&](const ColumnMatrix &v, const float *t, ColumnMatrix &out)
	{
		if (t)
			out.setZero();
		else
			out = lambda * v;
		for (size_t r = 0; r < rows; r++)
		{
			if (r % (kCheckEvery * 16) == 0)
				cancel.check();
			if (w[r] == 0.0f)
				continue;
			auto row = xz.row(static_cast<Eigen::Index>(r));
			if (t)
				row = Eigen::Map<const Eigen::RowVectorXf>(t + r * stride, m);
			else
			{
				row.setZero();
				for (int64_t e = x.ptr[r]; e < x.ptr[r + 1]; e++)
					row += x.value[e] * v.row(x.index[e]);
			}
			for (int64_t e = x.ptr[r]; e < x.ptr[r + 1]; e++)
				out.row(x.index[e]) += (w[r] * x.value[e]) * row;
		}
	};
	ColumnMatrix rhs(features, m), residual(features, m), p, ap(features, m);
	apply(z, targets, rhs);
	apply(z, nullptr, ap);
	residual = rhs - ap;
	p = residual;
	Eigen::RowVectorXf rs = residual.colwise().squaredNorm();
	for (int step = 0; step < kEmbeddingCgSteps; step++)
	{
		apply(p, nullptr, ap);
		Eigen::RowVectorXf curvature = p.cwiseProduct(ap).colwise().sum();
		Eigen::RowVectorXf size(m);
		for (Eigen::Index c = 0; c < m; c++)
			size(c) = rs(c) > 1e-20f && curvature(c) > 0.0f ? rs(c) / curvature(c) : 0.0f;
		z += p * size.asDiagonal();
		residual -= ap * size.asDiagonal();
		Eigen::RowVectorXf next = residual.colwise().squaredNorm();
		Eigen::RowVectorXf beta(m);
		for (Eigen::Index c = 0; c < m; c++)
			beta(c) = rs(c) > 1e-20f ? next(c) / rs(c) : 0.0f;
		p = residual + p * beta.asDiagonal();
		rs = next;
	}
}

// One side's state: its feature rows, which entities have interactions (1) or not (0), its
// regularisation weights and, with features, its priors (X_r E per row, after the bias X_r c
// for 'squared').
struct AlsSide
{
	SparseRows rows;
	std::vector<float> warm, lambda, prior;
};

class HybridAlsTrainer : public Trainer
{
  public:
	HybridAlsTrainer(const Interactions &data, const Hyperparameters &h, const FactorBuffers &b)
	    : Trainer(data, h, b), explicit_(static_cast<HybridLoss>(h.loss) == HybridLoss::Squared),
	      mu_(explicit_ ? data.mean_value : 0.0)
	{
		check_hybrid_features(data);
		if (explicit_ && (b.user_bias == nullptr || b.item_bias == nullptr))
			throw InvalidArgument("loss squared trains biases: a bias buffer is missing");
		init_side(&users_, data.by_user, data.user_features, b.user_factors, &model_.users);
		init_side(&items_, data.by_item, data.item_features, b.item_factors, &model_.items);
	}

	void run_epoch(const CancelToken &cancel) override
	{
		update(users_, data_.by_user, b_.user_factors, b_.user_bias, b_.item_factors, b_.item_bias,
		       items_.warm, model_.users, cancel);
		update(items_, data_.by_item, b_.item_factors, b_.item_bias, b_.user_factors, b_.user_bias,
		       users_.warm, model_.items, cancel);
		if (explicit_)
			set_loss(training_rmse(data_, mu_, b_, h_), "hybrid (squared loss)");
		else
			set_loss(implicit_data_loss(data_, b_.user_factors, b_.item_factors, h_,
			                            users_.warm.data(), items_.warm.data(), cancel) /
			             static_cast<double>(data_.nnz()),
			         "hybrid (implicit ALS)");
	}

	double global_mean() const override
	{
		return mu_;
	}

	const FeatureModel *feature_model() const override
	{
		return &model_;
	}

  private:
	size_t stride() const
	{
		return static_cast<size_t>(h_.factors) + (explicit_ ? 1 : 0);
	}

	// The side's weights and feature rows; its cold entities' vectors (in factors) start at 0,
	// and its features' embeddings and priors too.
	void init_side(AlsSide *s, const SparseRows &by_entity, const FeatureMatrix &features,
	               float *factors, FeatureEmbeddings *embeddings)
	{
		const size_t n = by_entity.rows(), k = static_cast<size_t>(h_.factors);
		s->warm.assign(n, 0.0f);
		s->lambda = row_regularizations(by_entity, h_);
		for (size_t r = 0; r < n; r++)
		{
			if (by_entity.ptr[r + 1] == by_entity.ptr[r])
				std::fill(factors + r * k, factors + (r + 1) * k, 0.0f);
			else
				s->warm[r] = 1.0f;
		}
		if (features.rows.rows() == 0)
			return;
		s->prior.assign(n * stride(), 0.0f);
		s->rows = weighted_rows(features, hybrid_row_norm(h_));
		embeddings->factors.assign(features.features() * k, 0.0f);
		if (explicit_)
			embeddings->bias.assign(features.features(), 0.0f);
	}

	// Writes each row's prior, X_r E (after X_r c with 'squared'), from the side's embeddings.
	void compute_priors(AlsSide &s, const FeatureEmbeddings &embeddings, const CancelToken &cancel)
	{
		const int k = h_.factors;
		const size_t width = stride(), offset = explicit_ ? 1 : 0;
		parallel_for(s.rows.rows(), h_.threads,
		             [&](size_t begin, size_t end, int)
		             {
			             for (size_t r = begin; r < end; r++)
			             {
				             if ((r - begin) % (kCheckEvery * 16) == 0)
					             cancel.check();
				             float *out = s.prior.data() + r * width;
				             std::fill(out, out + width, 0.0f);
				             int64_t first = s.rows.ptr[r];
				             float bias = add_feature_embeddings(
				                 embeddings.factors.data(),
				                 explicit_ ? embeddings.bias.data() : nullptr, k,
				                 s.rows.index.data() + first, s.rows.value.data() + first,
				                 static_cast<size_t>(s.rows.ptr[r + 1] - first), out + offset);
				             if (explicit_)
					             out[0] = bias;
			             }
		             });
	}

	// The explicit rows with interactions of one side against the fixed other side.
	void solve_explicit_side(const AlsSide &s, const SparseRows &by_entity, float *x, float *x_bias,
	                         const ItemMatrix &other, bool features, const CancelToken &cancel)
	{
		const int k = h_.factors;
		const size_t width = stride();
		parallel_for(by_entity.rows(), h_.threads,
		             [&](size_t begin, size_t end, int)
		             {
			             RowScratch scratch(k);
			             for (size_t r = begin; r < end; r++)
			             {
				             if ((r - begin) % kCheckEvery == 0)
					             cancel.check();
				             int64_t first = by_entity.ptr[r];
				             size_t count = static_cast<size_t>(by_entity.ptr[r + 1] - first);
				             if (count > 0)
					             solve_explicit_row_by(
					                 h_, other, mu_, by_entity.index.data() + first,
					                 by_entity.value.data() + first, count, scratch, x + r * k,
					                 x_bias + r, features ? s.prior.data() + r * width : nullptr);
			             }
		             });
	}

	// Solves the side's rows against the fixed other side (y, its biases y_bias and warm
	// rows y_warm), then regresses the side's feature embeddings on the result and sets the
	// cold rows to their new priors.
	void update(AlsSide &s, const SparseRows &by_entity, float *x, float *x_bias, const float *y,
	            const float *y_bias, const std::vector<float> &y_warm,
	            FeatureEmbeddings &embeddings, const CancelToken &cancel)
	{
		const int k = h_.factors;
		const size_t n = by_entity.rows(), width = stride();
		const bool features = s.rows.rows() > 0;
		RowMatrix g(k, k);
		if (!explicit_)
			gramian(y, y_warm.size(), k, g.data(), cancel, y_warm.data(), h_.threads);
		if (!explicit_)
			solve_implicit_side(g.data(), y, h_,
			                    {by_entity.ptr.data(), by_entity.index.data(),
			                     by_entity.value.data(), s.lambda.data(),
			                     features ? s.prior.data() : nullptr, width, true},
			                    n, x, cancel);
		else
			solve_explicit_side(s, by_entity, x, x_bias, {y, y_bias, nullptr, y_warm.size(), k},
			                    features, cancel);
		if (!features)
			return;
		const Eigen::Index n_features = static_cast<Eigen::Index>(embeddings.factors.size()) / k;
		fit_embeddings(s.rows, n_features, s.warm, x, static_cast<size_t>(k), k,
		               embeddings.factors.data(), cancel);
		if (explicit_)
			fit_embeddings(s.rows, n_features, s.warm, x_bias, 1, 1, embeddings.bias.data(),
			               cancel);
		compute_priors(s, embeddings, cancel);
		const size_t offset = explicit_ ? 1 : 0;
		for (size_t r = 0; r < n; r++)
			if (s.warm[r] == 0.0f)
			{
				const float *prior = s.prior.data() + r * width;
				std::copy(prior + offset, prior + width, x + r * static_cast<size_t>(k));
				if (explicit_)
					x_bias[r] = prior[0];
			}
	}

	const bool explicit_;
	const double mu_;
	AlsSide users_, items_;
	FeatureModel model_;
};

} // namespace

std::unique_ptr<Trainer> make_hybrid_als_trainer(const Interactions &data, const Hyperparameters &h,
                                                 const FactorBuffers &b)
{
	return std::unique_ptr<Trainer>(new HybridAlsTrainer(data, h, b));
}

} // namespace pgrec
