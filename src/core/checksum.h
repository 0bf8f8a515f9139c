// The checksum of pgrec's derived cache files (src/pg/model_file.h): 64 bits over a byte range,
// computed in independent 1 MiB chunks on several threads and combined in chunk order, so the
// value does not depend on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pgrec
{

// The checksum of bytes [data, data + size), with `threads` threads.
uint64_t checksum64(const void *data, size_t size, int threads);

// checksum64 in pieces, for data that is never contiguous in memory (file_image.h): the value
// of each kChecksumChunk bytes (the last may be shorter), then of their values in order.
constexpr size_t kChecksumChunk = size_t{1} << 20;
uint64_t chunk_checksum64(const void *chunk, size_t size);
uint64_t combined_checksum64(const uint64_t *chunk_sums, size_t chunks);

} // namespace pgrec
