// Writing a file image without making it in memory: sections of bytes at their offsets and
// zeros between them, assembled 1 MiB at a time, written with pwrite() by several threads and
// checksummed (checksum.h) as they go. For the shared cache files (src/pg/cache_file.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace pgrec
{

// Section bytes [data, data + bytes) at offset of the image; sections do not overlap.
struct ImageSection
{
	size_t offset;
	const void *data;
	size_t bytes;
};

// Writes bytes [from, size) of the image of count sections to descriptor fd at the same offsets
// and returns checksum64() of those bytes. Uses `threads` threads; throws std::system_error
// when a write fails (the file is then incomplete).
uint64_t write_image(int fd, const ImageSection *sections, size_t count, size_t from, size_t size,
                     int threads);

} // namespace pgrec
