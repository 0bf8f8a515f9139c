// parallel_for with and without a WorkerPool: the same slices to the same workers, every slice
// run once per call over thousands of calls, nested calls, exceptions rethrown with the pool
// still usable, and the signals blocked in its workers.
#include "parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <pthread.h>
#include <stdexcept>
#include <thread>
#include <vector>

namespace
{

// The (begin, end) of each worker of one call.
std::vector<std::pair<size_t, size_t>> slices(size_t n, int threads)
{
	std::vector<std::pair<size_t, size_t>> out(static_cast<size_t>(threads), {0, 0});
	pgrec::parallel_for(n, threads,
	                    [&](size_t begin, size_t end, int worker)
	                    { out[static_cast<size_t>(worker)] = {begin, end}; });
	return out;
}

TEST(WorkerPool, GivesTheSameSlicesAsThreadsStartedPerCall)
{
	for (int threads : {2, 3, 4})
		for (size_t n : {size_t{2}, size_t{3}, size_t{7}, size_t{1000}})
		{
			std::vector<std::pair<size_t, size_t>> started = slices(n, threads),
			                                       two = slices(n, 2), more = slices(n, threads + 1);
			pgrec::WorkerPool pool(threads);
			EXPECT_EQ(slices(n, threads), started) << threads << " " << n;
			// Fewer workers than the pool has, and more (threads are started for those).
			EXPECT_EQ(slices(n, 2), two) << threads << " " << n;
			EXPECT_EQ(slices(n, threads + 1), more) << threads << " " << n;
		}
}

// Calls run by the current thread as worker 1 (a pool's worker keeps its count between calls).
thread_local int calls_as_worker_one = 0;

TEST(WorkerPool, RunsEverySliceOnceOverManyCallsOnTheSameThreads)
{
	pgrec::WorkerPool pool(3);
	std::vector<std::atomic<int>> hits(999);
	int most = 0;
	for (int call = 0; call < 3000; call++)
		pgrec::parallel_for(hits.size(), call % 2 ? 3 : 2,
		                    [&](size_t begin, size_t end, int worker)
		                    {
			                    for (size_t i = begin; i < end; i++)
				                    hits[i]++;
			                    if (worker == 1)
				                    most = ++calls_as_worker_one;
		                    });
	for (const std::atomic<int> &h : hits)
		EXPECT_EQ(h.load(), 3000);
	EXPECT_EQ(most, 3000);
}

TEST(WorkerPool, RunsNestedCallsAndRethrowsWithThePoolStillUsable)
{
	pgrec::WorkerPool pool(2);
	std::atomic<int> inner(0);
	pgrec::parallel_for(4, 2,
	                    [&](size_t, size_t, int)
	                    {
		                    pgrec::parallel_for(10, 2, [&](size_t begin, size_t end, int)
		                                        { inner += static_cast<int>(end - begin); });
	                    });
	EXPECT_EQ(inner.load(), 20);
	for (int worker : {0, 1})
		EXPECT_THROW(pgrec::parallel_for(2, 2,
		                                 [&](size_t, size_t, int w)
		                                 {
			                                 if (w == worker)
				                                 throw std::runtime_error("slice failed");
		                                 }),
		             std::runtime_error);
	EXPECT_EQ(slices(100, 2), (std::vector<std::pair<size_t, size_t>>{{0, 50}, {50, 100}}));
}

TEST(WorkerPool, BlocksSignalsInItsWorkers)
{
	pgrec::WorkerPool pool(2);
	std::vector<int> blocked(2, -1);
	pgrec::parallel_for(2, 2,
	                    [&](size_t, size_t, int worker)
	                    {
		                    sigset_t mask;
		                    pthread_sigmask(SIG_SETMASK, nullptr, &mask);
		                    blocked[static_cast<size_t>(worker)] =
		                        sigismember(&mask, SIGINT) && sigismember(&mask, SIGTERM);
	                    });
	EXPECT_EQ(blocked[1], 1);
	EXPECT_EQ(blocked[0], 0); // the calling thread keeps its mask
}

} // namespace
