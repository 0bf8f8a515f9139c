// Copying floats read from a table while checking that every one is finite, in one pass.
#pragma once

#include <cstddef>

namespace pgrec
{

// Copies n floats from in to out (all n, whatever they hold); true when every one is finite.
bool copy_finite(float *out, const float *in, size_t n);

} // namespace pgrec
