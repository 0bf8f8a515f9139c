// Kernel benchmark: the memory bandwidth one core reaches streaming a buffer, and the speed of
// the batched dot product over an item matrix of the same size (GB/s of embeddings scanned), and
// the top-10 scans over it: float and compact.
#include "checksum.h"
#include "compact_scan.h"
#include "kernels.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

namespace
{

double seconds_since(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Best of several runs of f, in seconds.
template <class F> double best_time(int runs, F f)
{
	double best = 1e30;
	for (int r = 0; r < runs; r++)
	{
		auto start = std::chrono::steady_clock::now();
		f();
		best = std::min(best, seconds_since(start));
	}
	return best;
}

} // namespace

int main(int argc, char **argv)
{
	size_t rows = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000000;
	size_t dim = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;
	int runs = argc > 3 ? std::atoi(argv[3]) : 20;
	size_t n = rows * dim;
	double bytes = static_cast<double>(n) * sizeof(float);

	std::vector<float> matrix(n), query(dim), scores(rows);
	// Uniform in [-0.5, 0.5), as the synthetic model of recommend_bench.sh.
	std::mt19937 rng(7);
	std::uniform_real_distribution<float> uniform(-0.5f, 0.5f);
	for (size_t i = 0; i < n; i++)
		matrix[i] = uniform(rng);
	for (size_t i = 0; i < dim; i++)
		query[i] = static_cast<float>(i % 7) / 7.0f;

	// Floor: the fastest plain read of the same buffer, OR-ing 64-byte blocks into 4 registers.
	typedef unsigned long long block __attribute__((vector_size(64)));
	const char *bytes_ptr = reinterpret_cast<const char *>(matrix.data());
	size_t blocks = static_cast<size_t>(bytes) / sizeof(block);
	volatile unsigned long long sink = 0;
	double read_s =
	    best_time(runs,
	              [&]
	              {
		              block acc[4] = {};
		              for (size_t i = 0; i + 4 <= blocks; i += 4)
			              for (int j = 0; j < 4; j++)
			              {
				              block b;
				              std::memcpy(&b, bytes_ptr + (i + j) * sizeof(block), sizeof b);
				              acc[j] |= b;
			              }
		              block total = acc[0] | acc[1] | acc[2] | acc[3];
		              sink = sink + total[0] + total[7];
	              });

	double scan_s = best_time(
	    runs,
	    [&] { pgrec::dot_product_batch(matrix.data(), rows, dim, query.data(), scores.data()); });
	double single_s = best_time(runs,
	                            [&]
	                            {
		                            for (size_t r = 0; r < rows; r++)
			                            scores[r] = pgrec::dot_product(matrix.data() + r * dim,
			                                                           query.data(), dim);
	                            });

	std::printf("kernels: %s, rows: %zu, dims: %zu, matrix: %.1f MB\n", pgrec::kernels().name, rows,
	            dim, bytes / 1e6);
	std::printf("memory read floor (one core): %8.3f ms  %6.1f GB/s\n", read_s * 1e3,
	            bytes / read_s / 1e9);
	std::printf("dot_product_batch:            %8.3f ms  %6.1f GB/s  %5.1f%% of floor\n",
	            scan_s * 1e3, bytes / scan_s / 1e9, 100.0 * read_s / scan_s);
	std::printf("dot_product per row:          %8.3f ms  %6.1f GB/s  %5.1f%% of floor\n",
	            single_s * 1e3, bytes / single_s / 1e9, 100.0 * read_s / single_s);
	for (int threads : {1, 2})
	{
		double sum_s = best_time(
		    runs, [&] { sink = sink + pgrec::checksum64(bytes_ptr, bytes, threads); });
		std::printf("checksum64, %d thread(s):       %8.3f ms  %6.1f GB/s\n", threads, sum_s * 1e3,
		            bytes / sum_s / 1e9);
	}

	// The top-10 scans: float, and compact (int8 codes, compact_scan.h) with its re-scoring.
	std::vector<int8_t> codes(rows * pgrec::compact_stride(static_cast<int>(dim)));
	std::vector<float> step(rows), radius(rows);
	pgrec::CompactRows compact = {codes.data(), step.data(), radius.data(), rows,
	                              static_cast<int>(dim), pgrec::compact_stride(static_cast<int>(dim))};
	double quantize_s =
	    best_time(1, [&] { pgrec::compact_rows(matrix.data(), compact, 2, pgrec::no_cancel()); });
	std::vector<float> padded(compact.stride, 0.0f);
	std::copy(query.begin(), query.end(), padded.begin());
	double codes_s = best_time(runs,
	                           [&]
	                           {
		                           pgrec::code_dot_product_batch(codes.data(), rows, compact.stride,
		                                                         padded.data(), scores.data());
	                           });
	std::printf("code_dot_product_batch:       %8.3f ms  %6.1f GB/s of codes\n", codes_s * 1e3,
	            static_cast<double>(codes.size()) / codes_s / 1e9);
	pgrec::ItemMatrix items = {matrix.data(), nullptr, nullptr, rows, static_cast<int>(dim)};
	pgrec::Recommendation top[10];
	pgrec::CompactScanStats stats = {0, false};
	std::printf("compact copy: %.1f MB, made in %.1f ms with 2 threads\n",
	            pgrec::compact_rows_bytes(rows, static_cast<int>(dim)) / 1e6, quantize_s * 1e3);
	for (int threads : {1, 2})
	{
		double float_s = best_time(
		    runs, [&]
		    { pgrec::recommend_items(items, query.data(), nullptr, 0, nullptr, 10, threads, top); });
		double compact_s = best_time(runs,
		                             [&]
		                             {
			                             pgrec::recommend_items_compact(items, compact, query.data(),
			                                                            nullptr, 0, 10, threads, top,
			                                                            &stats);
		                             });
		std::printf("top-10, %d thread(s): float scan %8.3f ms, compact scan %8.3f ms "
		            "(%.2fx the floor, %zu re-scored%s)\n",
		            threads, float_s * 1e3, compact_s * 1e3, compact_s / read_s, stats.rescored,
		            stats.float_scan ? ", fell back to the float scan" : "");
	}
	return 0;
}
