// A minimal parallel-for over index ranges with std::thread: signals are blocked in the
// workers (the backend's main thread handles them) and every worker is joined before return.
#pragma once

#include <cstddef>
#include <functional>

namespace pgrec
{

// Calls body(begin, end, worker) on `threads` contiguous slices of [0, n); with one thread
// runs inline. The first exception thrown by a worker is rethrown after all are joined.
void parallel_for(size_t n, int threads,
                  const std::function<void(size_t begin, size_t end, int worker)> &body);

// Sums body(begin, end) over the same slices as parallel_for, adding the slices' results in
// order, so the total is the same on every run with the same thread count.
double parallel_sum(size_t n, int threads,
                    const std::function<double(size_t begin, size_t end)> &body);

} // namespace pgrec
