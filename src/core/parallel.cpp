// parallel_for: slices [0, n) over std::threads with signals blocked (the calling thread's
// WorkerPool's, or threads started for the call), waits for them all, and rethrows the first
// worker exception in the calling thread.
#include "parallel.h"

#include "flush_denormals.h"

#include <csignal>
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <vector>

#include "core_only.h"

namespace pgrec
{

struct WorkerPool::State
{
	std::mutex mutex;
	std::condition_variable wake, done;
	std::vector<std::thread> threads;
	const std::function<void(size_t)> *job = nullptr; // run by workers 1 .. job_workers - 1
	size_t job_workers = 0;
	size_t pending = 0; // workers still running the job
	uint64_t generation = 0;
	bool busy = false, stop = false;
};

namespace
{

// The pool of the thread that created it, while it lives.
thread_local WorkerPool::State *current_pool = nullptr;

// Worker `index` (1-based: the calling thread is worker 0) of a pool: runs each job it takes
// part in, until the pool stops.
void pool_worker(WorkerPool::State &s, size_t index)
{
	uint64_t seen = 0;
	std::unique_lock<std::mutex> lock(s.mutex);
	for (;;)
	{
		s.wake.wait(lock, [&] { return s.stop || s.generation != seen; });
		if (s.stop)
			return;
		seen = s.generation;
		if (index >= s.job_workers)
			continue;
		const std::function<void(size_t)> *job = s.job;
		lock.unlock();
		(*job)(index); // catches what the body throws
		lock.lock();
		if (--s.pending == 0)
			s.done.notify_one();
	}
}

// Starts count threads running worker(i) for i = 1 .. count with every signal blocked (threads
// inherit the creator's mask), into threads; on a failure joins those started and rethrows.
template <class Worker>
void start_threads(size_t count, std::vector<std::thread> &threads, const Worker &worker,
                   const std::function<void()> &stop_started)
{
	sigset_t all, previous;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &previous);
	try
	{
		for (size_t w = 1; w <= count; w++)
			threads.emplace_back(worker, w);
	}
	catch (...)
	{
		pthread_sigmask(SIG_SETMASK, &previous, nullptr);
		stop_started();
		for (std::thread &t : threads)
			t.join();
		threads.clear();
		throw;
	}
	pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

} // namespace

WorkerPool::WorkerPool(int threads) : state_(new State), previous_(nullptr)
{
	State &s = *state_;
	size_t workers = threads > 1 ? static_cast<size_t>(threads) - 1 : 0;
	start_threads(
	    workers, s.threads, [&s](size_t index) { pool_worker(s, index); },
	    [&s]
	    {
		    std::lock_guard<std::mutex> lock(s.mutex);
		    s.stop = true;
		    s.wake.notify_all();
	    });
	previous_ = current_pool;
	current_pool = &s;
}

// Pools are scoped objects: the newest on a thread is destroyed first, restoring the one it hid.
WorkerPool::~WorkerPool()
{
	State &s = *state_;
	current_pool = previous_;
	{
		std::lock_guard<std::mutex> lock(s.mutex);
		s.stop = true;
	}
	s.wake.notify_all();
	for (std::thread &t : s.threads)
		t.join();
}

void parallel_for(size_t n, int threads,
                  const std::function<void(size_t begin, size_t end, int worker)> &body)
{
	if (threads <= 1 || n < 2)
	{
		body(0, n, 0);
		return;
	}
	size_t workers = std::min(static_cast<size_t>(threads), n);
	std::exception_ptr failure;
	std::mutex failure_mutex;
	const unsigned mode = float_mode(); // rounding and denormal handling (flush_denormals.h)
	auto run = [&](size_t w)
	{
		set_float_mode(mode);
		size_t begin = n * w / workers, end = n * (w + 1) / workers;
		try
		{
			body(begin, end, static_cast<int>(w));
		}
		catch (...)
		{
			std::lock_guard<std::mutex> lock(failure_mutex);
			if (!failure)
				failure = std::current_exception();
		}
	};

	// Only the pool's creating thread sees it (current_pool is thread-local) and it alone sets
	// busy, so busy is read without the lock.
	WorkerPool::State *pool = current_pool;
	if (pool != nullptr && !pool->busy && pool->threads.size() + 1 >= workers)
	{
		const std::function<void(size_t)> job = run;
		{
			std::lock_guard<std::mutex> lock(pool->mutex);
			pool->busy = true;
			pool->job = &job;
			pool->job_workers = workers;
			pool->pending = workers - 1;
			pool->generation++;
		}
		pool->wake.notify_all();
		run(0);
		std::unique_lock<std::mutex> lock(pool->mutex);
		pool->done.wait(lock, [&] { return pool->pending == 0; });
		pool->busy = false;
		pool->job = nullptr;
	}
	else
	{
		std::vector<std::thread> threads;
		start_threads(workers - 1, threads, run, [] {});
		run(0);
		for (std::thread &t : threads)
			t.join();
	}
	if (failure)
		std::rethrow_exception(failure);
}

double parallel_sum(size_t n, int threads,
                    const std::function<double(size_t begin, size_t end)> &body)
{
	std::vector<double> partial(static_cast<size_t>(std::max(threads, 1)), 0.0);
	parallel_for(n, threads,
	             [&](size_t begin, size_t end, int worker)
	             { partial[static_cast<size_t>(worker)] = body(begin, end); });
	double total = 0.0;
	for (double p : partial)
		total += p;
	return total;
}

} // namespace pgrec
