// Quantises float rows to int8 codes with one step per row (the largest magnitude over 127) and
// the error radius of each, computed in double and rounded up; slices of rows in parallel.
#include "compact_rows.h"

#include "parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core_only.h"

namespace pgrec
{

namespace
{

constexpr size_t kCheckRows = 4096;

// Rows [begin, end) of out from rows.
void compact_range(const float *rows, CompactRows &out, size_t begin, size_t end)
{
	const size_t dim = static_cast<size_t>(out.dim);
	const double rounding = kernel_rounding(out.dim);
	for (size_t r = begin; r < end; r++)
	{
		const float *x = rows + r * dim;
		int8_t *codes = out.codes + r * out.stride;
		std::memset(codes, 0, out.stride);
		float largest = 0.0f; // the factors are finite (checked when loaded)
		for (size_t f = 0; f < dim; f++)
			largest = std::max(largest, std::fabs(x[f]));
		// The inverse in double: finite even for a subnormal largest.
		float step = largest / 127.0f;
		double inverse = largest > 0.0f ? 127.0 / largest : 0.0;
		// Rounded half away from zero, at most 127 in magnitude; any code is sound, as the
		// radius is measured from the code chosen.
		for (size_t f = 0; f < dim; f++)
		{
			double t = x[f] * inverse;
			int code = static_cast<int>(t + std::copysign(0.5, t));
			codes[f] = static_cast<int8_t>(std::max(-127, std::min(127, code)));
		}
		// In double, four partial sums so the loop does not wait on one addition chain.
		double error[4] = {0, 0, 0, 0}, squares[4] = {0, 0, 0, 0};
		for (size_t f = 0; f < dim; f++)
		{
			double value = x[f];
			double residual = value - codes[f] * static_cast<double>(step);
			error[f % 4] += residual * residual;
			squares[f % 4] += value * value;
		}
		double error_sum = (error[0] + error[1]) + (error[2] + error[3]);
		double norm_sum = (squares[0] + squares[1]) + (squares[2] + squares[3]);
		// |step P - fl(q . x)| <= |q| (E (1 + g) + g |x|), E = |x - step c|, g kernel_rounding.
		double e = std::sqrt(error_sum) * (1.0 + 1e-12), n = std::sqrt(norm_sum) * (1.0 + 1e-12);
		out.step[r] = step;
		out.radius[r] = float_above(e * (1.0 + rounding) + rounding * n);
	}
}

} // namespace

float float_above(double x)
{
	float f = static_cast<float>(x);
	if (static_cast<double>(f) < x)
		f = std::nextafter(f, INFINITY);
	return f;
}

size_t compact_stride(int dim)
{
	return (static_cast<size_t>(dim) + 63) / 64 * 64;
}

size_t compact_rows_bytes(size_t count, int dim)
{
	return count * (compact_stride(dim) + 2 * sizeof(float));
}

float kernel_rounding(int dim)
{
	return static_cast<float>(2.0 * (dim + 16) * std::ldexp(1.0, -24));
}

void compact_rows(const float *rows, CompactRows &out, int threads, const CancelToken &cancel)
{
	size_t chunks = (out.count + kCheckRows - 1) / kCheckRows;
	parallel_for(chunks, threads,
	             [&](size_t begin, size_t end, int)
	             {
		             for (size_t chunk = begin; chunk < end; chunk++)
		             {
			             cancel.check();
			             compact_range(rows, out, chunk * kCheckRows,
			                           std::min(out.count, (chunk + 1) * kCheckRows));
		             }
	             });
}

} // namespace pgrec
