// Unit tests of the embedding text parser and formatter: accepted forms, each error kind with
// its element and token, capacity, and exact round trips of awkward floats.
#include "embedding_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace
{

struct Parsed
{
	int count;
	std::vector<float> values;
	pgrec::ParseError error;
};

Parsed parse(const std::string &text, int capacity = 64)
{
	Parsed p;
	p.values.assign(capacity, 0.0f);
	p.count = pgrec::parse_embedding(text.data(), text.size(), p.values.data(), capacity, &p.error);
	if (p.count >= 0)
		p.values.resize(p.count);
	return p;
}

std::string format(const std::vector<float> &values)
{
	std::string out(pgrec::formatted_embedding_size(static_cast<int>(values.size())), '\0');
	size_t n = pgrec::format_embedding(values.data(), static_cast<int>(values.size()), &out[0]);
	EXPECT_EQ(out[n], '\0');
	out.resize(n);
	return out;
}

TEST(ParseEmbedding, AcceptsCommonForms)
{
	EXPECT_EQ(parse("[1, 2.5, -3e-2]").values, (std::vector<float>{1.0f, 2.5f, -0.03f}));
	EXPECT_EQ(parse(" \t[ 1 ,\n2 ] \r\n").values, (std::vector<float>{1.0f, 2.0f}));
	EXPECT_EQ(parse("[+1.5,.5,-.25,1.]").values, (std::vector<float>{1.5f, 0.5f, -0.25f, 1.0f}));
	EXPECT_EQ(parse("[1E3]").values, (std::vector<float>{1000.0f}));
	Parsed denormal = parse("[1e-45]");
	ASSERT_EQ(denormal.count, 1);
	EXPECT_GT(denormal.values[0], 0.0f);
}

struct ErrorCase
{
	const char *text;
	pgrec::ParseErrorKind kind;
	int element;
	const char *token;
};

class ParseErrors : public ::testing::TestWithParam<ErrorCase>
{
};

TEST_P(ParseErrors, ReportsKindElementAndToken)
{
	const ErrorCase &c = GetParam();
	std::string text = c.text;
	Parsed p = parse(text);
	EXPECT_EQ(p.count, -1);
	EXPECT_EQ(p.error.kind, c.kind);
	EXPECT_EQ(p.error.element, c.element);
	ASSERT_LE(p.error.token_start + p.error.token_length, text.size());
	EXPECT_EQ(text.substr(p.error.token_start, p.error.token_length), c.token);
}

using K = pgrec::ParseErrorKind;
INSTANTIATE_TEST_SUITE_P(
    AllKinds, ParseErrors,
    ::testing::Values(
        ErrorCase{"", K::MissingOpenBracket, 0, ""},
        ErrorCase{"1,2]", K::MissingOpenBracket, 0, "1"}, ErrorCase{"[]", K::Empty, 0, "]"},
        ErrorCase{"[ ]", K::Empty, 0, "]"}, ErrorCase{"[1,x]", K::BadNumber, 2, "x"},
        ErrorCase{"[1,2x]", K::BadNumber, 2, "2x"}, ErrorCase{"[0x10]", K::BadNumber, 1, "0x10"},
        ErrorCase{"[1,,2]", K::BadNumber, 2, ","}, ErrorCase{"[+-1]", K::BadNumber, 1, "+-1"},
        ErrorCase{"[1 2]", K::MissingSeparator, 1, "2"}, ErrorCase{"[1,2", K::UnexpectedEnd, 2, ""},
        ErrorCase{"[1,", K::UnexpectedEnd, 2, ""}, ErrorCase{"[", K::UnexpectedEnd, 1, ""},
        ErrorCase{"[1] x", K::TrailingJunk, 0, "x"}, ErrorCase{"[1][2]", K::TrailingJunk, 0, "[2"},
        ErrorCase{"[1,nan]", K::NotANumber, 2, "nan"}, ErrorCase{"[NaN]", K::NotANumber, 1, "NaN"},
        ErrorCase{"[inf]", K::Infinite, 1, "inf"},
        ErrorCase{"[1,-Infinity]", K::Infinite, 2, "-Infinity"},
        ErrorCase{"[1e39]", K::OutOfRange, 1, "1e39"},
        ErrorCase{"[1,-1e-50]", K::OutOfRange, 2, "-1e-50"}));

TEST(ParseEmbedding, StopsAtCapacity)
{
	Parsed p = parse("[1,2,3]", 2);
	EXPECT_EQ(p.count, -1);
	EXPECT_EQ(p.error.kind, K::TooManyElements);
	EXPECT_EQ(p.error.element, 3);
	EXPECT_EQ(parse("[1,2,3]", 3).count, 3);
}

TEST(ParseEmbedding, LengthBoundHoldsEveryElement)
{
	// The densest text, "[1,1,...,1]", fits the buffer that max_elements_for_length sizes.
	for (int n = 1; n < 50; n++)
	{
		std::string text = "[1";
		for (int i = 1; i < n; i++)
			text += ",1";
		text += "]";
		EXPECT_GE(pgrec::max_elements_for_length(text.size()), static_cast<size_t>(n));
	}
}

TEST(FormatEmbedding, ShortestDigits)
{
	EXPECT_EQ(format({1.0f, 2.5f, -0.03f}), "[1,2.5,-0.03]");
	EXPECT_EQ(format({0.1f}), "[0.1]");
	EXPECT_EQ(format({-0.0f, 1e20f}), "[-0,1e+20]");
}

TEST(FormatEmbedding, RoundTripsExactly)
{
	std::vector<float> awkward = {std::numeric_limits<float>::max(),
	                              std::numeric_limits<float>::lowest(),
	                              std::numeric_limits<float>::min(),
	                              std::numeric_limits<float>::denorm_min(),
	                              -std::numeric_limits<float>::denorm_min(),
	                              -1.17549421e-38f,
	                              123456792.0f,
	                              0.3f,
	                              1.0f / 3.0f};
	std::mt19937 rng(1);
	std::uniform_int_distribution<uint32_t> bits;
	while (awkward.size() < 5000)
	{
		uint32_t b = bits(rng);
		float f;
		std::memcpy(&f, &b, sizeof f);
		if (std::isfinite(f))
			awkward.push_back(f);
	}
	std::string text = format(awkward);
	ASSERT_LE(text.size() + 1, pgrec::formatted_embedding_size(static_cast<int>(awkward.size())));
	Parsed back = parse(text, static_cast<int>(awkward.size()));
	ASSERT_EQ(back.count, static_cast<int>(awkward.size()));
	for (size_t i = 0; i < awkward.size(); i++)
		ASSERT_EQ(std::memcmp(&back.values[i], &awkward[i], sizeof(float)), 0) << "element " << i;
}

} // namespace
