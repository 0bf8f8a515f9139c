// Warm start: copies the current version's factors of known users and items into a new
// training run's buffers, matching external ids.
#include "warm_start.h"

#include "model_loader.h"

extern "C"
{
#include "executor/spi.h"
}

// Copies one side's rows of the current model into the new buffers, matching external ids.
static size_t copy_side(const int64 *old_ids, size_t old_count, const float *old_factors,
                        const float *old_bias, const std::vector<int64_t> &ids, float *factors,
                        float *bias, int k)
{
	size_t copied = 0;
	for (size_t r = 0; r < ids.size(); r++)
	{
		int64 old = pgrec::dense_index(old_ids, old_count, ids[r]);
		if (old < 0)
			continue;
		memcpy(factors + r * k, old_factors + old * k, sizeof(float) * k);
		if (bias && old_bias)
			bias[r] = old_bias[old];
		copied++;
	}
	return copied;
}

// Starts from the factors of the current version (read under the model's lock), for the users
// and items it knows, when it has the same algorithm and factors; says what it did in a NOTICE.
void warm_start(const ModelCatalog *current, const char *name,
                const pgrec::AlgorithmEntry *algorithm, int k, const pgrec::Interactions &data,
                const pgrec::FactorBuffers &b, MemoryContext context)
{
	bool closed_form =
	    !pgrec::has_factors(*algorithm) || (algorithm->parameters & pgrec::kEpochs) == 0;
	const char *why = closed_form ? "is computed in closed form"
	                  : algorithm->feature_sides != 0
	                      ? "composes its factors from id and feature embeddings"
	                  : algorithm->scorer == pgrec::Scorer::Network
	                      ? "trains its embeddings together with its network"
	                      : NULL;
	if (why)
	{
		ereport(NOTICE,
		        (errmsg("algorithm %s %s: warm start does not apply", algorithm->name, why)));
		return;
	}
	if (current == NULL || current->algorithm != algorithm || current->factors != k)
	{
		ereport(NOTICE, (errmsg("no current model \"%s\" with algorithm %s and %d factors: "
		                        "starting from random factors",
		                        name, algorithm->name, k)));
		return;
	}
	LoadedModel old;
	SPI_connect();
	load_model(current, context, &old);
	SPI_finish();
	size_t users = copy_side(old.user_ids, old.users, old.user_factors, old.user_bias,
	                         data.user_ids, b.user_factors, b.user_bias, k);
	size_t items = copy_side(old.item_ids, old.items, old.item_factors, old.item_bias,
	                         data.item_ids, b.item_factors, b.item_bias, k);
	ereport(NOTICE, (errmsg("warm start from version %d: %zu of %zu users and %zu of %zu items "
	                        "start from their current factors",
	                        current->version, users, data.users(), items, data.items())));
}
