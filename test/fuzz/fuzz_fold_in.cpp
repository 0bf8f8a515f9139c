// libFuzzer target of the fold-in inputs: a visitor's item indices and values (repeated, out of
// order, extreme) merged as recommend_for_interactions() merges them, then folded in by every
// algorithm of the registry against a small item matrix, and a score explained by them. No
// input may crash, read or write out of bounds, or return factors or contributions that are not
// finite without throwing.
#include "algorithm_registry.h"
#include "core_errors.h"
#include "interactions.h"
#include "neumf.h"
#include "normal_equations.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace
{

// Reads the next value of type T from the input, or zero past its end.
template <class T> T take(const uint8_t *&data, size_t &size)
{
	T value{};
	size_t n = size < sizeof(T) ? size : sizeof(T);
	std::memcpy(&value, data, n);
	data += n;
	size -= n;
	return value;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const int dim = 1 + take<uint8_t>(data, size) % 8;
	const size_t items = 1 + take<uint8_t>(data, size) % 40;
	const size_t n = 1 + take<uint8_t>(data, size) % 64;
	const bool biases = take<uint8_t>(data, size) & 1;
	std::vector<float> factors(items * dim), bias(items);
	for (float &f : factors)
	{
		f = take<float>(data, size);
		if (!std::isfinite(f)) // the loader rejects these before any fold-in
			f = 0.0f;
	}
	for (float &b : bias)
		b = std::isfinite(b = take<float>(data, size)) ? b : 0.0f;
	std::vector<int32_t> visited(n);
	std::vector<float> values(n);
	for (size_t j = 0; j < n; j++)
	{
		visited[j] = static_cast<int32_t>(take<uint16_t>(data, size) % items);
		values[j] = take<float>(data, size);
		if (!std::isfinite(values[j])) // recommend_for_interactions rejects these
			values[j] = 1.0f;
	}
	pgrec::ItemMatrix matrix = {factors.data(), biases ? bias.data() : nullptr, nullptr, items,
	                            dim};
	std::vector<float> gramian(static_cast<size_t>(dim) * dim);
	pgrec::gramian(factors.data(), items, dim, gramian.data(), pgrec::no_cancel());

	for (size_t a = 0; a < pgrec::kAlgorithmCount; a++)
	{
		const pgrec::AlgorithmEntry &algorithm = pgrec::kAlgorithms[a];
		if (algorithm.fold_in == nullptr)
			continue; // neighbourhood models score the visitor's items without a fold-in
		std::vector<int32_t> merged(visited);
		std::vector<float> merged_values(values);
		size_t distinct =
		    pgrec::merge_repeated(merged.data(), merged_values.data(), n,
		                          pgrec::duplicate_policy(algorithm, algorithm.defaults));
		if (distinct == 0 || distinct > n)
			abort();
		for (size_t j = 1; j < distinct; j++)
			if (merged[j - 1] >= merged[j])
				abort(); // merged items must be distinct and ascending
		pgrec::Hyperparameters h = algorithm.defaults;
		h.factors = dim;
		pgrec::FoldInInput input = {
		    matrix, 0.0, h, gramian.data(), merged.data(), merged_values.data(), distinct};
		// A network scorer folds in against a small network of the model's shape (neumf: even
		// dims).
		std::unique_ptr<pgrec::NeuMFNetwork> network;
		pgrec::Network layers = {nullptr, 0};
		if (algorithm.scorer == pgrec::Scorer::Network)
		{
			if (dim % 2 != 0)
				continue;
			pgrec::Random rng(static_cast<uint64_t>(dim));
			pgrec::LayerSizes small;
			small.size[small.count++] = 4;
			network = std::make_unique<pgrec::NeuMFNetwork>(dim, small, rng);
			layers = network->layers();
			input.network = &layers;
		}
		std::vector<float> user(dim);
		float user_bias = 0.0f;
		try
		{
			pgrec::fold_in_user(algorithm, input, pgrec::no_cancel(), user.data(), &user_bias);
		}
		catch (const pgrec::NumericDivergence &)
		{
			continue; // reported as 22003: extreme inputs may overflow
		}
		for (float f : user)
			if (!std::isfinite(f))
				abort();
		if (algorithm.explain == nullptr)
			continue;
		std::vector<float> contributions(distinct);
		std::vector<pgrec::Recommendation> top(distinct);
		size_t shown = 0;
		try
		{
			shown =
			    pgrec::explain_score(algorithm, input, static_cast<int32_t>(items - 1), distinct,
			                         pgrec::no_cancel(), contributions.data(), top.data());
		}
		catch (const pgrec::NumericDivergence &)
		{
			continue;
		}
		if (shown != distinct)
			abort(); // every item has a contribution
		for (size_t r = 0; r < shown; r++)
			if (!std::isfinite(top[r].score) || (r > 0 && top[r].score > top[r - 1].score))
				abort();
	}
	return 0;
}
