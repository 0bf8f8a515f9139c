// The inverted-file index (ivf_index.h): built by k-means over a sample of the items and an
// assignment of every item to its nearest centroid; searched by ranking the centroids against
// the query, bounding the probed lists' scores through their compact rows and re-scoring in float
// only the items whose upper bound reaches the k-th best lower bound.
#include "ivf_index.h"

#include "compact_bounds.h"
#include "kernels.h"
#include "kmeans.h"
#include "parallel.h"
#include "scan_blocks.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

// k-means trains on this many sampled items per list, for this many rounds.
constexpr size_t kSamplePerList = 32;
constexpr int kIterations = 10;
// Rows gathered and encoded at a time.
constexpr size_t kEncodeBlock = 65536;

// A run of entries of the index, [begin, end).
struct Segment
{
	int64_t begin, end;
};

struct Probe
{
	const ItemMatrix &items;
	const IvfIndex &index;
	const float *query; // zero-padded to the rows' stride
	float query_norm;
	const SortedList *excluded;
	int lists;
	size_t k;
	size_t most_candidates; // per slice
};

bool is_excluded(const SortedList *lists, int n, int32_t item)
{
	for (int l = 0; l < n; l++)
		if (std::binary_search(lists[l].items, lists[l].items + lists[l].count, item))
			return true;
	return false;
}

// Scans the entries [begin, end) of the probed segments taken end to end, into out.
void scan_entries(const Probe &p, const std::vector<Segment> &segments, size_t begin, size_t end,
                  ScanSlice &out)
{
	const CompactRows &rows = p.index.rows;
	const ItemMatrix &m = p.items;
	float approx[kItemBlock], lower[kItemBlock], upper[kItemBlock], scale[kItemBlock],
	    bias[kItemBlock];
	CandidateCollector found(p.k, p.most_candidates, out);
	size_t position = 0; // of the current segment's first entry in the concatenation
	for (const Segment &segment : segments)
	{
		size_t length = static_cast<size_t>(segment.end - segment.begin);
		size_t from = std::max(begin, position), to = std::min(end, position + length);
		position += length;
		for (size_t v = from; v < to; v += kItemBlock)
		{
			size_t count = std::min(kItemBlock, to - v);
			size_t first = static_cast<size_t>(segment.begin) + (v - (position - length));
			const int32_t *ids = p.index.items + first;
			code_dot_product_batch(rows.codes + first * rows.stride, count, rows.stride, p.query,
			                       approx);
			for (size_t j = 0; m.scale && j < count; j++)
				scale[j] = m.scale[ids[j]];
			for (size_t j = 0; m.bias && j < count; j++)
				bias[j] = m.bias[ids[j]];
			if (!bound_block(approx, rows.step + first, rows.radius + first,
			                 m.scale ? scale : nullptr, m.bias ? bias : nullptr, count,
			                 p.query_norm, rows.dim, lower, upper))
			{
				out.gave_up = true;
				return;
			}
			for (size_t j = 0; j < count; j++)
				if (!found.below(upper[j]) && !is_excluded(p.excluded, p.lists, ids[j]))
					found.add(ids[j], lower[j], upper[j]);
			if (!found.keep_up())
				return;
		}
	}
	found.finish();
}

// The lists in the order they are probed: best score first, ties by index, non-finite last.
std::vector<int32_t> ranked_lists(const ItemMatrix &m, const IvfIndex &index, const float *query,
                                  size_t wanted)
{
	size_t width = static_cast<size_t>(index.dim) + 1;
	std::vector<float> padded(width, m.scale ? 0.0f : 1.0f), scores(index.lists);
	std::copy(query, query + index.dim, padded.begin());
	dot_product_batch(index.centroids, index.lists, width, padded.data(), scores.data());
	for (size_t l = 0; l < index.lists; l++)
	{
		if (m.scale)
		{
			const float *c = index.centroids + l * width;
			double norm = 0.0;
			for (int f = 0; f < index.dim; f++)
				norm += static_cast<double>(c[f]) * c[f];
			scores[l] = norm > 0.0 ? static_cast<float>(scores[l] / std::sqrt(norm)) : 0.0f;
		}
		if (!std::isfinite(scores[l]))
			scores[l] = -INFINITY;
	}
	std::vector<int32_t> order(index.lists);
	std::iota(order.begin(), order.end(), 0);
	auto better = [&](int32_t a, int32_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); };
	wanted = std::min(wanted, order.size());
	std::partial_sort(order.begin(), order.begin() + static_cast<ptrdiff_t>(wanted), order.end(), better);
	order.resize(wanted);
	return order;
}

} // namespace

size_t ivf_lists(size_t count)
{
	size_t lists = static_cast<size_t>(std::llround(std::sqrt(static_cast<double>(count))));
	return std::min(count, std::max<size_t>(1, std::min<size_t>(lists, 65536)));
}

size_t ivf_default_probes(size_t lists)
{
	// 3% of the lists, and at least 10 of the few lists of a small catalogue.
	return std::min(lists, std::max<size_t>(10, (lists * 3 + 99) / 100));
}

size_t ivf_bytes(size_t count, int dim, size_t lists)
{
	return sizeof(float) * lists * (static_cast<size_t>(dim) + 1) + sizeof(int64_t) * (lists + 1) +
	       sizeof(int32_t) * count + compact_rows_bytes(count, dim);
}

