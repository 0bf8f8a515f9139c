// A minimal parallel-for over index ranges with std::thread: signals are blocked in the
// workers (the backend's main thread handles them), and every call waits for its workers:
// threads it started, joined before it returns, or those of a WorkerPool, joined when the pool
// goes.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace pgrec
{

// Calls body(begin, end, worker) on `threads` contiguous slices of [0, n); with one thread
// runs inline. The first exception thrown by a worker is rethrown after all are joined.
void parallel_for(size_t n, int threads,
                  const std::function<void(size_t begin, size_t end, int worker)> &body);

// Workers kept for the parallel_for calls its creating thread makes while it lives, instead of
// threads started and joined by every call: for a trainer's epoch of mini-batches, thousands of
// calls of a few milliseconds. A call takes the pool when it wants no more workers than the pool
// has and the pool is idle (a call nested in another starts threads as before); the slices and
// so the results are the same either way. Its threads have every signal blocked, never leave
// the core, and are joined by the destructor, on the creating thread.
class WorkerPool
{
  public:
	// A pool of threads - 1 workers (none for one thread). Throws what std::thread throws.
	explicit WorkerPool(int threads);
	~WorkerPool();
	WorkerPool(const WorkerPool &) = delete;
	WorkerPool &operator=(const WorkerPool &) = delete;

	struct State;

  private:
	std::unique_ptr<State> state_;
	State *previous_; // the pool this one hides on its thread, restored on destruction
};

// Sums body(begin, end) over the same slices as parallel_for, adding the slices' results in
// order, so the total is the same on every run with the same thread count.
double parallel_sum(size_t n, int threads,
                    const std::function<double(size_t begin, size_t end)> &body);

} // namespace pgrec
