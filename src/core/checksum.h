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

} // namespace pgrec
