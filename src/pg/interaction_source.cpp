// Resolves the source of interactions (table or query) and streams its rows from the executor
// into arrays, checking column types, NULLs, finiteness and the memory limit as rows arrive.
#include "interaction_source.h"

#include "row_stream.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
}

#include <cctype>
#include <cmath>

// Rows between interrupt checks, and the least capacity of the arrays.
#define FETCH_BATCH 10000

// True when text is a query rather than a relation name: after white space and parentheses
// it starts with SELECT, WITH, VALUES or TABLE, reserved words no unquoted name can be.
static bool looks_like_query(const char *text)
{
	static const char *const keywords[] = {"select", "with", "values", "table"};

	while (*text && (isspace((unsigned char)*text) || *text == '('))
		text++;
	for (const char *keyword : keywords)
	{
		size_t n = strlen(keyword);
		if (pg_strncasecmp(text, keyword, n) == 0 &&
		    !(isalnum((unsigned char)text[n]) || text[n] == '_' || text[n] == '$'))
			return true;
	}
	return false;
}

// The schema-qualified, quoted name of relation relid; ereports 42P01 if there is none.
static char *qualified_relation_name(Oid relid)
{
	char *relname = get_rel_name(relid);
	if (relname == NULL)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
		                errmsg("relation with OID %u does not exist", relid)));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), relname);
}

// The SELECT of the three columns from relation relid, or from the query text when relid is
// invalid; *description is set to the qualified relation name or the query.
static char *source_select(Oid relid, const char *query, const char *user_column,
                           const char *item_column, const char *rating_column, char **description)
{
	StringInfoData sql;

	*description = OidIsValid(relid) ? qualified_relation_name(relid) : pstrdup(query);

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT %s, %s", quote_identifier(user_column),
	                 quote_identifier(item_column));
	if (rating_column)
		appendStringInfo(&sql, ", %s", quote_identifier(rating_column));
	if (OidIsValid(relid))
		appendStringInfo(&sql, " FROM %s", *description);
	else
		appendStringInfo(&sql, " FROM (%s) AS source", *description);
	return sql.data;
}

char *interaction_query_from_text(const char *source, const char *user_column,
                                  const char *item_column, const char *rating_column,
                                  char **description)
{
	if (looks_like_query(source))
		return source_select(InvalidOid, source, user_column, item_column, rating_column,
		                     description);
	Oid relid = DatumGetObjectId(DirectFunctionCall1(regclassin, CStringGetDatum(source)));
	return source_select(relid, NULL, user_column, item_column, rating_column, description);
}

char *source_from_item(const char *source)
{
	if (looks_like_query(source))
		return psprintf("(%s\n)", source);
	return qualified_relation_name(
	    DatumGetObjectId(DirectFunctionCall1(regclassin, CStringGetDatum(source))));
}

bool interaction_source_is_query(FunctionCallInfo fcinfo, int argno)
{
	return !PG_ARGISNULL(argno) && get_fn_expr_argtype(fcinfo->flinfo, argno) != REGCLASSOID &&
	       looks_like_query(text_to_cstring(PG_GETARG_TEXT_PP(argno)));
}

char *interaction_source_query(FunctionCallInfo fcinfo, int argno, const char *user_column,
                               const char *item_column, const char *rating_column,
                               char **description)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("the source of interactions must not be NULL")));
	if (get_fn_expr_argtype(fcinfo->flinfo, argno) == REGCLASSOID)
		return source_select(PG_GETARG_OID(argno), NULL, user_column, item_column, rating_column,
		                     description);
	return interaction_query_from_text(text_to_cstring(PG_GETARG_TEXT_PP(argno)), user_column,
	                                   item_column, rating_column, description);
}

void check_id_column(TupleDesc desc, int number)
{
	Oid type = getBaseType(SPI_gettypeid(desc, number));
	if (type != INT2OID && type != INT4OID && type != INT8OID)
		ereport(ERROR,
		        (errcode(ERRCODE_DATATYPE_MISMATCH),
		         errmsg("column \"%s\" must be of type integer or bigint", SPI_fname(desc, number)),
		         errdetail("It has type %s.", format_type_be(type)),
		         errhint("Map other ids to integers first, for example with a "
		                 "dense_rank() OVER (ORDER BY id) column.")));
}

// Ereports unless column `number` of the result is numeric (ratings).
static void check_rating_column(TupleDesc desc, int number)
{
	Oid type = SPI_gettypeid(desc, number);
	if (type != INT2OID && type != INT4OID && type != INT8OID && type != FLOAT4OID &&
	    type != FLOAT8OID && type != NUMERICOID)
		ereport(ERROR,
		        (errcode(ERRCODE_DATATYPE_MISMATCH),
		         errmsg("rating column \"%s\" must be of a numeric type", SPI_fname(desc, number)),
		         errdetail("It has type %s.", format_type_be(type))));
}

int64 datum_to_id(Datum d, Oid type)
{
	return type == INT8OID   ? DatumGetInt64(d)
	       : type == INT4OID ? (int64)DatumGetInt32(d)
	                         : (int64)DatumGetInt16(d);
}

