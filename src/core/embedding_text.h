// Text form of an embedding, "[1, 2.5, -3e-2]": parsing and shortest round-trip formatting.
// Pure C++, no allocation: callers own every buffer, so the parser can be fuzzed on its own.
#pragma once

#include <cstddef>

namespace pgrec
{

// The largest number of dimensions an embedding may have.
constexpr int kEmbeddingMaxDim = 16000;

// Why a text could not be read as an embedding.
enum class ParseErrorKind
{
	None,
	MissingOpenBracket, // text does not start with "["
	BadNumber,          // an element is not a number
	UnexpectedEnd,      // the text ends before "]"
	MissingSeparator,   // an element is followed by neither "," nor "]"
	TrailingJunk,       // something follows the closing "]"
	Empty,              // "[]"
	NotANumber,         // an element is NaN
	Infinite,           // an element is infinite
	OutOfRange,         // an element overflows or underflows float4
	TooManyElements,    // more elements than the caller's capacity
};

// Where and why parsing stopped.
struct ParseError
{
	ParseErrorKind kind = ParseErrorKind::None;
	int element = 0;        // 1-based element number, 0 when not about one element
	size_t token_start = 0; // offset of the offending token in the text
	size_t token_length = 0;
};

// Upper bound on the elements a text of this length can hold: a buffer this large never
// overflows, so TooManyElements then means "more than kEmbeddingMaxDim".
constexpr size_t max_elements_for_length(size_t length)
{
	return length / 2 + 1;
}

// Parses text[0, length) into out[0, capacity); returns the element count or -1 with *error set.
int parse_embedding(const char *text, size_t length, float *out, int capacity,
                    ParseError *error) noexcept;

// Room format_embedding needs for dim elements, terminating NUL included.
constexpr size_t formatted_embedding_size(int dim)
{
	// "[" + per element at most 15 chars ("-1.1754944e-38") + "," ... + "]" + NUL
	return 2 + static_cast<size_t>(dim) * 16 + 1;
}

// Writes "[x1,x2,...]" with the shortest digits that read back to the same floats; returns the
// length written (without the NUL). out must hold formatted_embedding_size(dim) bytes.
size_t format_embedding(const float *values, int dim, char *out) noexcept;

} // namespace pgrec
