// Input and output of the embedding type: text in/out, typmod in/out, binary send/recv.
// Every function may ereport; results are palloc'd in CurrentMemoryContext.
#include "embedding.h"

#include "../core/embedding_binary.h"

extern "C"
{
#include "libpq/pqformat.h"
#include "utils/array.h"
}

#include <cmath>
#include <cstdint>
#include <cstring>

PGREC_FUNCTION(embedding_in)
PGREC_FUNCTION(embedding_out)
PGREC_FUNCTION(embedding_typmod_in)
PGREC_FUNCTION(embedding_typmod_out)
PGREC_FUNCTION(embedding_recv)
PGREC_FUNCTION(embedding_send)

// Longest token quoted in an error message.
#define MAX_QUOTED_TOKEN 40

// Raises the error that describes a failed parse of literal.
static void report_parse_error(const char *literal, const pgrec::ParseError *e)
{
	int token_len = (int)Min(e->token_length, (size_t)MAX_QUOTED_TOKEN);
	const char *token = literal + e->token_start;

	switch (e->kind)
	{
	case pgrec::ParseErrorKind::MissingOpenBracket:
		ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
		                errmsg("invalid input syntax for type embedding: \"%s\"", literal),
		                errdetail("Embedding contents must start with \"[\".")));
		break;
	case pgrec::ParseErrorKind::BadNumber:
		ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
		                errmsg("invalid input syntax for type embedding: \"%s\"", literal),
		                errdetail("Element %d, \"%.*s\", is not a number.", e->element, token_len,
		                          token)));
		break;
	case pgrec::ParseErrorKind::MissingSeparator:
		ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
		                errmsg("invalid input syntax for type embedding: \"%s\"", literal),
		                errdetail("Element %d is followed by \"%.*s\" instead of \",\" or \"]\".",
		                          e->element, token_len, token)));
		break;
	case pgrec::ParseErrorKind::UnexpectedEnd:
		ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
		                errmsg("invalid input syntax for type embedding: \"%s\"", literal),
		                errdetail("The input ends before the closing \"]\".")));
		break;
	case pgrec::ParseErrorKind::TrailingJunk:
		ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
		                errmsg("invalid input syntax for type embedding: \"%s\"", literal),
		                errdetail("Junk after closing right bracket.")));
		break;
	case pgrec::ParseErrorKind::Empty:
		check_dim_count(0);
		break;
	case pgrec::ParseErrorKind::NotANumber:
		check_element(NAN, e->element);
		break;
	case pgrec::ParseErrorKind::Infinite:
		check_element(INFINITY, e->element);
		break;
	case pgrec::ParseErrorKind::OutOfRange:
		ereport(ERROR,
		        (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
		         errmsg("\"%.*s\" is out of range for type real", token_len, token),
		         errdetail("Element %d of the embedding overflows or underflows.", e->element)));
		break;
	case pgrec::ParseErrorKind::TooManyElements:
		check_dim_count(EMBEDDING_MAX_DIM + 1);
		break;
	case pgrec::ParseErrorKind::None:
		break;
	}
	elog(ERROR, "unexpected embedding parse error %d", (int)e->kind);
}

// embedding_in(cstring, oid, typmod): parses the text form straight into the result.
Datum embedding_in(PG_FUNCTION_ARGS)
{
	char *literal = PG_GETARG_CSTRING(0);
	int32 typmod = PG_GETARG_INT32(2);
	size_t length = strlen(literal);
	int capacity = (int)Min(pgrec::max_elements_for_length(length), (size_t)EMBEDDING_MAX_DIM);
	Embedding *result = new_embedding(capacity);
	pgrec::ParseError error;
	int dim = pgrec::parse_embedding(literal, length, result->x, capacity, &error);

	if (dim < 0)
		report_parse_error(literal, &error);
	check_typmod(dim, typmod);
	result->dim = (int16)dim;
	SET_VARSIZE(result, EMBEDDING_SIZE(dim));
	PG_RETURN_EMBEDDING_P(result);
}

// embedding_out(embedding): the shortest text that reads back to the same floats.
Datum embedding_out(PG_FUNCTION_ARGS)
{
	Embedding *e = PG_GETARG_EMBEDDING_P(0);
	char *text = (char *)palloc(pgrec::formatted_embedding_size(e->dim));

	pgrec::format_embedding(e->x, e->dim, text);
	PG_FREE_IF_COPY(e, 0);
	PG_RETURN_CSTRING(text);
}

