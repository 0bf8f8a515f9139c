// Unit tests of the embedding binary decoder and encoder: exact round trips of awkward floats
// and sizes, each error kind with its fields, and the order in which the checks run.
#include "embedding_binary.h"
#include "embedding_text.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace
{

using Bytes = std::vector<uint8_t>;
using K = pgrec::BinaryErrorKind;

struct Decoded
{
	int dim;
	std::vector<float> values;
	pgrec::BinaryDecodeError error;
};

// Decodes bytes into a buffer of capacity floats (the dimension count read, by default).
Decoded decode(const Bytes &bytes, int32_t typmod = -1, int capacity = -1)
{
	Decoded d;
	if (capacity < 0)
		capacity = bytes.size() >= 2 ? (bytes[0] << 8 | bytes[1]) : 0;
	d.values.assign(capacity, 0.0f);
	d.dim = pgrec::decode_embedding_binary(bytes.data(), bytes.size(), typmod, d.values.data(),
	                                       capacity, &d.error);
	if (d.dim >= 0)
		d.values.resize(d.dim);
	return d;
}

// The binary form of values, by the encoder under test.
Bytes encode(const std::vector<float> &values)
{
	int dim = static_cast<int>(values.size());
	Bytes out(pgrec::embedding_binary_size(dim) + 1, 0xAA);
	EXPECT_EQ(pgrec::encode_embedding_binary(values.data(), dim, out.data()), out.size() - 1);
	EXPECT_EQ(out.back(), 0xAA) << "the encoder wrote past its size";
	out.pop_back();
	return out;
}

// Appends a big-endian int2.
void put16(Bytes &b, unsigned v)
{
	b.push_back(static_cast<uint8_t>(v >> 8));
	b.push_back(static_cast<uint8_t>(v));
}

// Appends a float's bits big-endian.
void put_float(Bytes &b, uint32_t bits)
{
	for (int shift = 24; shift >= 0; shift -= 8)
		b.push_back(static_cast<uint8_t>(bits >> shift));
}

// A message of dim (as an unsigned int2), reserved, then the given float bit patterns.
Bytes message(unsigned dim, unsigned reserved, const std::vector<uint32_t> &float_bits)
{
	Bytes b;
	put16(b, dim);
	put16(b, reserved);
	for (uint32_t bits : float_bits)
		put_float(b, bits);
	return b;
}

TEST(EncodeEmbeddingBinary, WritesNetworkByteOrder)
{
	// What embedding_send gave for '[1,2]' and pg_regress feeds back: \x000200003f80000040000000.
	EXPECT_EQ(encode({1.0f, 2.0f}),
	          (Bytes{0x00, 0x02, 0x00, 0x00, 0x3f, 0x80, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00}));
	EXPECT_EQ(encode({-0.0f}), (Bytes{0x00, 0x01, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00}));
	std::vector<float> max_dim(pgrec::kEmbeddingMaxDim, 0.5f);
	Bytes big = encode(max_dim);
	EXPECT_EQ(big[0], 0x3e); // 16000 = 0x3e80
	EXPECT_EQ(big[1], 0x80);
}

TEST(DecodeEmbeddingBinary, DecodesKnownMessage)
{
	Decoded d = decode(message(2, 0, {0x3f800000, 0xc0200000}));
	ASSERT_EQ(d.dim, 2) << d.error.message;
	EXPECT_EQ(d.values, (std::vector<float>{1.0f, -2.5f}));
	EXPECT_EQ(d.error.kind, K::None);
}

TEST(DecodeEmbeddingBinary, RoundTripsAwkwardFloatsBitForBit)
{
	std::vector<float> awkward = {-0.0f,
	                              0.0f,
	                              std::numeric_limits<float>::max(),
	                              std::numeric_limits<float>::lowest(),
	                              std::numeric_limits<float>::min(),
	                              std::numeric_limits<float>::denorm_min(),
	                              -std::numeric_limits<float>::denorm_min(),
	                              1.0f / 3.0f};
	std::mt19937 rng(7);
	std::uniform_int_distribution<uint32_t> bits;
	while (awkward.size() < static_cast<size_t>(pgrec::kEmbeddingMaxDim))
	{
		uint32_t b = bits(rng);
		float f;
		std::memcpy(&f, &b, sizeof f);
		if (std::isfinite(f))
			awkward.push_back(f);
	}
	// Awkward sizes: one element, odd counts, around powers of two, and the maximum.
	for (int dim : {1, 2, 3, 7, 8, 9, 255, 256, 257, 1023, 4097, pgrec::kEmbeddingMaxDim - 1,
	                pgrec::kEmbeddingMaxDim})
	{
		std::vector<float> values(awkward.begin(), awkward.begin() + dim);
		Bytes bytes = encode(values);
		ASSERT_EQ(bytes.size(), 4 + 4 * static_cast<size_t>(dim));
		Decoded d = decode(bytes, dim);
		ASSERT_EQ(d.dim, dim) << d.error.message;
		ASSERT_EQ(std::memcmp(d.values.data(), values.data(), sizeof(float) * dim), 0)
		    << "dim " << dim;
		EXPECT_EQ(encode(d.values), bytes);
	}
}

TEST(DecodeEmbeddingBinary, ReportsDimensionBeforeElements)
{
	pgrec::BinaryDecodeError error;
	Bytes header = message(3, 0, {});
	// The header alone tells the caller how much to allocate, although no element follows yet.
	EXPECT_EQ(pgrec::embedding_binary_dim(header.data(), header.size(), -1, &error), 3);
	EXPECT_EQ(error.kind, K::None);
	EXPECT_EQ(pgrec::embedding_binary_dim(header.data(), header.size(), 3, &error), 3);
	EXPECT_EQ(pgrec::embedding_binary_dim(header.data(), header.size(), 4, &error), -1);
	EXPECT_EQ(error.kind, K::TypmodMismatch);
}

struct ErrorCase
{
	const char *name;
	Bytes bytes;
	int32_t typmod;
	K kind;
	int dim;
	int element;
	size_t needed;
	const char *message;
};

// Prints a case by name, so failures say which.
void PrintTo(const ErrorCase &c, std::ostream *os)
{
	*os << c.name;
}

class DecodeErrors : public ::testing::TestWithParam<ErrorCase>
{
};

TEST_P(DecodeErrors, ReportsKindFieldsAndMessage)
{
	const ErrorCase &c = GetParam();
	// A buffer as large as the largest embedding, so only the message decides.
	Decoded d = decode(c.bytes, c.typmod, pgrec::kEmbeddingMaxDim);
	EXPECT_EQ(d.dim, -1);
	EXPECT_EQ(d.error.kind, c.kind);
	EXPECT_EQ(d.error.dim, c.dim);
	EXPECT_EQ(d.error.element, c.element);
	EXPECT_EQ(d.error.needed, c.needed);
	EXPECT_EQ(d.error.length, c.bytes.size());
	EXPECT_STREQ(d.error.message, c.message);
}

constexpr uint32_t kOne = 0x3f800000;
constexpr uint32_t kNaN = 0x7fc00000;
constexpr uint32_t kInf = 0x7f800000;

INSTANTIATE_TEST_SUITE_P(
    AllKinds, DecodeErrors,
    ::testing::Values(
        ErrorCase{"empty",
                  {},
                  -1,
                  K::ShortMessage,
                  0,
                  0,
                  4,
                  "insufficient data left in message: 0 bytes, the header needs 4"},
        // The header is read whole before its dimension count is checked, as recv always did.
        ErrorCase{"dim zero without reserved",
                  {0, 0},
                  -1,
                  K::ShortMessage,
                  0,
                  0,
                  4,
                  "insufficient data left in message: 2 bytes, the header needs 4"},
        ErrorCase{"three bytes",
                  {0, 1, 0},
                  -1,
                  K::ShortMessage,
                  0,
                  0,
                  4,
                  "insufficient data left in message: 3 bytes, the header needs 4"},
        ErrorCase{"dim zero", message(0, 0, {}), -1, K::BadDimension, 0, 0, 0,
                  "invalid dimension count 0 in binary embedding"},
        ErrorCase{"dim negative", message(0xffff, 0, {kOne}), -1, K::BadDimension, -1, 0, 0,
                  "invalid dimension count -1 in binary embedding"},
        ErrorCase{"dim most negative", message(0x8000, 0, {}), -1, K::BadDimension, -32768, 0, 0,
                  "invalid dimension count -32768 in binary embedding"},
        ErrorCase{"dim above maximum", message(16001, 0, {}), -1, K::BadDimension, 16001, 0, 0,
                  "invalid dimension count 16001 in binary embedding"},
        ErrorCase{"dim largest int2", message(0x7fff, 0, {}), -1, K::BadDimension, 32767, 0, 0,
                  "invalid dimension count 32767 in binary embedding"},
        ErrorCase{"reserved 7", message(1, 7, {kOne}), -1, K::NonzeroReserved, 1, 0, 0,
                  "invalid binary embedding: the reserved field is 7; it must be 0"},
        ErrorCase{"reserved negative", message(1, 0xfffe, {kOne}), -1, K::NonzeroReserved, 1, 0, 0,
                  "invalid binary embedding: the reserved field is -2; it must be 0"},
        // The dimension count is checked before the reserved field.
        ErrorCase{"dim and reserved bad", message(0, 7, {}), -1, K::BadDimension, 0, 0, 0,
                  "invalid dimension count 0 in binary embedding"},
        ErrorCase{"typmod", message(2, 0, {kOne, kOne}), 3, K::TypmodMismatch, 2, 0, 0,
                  "expected 3 dimensions, not 2"},
        // The typmod is checked before the elements are read, so even a truncated message.
        ErrorCase{"typmod before data", message(2, 0, {}), 3, K::TypmodMismatch, 2, 0, 0,
                  "expected 3 dimensions, not 2"},
        ErrorCase{"no element", message(2, 0, {}), -1, K::ShortMessage, 2, 1, 8,
                  "insufficient data left in message: 4 bytes, element 1 needs 8"},
        ErrorCase{"one of two elements", message(2, 0, {kOne}), -1, K::ShortMessage, 2, 2, 12,
                  "insufficient data left in message: 8 bytes, element 2 needs 12"},
        ErrorCase{"partial element",
                  {0, 2, 0, 0, 0x3f, 0x80, 0, 0, 0x40, 0, 0},
                  -1,
                  K::ShortMessage,
                  2,
                  2,
                  12,
                  "insufficient data left in message: 11 bytes, element 2 needs 12"},
        ErrorCase{"NaN", message(1, 0, {kNaN}), -1, K::NotANumber, 1, 1, 0,
                  "NaN not allowed in embedding: element 1 is NaN"},
        ErrorCase{"negative NaN with payload", message(2, 0, {kOne, 0xff800001}), -1, K::NotANumber,
                  2, 2, 0, "NaN not allowed in embedding: element 2 is NaN"},
        ErrorCase{"infinity", message(1, 0, {kInf}), -1, K::Infinite, 1, 1, 0,
                  "infinite value not allowed in embedding: element 1 is infinite"},
        ErrorCase{"minus infinity", message(3, 0, {kOne, kOne, 0xff800000}), -1, K::Infinite, 3, 3,
                  0, "infinite value not allowed in embedding: element 3 is infinite"},
        // Elements are checked in order: a NaN is reported before the message runs out.
        ErrorCase{"NaN before short", message(3, 0, {kNaN}), -1, K::NotANumber, 3, 1, 0,
                  "NaN not allowed in embedding: element 1 is NaN"},
        ErrorCase{"trailing byte", Bytes{0, 1, 0, 0, 0x3f, 0x80, 0, 0, 0}, -1, K::TrailingBytes, 1,
                  0, 8, "binary embedding of 1 dimensions takes 8 bytes, not 9"},
        ErrorCase{"two embeddings", message(1, 0, {kOne, 0x00010000, kOne}), -1, K::TrailingBytes,
                  1, 0, 8, "binary embedding of 1 dimensions takes 8 bytes, not 16"}),
    [](const ::testing::TestParamInfo<ErrorCase> &info)
    {
	    std::string name = info.param.name;
	    for (char &ch : name)
		    if (!std::isalnum(static_cast<unsigned char>(ch)))
			    ch = '_';
	    return name;
    });

TEST(DecodeEmbeddingBinary, TrailingBytesStillDecodesTheEmbedding)
{
	// recv consumes only the embedding and leaves extra bytes for its caller to reject.
	Bytes bytes = message(2, 0, {kOne, 0x40000000, 0xdeadbeef});
	Decoded d = decode(bytes);
	EXPECT_EQ(d.dim, -1);
	ASSERT_EQ(d.error.kind, K::TrailingBytes);
	EXPECT_EQ(d.values, (std::vector<float>{1.0f, 2.0f}));
	EXPECT_EQ(d.error.needed, pgrec::embedding_binary_size(2));
}

TEST(DecodeEmbeddingBinary, StopsAtCapacity)
{
	Bytes bytes = message(3, 0, {kOne, kOne, kOne});
	std::vector<float> guard(3, 9.0f);
	pgrec::BinaryDecodeError error;
	EXPECT_EQ(
	    pgrec::decode_embedding_binary(bytes.data(), bytes.size(), -1, guard.data(), 2, &error),
	    -1);
	EXPECT_EQ(error.kind, K::BufferTooSmall);
	EXPECT_EQ(guard, (std::vector<float>(3, 9.0f))) << "nothing written before the check";
	EXPECT_EQ(decode(bytes, -1, 3).dim, 3);
}

TEST(DecodeEmbeddingBinary, ErrorIsResetBetweenCalls)
{
	pgrec::BinaryDecodeError error;
	Bytes bad = message(0, 0, {});
	Bytes good = message(1, 0, {kOne});
	float value = 0.0f;
	EXPECT_EQ(pgrec::decode_embedding_binary(bad.data(), bad.size(), -1, &value, 1, &error), -1);
	EXPECT_EQ(pgrec::decode_embedding_binary(good.data(), good.size(), -1, &value, 1, &error), 1);
	EXPECT_EQ(error.kind, K::None);
	EXPECT_STREQ(error.message, "");
	EXPECT_EQ(value, 1.0f);
}

TEST(DecodeEmbeddingBinary, EveryTruncationIsShort)
{
	// Each strict prefix of a valid message is rejected as short, never read past its end.
	Bytes full = encode({1.0f, -2.0f, 3.5f, 1e-40f, 7.0f});
	for (size_t n = 0; n < full.size(); n++)
	{
		Bytes prefix(full.begin(), full.begin() + n);
		prefix.shrink_to_fit();
		Decoded d = decode(prefix, -1, 5);
		EXPECT_EQ(d.dim, -1) << n;
		EXPECT_EQ(d.error.kind, K::ShortMessage) << n;
		EXPECT_EQ(d.error.element, n < 4 ? 0 : static_cast<int>((n - 4) / 4 + 1)) << n;
	}
	EXPECT_EQ(decode(full).dim, 5);
}

} // namespace
