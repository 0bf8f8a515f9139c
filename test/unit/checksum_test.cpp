// Unit tests of the shared cache files' checksum: the same for every thread count, and changed
// by any flipped bit, a swapped pair of words or another length.
#include "checksum.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace
{

TEST(Checksum, SameForEveryThreadCountAndChangedByAnyEdit)
{
	std::mt19937_64 rng(9);
	std::vector<uint64_t> words(3 * (1 << 17) + 5); // three 1 MiB chunks and a tail
	for (uint64_t &w : words)
		w = rng();
	const size_t bytes = words.size() * sizeof(uint64_t) - 3;
	uint64_t base = pgrec::checksum64(words.data(), bytes, 1);
	EXPECT_EQ(pgrec::checksum64(words.data(), bytes, 2), base);
	EXPECT_EQ(pgrec::checksum64(words.data(), bytes, 7), base);
	EXPECT_NE(pgrec::checksum64(words.data(), bytes - 1, 1), base);
	unsigned char *p = reinterpret_cast<unsigned char *>(words.data());
	for (size_t at : {size_t{0}, size_t{12345}, size_t{1} << 20, bytes - 1})
		for (int bit : {0, 7})
		{
			p[at] ^= static_cast<unsigned char>(1 << bit);
			EXPECT_NE(pgrec::checksum64(words.data(), bytes, 2), base) << at << " bit " << bit;
			p[at] ^= static_cast<unsigned char>(1 << bit);
		}
	std::swap(words[10], words[11]);
	EXPECT_NE(pgrec::checksum64(words.data(), bytes, 2), base);
	EXPECT_NE(pgrec::checksum64(words.data(), 0, 1), pgrec::checksum64(words.data(), 1, 1));
}

} // namespace
