// parallel_for: slices [0, n) over std::threads with signals blocked, joins them all, and
// rethrows the first worker exception in the calling thread.
#include "parallel.h"

#include "flush_denormals.h"

#include <csignal>
#include <algorithm>
#include <exception>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <vector>

#include "core_only.h"

namespace pgrec
{

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

	// Threads inherit the creator's signal mask: block everything while creating them.
	sigset_t all, previous;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &previous);
	std::vector<std::thread> pool;
	try
	{
		for (size_t w = 1; w < workers; w++)
			pool.emplace_back(run, w);
	}
	catch (...)
	{
		pthread_sigmask(SIG_SETMASK, &previous, nullptr);
		for (std::thread &t : pool)
			t.join();
		throw;
	}
	pthread_sigmask(SIG_SETMASK, &previous, nullptr);
	run(0);
	for (std::thread &t : pool)
		t.join();
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
