// Running a query through SPI with each result row handed to a callback as the executor
// produces it: no tuple table, no copies of the rows, no batches to fetch. The executor's scans
// check for interrupts between rows; the callback may ereport.
#pragma once

#include "postgres_headers.h"

extern "C"
{
#include "executor/tuptable.h"
}

// Called once with the result's descriptor before the first row (may be NULL).
typedef void (*RowStreamStart)(TupleDesc desc, void *state);
// Called for each row, its attributes read with slot_getsomeattrs; the slot's values live
// until the next row.
typedef void (*RowStreamRow)(TupleTableSlot *slot, void *state);

// Prepares and runs sql with nargs parameters of the given types and values (read_only: with
// the current snapshot, as SPI's read_only does). Needs an SPI connection.
void stream_rows(const char *sql, int nargs, const Oid *types, const Datum *values, bool read_only,
                 RowStreamStart start, RowStreamRow row, void *state);

// The same with a callable row(TupleTableSlot *) and no start callback.
template <class Row>
void stream_rows(const char *sql, int nargs, const Oid *types, const Datum *values, bool read_only,
                 Row &row)
{
	stream_rows(
	    sql, nargs, types, values, read_only, NULL,
	    [](TupleTableSlot *slot, void *state) { (*static_cast<Row *>(state))(slot); }, &row);
}