// embedding_typmod_in(cstring[]): the one modifier, the dimension count.
Datum embedding_typmod_in(PG_FUNCTION_ARGS)
{
	ArrayType *modifiers = PG_GETARG_ARRAYTYPE_P(0);
	int count;
	int32 *values = ArrayGetIntegerTypmods(modifiers, &count);

	if (count != 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid type modifier"),
		                errdetail("Type embedding takes one modifier, its number of dimensions.")));
	if (values[0] < 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("dimensions for type embedding must be at least 1")));
	if (values[0] > EMBEDDING_MAX_DIM)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("dimensions for type embedding cannot exceed %d", EMBEDDING_MAX_DIM)));
	PG_RETURN_INT32(values[0]);
}

// embedding_typmod_out(int4): "(dim)", or nothing for an unconstrained column.
Datum embedding_typmod_out(PG_FUNCTION_ARGS)
{
	int32 typmod = PG_GETARG_INT32(0);

	PG_RETURN_CSTRING(typmod < 0 ? pstrdup("") : psprintf("(%d)", typmod));
}

// Raises the error that describes a failed decode of a binary embedding; typmod as passed to
// recv. The messages and SQLSTATEs are those PostgreSQL's pq_getmsg* and the checks gave.
static void report_binary_error(const pgrec::BinaryDecodeError *e, int32 typmod)
{
	switch (e->kind)
	{
	case pgrec::BinaryErrorKind::ShortMessage:
		// What pq_getmsgint and pq_getmsgfloat4 raise when the message ends early.
		ereport(ERROR,
		        (errcode(ERRCODE_PROTOCOL_VIOLATION), errmsg("insufficient data left in message")));
		break;
	case pgrec::BinaryErrorKind::BadDimension:
		ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
		                errmsg("invalid dimension count %d in binary embedding", e->dim)));
		break;
	case pgrec::BinaryErrorKind::NonzeroReserved:
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), errmsg("invalid binary embedding"),
		         errdetail("The reserved field is %d; it must be 0.", e->reserved)));
		break;
	case pgrec::BinaryErrorKind::TypmodMismatch:
		check_typmod(e->dim, typmod);
		break;
	case pgrec::BinaryErrorKind::NotANumber:
		check_element(NAN, e->element);
		break;
	case pgrec::BinaryErrorKind::Infinite:
		check_element(INFINITY, e->element);
		break;
	case pgrec::BinaryErrorKind::BufferTooSmall:
	case pgrec::BinaryErrorKind::TrailingBytes:
	case pgrec::BinaryErrorKind::None:
		break;
	}
	elog(ERROR, "unexpected binary embedding decode error: %s", e->message);
}

// embedding_recv(internal, oid, typmod): int2 dim, int2 reserved (0), dim float4. Reads the
// message in place from the cursor and consumes exactly the embedding's bytes: bytes after it
// are left to the caller (COPY, Bind, array_recv and record_recv each reject them).
Datum embedding_recv(PG_FUNCTION_ARGS)
{
	StringInfo buf = (StringInfo)PG_GETARG_POINTER(0);
	int32 typmod = PG_GETARG_INT32(2);
	const uint8_t *data = (const uint8_t *)buf->data + buf->cursor;
	size_t length = (size_t)(buf->len - buf->cursor);
	pgrec::BinaryDecodeError error;
	int dim = pgrec::embedding_binary_dim(data, length, typmod, &error);

	if (dim < 0)
		report_binary_error(&error, typmod);
	Embedding *result = new_embedding(dim);
	if (pgrec::decode_embedding_binary(data, length, typmod, result->x, dim, &error) < 0 &&
	    error.kind != pgrec::BinaryErrorKind::TrailingBytes)
		report_binary_error(&error, typmod);
	buf->cursor += (int)pgrec::embedding_binary_size(dim);
	PG_RETURN_EMBEDDING_P(result);
}

// embedding_send(embedding): the binary form read by embedding_recv, written by the core encoder
// that the fuzzer checks against the decoder.
Datum embedding_send(PG_FUNCTION_ARGS)
{
	Embedding *e = PG_GETARG_EMBEDDING_P(0);
	int size = (int)pgrec::embedding_binary_size(e->dim);
	StringInfoData buf;

	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, size);
	pgrec::encode_embedding_binary(e->x, e->dim, (uint8_t *)buf.data + buf.len);
	buf.len += size;
	buf.data[buf.len] = '\0';
	PG_FREE_IF_COPY(e, 0);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
