// Rating errors and full-ranking metrics: users are scored in blocks with one matrix product
// per block, training items are masked, and the top k is taken with a bounded heap.
#include "evaluation.h"

#include "factor_init.h"
#include "parallel.h"
#include "top_k.h"

#include <algorithm>
#include <cmath>

#include "core_only.h"

namespace pgrec
{

namespace
{

constexpr size_t kUserBlock = 64;

// Per-worker sums of the metrics, added in a fixed order at the end.
struct MetricSums
{
	double precision = 0, recall = 0, ndcg = 0, hits = 0, map = 0;
};

// Adds the metrics of one user's top list against its sorted relevant items.
void score_case(const std::vector<int32_t> &top, const RankingCase &c, int k,
                RecallDenominator recall, MetricSums &sums)
{
	size_t relevant = c.item_count + c.unknown_items;
	double dcg = 0, ap = 0;
	size_t hits = 0;
	for (size_t r = 0; r < top.size(); r++)
	{
		if (std::binary_search(c.items, c.items + c.item_count, top[r]))
		{
			hits++;
			dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
			ap += static_cast<double>(hits) / static_cast<double>(r + 1);
		}
	}
	size_t ideal = std::min(relevant, static_cast<size_t>(k));
	double idcg = 0;
	for (size_t r = 0; r < ideal; r++)
		idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
	sums.precision += static_cast<double>(hits) / k;
	sums.recall += static_cast<double>(hits) /
	               static_cast<double>(recall == RecallDenominator::CappedAtK ? ideal : relevant);
	sums.ndcg += idcg > 0 ? dcg / idcg : 0;
	sums.hits += hits > 0 ? 1 : 0;
	sums.map += ideal > 0 ? ap / static_cast<double>(ideal) : 0;
}

} // namespace

RatingErrors rating_errors(const ModelView &m, const TestRating *test, size_t count,
                           float min_rating, float max_rating)
{
	RatingErrors e = {0, 0, count};
	for (size_t r = 0; r < count; r++)
	{
		const TestRating &t = test[r];
		double pred = m.global_mean;
		if (t.user >= 0 && m.user_bias)
			pred += m.user_bias[t.user];
		if (t.item >= 0 && m.item_bias)
			pred += m.item_bias[t.item];
		if (t.user >= 0 && t.item >= 0)
		{
			Eigen::Map<const Eigen::VectorXf> p(m.user_factors + t.user * m.factors, m.factors);
			Eigen::Map<const Eigen::VectorXf> q(m.item_factors + t.item * m.factors, m.factors);
			pred += p.dot(q);
		}
		pred = std::min<double>(max_rating, std::max<double>(min_rating, pred));
		double err = t.rating - pred;
		e.rmse += err * err;
		e.mae += std::fabs(err);
	}
	if (e.count > 0)
	{
		e.rmse = std::sqrt(e.rmse / static_cast<double>(e.count));
		e.mae /= static_cast<double>(e.count);
	}
	return e;
}

// The scores of a block of cases by their weighted neighbour rows.
static void neighbor_block(const ModelView &m, SparseView train, const RankingCase *cases,
                           size_t count, RowMatrix &scores)
{
	scores.resize(static_cast<Eigen::Index>(count), static_cast<Eigen::Index>(m.items));
	for (size_t j = 0; j < count; j++)
	{
		int64_t u = cases[j].user;
		WeightedRows rows =
		    m.user_rows ? m.user_rows[u]
		                : WeightedRows{train.index + train.ptr[u], nullptr,
		                               static_cast<size_t>(train.ptr[u + 1] - train.ptr[u])};
		neighbor_scores(*m.neighbors, rows, m.items, scores.data() + j * m.items);
	}
}

// The scores of a block of cases by the model's network.
static void network_block(const ModelView &m, const RankingCase *cases, size_t count,
                          const CancelToken &cancel, RowMatrix &scores)
{
	scores.resize(static_cast<Eigen::Index>(count), static_cast<Eigen::Index>(m.items));
	const ItemMatrix items = {m.item_factors, nullptr, nullptr, m.items, m.factors};
	for (size_t j = 0; j < count; j++)
		m.scoring->scores(*m.network, m.user_factors + cases[j].user * m.factors, items, nullptr,
		                  m.items, scores.data() + j * m.items, cancel);
}

RankingMetrics ranking_metrics(const ModelView &m, SparseView train, const RankingCase *cases,
                               size_t case_count, int k, int threads, const CancelToken &cancel,
                               RecallDenominator recall)
{
	const size_t blocks = (case_count + kUserBlock - 1) / kUserBlock;
	const int workers = std::max(1, threads);
	std::vector<MetricSums> sums(static_cast<size_t>(workers));
	std::vector<std::vector<uint8_t>> recommended(static_cast<size_t>(workers),
	                                              std::vector<uint8_t>(m.items, 0));
	Eigen::Map<const RowMatrix> items(m.item_factors, static_cast<Eigen::Index>(m.items),
	                                  m.factors);

	parallel_for(
	    blocks, workers,
	    [&](size_t begin, size_t end, int w)
	    {
		    RowMatrix users(kUserBlock, m.factors), scores;
		    std::vector<int32_t> top;
		    for (size_t b = begin; b < end; b++)
		    {
			    cancel.check();
			    size_t first = b * kUserBlock, count = std::min(kUserBlock, case_count - first);
			    if (m.neighbors)
				    neighbor_block(m, train, cases + first, count, scores);
			    else if (m.network)
				    network_block(m, cases + first, count, cancel, scores);
			    else
			    {
				    for (size_t j = 0; j < count; j++)
					    users.row(static_cast<Eigen::Index>(j)) =
					        Eigen::Map<const Eigen::RowVectorXf>(
					            m.user_factors + cases[first + j].user * m.factors, m.factors);
				    scores.noalias() =
				        users.topRows(static_cast<Eigen::Index>(count)) * items.transpose();
			    }
			    for (size_t j = 0; j < count; j++)
			    {
				    const RankingCase &c = cases[first + j];
				    float *row = scores.data() + j * m.items;
				    if (m.item_bias)
					    for (size_t i = 0; i < m.items; i++)
						    row[i] += m.item_bias[i];
				    for (int64_t e = train.ptr[c.user]; e < train.ptr[c.user + 1]; e++)
					    row[train.index[e]] = -INFINITY;
				    top_k(row, m.items, static_cast<size_t>(k), top);
				    for (int32_t i : top)
					    recommended[w][i] = 1;
				    score_case(top, c, k, recall, sums[w]);
			    }
		    }
	    });
	MetricSums total;
	for (const MetricSums &s : sums)
	{
		total.precision += s.precision;
		total.recall += s.recall;
		total.ndcg += s.ndcg;
		total.hits += s.hits;
		total.map += s.map;
	}
	size_t covered = 0;
	for (size_t i = 0; i < m.items; i++)
	{
		bool any = false;
		for (const auto &r : recommended)
			any = any || r[i];
		covered += any;
	}
	double n = static_cast<double>(std::max<size_t>(case_count, 1));
	RankingMetrics out;
	out.users = case_count;
	out.precision = total.precision / n;
	out.recall = total.recall / n;
	out.ndcg = total.ndcg / n;
	out.hit_rate = total.hits / n;
	out.map = total.map / n;
	out.coverage = m.items ? static_cast<double>(covered) / static_cast<double>(m.items) : 0;
	return out;
}

} // namespace pgrec
