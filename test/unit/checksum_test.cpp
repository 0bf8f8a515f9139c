// Unit tests of the shared cache files' checksum: the same for every thread count and every
// instruction set, and changed by any flipped bit, a swapped pair of words or stripes or another
// length.
#include "checksum.h"
#include "kernels.h"
#include "runnable_kernels.h"

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
	std::swap(words[10], words[11]);
	// The same word of two stripes (a lane's words swapped), and two whole stripes.
	std::swap(words[3], words[3 + 8]);
	EXPECT_NE(pgrec::checksum64(words.data(), bytes, 2), base);
	std::swap(words[3], words[3 + 8]);
	std::swap_ranges(words.begin() + 64, words.begin() + 72, words.begin() + 800);
	EXPECT_NE(pgrec::checksum64(words.data(), bytes, 2), base);
	std::swap_ranges(words.begin() + 64, words.begin() + 72, words.begin() + 800);
	EXPECT_EQ(pgrec::checksum64(words.data(), bytes, 2), base);
	EXPECT_NE(pgrec::checksum64(words.data(), 0, 1), pgrec::checksum64(words.data(), 1, 1));
}

// The stripes kernel of every instruction set this CPU runs gives the generic one's lanes, for
// any count of stripes and any alignment of the data.
TEST(Checksum, EveryInstructionSetFoldsTheSameLanes)
{
	std::mt19937_64 rng(5);
	std::vector<unsigned char> bytes(64 * 70 + 1);
	for (unsigned char &b : bytes)
		b = static_cast<unsigned char>(rng());
	const std::vector<const pgrec::KernelTable *> tables = runnable_tables();
	for (size_t stripes : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{69}})
	{
		uint64_t expected[pgrec::kChecksumLanes];
		for (size_t l = 0; l < pgrec::kChecksumLanes; l++)
			expected[l] = l;
		pgrec::generic_kernels()->checksum_stripes(bytes.data() + 1, stripes, expected);
		EXPECT_EQ(expected[0] == 0, stripes == 0);
		for (const pgrec::KernelTable *t : tables)
		{
			uint64_t lanes[pgrec::kChecksumLanes];
			for (size_t l = 0; l < pgrec::kChecksumLanes; l++)
				lanes[l] = l;
			t->checksum_stripes(bytes.data() + 1, stripes, lanes);
			for (size_t l = 0; l < pgrec::kChecksumLanes; l++)
				EXPECT_EQ(lanes[l], expected[l]) << t->name << " " << stripes << " " << l;
		}
	}
}

} // namespace
