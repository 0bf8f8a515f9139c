// Approximate search benchmark: builds the inverted-file index (ivf_index.h) over a synthetic
// item matrix (random Gaussian, or clustered like trained factors) and reports its build time
// and memory, then recall@10 against the exact compact scan and the speed-up over it, for
// several numbers of probed lists.
//   ivf_bench ITEMS DIM random|clustered THREADS [PROBES...]
#include "compact_scan.h"
#include "ivf_index.h"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace
{

double seconds_since(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Rows like trained factors: 1,000 tastes (random directions of norm about 1), each row a taste
// plus noise of norm about 0.5,
// scaled by a popularity-like norm (log-normal); queries are drawn the same way.
void fill(std::vector<float> &rows, size_t count, size_t dim, bool clustered, uint32_t seed,
          const std::vector<float> &tastes)
{
	std::mt19937 rng(seed);
	std::normal_distribution<float> normal(0.0f, 1.0f);
	std::lognormal_distribution<float> norm(0.0f, 0.3f);
	std::uniform_int_distribution<size_t> taste(0, tastes.size() / dim - 1);
	rows.resize(count * dim);
	for (size_t i = 0; i < count; i++)
	{
		float *r = rows.data() + i * dim;
		if (!clustered)
		{
			for (size_t f = 0; f < dim; f++)
				r[f] = normal(rng);
			continue;
		}
		const float *t = tastes.data() + taste(rng) * dim;
		float s = norm(rng);
		const float noise = 0.5f / std::sqrt(static_cast<float>(dim));
		for (size_t f = 0; f < dim; f++)
			r[f] = s * (t[f] + noise * normal(rng));
	}
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 5)
	{
		std::fprintf(stderr, "usage: ivf_bench ITEMS DIM random|clustered THREADS [PROBES...]\n");
		return 2;
	}
	size_t count = std::strtoul(argv[1], nullptr, 10);
	size_t dim = std::strtoul(argv[2], nullptr, 10);
	bool clustered = std::strcmp(argv[3], "clustered") == 0;
	int threads = std::atoi(argv[4]);
	std::vector<size_t> probe_counts;
	for (int a = 5; a < argc; a++)
		probe_counts.push_back(std::strtoul(argv[a], nullptr, 10));
	const size_t k = 10, queries = 200;
	const int d = static_cast<int>(dim);

	std::vector<float> tastes, items, users;
	fill(tastes, 1000, dim, false, 1, tastes);
	for (float &t : tastes)
		t *= 1.0f / std::sqrt(static_cast<float>(dim));
	auto start = std::chrono::steady_clock::now();
	fill(items, count, dim, clustered, 2, tastes);
	fill(users, queries, dim, clustered, 3, tastes);
	std::printf("%zu x %zu %s items made in %.1f s\n", count, dim, argv[3], seconds_since(start));

	pgrec::ItemMatrix m = {items.data(), nullptr, nullptr, count, d};
	std::vector<int8_t> codes(count * pgrec::compact_stride(d));
	std::vector<float> step(count), radius(count);
	pgrec::CompactRows compact = {codes.data(), step.data(), radius.data(), count, d,
	                              pgrec::compact_stride(d)};
	start = std::chrono::steady_clock::now();
	pgrec::compact_rows(items.data(), compact, threads, pgrec::no_cancel());
	std::printf("compact copy: %.2f s\n", seconds_since(start));

	size_t lists = std::getenv("LISTS") ? std::strtoul(std::getenv("LISTS"), nullptr, 10) : pgrec::ivf_lists(count);
	std::vector<float> centroids(lists * (dim + 1));
	std::vector<int64_t> offsets(lists + 1);
	std::vector<int32_t> order(count);
	std::vector<int8_t> list_codes(count * compact.stride);
	std::vector<float> list_step(count), list_radius(count);
	pgrec::IvfIndex index = {lists, d, centroids.data(), offsets.data(), order.data(),
	                         {list_codes.data(), list_step.data(), list_radius.data(), count, d,
	                          compact.stride}};
	start = std::chrono::steady_clock::now();
	pgrec::build_ivf(m, 42, threads, pgrec::no_cancel(), index);
	double build = seconds_since(start);
	size_t largest = 0;
	for (size_t l = 0; l < lists; l++)
		largest = std::max<size_t>(largest, static_cast<size_t>(offsets[l + 1] - offsets[l]));
	std::printf("index: %zu lists (largest %zu items), built in %.1f s, %.0f MB beside the "
	            "floats (%.0f MB) and the compact copy (%.0f MB)\n",
	            lists, largest, build, pgrec::ivf_bytes(count, d, lists) / 1e6,
	            count * dim * 4 / 1e6, pgrec::compact_rows_bytes(count, d) / 1e6);

	std::vector<std::vector<pgrec::Recommendation>> exact(queries, std::vector<pgrec::Recommendation>(k));
	start = std::chrono::steady_clock::now();
	for (size_t q = 0; q < queries; q++)
		pgrec::recommend_items_compact(m, compact, users.data() + q * dim, nullptr, 0, k, threads,
		                               exact[q].data(), nullptr);
	double exact_ms = seconds_since(start) * 1000.0 / queries;
	std::printf("exact compact scan: %.2f ms per query (%d threads)\n", exact_ms, threads);
	if (probe_counts.empty())
		probe_counts = {pgrec::ivf_default_probes(lists)};
	for (size_t probes : probe_counts)
	{
		std::vector<pgrec::Recommendation> found(k);
		size_t hits = 0, scanned = 0, rescored = 0;
		start = std::chrono::steady_clock::now();
		for (size_t q = 0; q < queries; q++)
		{
			pgrec::IvfStats stats;
			size_t n = pgrec::recommend_items_ivf(m, index, users.data() + q * dim, nullptr, 0, k,
			                                      probes, threads, found.data(), &stats);
			std::set<int32_t> truth;
			for (const auto &r : exact[q])
				truth.insert(r.item);
			for (size_t i = 0; i < n; i++)
				hits += truth.count(found[i].item);
			scanned += stats.scanned;
			rescored += stats.rescored;
		}
		double ms = seconds_since(start) * 1000.0 / queries;
		std::printf("probes %5zu%s: recall@10 %.4f, %.3f ms per query (%.1fx faster), %.1f%% of "
		            "items scanned, %zu re-scored\n",
		            probes, probes == pgrec::ivf_default_probes(lists) ? " (default)" : "",
		            static_cast<double>(hits) / (queries * k), ms, exact_ms / ms,
		            100.0 * scanned / queries / count, rescored / queries);
	}
	return 0;
}
