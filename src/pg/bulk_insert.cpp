// Buffers rows in the table's slots and writes them with table_multi_insert, then inserts each
// row's index entries (ExecInsertIndexTuples), checking for interrupts between batches.
#include "bulk_insert.h"

#include "catalog_access.h"

extern "C"
{
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
}

// Rows, and bytes of their values, written at once at most: COPY FROM's buffer limits.
#define BULK_ROWS  1000
#define BULK_BYTES 65536

struct BulkInsert
{
	Relation rel;
	EState *estate;
	ResultRelInfo *result;
	BulkInsertState state;
	CommandId command;
	int ncolumns;
	AttrNumber *attnums;
	TupleTableSlot *slots[BULK_ROWS];
	int buffered;
	size_t buffered_bytes; // of the buffered rows' varlena values
	MemoryContext rows;    // the datums of the buffered rows
};

BulkInsert *bulk_insert_begin(const char *table, const char *const *columns, int ncolumns)
{
	if (!pgrec_writing_catalog())
		elog(ERROR, "pgrec.%s is written in bulk only with the rights of pgrec's tables", table);
	BulkInsert *b = (BulkInsert *)palloc0(sizeof(BulkInsert));
	b->rel = table_open(pgrec_relation(table), RowExclusiveLock);
	b->estate = CreateExecutorState();
	b->result = makeNode(ResultRelInfo);
	InitResultRelInfo(b->result, b->rel, 1, NULL, 0);
	ExecOpenIndices(b->result, false);
	b->state = GetBulkInsertState();
	b->command = GetCurrentCommandId(true);
	b->ncolumns = ncolumns;
	b->attnums = (AttrNumber *)palloc(sizeof(AttrNumber) * ncolumns);
	for (int c = 0; c < ncolumns; c++)
	{
		b->attnums[c] = get_attnum(RelationGetRelid(b->rel), columns[c]);
		if (b->attnums[c] == InvalidAttrNumber)
			elog(ERROR, "column \"%s\" of pgrec.%s does not exist", columns[c], table);
	}
	for (int s = 0; s < BULK_ROWS; s++)
		b->slots[s] = table_slot_create(b->rel, NULL);
	b->rows = AllocSetContextCreate(CurrentMemoryContext, "pgrec bulk insert rows",
	                                ALLOCSET_DEFAULT_SIZES);
	return b;
}

MemoryContext bulk_insert_memory(BulkInsert *b)
{
	return b->rows;
}

// Writes the buffered rows and their index entries, then empties the buffer.
static void flush(BulkInsert *b)
{
	if (b->buffered == 0)
		return;
	CHECK_FOR_INTERRUPTS();
	// The heap tuples (and any TOAST work) of the batch are made in the rows' context.
	MemoryContext previous = MemoryContextSwitchTo(b->rows);
	table_multi_insert(b->rel, b->slots, b->buffered, b->command, 0, b->state);
	for (int s = 0; s < b->buffered; s++)
	{
		if (b->result->ri_NumIndices > 0)
		{
			ResetPerTupleExprContext(b->estate);
			list_free(
			    ExecInsertIndexTuples(b->result, b->slots[s], b->estate, false, false, NULL, NIL));
		}
		ExecClearTuple(b->slots[s]);
	}
	MemoryContextSwitchTo(previous);
	b->buffered = 0;
	b->buffered_bytes = 0;
	MemoryContextReset(b->rows);
}

void bulk_insert_row(BulkInsert *b, const Datum *values, const bool *nulls)
{
	TupleTableSlot *slot = b->slots[b->buffered];
	ExecClearTuple(slot);
	int natts = slot->tts_tupleDescriptor->natts;
	for (int a = 0; a < natts; a++)
	{
		slot->tts_values[a] = (Datum)0;
		slot->tts_isnull[a] = true;
	}
	for (int c = 0; c < b->ncolumns; c++)
	{
		Form_pg_attribute att = TupleDescAttr(slot->tts_tupleDescriptor, b->attnums[c] - 1);
		slot->tts_values[b->attnums[c] - 1] = values[c];
		slot->tts_isnull[b->attnums[c] - 1] = nulls[c];
		if (!nulls[c] && att->attlen == -1)
			b->buffered_bytes += VARSIZE_ANY(DatumGetPointer(values[c]));
	}
	ExecStoreVirtualTuple(slot);
	if (++b->buffered == BULK_ROWS || b->buffered_bytes >= BULK_BYTES)
		flush(b);
}

void bulk_insert_end(BulkInsert *b)
{
	flush(b);
	for (int s = 0; s < BULK_ROWS; s++)
		ExecDropSingleTupleTableSlot(b->slots[s]);
	FreeBulkInsertState(b->state);
	ExecCloseIndices(b->result);
	FreeExecutorState(b->estate);
	table_close(b->rel, NoLock);
	MemoryContextDelete(b->rows);
	CommandCounterIncrement();
}
