// The cache files' checksum: each 1 MiB chunk's 64-byte stripes folded into eight 64-bit lanes
// by the SIMD kernel (kernels.h: each word mixed with a key that moves every stripe, so the
// order of the words counts, then multiplied half by half), the lanes and the tail bytes
// combined by a multiply-rotate and a final avalanche, and the chunk values checksummed again in
// order.
#include "checksum.h"

#include "kernels.h"
#include "parallel.h"

#include <algorithm>
#include <vector>

#include "core_only.h"

namespace pgrec
{

namespace
{

constexpr uint64_t kOdd1 = 0x9e3779b97f4a7c15ull, kOdd2 = 0xc2b2ae3d27d4eb4full;

uint64_t rotate(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

uint64_t mix(uint64_t lane, uint64_t word)
{
	return rotate(lane + word * kOdd2, 31) * kOdd1;
}

uint64_t avalanche(uint64_t h)
{
	h ^= h >> 33;
	h *= kOdd2;
	h ^= h >> 29;
	h *= kOdd1;
	return h ^ (h >> 32);
}

// One chunk: its stripes by the kernel, then the lanes, the tail byte by byte, the length last.
uint64_t chunk_checksum(const unsigned char *p, size_t size)
{
	uint64_t lane[kChecksumLanes];
	for (size_t l = 0; l < kChecksumLanes; l++)
		lane[l] = kChecksumKeys[kChecksumLanes - 1 - l];
	const size_t stripe = kChecksumLanes * sizeof(uint64_t), stripes = size / stripe;
	kernels().checksum_stripes(p, stripes, lane);
	uint64_t h = kOdd1;
	for (uint64_t l : lane)
		h = mix(h, l);
	for (size_t i = stripes * stripe; i < size; i++)
		h = mix(h, p[i]);
	return avalanche(h ^ size);
}

} // namespace

uint64_t chunk_checksum64(const void *chunk, size_t size)
{
	return chunk_checksum(static_cast<const unsigned char *>(chunk), size);
}

uint64_t combined_checksum64(const uint64_t *chunk_sums, size_t chunks)
{
	return chunk_checksum(reinterpret_cast<const unsigned char *>(chunk_sums), chunks * sizeof(uint64_t));
}

uint64_t checksum64(const void *data, size_t size, int threads)
{
	const unsigned char *p = static_cast<const unsigned char *>(data);
	size_t chunks = (size + kChecksumChunk - 1) / kChecksumChunk;
	std::vector<uint64_t> sums(chunks);
	parallel_for(chunks, threads,
	             [&](size_t begin, size_t end, int)
	             {
		             for (size_t c = begin; c < end; c++)
			             sums[c] = chunk_checksum(p + c * kChecksumChunk,
			                                      std::min(kChecksumChunk, size - c * kChecksumChunk));
	             });
	return combined_checksum64(sums.data(), sums.size());
}

} // namespace pgrec
