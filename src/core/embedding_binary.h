// Binary form of an embedding (send/recv): int2 dim, int2 reserved (0), dim float4, big-endian.
// Pure C++, no allocation: callers own every buffer, so the decoder can be fuzzed on its own.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pgrec
{

// Bytes before the first float: the dimension count and the reserved field.
constexpr size_t kEmbeddingBinaryHeaderSize = 4;

// Why a binary message could not be read as an embedding.
enum class BinaryErrorKind
{
	None,
	ShortMessage,    // the message ends inside the header or inside an element
	BadDimension,    // the dimension count is below 1 or above kEmbeddingMaxDim
	NonzeroReserved, // the reserved field is not 0
	TypmodMismatch,  // the typmod is set (not -1) and differs from the dimension count
	BufferTooSmall,  // the caller's buffer holds fewer floats than the dimension count
	NotANumber,      // an element is NaN
	Infinite,        // an element is infinite
	TrailingBytes,   // the message is longer than the dimension count needs
};

// Where and why decoding stopped; message is a NUL-terminated English description.
struct BinaryDecodeError
{
	BinaryErrorKind kind = BinaryErrorKind::None;
	int dim = 0;       // dimension count read (signed int2), 0 if the header is incomplete
	int reserved = 0;  // reserved field read (signed int2)
	int element = 0;   // 1-based element for NotANumber, Infinite and a ShortMessage inside one
	size_t needed = 0; // bytes the message must hold to get past the failed check
	size_t length = 0; // bytes the message holds
	char message[128] = {};
};

// Size of the binary form of dim elements.
constexpr size_t embedding_binary_size(int dim)
{
	return kEmbeddingBinaryHeaderSize + sizeof(float) * static_cast<size_t>(dim);
}

// Checks the header of data[0, length) (length, dimension count, reserved field, typmod; -1 is
// no typmod) and returns the dimension count, or -1 with *error set. Reads no element.
int embedding_binary_dim(const uint8_t *data, size_t length, int32_t typmod,
                         BinaryDecodeError *error) noexcept;

// Decodes data[0, length) into out[0, capacity) and returns the dimension count, or -1 with
// *error set; checks in the order of the message (header, typmod, then each element), and last
// that no byte follows. On TrailingBytes out holds all dim valid elements.
int decode_embedding_binary(const uint8_t *data, size_t length, int32_t typmod, float *out,
                            int capacity, BinaryDecodeError *error) noexcept;

// Writes the binary form of values[0, dim) (reserved field 0) to out, which must hold
// embedding_binary_size(dim) bytes; returns that size.
size_t encode_embedding_binary(const float *values, int dim, uint8_t *out) noexcept;

} // namespace pgrec
