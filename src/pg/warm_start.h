// Warm start of a training run: the new factor buffers begin from the current version's
// factors for the users and items it already knows.
#pragma once

#include "postgres_headers.h"

#include "model_catalog.h"

#include "../core/algorithm_registry.h"
#include "../core/interactions.h"

// Copies the factors (and biases) of current's users and items into b when current has the same
// algorithm and k factors and the algorithm trains by epochs from free factors; says in a NOTICE
// what it did or why it did not apply. Loads current through SPI into context.
void warm_start(const ModelCatalog *current, const char *name,
                const pgrec::AlgorithmEntry *algorithm, int k, const pgrec::Interactions &data,
                const pgrec::FactorBuffers &b, MemoryContext context);
