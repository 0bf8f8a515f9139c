// libFuzzer target of the embedding text parser: no input may crash it, read or write out of
// bounds, and every accepted input must format and parse back to the same floats.
#include "embedding_text.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = reinterpret_cast<const char *>(data);
	size_t capacity = pgrec::max_elements_for_length(size);
	if (capacity > static_cast<size_t>(pgrec::kEmbeddingMaxDim))
		capacity = pgrec::kEmbeddingMaxDim;
	std::vector<float> values(capacity);
	pgrec::ParseError error;
	int count =
	    pgrec::parse_embedding(text, size, values.data(), static_cast<int>(capacity), &error);
	if (count < 0)
	{
		if (error.token_start > size || error.token_length > size - error.token_start)
			abort();
		return 0;
	}
	if (count == 0 || static_cast<size_t>(count) > capacity)
		abort();

	std::vector<char> formatted(pgrec::formatted_embedding_size(count));
	size_t length = pgrec::format_embedding(values.data(), count, formatted.data());
	std::vector<float> again(count);
	if (pgrec::parse_embedding(formatted.data(), length, again.data(), count, &error) != count ||
	    std::memcmp(again.data(), values.data(), sizeof(float) * count) != 0)
		abort();
	return 0;
}
