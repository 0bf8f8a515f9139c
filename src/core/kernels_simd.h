// Kernel bodies written once with GCC vector extensions; each kernels_<isa>.cpp includes this
// file with KERNEL_WIDTH (floats per register) and compiles it with its own -m flags.
#pragma once

#include "kernels.h"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "core_only.h"

#ifndef KERNEL_WIDTH
#error "define KERNEL_WIDTH before including kernels_simd.h"
#endif

namespace pgrec
{
// Internal linkage: every instruction set gets its own copy, never merged by the linker.
namespace
{

constexpr size_t W = KERNEL_WIDTH;
typedef float vfloat __attribute__((vector_size(W * sizeof(float))));

inline vfloat load(const float *p)
{
	vfloat v;
	std::memcpy(&v, p, sizeof v);
	return v;
}

inline void store(float *p, vfloat v)
{
	std::memcpy(p, &v, sizeof v);
}

// Lane by lane; one instruction (sqrtps) with -fno-math-errno, which the kernel files get. The
// builtin, not std::sqrt: no inline function shared with the other instruction sets' files.
inline vfloat square_root(vfloat v)
{
	for (size_t i = 0; i < W; i++)
		v[i] = __builtin_sqrtf(v[i]);
	return v;
}

inline float horizontal_sum(vfloat v)
{
	float s = 0.0f;
	for (size_t i = 0; i < W; i++)
		s += v[i];
	return s;
}

inline vfloat absolute(vfloat v)
{
	return v < 0 ? -v : v;
}

float simd_dot_product(const float *a, const float *b, size_t n)
{
	vfloat acc0 = {}, acc1 = {};
	size_t i = 0;
	for (; i + 2 * W <= n; i += 2 * W)
	{
		acc0 += load(a + i) * load(b + i);
		acc1 += load(a + i + W) * load(b + i + W);
	}
	for (; i + W <= n; i += W)
		acc0 += load(a + i) * load(b + i);
	float s = horizontal_sum(acc0 + acc1);
	for (; i < n; i++)
		s += a[i] * b[i];
	return s;
}

float simd_l2_squared_distance(const float *a, const float *b, size_t n)
{
	vfloat acc0 = {}, acc1 = {};
	size_t i = 0;
	for (; i + 2 * W <= n; i += 2 * W)
	{
		vfloat d0 = load(a + i) - load(b + i);
		vfloat d1 = load(a + i + W) - load(b + i + W);
		acc0 += d0 * d0;
		acc1 += d1 * d1;
	}
	for (; i + W <= n; i += W)
	{
		vfloat d = load(a + i) - load(b + i);
		acc0 += d * d;
	}
	float s = horizontal_sum(acc0 + acc1);
	for (; i < n; i++)
	{
		float d = a[i] - b[i];
		s += d * d;
	}
	return s;
}

float simd_l1_distance(const float *a, const float *b, size_t n)
{
	vfloat acc0 = {}, acc1 = {};
	size_t i = 0;
	for (; i + 2 * W <= n; i += 2 * W)
	{
		acc0 += absolute(load(a + i) - load(b + i));
		acc1 += absolute(load(a + i + W) - load(b + i + W));
	}
	for (; i + W <= n; i += W)
		acc0 += absolute(load(a + i) - load(b + i));
	float s = horizontal_sum(acc0 + acc1);
	for (; i < n; i++)
		s += a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
	return s;
}

CosineParts simd_cosine_parts(const float *a, const float *b, size_t n)
{
	vfloat dot = {}, na = {}, nb = {};
	size_t i = 0;
	for (; i + W <= n; i += W)
	{
		vfloat va = load(a + i), vb = load(b + i);
		dot += va * vb;
		na += va * va;
		nb += vb * vb;
	}
	CosineParts parts = {horizontal_sum(dot), horizontal_sum(na), horizontal_sum(nb)};
	for (; i < n; i++)
	{
		parts.dot += a[i] * b[i];
		parts.norm_a += a[i] * a[i];
		parts.norm_b += b[i] * b[i];
	}
	return parts;
}

// Four rows at a time, each with its own accumulator, so the loads of one row overlap the
// arithmetic of the others and the scan runs at memory speed.
void simd_dot_product_batch(const float *rows, size_t count, size_t dim, const float *query,
                            float *scores)
{
	size_t r = 0;
	for (; r + 4 <= count; r += 4)
	{
		const float *r0 = rows + r * dim;
		const float *r1 = r0 + dim;
		const float *r2 = r1 + dim;
		const float *r3 = r2 + dim;
		vfloat acc0 = {}, acc1 = {}, acc2 = {}, acc3 = {};
		size_t i = 0;
		for (; i + W <= dim; i += W)
		{
			vfloat q = load(query + i);
			acc0 += load(r0 + i) * q;
			acc1 += load(r1 + i) * q;
			acc2 += load(r2 + i) * q;
			acc3 += load(r3 + i) * q;
		}
		float s0 = horizontal_sum(acc0), s1 = horizontal_sum(acc1);
		float s2 = horizontal_sum(acc2), s3 = horizontal_sum(acc3);
		for (; i < dim; i++)
		{
			s0 += r0[i] * query[i];
			s1 += r1[i] * query[i];
			s2 += r2[i] * query[i];
			s3 += r3[i] * query[i];
		}
		scores[r] = s0;
		scores[r + 1] = s1;
		scores[r + 2] = s2;
		scores[r + 3] = s3;
	}
	for (; r < count; r++)
		scores[r] = simd_dot_product(rows + r * dim, query, dim);
}

// Adds the lanes pairwise (a tree, not a chain): the compact scan bounds its rounding anyway.
inline float tree_sum(vfloat v)
{
	float lanes[W];
	std::memcpy(lanes, &v, sizeof v);
	for (size_t half = W / 2; half > 0; half /= 2)
		for (size_t i = 0; i < half; i++)
			lanes[i] += lanes[i + half];
	return lanes[0];
}

// W codes widened to floats: one sign extension and one conversion where the instruction set
// has them (GCC does not vectorise the widening by itself).
inline vfloat load_codes(const int8_t *p)
{
	vfloat v;
#if defined(__AVX512F__)
	static_assert(W == 16, "AVX-512 codes take 16 lanes");
	// The zero-masked forms: GCC 12 warns of the unmasked ones' undefined pass-through.
	__m512i codes = _mm512_maskz_cvtepi8_epi32(0xffff, _mm_loadu_si128((const __m128i *)p));
	__m512 f = _mm512_maskz_cvtepi32_ps(0xffff, codes);
	std::memcpy(&v, &f, sizeof v);
#elif defined(__AVX2__)
	static_assert(W == 8, "AVX2 codes take 8 lanes");
	__m256 f = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
	std::memcpy(&v, &f, sizeof v);
#elif defined(__SSE2__)
	static_assert(W == 4, "SSE2 codes take 4 lanes");
	int32_t word;
	std::memcpy(&word, p, sizeof word);
	__m128i bytes = _mm_cvtsi32_si128(word);
	__m128i words = _mm_unpacklo_epi16(_mm_unpacklo_epi8(bytes, bytes), _mm_unpacklo_epi8(bytes, bytes));
	__m128 f = _mm_cvtepi32_ps(_mm_srai_epi32(words, 24));
	std::memcpy(&v, &f, sizeof v);
#else
	for (size_t i = 0; i < W; i++)
		v[i] = static_cast<float>(p[i]);
#endif
	return v;
}

// Four rows at a time, as simd_dot_product_batch; stride is a multiple of W.
void simd_code_dot_product_batch(const int8_t *codes, size_t count, size_t stride,
                                 const float *query, float *scores)
{
	size_t r = 0;
	for (; r + 4 <= count; r += 4)
	{
		const int8_t *r0 = codes + r * stride;
		vfloat acc0 = {}, acc1 = {}, acc2 = {}, acc3 = {};
		for (size_t i = 0; i < stride; i += W)
		{
			vfloat q = load(query + i);
			acc0 += load_codes(r0 + i) * q;
			acc1 += load_codes(r0 + stride + i) * q;
			acc2 += load_codes(r0 + 2 * stride + i) * q;
			acc3 += load_codes(r0 + 3 * stride + i) * q;
		}
		scores[r] = tree_sum(acc0);
		scores[r + 1] = tree_sum(acc1);
		scores[r + 2] = tree_sum(acc2);
		scores[r + 3] = tree_sum(acc3);
	}
	for (; r < count; r++)
	{
		vfloat acc = {};
		for (size_t i = 0; i < stride; i += W)
			acc += load_codes(codes + r * stride + i) * load(query + i);
		scores[r] = tree_sum(acc);
	}
}

void simd_add_scaled(float *out, const float *x, float w, size_t n)
{
	size_t i = 0;
	for (; i + W <= n; i += W)
		store(out + i, load(out + i) + w * load(x + i));
	for (; i < n; i++)
		out[i] += w * x[i];
}

void simd_adagrad_step(float *param, float *sq, const float *direction, float scale, float reg,
                       float lr, size_t n)
{
	size_t i = 0;
	for (; i + W <= n; i += W)
	{
		vfloat p = load(param + i);
		vfloat g = scale * load(direction + i) + reg * p;
		vfloat s = load(sq + i) + g * g;
		store(sq + i, s);
		store(param + i, p - lr * g / square_root(s));
	}
	for (; i < n; i++)
	{
		float g = scale * direction[i] + reg * param[i];
		sq[i] += g * g;
		param[i] -= lr * g / __builtin_sqrtf(sq[i]);
	}
}

// The checksum's 64-bit lanes, W / 2 to a register; a stripe of kChecksumLanes words takes
// kChecksumLanes / (W / 2) registers.
typedef uint64_t vu64 __attribute__((vector_size(W * sizeof(float))));
constexpr size_t kLanesPerRegister = W / 2;
constexpr size_t kStripeRegisters = kChecksumLanes / kLanesPerRegister;

// The products of the low 32 bits of a's and b's lanes, as 64 bits.
inline vu64 multiply_low_halves(vu64 a, vu64 b)
{
#if KERNEL_WIDTH == 16 && defined(__AVX512F__)
	// The masked form: GCC 12 warns of the unmasked one's undefined source.
	return (vu64)_mm512_maskz_mul_epu32(static_cast<__mmask8>(0xff), (__m512i)a, (__m512i)b);
#elif KERNEL_WIDTH == 8 && defined(__AVX2__)
	return (vu64)_mm256_mul_epu32((__m256i)a, (__m256i)b);
#elif KERNEL_WIDTH == 4 && defined(__SSE2__)
	return (vu64)_mm_mul_epu32((__m128i)a, (__m128i)b);
#else
	return (a & 0xffffffffull) * (b & 0xffffffffull);
#endif
}

// Word j of stripe s is x = w ^ (key_j + s step_j), and lane j gains lo(x) hi(x) + w: integer
// arithmetic only, so every instruction set gives the same lanes. Not one-to-one in w (two
// words can add the same): a changed word goes unseen only if its product changes by exactly
// minus its own change, which corruption that is not crafted hardly ever does.
void simd_checksum_stripes(const unsigned char *data, size_t stripes, uint64_t *lanes)
{
	vu64 acc[kStripeRegisters], key[kStripeRegisters], step[kStripeRegisters];
	for (size_t r = 0; r < kStripeRegisters; r++)
	{
		std::memcpy(&acc[r], lanes + r * kLanesPerRegister, sizeof(vu64));
		std::memcpy(&key[r], kChecksumKeys + r * kLanesPerRegister, sizeof(vu64));
		std::memcpy(&step[r], kChecksumSteps + r * kLanesPerRegister, sizeof(vu64));
	}
	for (size_t s = 0; s < stripes; s++)
	{
		const unsigned char *stripe = data + s * kChecksumLanes * sizeof(uint64_t);
		for (size_t r = 0; r < kStripeRegisters; r++)
		{
			vu64 w;
			std::memcpy(&w, stripe + r * sizeof(vu64), sizeof w);
			vu64 x = w ^ key[r];
			acc[r] += multiply_low_halves(x, x >> 32) + w;
			key[r] += step[r];
		}
	}
	for (size_t r = 0; r < kStripeRegisters; r++)
		std::memcpy(lanes + r * kLanesPerRegister, &acc[r], sizeof(vu64));
}

} // namespace
} // namespace pgrec

// Defines the KernelTable of one instruction set, named name, returned by function.
#define PGREC_DEFINE_KERNEL_TABLE(function, name)                                                  \
	const pgrec::KernelTable *pgrec::function() noexcept                                           \
	{                                                                                              \
		static const KernelTable table = {name,                                                    \
		                                  simd_dot_product,                                        \
		                                  simd_l2_squared_distance,                                \
		                                  simd_l1_distance,                                        \
		                                  simd_cosine_parts,                                       \
		                                  simd_dot_product_batch,                                  \
		                                  simd_code_dot_product_batch,                             \
		                                  simd_add_scaled,                                         \
		                                  simd_adagrad_step,                                       \
		                                  simd_checksum_stripes};                                  \
		return &table;                                                                             \
	}
