// copy_finite (finite_floats.h): a branch-free loop the compiler vectorises. A float is not
// finite when its exponent bits are all ones.
#include "finite_floats.h"

#include <cstdint>
#include <cstring>

#include "core_only.h"

namespace pgrec
{

bool copy_finite(float *out, const float *in, size_t n)
{
	constexpr uint32_t kExponent = 0x7f800000u;
	uint32_t not_finite = 0;
	for (size_t i = 0; i < n; i++)
	{
		uint32_t bits;
		std::memcpy(&bits, in + i, sizeof bits);
		not_finite |= static_cast<uint32_t>((bits & kExponent) == kExponent);
		out[i] = in[i];
	}
	return not_finite == 0;
}

} // namespace pgrec
