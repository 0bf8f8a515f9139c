// Appending rows to one of pgrec's own tables by the heap's multi-insert path, as COPY FROM does:
// no executor per row, no SQL, the table's indexes updated per row. The table's triggers do not
// fire: pgrec's factor tables have none but the foreign keys to pgrec.model_versions, whose row
// the same transaction has just inserted (and holds: no other transaction sees it). The caller
// runs with the rights of pgrec's tables (catalog_access.h).
#pragma once

#include "postgres_headers.h"

struct BulkInsert;

// Opens pgrec.<table> for appending rows of the named columns (the table's other columns are
// NULL); elogs if a column is missing. Row values are to be built in bulk_insert_memory(),
// which is reset whenever buffered rows are written.
BulkInsert *bulk_insert_begin(const char *table, const char *const *columns, int ncolumns);

MemoryContext bulk_insert_memory(BulkInsert *b);

// Buffers one row (values and nulls in the order of the columns), writing the buffer when full.
void bulk_insert_row(BulkInsert *b, const Datum *values, const bool *nulls);

// Writes what is buffered and closes the table; the rows are visible to later commands.
void bulk_insert_end(BulkInsert *b);
