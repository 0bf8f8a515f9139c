// Numeric kernels over float vectors: dot product, distances, norms, the batched dot product
// used by scans and the SGD updates of hybrid; and the hot loop of the cache files' checksum.
// Dispatches once, at first use, to the widest SIMD set the CPU supports.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pgrec
{

// Dot product and squared norms of two vectors, computed in one pass for cosine.
struct CosineParts
{
	float dot;
	float norm_a; // squared
	float norm_b; // squared
};

// One implementation of every kernel for one instruction set.
struct KernelTable
{
	const char *name;
	float (*dot_product)(const float *a, const float *b, size_t n);
	float (*l2_squared_distance)(const float *a, const float *b, size_t n);
	float (*l1_distance)(const float *a, const float *b, size_t n);
	CosineParts (*cosine_parts)(const float *a, const float *b, size_t n);
	void (*dot_product_batch)(const float *rows, size_t count, size_t dim, const float *query,
	                          float *scores);
	void (*code_dot_product_batch)(const int8_t *codes, size_t count, size_t stride,
	                               const float *query, float *scores);
	// out += w * x.
	void (*add_scaled)(float *out, const float *x, float w, size_t n);
	// One Adagrad step on n parameters: g = scale * direction + reg * param, sq += g * g,
	// param -= lr * g / sqrt(sq) (element-wise; the three arrays must not overlap).
	void (*adagrad_step)(float *param, float *sq, const float *direction, float scale, float reg,
	                     float lr, size_t n);
	// The hot loop of the cache files' checksum (checksum.cpp): stripes of kChecksumLanes 64-bit
	// words (unaligned) folded into the lanes, the same on every instruction set.
	void (*checksum_stripes)(const unsigned char *data, size_t stripes, uint64_t *lanes);
};

// The checksum's lanes, and the key each lane's words are mixed with and its step per stripe
// (odd constants: each key takes 2^64 values before it repeats).
constexpr size_t kChecksumLanes = 8;
constexpr uint64_t kChecksumKeys[kChecksumLanes] = {
    0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull, 0x85ebca77c2b2ae63ull,
    0x27d4eb2f165667c5ull, 0xff51afd7ed558ccdull, 0xc4ceb9fe1a85ec53ull, 0xd6e8feb86659fd93ull};
constexpr uint64_t kChecksumSteps[kChecksumLanes] = {
    0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull, 0x9fb21c651e98df25ull, 0xa0761d6478bd642full,
    0xe7037ed1a0b428dbull, 0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull, 0x1d8e4e27c47d124full};

// The tables of each instruction set; the SIMD ones are null when not compiled in.
const KernelTable *generic_kernels() noexcept;
const KernelTable *avx2_kernels() noexcept;
const KernelTable *avx512_kernels() noexcept;

// The table of instruction_set() (instruction_set.h).
const KernelTable &kernels() noexcept;

inline float dot_product(const float *a, const float *b, size_t n) noexcept
{
	return kernels().dot_product(a, b, n);
}

inline float l2_squared_distance(const float *a, const float *b, size_t n) noexcept
{
	return kernels().l2_squared_distance(a, b, n);
}

inline float l1_distance(const float *a, const float *b, size_t n) noexcept
{
	return kernels().l1_distance(a, b, n);
}

inline CosineParts cosine_parts(const float *a, const float *b, size_t n) noexcept
{
	return kernels().cosine_parts(a, b, n);
}

// Double-precision versions, for the rare inputs whose float results overflow.
double dot_product_double(const float *a, const float *b, size_t n) noexcept;
double l2_squared_distance_double(const float *a, const float *b, size_t n) noexcept;
double l1_distance_double(const float *a, const float *b, size_t n) noexcept;

// scores[i] = dot(rows + i * dim, query) for i < count; rows is a dense row-major matrix.
// Rows are taken four at a time from the first, each with its own accumulator: a row's score
// depends on whether it is in a group of four (index < count - count % 4) or in the tail, and on
// nothing else (the compact scan re-scores rows exactly so).
inline void dot_product_batch(const float *rows, size_t count, size_t dim, const float *query,
                              float *scores) noexcept
{
	kernels().dot_product_batch(rows, count, dim, query, scores);
}

// scores[i] = dot(codes + i * stride, query) for i < count over int8 codes (compact_rows.h),
// stride a multiple of 64 and query zero-padded to stride floats. The lanes are summed as a
// tree, so the result differs from the float kernels' in the last bits.
inline void code_dot_product_batch(const int8_t *codes, size_t count, size_t stride,
                                   const float *query, float *scores) noexcept
{
	kernels().code_dot_product_batch(codes, count, stride, query, scores);
}

} // namespace pgrec
