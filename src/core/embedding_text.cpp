// Parser and formatter of the embedding text form "[1, 2.5, -3e-2]".
// White space may surround brackets, commas and numbers; numbers use C float syntax.
#include "embedding_text.h"

#include <charconv>
#include <cmath>

#include "core_only.h"

namespace pgrec
{

namespace
{

bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Returns -1 after filling *error; keeps the parser's return statements short.
int fail(ParseError *error, ParseErrorKind kind, int element, size_t start, size_t length)
{
	error->kind = kind;
	error->element = element;
	error->token_start = start;
	error->token_length = length;
	return -1;
}

// Length of the token starting at pos: up to the next separator, for error messages.
size_t token_length(const char *text, size_t length, size_t pos)
{
	size_t end = pos;
	while (end < length && text[end] != ',' && text[end] != ']' && !is_space(text[end]))
		end++;
	return end > pos ? end - pos : (pos < length ? 1 : 0);
}

} // namespace

int parse_embedding(const char *text, size_t length, float *out, int capacity,
                    ParseError *error) noexcept
{
	size_t pos = 0;
	int count = 0;

	*error = ParseError();
	while (pos < length && is_space(text[pos]))
		pos++;
	if (pos >= length || text[pos] != '[')
		return fail(error, ParseErrorKind::MissingOpenBracket, 0, pos,
		            token_length(text, length, pos));
	pos++;
	while (pos < length && is_space(text[pos]))
		pos++;
	if (pos < length && text[pos] == ']')
		return fail(error, ParseErrorKind::Empty, 0, pos, 1);

	for (;;)
	{
		while (pos < length && is_space(text[pos]))
			pos++;
		if (pos >= length)
			return fail(error, ParseErrorKind::UnexpectedEnd, count + 1, pos, 0);

		size_t start = pos;
		size_t number_start = pos;
		// std::from_chars takes no leading '+'; accept one before a digit or a point.
		if (text[pos] == '+' && pos + 1 < length && text[pos + 1] != '-' && text[pos + 1] != '+')
			number_start++;
		float value = 0.0f;
		std::from_chars_result r = std::from_chars(text + number_start, text + length, value);
		size_t end = static_cast<size_t>(r.ptr - text);
		if (r.ec == std::errc::invalid_argument || end == number_start)
			return fail(error, ParseErrorKind::BadNumber, count + 1, start,
			            token_length(text, length, start));
		// The number must end at a separator, so "1x" or "0x10" are rejected, not truncated.
		if (end < length && text[end] != ',' && text[end] != ']' && !is_space(text[end]))
			return fail(error, ParseErrorKind::BadNumber, count + 1, start,
			            token_length(text, length, start));
		if (r.ec == std::errc::result_out_of_range)
			return fail(error, ParseErrorKind::OutOfRange, count + 1, start, end - start);
		if (std::isnan(value))
			return fail(error, ParseErrorKind::NotANumber, count + 1, start, end - start);
		if (std::isinf(value))
			return fail(error, ParseErrorKind::Infinite, count + 1, start, end - start);
		if (count >= capacity)
			return fail(error, ParseErrorKind::TooManyElements, count + 1, start, end - start);
		out[count++] = value;

		pos = end;
		while (pos < length && is_space(text[pos]))
			pos++;
		if (pos >= length)
			return fail(error, ParseErrorKind::UnexpectedEnd, count, pos, 0);
		if (text[pos] == ',')
		{
			pos++;
			continue;
		}
		if (text[pos] != ']')
			return fail(error, ParseErrorKind::MissingSeparator, count, pos,
			            token_length(text, length, pos));
		pos++;
		break;
	}

	while (pos < length && is_space(text[pos]))
		pos++;
	if (pos < length)
		return fail(error, ParseErrorKind::TrailingJunk, 0, pos, token_length(text, length, pos));
	return count;
}

size_t format_embedding(const float *values, int dim, char *out) noexcept
{
	char *p = out;
	char *const end = out + formatted_embedding_size(dim);

	*p++ = '[';
	for (int i = 0; i < dim; i++)
	{
		if (i > 0)
			*p++ = ',';
		p = std::to_chars(p, end, values[i]).ptr;
	}
	*p++ = ']';
	*p = '\0';
	return static_cast<size_t>(p - out);
}

} // namespace pgrec