void build_ivf(const ItemMatrix &items, uint64_t seed, int threads,
               const CancelToken &cancel, IvfIndex &out)
{
	size_t n = items.count, lists = out.lists;
	// Lists of directions (spherical k-means): the items of a list point the same way, so the
	// lists are ranked by the angle of their centroid with the query.
	PointRows points = {items.factors, items.bias, n, items.dim, true};
	train_kmeans(points, lists, kSamplePerList * lists, kIterations, seed, threads, cancel,
	             out.centroids);
	size_t width = static_cast<size_t>(items.dim) + 1;
	for (size_t l = 0; l < lists; l++)
	{
		float *c = out.centroids + l * width;
		double sum = 0.0;
		for (size_t f = 0; f < width; f++)
			sum += static_cast<double>(c[f]) * c[f];
		for (size_t f = 0; sum > 0.0 && f < width; f++)
			c[f] = static_cast<float>(c[f] / std::sqrt(sum));
	}
	std::vector<int32_t> list(n);
	nearest_centroids(points, out.centroids, lists, threads, cancel, list.data());
	// A counting sort of the items by list; each list's items ascend.
	std::fill(out.offsets, out.offsets + lists + 1, 0);
	for (size_t i = 0; i < n; i++)
		out.offsets[list[i] + 1]++;
	for (size_t l = 0; l < lists; l++)
		out.offsets[l + 1] += out.offsets[l];
	std::vector<int64_t> next(out.offsets, out.offsets + lists);
	for (size_t i = 0; i < n; i++)
		out.items[next[static_cast<size_t>(list[i])]++] = static_cast<int32_t>(i);
	// The compact rows in list order, encoded from the float rows gathered a block at a time.
	size_t dim = static_cast<size_t>(items.dim), stride = out.rows.stride;
	std::vector<float> block(kEncodeBlock * dim);
	for (size_t first = 0; first < n; first += kEncodeBlock)
	{
		cancel.check();
		size_t count = std::min(kEncodeBlock, n - first);
		for (size_t e = 0; e < count; e++)
			std::memcpy(block.data() + e * dim, items.factors + static_cast<size_t>(out.items[first + e]) * dim,
			            sizeof(float) * dim);
		CompactRows part = {out.rows.codes + first * stride, out.rows.step + first,
		                    out.rows.radius + first, count, items.dim, stride};
		compact_rows(block.data(), part, threads, cancel);
	}
}

size_t recommend_items_ivf(const ItemMatrix &m, const IvfIndex &index, const float *query,
                           const SortedList *excluded, int excluded_lists, size_t k, size_t probes,
                           int threads, Recommendation *out, IvfStats *stats)
{
	IvfStats local = {0, 0, 0};
	IvfStats &st = stats ? *stats : local;
	st = {0, 0, 0};
	if (k == 0 || m.count == 0 || index.lists == 0)
		return 0;
	// Enough lists to hold k items beyond every excluded one.
	size_t excluded_count = 0;
	for (int l = 0; l < excluded_lists; l++)
		excluded_count += excluded[l].count;
	probes = std::max<size_t>(1, std::min(probes, index.lists));
	std::vector<int32_t> order = ranked_lists(m, index, query, probes);
	std::vector<Segment> segments;
	size_t total = 0;
	for (size_t r = 0; r < index.lists; r++)
	{
		if (r >= probes && total >= k + excluded_count)
			break;
		if (r == order.size())
			order = ranked_lists(m, index, query, index.lists);
		Segment s = {index.offsets[order[r]], index.offsets[order[r] + 1]};
		segments.push_back(s);
		total += static_cast<size_t>(s.end - s.begin);
	}
	st.probed = segments.size();
	st.scanned = total;

	float query_norm = norm_above(query, m.dim);
	std::vector<float> padded(index.rows.stride, 0.0f);
	std::copy(query, query + m.dim, padded.begin());
	Probe probe = {m, index, padded.data(), query_norm, excluded, excluded_lists, k,
	               std::max({static_cast<size_t>(4096), total / 16, 4 * k})};
	bool parallel = threads > 1 && total * static_cast<size_t>(m.dim) >= kParallelScanFloats;
	std::vector<ScanSlice> slices(parallel ? static_cast<size_t>(threads) : 1);
	bool gave_up = !(query_norm < kLargestBound);
	if (!gave_up && parallel)
		parallel_for(total, threads,
		             [&](size_t begin, size_t end, int worker)
		             { scan_entries(probe, segments, begin, end, slices[static_cast<size_t>(worker)]); });
	else if (!gave_up)
		scan_entries(probe, segments, 0, total, slices[0]);
	for (const ScanSlice &slice : slices)
		gave_up = gave_up || slice.gave_up;
	if (!gave_up)
		return best_candidates(m, query, slices, k, out, &st.rescored);
	// Scores out of the bounds' range, or ties everywhere: every probed item in float.
	TopK best(k);
	size_t group = m.count;
	float group_scores[4];
	for (const Segment &segment : segments)
		for (int64_t e = segment.begin; e < segment.end; e++)
		{
			int32_t item = index.items[e];
			if (!is_excluded(excluded, excluded_lists, item))
				best.offer(scanned_score(m, query, static_cast<size_t>(item), group, group_scores), item);
		}
	st.rescored = total;
	return emit(best, out);
}

} // namespace pgrec
