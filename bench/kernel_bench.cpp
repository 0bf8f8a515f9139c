// Kernel benchmark: the memory bandwidth one core reaches streaming a buffer, and the speed of
// the batched dot product over an item matrix of the same size (GB/s of embeddings scanned).
#include "kernels.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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
	for (size_t i = 0; i < n; i++)
		matrix[i] = static_cast<float>((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
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
	return 0;
}
