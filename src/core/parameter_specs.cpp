// The hyper-parameters of the algorithm registry: each one's name, field, range and choices
// (kParameterSpecs), looking them up, reading and setting them, and checking a value or an
// algorithm's whole set.
#include "algorithm_registry.h"

#include "core_errors.h"
#include "neighbors.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "core_only.h"

namespace pgrec
{

namespace
{

constexpr double kUnbounded = std::numeric_limits<double>::infinity();

} // namespace

const char *const kLossNames[] = {"warp", "bpr", "ials", "squared", "softmax", nullptr};

const ParameterSpec kParameterSpecs[] = {
    {"factors", kFactors, nullptr, &Hyperparameters::factors, 1, 4096, false, nullptr, nullptr},
    {"epochs", kEpochs, nullptr, &Hyperparameters::epochs, 1, 100000, false, nullptr, nullptr},
    {"regularization", kRegularization, &Hyperparameters::regularization, nullptr, 0, kUnbounded,
     false, nullptr, nullptr},
    {"alpha", kAlpha, &Hyperparameters::alpha, nullptr, 0, kUnbounded, false, nullptr, nullptr},
    {"learning_rate", kLearningRate, &Hyperparameters::learning_rate, nullptr, 0, kUnbounded, true,
     nullptr, nullptr},
    {"bias_regularization", kBiasRegularization, &Hyperparameters::bias_regularization, nullptr, 0,
     kUnbounded, false, nullptr, nullptr},
    {"regularization_exponent", kRegularizationExponent, &Hyperparameters::regularization_exponent,
     nullptr, 0, 4, false, nullptr, nullptr},
    {"init_scale", kInitScale, &Hyperparameters::init_scale, nullptr, 0, kUnbounded, true, nullptr,
     nullptr},
    {"cg_steps", kCgSteps, nullptr, &Hyperparameters::cg_steps, 0, 100, false, nullptr, nullptr},
    {"neighbors", kNeighbors, nullptr, &Hyperparameters::neighbors, 1, 100000, false, nullptr,
     nullptr},
    {"shrinkage", kShrinkage, &Hyperparameters::shrinkage, nullptr, 0, kUnbounded, false, nullptr,
     nullptr},
    {"similarity", kSimilarity, nullptr, &Hyperparameters::similarity, 0, kSimilarityCount - 1,
     false, kSimilarityNames, nullptr},
    {"normalization", kNormalization, &Hyperparameters::normalization, nullptr, 0, 1, false,
     nullptr, nullptr},
    {"loss", kLoss, nullptr, &Hyperparameters::loss, 0, kSoftmaxLoss, false, kLossNames, nullptr},
    {"hidden_layers", kHiddenLayers, nullptr, nullptr, 1, 4096, false, nullptr,
     &Hyperparameters::hidden_layers},
    {"batch_size", kBatchSize, nullptr, &Hyperparameters::batch_size, 1, 65536, false, nullptr,
     nullptr},
    {"dropout", kDropout, &Hyperparameters::dropout, nullptr, 0, 1, false, nullptr, nullptr},
    {"negatives", kNegatives, nullptr, &Hyperparameters::negatives, 1, 1000, false, nullptr,
     nullptr},
    {"block_size", kBlockSize, nullptr, &Hyperparameters::block_size, 0, 4096, false, nullptr,
     nullptr},
};
const size_t kParameterSpecCount = sizeof kParameterSpecs / sizeof kParameterSpecs[0];
static_assert(sizeof kParameterSpecs / sizeof kParameterSpecs[0] <= kParameterSpecCountMax,
              "raise kParameterSpecCountMax");

const ParameterSpec *find_parameter(const char *name) noexcept
{
	for (const ParameterSpec &spec : kParameterSpecs)
		if (std::strcmp(name, spec.name) == 0)
			return &spec;
	return nullptr;
}

namespace
{

// Whether the algorithm (any, when null) takes choice c of the parameter: each algorithm with a
// loss takes some of kLossNames, every choice of the others.
bool takes_choice(const ParameterSpec &spec, const AlgorithmEntry *algorithm, int c)
{
	return algorithm == nullptr || spec.bit != kLoss || (algorithm->losses & loss_bit(c)) != 0;
}

// "a, b or c": the choices of the parameter the algorithm takes.
std::string choice_list(const ParameterSpec &spec, const AlgorithmEntry *algorithm)
{
	std::string names;
	int count = 0, written = 0;
	for (int c = 0; spec.choices[c]; c++)
		count += takes_choice(spec, algorithm, c);
	for (int c = 0; spec.choices[c]; c++)
		if (takes_choice(spec, algorithm, c))
			names += std::string(written++ == 0     ? ""
			                     : written == count ? " or "
			                                        : ", ") +
			         spec.choices[c];
	return names;
}

} // namespace

int parameter_choice(const ParameterSpec &spec, const char *choice, const AlgorithmEntry *algorithm)
{
	for (int c = 0; spec.choices[c]; c++)
		if (takes_choice(spec, algorithm, c) && std::strcmp(choice, spec.choices[c]) == 0)
			return c;
	throw InvalidArgument(std::string(spec.name) + " must be " + choice_list(spec, algorithm) +
	                      ", not \"" + choice + "\"");
}

double parameter_value(const ParameterSpec &spec, const Hyperparameters &h)
{
	return spec.real ? h.*spec.real : static_cast<double>(h.*spec.integer);
}

void set_parameter(const ParameterSpec &spec, Hyperparameters *h, double value)
{
	if (spec.real)
		h->*spec.real = value;
	else
		h->*spec.integer =
		    std::isfinite(value) && std::fabs(value) < 2e9 ? static_cast<int>(value) : -1;
}

void validate_parameter(const ParameterSpec &spec, double value)
{
	bool ok = std::isfinite(value) && (spec.min_exclusive ? value > spec.min : value >= spec.min) &&
	          value <= spec.max;
	if (ok)
		return;
	char text[160];
	if (spec.integer)
		std::snprintf(text, sizeof text, "%s must be between %g and %g, not %g", spec.name,
		              spec.min, spec.max, value);
	else if (spec.max == kUnbounded)
		std::snprintf(text, sizeof text, "%s must be a finite number %s %g", spec.name,
		              spec.min_exclusive ? ">" : ">=", spec.min);
	else
		std::snprintf(text, sizeof text, "%s must be between %g and %g", spec.name, spec.min,
		              spec.max);
	throw InvalidArgument(text);
}

void validate_sizes(const ParameterSpec &spec, const LayerSizes &sizes)
{
	if (sizes.count < 1 || sizes.count > kMaxHiddenLayers)
		throw InvalidArgument(std::string(spec.name) + " must have 1 to " +
		                      std::to_string(kMaxHiddenLayers) + " sizes, not " +
		                      std::to_string(sizes.count));
	for (int l = 0; l < sizes.count; l++)
		if (sizes.size[l] < spec.min || sizes.size[l] > spec.max)
		{
			char text[160];
			std::snprintf(text, sizeof text, "each of %s must be between %g and %g, not %d",
			              spec.name, spec.min, spec.max, sizes.size[l]);
			throw InvalidArgument(text);
		}
}

void validate(const AlgorithmEntry &algorithm, const Hyperparameters &h)
{
	for (const ParameterSpec &spec : kParameterSpecs)
	{
		if ((algorithm.parameters & spec.bit) == 0)
			continue;
		if (spec.sizes)
			validate_sizes(spec, h.*spec.sizes);
		else
			validate_parameter(spec, parameter_value(spec, h));
	}
	for (const ParameterSpec &spec : kParameterSpecs)
	{
		if ((algorithm.parameters & spec.bit) == 0 || spec.choices == nullptr)
			continue;
		const int c = h.*spec.integer;
		if (!takes_choice(spec, &algorithm, c))
			throw InvalidArgument(std::string(spec.name) + " of algorithm " + algorithm.name +
			                      " must be " + choice_list(spec, &algorithm) + ", not \"" +
			                      spec.choices[c] + "\"");
	}
	if (algorithm.parameters & kDropout && !(h.dropout < 1.0))
		throw InvalidArgument("dropout must be below 1: a dropout of 1 drops every unit");
	if (h.threads < 1 || h.threads > 64)
		throw InvalidArgument("threads must be between 1 and 64");
}

} // namespace pgrec
