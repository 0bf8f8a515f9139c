// Unit tests of write_image() and inverse_norms(): the file written holds the image (sections at
// their offsets, zeros between) and the checksum returned is checksum64() of its bytes after
// `from`, for sections that cross chunk boundaries and any thread count; a failed write throws;
// the inverse norms are the same for every thread count.
#include "checksum.h"
#include "file_image.h"
#include "row_norms.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace
{

std::vector<unsigned char> read_all(int fd, size_t size)
{
	std::vector<unsigned char> out(size);
	EXPECT_EQ(pread(fd, out.data(), size, 0), static_cast<ssize_t>(size));
	return out;
}

TEST(FileImage, WritesTheImageAndItsChecksum)
{
	std::mt19937 rng(1);
	std::uniform_int_distribution<int> byte(0, 255);
	const size_t size = 3 * pgrec::kChecksumChunk + 12345;
	// Sections across the chunk boundaries, one empty, gaps of zeros between them.
	std::vector<std::vector<unsigned char>> data = {std::vector<unsigned char>(100),
	                                                std::vector<unsigned char>(pgrec::kChecksumChunk + 7),
	                                                {},
	                                                std::vector<unsigned char>(2 * pgrec::kChecksumChunk - 300)};
	for (auto &d : data)
		for (auto &b : d)
			b = static_cast<unsigned char>(byte(rng));
	std::vector<size_t> offsets = {500, 640, 3000000, pgrec::kChecksumChunk + 640 + 64};
	std::vector<pgrec::ImageSection> sections;
	std::vector<unsigned char> image(size, 0);
	for (size_t s = 0; s < data.size(); s++)
	{
		sections.push_back({offsets[s], data[s].data(), data[s].size()});
		std::copy(data[s].begin(), data[s].end(), image.begin() + static_cast<ptrdiff_t>(offsets[s]));
	}
	for (int threads : {1, 2, 3})
		for (size_t from : {size_t{0}, size_t{480}})
		{
			FILE *file = std::tmpfile();
			ASSERT_NE(file, nullptr);
			int fd = fileno(file);
			uint64_t sum = pgrec::write_image(fd, sections.data(), sections.size(), from, size, threads);
			EXPECT_EQ(sum, pgrec::checksum64(image.data() + from, size - from, 2)) << threads << " " << from;
			std::vector<unsigned char> written = read_all(fd, size);
			EXPECT_TRUE(std::equal(written.begin() + static_cast<ptrdiff_t>(from), written.end(),
			                       image.begin() + static_cast<ptrdiff_t>(from)));
			std::fclose(file);
		}
}

TEST(FileImage, AFailedWriteThrows)
{
	std::vector<unsigned char> data(1000, 7);
	pgrec::ImageSection section = {0, data.data(), data.size()};
	int fd = open("/dev/null", O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_THROW(pgrec::write_image(fd, &section, 1, 0, data.size(), 2), std::system_error);
	close(fd);
}

TEST(RowNorms, InverseNormsForAnyThreadCount)
{
	std::mt19937 rng(2);
	std::normal_distribution<float> normal;
	const size_t count = 40000;
	const int dim = 33;
	std::vector<float> rows(count * dim);
	for (float &x : rows)
		x = normal(rng);
	for (int f = 0; f < dim; f++)
		rows[5 * dim + f] = 0.0f; // a zero row
	std::vector<float> one(count), two(count);
	pgrec::inverse_norms(rows.data(), count, dim, 1, one.data());
	pgrec::inverse_norms(rows.data(), count, dim, 2, two.data());
	EXPECT_EQ(one, two);
	EXPECT_EQ(one[5], 0.0f);
	double norm = 0;
	for (int f = 0; f < dim; f++)
		norm += static_cast<double>(rows[f]) * rows[f];
	EXPECT_EQ(one[0], static_cast<float>(1.0 / std::sqrt(norm)));
}

} // namespace
