// A DestReceiver that hands each row of an SPI query to a callback (row_stream.h).
#include "row_stream.h"

extern "C"
{
#include "executor/spi.h"
#include "nodes/params.h"
#include "tcop/dest.h"
}

struct RowStreamReceiver
{
	DestReceiver pub; // first: the executor sees a DestReceiver
	RowStreamStart start;
	RowStreamRow row;
	void *state;
};

static void stream_startup(DestReceiver *self, int, TupleDesc desc)
{
	RowStreamReceiver *r = (RowStreamReceiver *)self;
	if (r->start)
		r->start(desc, r->state);
}

static bool stream_row(TupleTableSlot *slot, DestReceiver *self)
{
	RowStreamReceiver *r = (RowStreamReceiver *)self;
	r->row(slot, r->state);
	return true;
}

// Nothing to release: the callbacks' state belongs to the caller.
static void stream_shutdown(DestReceiver *)
{
}

void stream_rows(const char *sql, int nargs, const Oid *types, const Datum *values, bool read_only,
                 RowStreamStart start, RowStreamRow row, void *state)
{
	SPIPlanPtr plan = SPI_prepare(sql, nargs, const_cast<Oid *>(types));
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	ParamListInfo params = NULL;
	if (nargs > 0)
	{
		params = makeParamList(nargs);
		for (int i = 0; i < nargs; i++)
			params->params[i] = {values[i], false, PARAM_FLAG_CONST, types[i]};
	}

	RowStreamReceiver receiver = {};
	receiver.pub.receiveSlot = stream_row;
	receiver.pub.rStartup = stream_startup;
	receiver.pub.rShutdown = stream_shutdown;
	receiver.pub.rDestroy = stream_shutdown;
	receiver.pub.mydest = DestNone;
	receiver.start = start;
	receiver.row = row;
	receiver.state = state;

	SPIExecuteOptions options = {};
	options.params = params;
	options.read_only = read_only;
	options.dest = &receiver.pub;
	int rc = SPI_execute_plan_extended(plan, &options);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan_extended failed for \"%s\": %s", sql,
		     SPI_result_code_string(rc));
	SPI_freeplan(plan);
	if (params)
		pfree(params);
}
