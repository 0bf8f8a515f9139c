// Reading (user, item[, rating]) rows from a table or a query, run through SPI as the calling
// user (privileges and row-level security apply), streamed into arrays of a memory context.
#pragma once

#include "postgres_headers.h"

extern "C"
{
#include "access/tupdesc.h"
}

// The rows read: ids as int64, values as float (1 when there is no rating column).
struct InteractionArrays
{
	int64 *users;
	int64 *items;
	float *values;
	size_t count;
	size_t capacity;
	int64 skipped; // rows with a NULL user, item or rating
};

// The SELECT that reads the three columns from argument argno of the current call, a regclass
// or a text holding either a relation name or a query (SELECT, WITH, VALUES, TABLE). Sets
// *description to the qualified relation name or the query text. May ereport; palloc'd.
char *interaction_source_query(FunctionCallInfo fcinfo, int argno, const char *user_column,
                               const char *item_column, const char *rating_column,
                               char **description);

// True when argument argno of the current call is a query rather than a relation.
bool interaction_source_is_query(FunctionCallInfo fcinfo, int argno);

// The same from a text: a query (SELECT, WITH, VALUES, TABLE) or a relation name, resolved
// with the current search_path.
char *interaction_query_from_text(const char *source, const char *user_column,
                                  const char *item_column, const char *rating_column,
                                  char **description);

// The FROM item of a source text: the query in parentheses when it is one (SELECT, WITH,
// VALUES, TABLE), else the schema-qualified, quoted name of the relation it names, resolved with
// the current search_path. May ereport (42P01 and the like); palloc'd.
char *source_from_item(const char *source);

// Ereports 42804 unless column `number` of a result is smallint, integer or bigint (ids).
void check_id_column(TupleDesc desc, int number);

// The value of an id column of one of those types (type: the base type of a domain).
int64 datum_to_id(Datum d, Oid type);

// The value of a column of a numeric type (integer, float or numeric) as a double.
double datum_to_number(Datum d, Oid type);

// Runs query (SPI must be connected) and appends its rows to *out, allocated in context.
// Ereports on ids that are not integers, ratings that are not numbers or not finite, and
// when the arrays plus bytes_per_row of later work per row would pass memory_limit bytes.
void read_interactions(const char *query, bool has_rating, size_t memory_limit,
                       size_t bytes_per_row, MemoryContext context, InteractionArrays *out);

// bytes as pg_size_pretty() writes it ("64 kB", "12 MB"), palloc'd.
char *pretty_size(double bytes);
