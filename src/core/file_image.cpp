// write_image() (file_image.h): each thread assembles its chunks of the image in a buffer of its
// own (zeros, then the overlapping part of each section), checksums the chunk and writes it.
#include "file_image.h"

#include "checksum.h"
#include "parallel.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include <unistd.h>

#include "core_only.h"

namespace pgrec
{

namespace
{

// Writes all of [data, data + size) at offset, through short writes and interrupted calls.
void write_fully(int fd, const unsigned char *data, size_t size, size_t offset)
{
	while (size > 0)
	{
		ssize_t written = pwrite(fd, data, size, static_cast<off_t>(offset));
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0)
			throw std::system_error(written < 0 ? errno : ENOSPC, std::generic_category(), "pwrite");
		data += written;
		size -= static_cast<size_t>(written);
		offset += static_cast<size_t>(written);
	}
}

} // namespace

uint64_t write_image(int fd, const ImageSection *sections, size_t count, size_t from, size_t size,
                     int threads)
{
	size_t chunks = size > from ? (size - from + kChecksumChunk - 1) / kChecksumChunk : 0;
	std::vector<uint64_t> sums(chunks);
	parallel_for(chunks, threads,
	             [&](size_t begin, size_t end, int)
	             {
		             std::vector<unsigned char> buffer(kChecksumChunk);
		             for (size_t c = begin; c < end; c++)
		             {
			             size_t start = from + c * kChecksumChunk;
			             size_t length = std::min(kChecksumChunk, size - start);
			             std::memset(buffer.data(), 0, length);
			             for (size_t s = 0; s < count; s++)
			             {
				             const ImageSection &section = sections[s];
				             size_t lo = std::max(start, section.offset);
				             size_t hi = std::min(start + length, section.offset + section.bytes);
				             if (lo < hi)
					             std::memcpy(buffer.data() + (lo - start),
					                         static_cast<const unsigned char *>(section.data) +
					                             (lo - section.offset),
					                         hi - lo);
			             }
			             sums[c] = chunk_checksum64(buffer.data(), length);
			             write_fully(fd, buffer.data(), length, start);
		             }
	             });
	return combined_checksum64(sums.data(), sums.size());
}

} // namespace pgrec
