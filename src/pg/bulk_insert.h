// Appending rows to one of pgrec's own tables by the heap's multi-insert path, as COPY FROM does:
// no executor per row, no SQL, the table's indexes updated per row. The table's triggers do not
// fire. On the factor tables those are the foreign keys to pgrec.model_versions, whose row the
// same transaction has just inserted (no other transaction sees it), and the statement
// triggers that invalidate model caches, which do nothing while pgrec writes its catalog: so
// only a caller inside enter_catalog_rights() may use it (checked).
#pragma once

#include "postgres_headers.h"

struct BulkInsert;

// Opens pgrec.<table> for appending rows of the named columns (the table's other columns are
// NULL); elogs outside enter_catalog_rights() or if a column is missing. The state is palloc'd
// in CurrentMemoryContext. Row values are to be built in bulk_insert_memory(), which is reset
// whenever buffered rows are written.
BulkInsert *bulk_insert_begin(const char *table, const char *const *columns, int ncolumns);

MemoryContext bulk_insert_memory(BulkInsert *b);

// Buffers one row (values and nulls in the order of the columns), writing the buffer when it
// holds BULK_ROWS rows or BULK_BYTES bytes of values. May ereport (a cancel, a unique
// violation).
void bulk_insert_row(BulkInsert *b, const Datum *values, const bool *nulls);

// Writes what is buffered and closes the table; the rows are visible to later commands. May
// ereport as bulk_insert_row.
void bulk_insert_end(BulkInsert *b);
