// libFuzzer target of the embedding binary decoder: no input may crash it or read or write out
// of bounds, every error must fit the input, and every accepted input must re-encode to its bytes.
#include "embedding_binary.h"
#include "embedding_text.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace
{

// Aborts (a finding for libFuzzer) unless condition holds.
void require(bool condition)
{
	if (!condition)
		abort();
}

// Checks that the message is NUL-terminated, and empty exactly when there is no error.
void check_message(const pgrec::BinaryDecodeError &error)
{
	require(std::memchr(error.message, '\0', sizeof error.message) != nullptr);
	require((error.kind == pgrec::BinaryErrorKind::None) == (error.message[0] == '\0'));
}

// Reads element (1-based) of the message the way a reference decoder would.
float element_at(const uint8_t *data, int element)
{
	const uint8_t *p = data + pgrec::embedding_binary_size(element - 1);
	uint32_t bits = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
	float value;
	std::memcpy(&value, &bits, sizeof value);
	return value;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	using K = pgrec::BinaryErrorKind;
	pgrec::BinaryDecodeError header;
	int dim = pgrec::embedding_binary_dim(data, size, -1, &header);
	check_message(header);

	// A buffer of exactly dim floats: ASan reports any write past it.
	std::vector<float> values(dim > 0 ? dim : 0);
	pgrec::BinaryDecodeError error;
	int decoded = pgrec::decode_embedding_binary(data, size, -1, values.data(),
	                                             static_cast<int>(values.size()), &error);
	check_message(error);
	require(error.length == size);
	if (dim < 0)
	{
		require(decoded == -1 && error.kind == header.kind);
		require(header.kind == K::ShortMessage || header.kind == K::BadDimension ||
		        header.kind == K::NonzeroReserved);
		require(header.kind != K::ShortMessage || size < pgrec::kEmbeddingBinaryHeaderSize);
		return 0;
	}
	require(dim >= 1 && dim <= pgrec::kEmbeddingMaxDim && header.kind == K::None);
	require(error.dim == dim && error.reserved == 0);

	// The typmod is checked from the header alone: a matching one changes nothing.
	pgrec::BinaryDecodeError typmod_error;
	require(pgrec::embedding_binary_dim(data, size, dim + 1, &typmod_error) == -1 &&
	        typmod_error.kind == K::TypmodMismatch);
	require(pgrec::decode_embedding_binary(data, size, dim, values.data(), dim, &typmod_error) ==
	            decoded &&
	        typmod_error.kind == error.kind);
	require(pgrec::decode_embedding_binary(data, size, -1, values.data(), dim - 1, &typmod_error) ==
	            -1 &&
	        typmod_error.kind == K::BufferTooSmall);

	size_t needed = pgrec::embedding_binary_size(dim);
	switch (error.kind)
	{
	case K::None:
		require(decoded == dim && size == needed);
		break;
	case K::TrailingBytes:
		require(decoded == -1 && size > needed && error.needed == needed);
		break;
	case K::ShortMessage:
		require(decoded == -1 && size < needed && error.element >= 1 && error.element <= dim);
		require(error.needed == pgrec::embedding_binary_size(error.element) && error.needed > size);
		return 0;
	case K::NotANumber:
	case K::Infinite:
		require(decoded == -1 && error.element >= 1 && error.element <= dim);
		require(size >= pgrec::embedding_binary_size(error.element));
		require(error.kind == K::NotANumber ? std::isnan(element_at(data, error.element))
		                                    : std::isinf(element_at(data, error.element)));
		return 0;
	default:
		abort();
	}

	// Accepted (possibly followed by bytes recv leaves to its caller): every value is finite and
	// the encoder that embedding_send uses gives back exactly the bytes that were read.
	for (float v : values)
		require(std::isfinite(v));
	std::vector<uint8_t> again(needed);
	require(pgrec::encode_embedding_binary(values.data(), dim, again.data()) == needed);
	require(std::memcmp(again.data(), data, needed) == 0);
	return 0;
}
