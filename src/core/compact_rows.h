// The compact copy of a factor matrix that the compact scan reads (compact_scan.h): each row as
// int8 codes times a step, with a radius that bounds, for any query, how far the compact dot
// product can be from the float kernels' result. A quarter of the bytes of the floats.
#pragma once

#include "cancel_token.h"

#include <cstddef>
#include <cstdint>

namespace pgrec
{

// Row r is about step[r] * codes[r * stride .. + dim) (the rest of the stride is zeros). For a
// query q, |step[r] * fl(q . codes_r) - fl(q . row_r)| <= |q| * radius[r], with fl() the
// kernels' float arithmetic (kernels.h). A radius is infinite when the row's norm overflows.
struct CompactRows
{
	int8_t *codes;
	float *step;
	float *radius;
	size_t count;
	int dim;
	size_t stride; // dim rounded up to 64
};

// The stride of rows of dim codes.
size_t compact_stride(int dim);

// The bytes the arrays of count rows of dim take.
size_t compact_rows_bytes(size_t count, int dim);

// Fills out's arrays (allocated by the caller: count * stride codes, count steps and radii)
// from count row-major float rows of out.dim; out.count, dim and stride must be set. Uses
// `threads` threads; checks the token every few thousand rows (throws Cancelled).
void compact_rows(const float *rows, CompactRows &out, int threads, const CancelToken &cancel);

// The relative rounding of the float kernels and of the compact scan's own arithmetic over rows
// of dim floats, as used by the radii (an upper bound of twice (dim + 16) units in the last place).
float kernel_rounding(int dim);

// x as a float no smaller than x (infinite beyond the float range).
float float_above(double x);

} // namespace pgrec