double datum_to_number(Datum d, Oid type)
{
	switch (type)
	{
	case INT2OID:
		return DatumGetInt16(d);
	case INT4OID:
		return DatumGetInt32(d);
	case INT8OID:
		return (double)DatumGetInt64(d);
	case FLOAT4OID:
		return DatumGetFloat4(d);
	case FLOAT8OID:
		return DatumGetFloat8(d);
	default:
		return DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
	}
}

char *pretty_size(double bytes)
{
	return text_to_cstring(
	    DatumGetTextPP(DirectFunctionCall1(pg_size_pretty, Int64GetDatum((int64)bytes))));
}

// Ereports when needed rows would pass the memory limit; else grows the arrays of *out to hold
// at least that many.
static void reserve_rows(InteractionArrays *out, size_t needed, size_t memory_limit,
                         size_t bytes_per_row, MemoryContext context)
{
	size_t row_bytes = 2 * sizeof(int64) + sizeof(float);
	if ((double)needed * (double)(row_bytes + bytes_per_row) > (double)memory_limit)
		ereport(ERROR,
		        (errcode(ERRCODE_OUT_OF_MEMORY),
		         errmsg("interactions need more memory than pgrec.training_memory_limit allows"),
		         errdetail("Reading stopped at row %zu: with the training's work, the rows read "
		                   "need more than the limit of %s.",
		                   needed, pretty_size((double)memory_limit)),
		         errhint("Raise pgrec.training_memory_limit (or maintenance_work_mem), or use "
		                 "a sample of the source.")));
	if (needed <= out->capacity)
		return;
	size_t capacity = Max(needed, Max(out->capacity * 2, (size_t)FETCH_BATCH));
	Size ids = sizeof(int64) * capacity, values = sizeof(float) * capacity;
	if (out->capacity == 0)
	{
		out->users = (int64 *)MemoryContextAllocHuge(context, ids);
		out->items = (int64 *)MemoryContextAllocHuge(context, ids);
		out->values = (float *)MemoryContextAllocHuge(context, values);
	}
	else
	{
		out->users = (int64 *)repalloc_huge(out->users, ids);
		out->items = (int64 *)repalloc_huge(out->items, ids);
		out->values = (float *)repalloc_huge(out->values, values);
	}
	out->capacity = capacity;
}

// What the source's rows are read into, as the executor hands over each row (row_stream.h; the
// source still runs as a query of the calling user: privileges and row-level security apply).
struct InteractionReceiver
{
	bool has_rating;
	size_t memory_limit, bytes_per_row;
	MemoryContext context;
	MemoryContext conversion; // what numeric_float8 allocates, reset every FETCH_BATCH rows
	InteractionArrays *out;
	Oid types[3];
};

// Checks the result's column types (ereports 42804) and keeps their base types.
static void receiver_startup(TupleDesc desc, void *state)
{
	InteractionReceiver *r = (InteractionReceiver *)state;
	check_id_column(desc, 1);
	check_id_column(desc, 2);
	if (r->has_rating)
		check_rating_column(desc, 3);
	for (int c = 0; c < (r->has_rating ? 3 : 2); c++)
		r->types[c] = getBaseType(SPI_gettypeid(desc, c + 1));
}

// Appends one row (or counts it as skipped when it has a NULL); ereports on a rating that is
// not finite and at the memory limit.
static void receive_row(TupleTableSlot *slot, void *state)
{
	InteractionReceiver *r = (InteractionReceiver *)state;
	InteractionArrays *out = r->out;
	int columns = r->has_rating ? 3 : 2;

	if (out->count % FETCH_BATCH == 0)
	{
		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(r->conversion);
	}
	slot_getsomeattrs(slot, columns);
	if (slot->tts_isnull[0] || slot->tts_isnull[1] || (r->has_rating && slot->tts_isnull[2]))
	{
		out->skipped++;
		return;
	}
	int64 user = datum_to_id(slot->tts_values[0], r->types[0]);
	int64 item = datum_to_id(slot->tts_values[1], r->types[1]);
	double value = 1.0;
	if (r->has_rating)
	{
		MemoryContext previous = MemoryContextSwitchTo(r->conversion);
		value = datum_to_number(slot->tts_values[2], r->types[2]);
		MemoryContextSwitchTo(previous);
	}
	float narrowed = (float)value;
	if (!std::isfinite(narrowed))
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("rating %g of user %lld and item %lld is not a finite real", value,
		                       (long long)user, (long long)item)));
	reserve_rows(out, out->count + 1, r->memory_limit, r->bytes_per_row, r->context);
	out->users[out->count] = user;
	out->items[out->count] = item;
	out->values[out->count] = narrowed;
	out->count++;
}

void read_interactions(const char *query, bool has_rating, size_t memory_limit,
                       size_t bytes_per_row, MemoryContext context, InteractionArrays *out)
{
	InteractionReceiver receiver = {};
	receiver.has_rating = has_rating;
	receiver.memory_limit = memory_limit;
	receiver.bytes_per_row = bytes_per_row;
	receiver.context = context;
	receiver.conversion = AllocSetContextCreate(CurrentMemoryContext, "pgrec rating conversion",
	                                            ALLOCSET_SMALL_SIZES);
	receiver.out = out;
	stream_rows(query, 0, NULL, NULL, true, receiver_startup, receive_row, &receiver);
	MemoryContextDelete(receiver.conversion);
}
