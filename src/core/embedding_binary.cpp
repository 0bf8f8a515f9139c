// Decoder and encoder of the embedding binary form: int2 dim, int2 reserved, dim float4, in
// network byte order; the decoder checks the message in the order embedding_recv always has.
#include "embedding_binary.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "embedding_text.h"

#include "core_only.h"

namespace pgrec
{

namespace
{

// Reads a big-endian int2 as a signed value, as PostgreSQL's (int16) pq_getmsgint does.
int read_int16(const uint8_t *p)
{
	int value = (p[0] << 8) | p[1];
	return value >= 0x8000 ? value - 0x10000 : value;
}

// Reads a big-endian float4 bit for bit, as pq_getmsgfloat4 does.
float read_float4(const uint8_t *p)
{
	uint32_t bits = (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
	                (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]);
	float value;
	std::memcpy(&value, &bits, sizeof value);
	return value;
}

// Writes the low 16 bits of value big-endian.
void write_uint16(uint8_t *p, uint32_t value)
{
	p[0] = static_cast<uint8_t>(value >> 8);
	p[1] = static_cast<uint8_t>(value);
}

// Writes value's bits big-endian.
void write_float4(uint8_t *p, float value)
{
	uint32_t bits;
	std::memcpy(&bits, &value, sizeof bits);
	p[0] = static_cast<uint8_t>(bits >> 24);
	p[1] = static_cast<uint8_t>(bits >> 16);
	p[2] = static_cast<uint8_t>(bits >> 8);
	p[3] = static_cast<uint8_t>(bits);
}

// Sets error's kind and printf-formatted message and returns -1; keeps the returns short.
__attribute__((format(printf, 3, 4))) int fail(BinaryDecodeError *error, BinaryErrorKind kind,
                                               const char *format, ...)
{
	va_list args;

	error->kind = kind;
	va_start(args, format);
	std::vsnprintf(error->message, sizeof error->message, format, args);
	va_end(args);
	return -1;
}

} // namespace

int embedding_binary_dim(const uint8_t *data, size_t length, int32_t typmod,
                         BinaryDecodeError *error) noexcept
{
	*error = BinaryDecodeError();
	error->length = length;
	if (length < kEmbeddingBinaryHeaderSize)
	{
		error->needed = kEmbeddingBinaryHeaderSize;
		return fail(error, BinaryErrorKind::ShortMessage,
		            "insufficient data left in message: %zu bytes, the header needs %zu", length,
		            kEmbeddingBinaryHeaderSize);
	}
	int dim = read_int16(data);
	int reserved = read_int16(data + 2);
	error->dim = dim;
	error->reserved = reserved;
	if (dim < 1 || dim > kEmbeddingMaxDim)
		return fail(error, BinaryErrorKind::BadDimension,
		            "invalid dimension count %d in binary embedding", dim);
	if (reserved != 0)
		return fail(error, BinaryErrorKind::NonzeroReserved,
		            "invalid binary embedding: the reserved field is %d; it must be 0", reserved);
	if (typmod != -1 && dim != typmod)
		return fail(error, BinaryErrorKind::TypmodMismatch, "expected %d dimensions, not %d",
		            static_cast<int>(typmod), dim);
	return dim;
}

int decode_embedding_binary(const uint8_t *data, size_t length, int32_t typmod, float *out,
                            int capacity, BinaryDecodeError *error) noexcept
{
	int dim = embedding_binary_dim(data, length, typmod, error);
	if (dim < 0)
		return -1;
	if (dim > capacity)
		return fail(error, BinaryErrorKind::BufferTooSmall,
		            "%d dimensions do not fit a buffer of %d floats", dim, capacity);

	for (int i = 0; i < dim; i++)
	{
		size_t offset = embedding_binary_size(i);
		if (length - offset < sizeof(float))
		{
			error->element = i + 1;
			error->needed = offset + sizeof(float);
			return fail(error, BinaryErrorKind::ShortMessage,
			            "insufficient data left in message: %zu bytes, element %d needs %zu",
			            length, i + 1, error->needed);
		}
		float value = read_float4(data + offset);
		if (std::isnan(value))
		{
			error->element = i + 1;
			return fail(error, BinaryErrorKind::NotANumber,
			            "NaN not allowed in embedding: element %d is NaN", i + 1);
		}
		if (std::isinf(value))
		{
			error->element = i + 1;
			return fail(error, BinaryErrorKind::Infinite,
			            "infinite value not allowed in embedding: element %d is infinite", i + 1);
		}
		out[i] = value;
	}

	if (length > embedding_binary_size(dim))
	{
		error->needed = embedding_binary_size(dim);
		return fail(error, BinaryErrorKind::TrailingBytes,
		            "binary embedding of %d dimensions takes %zu bytes, not %zu", dim,
		            error->needed, length);
	}
	return dim;
}

size_t encode_embedding_binary(const float *values, int dim, uint8_t *out) noexcept
{
	write_uint16(out, static_cast<uint32_t>(dim));
	write_uint16(out + 2, 0);
	for (int i = 0; i < dim; i++)
		write_float4(out + embedding_binary_size(i), values[i]);
	return embedding_binary_size(dim);
}

} // namespace pgrec
