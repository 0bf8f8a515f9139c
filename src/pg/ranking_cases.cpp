// Grouping held-out rows into ranking cases, and the result row of the evaluation functions.
#include "ranking_cases.h"

extern "C"
{
#include "access/htup_details.h"
#include "funcapi.h"
}

#include <cmath>

static int compare_dense_rows(const void *a, const void *b)
{
	const pgrec::TestRating *x = (const pgrec::TestRating *)a, *y = (const pgrec::TestRating *)b;
	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	return 0;
}

size_t build_ranking_cases(pgrec::TestRating *rows, size_t count, bool threshold_set,
                           double threshold, MemoryContext context, pgrec::RankingCase **out)
{
	qsort(rows, count, sizeof(pgrec::TestRating), compare_dense_rows);
	int32 *items = (int32 *)MemoryContextAllocHuge(context, sizeof(int32) * Max(count, 1));
	pgrec::RankingCase *cases = (pgrec::RankingCase *)MemoryContextAllocHuge(
	    context, sizeof(pgrec::RankingCase) * Max(count, 1));
	*out = cases;
	size_t n_cases = 0, n_items = 0;
	for (size_t r = 0; r < count;)
	{
		size_t end = r;
		while (end < count && rows[end].user == rows[r].user)
			end++;
		if (rows[r].user >= 0)
		{
			pgrec::RankingCase c = {rows[r].user, items + n_items, 0, 0};
			for (size_t j = r; j < end; j++)
			{
				if (threshold_set && rows[j].rating < threshold)
					continue;
				if (rows[j].item < 0)
					c.unknown_items++;
				else if (c.item_count == 0 || c.items[c.item_count - 1] != rows[j].item)
					items[n_items + c.item_count++] = (int32)rows[j].item;
			}
			n_items += c.item_count;
			if (c.item_count + c.unknown_items > 0)
				cases[n_cases++] = c;
		}
		r = end;
	}
	return n_cases;
}

Datum evaluation_result(TupleDesc desc, const pgrec::RatingErrors &errors,
                        const pgrec::RankingMetrics &metrics, size_t test_interactions)
{
	Datum values[10];
	bool nulls[10] = {false};
	values[0] = Float8GetDatum(errors.rmse);
	values[1] = Float8GetDatum(errors.mae);
	nulls[0] = nulls[1] = !std::isfinite(errors.rmse);
	values[2] = Float8GetDatum(metrics.precision);
	values[3] = Float8GetDatum(metrics.recall);
	values[4] = Float8GetDatum(metrics.ndcg);
	values[5] = Float8GetDatum(metrics.hit_rate);
	values[6] = Float8GetDatum(metrics.map);
	values[7] = Float8GetDatum(metrics.coverage);
	values[8] = Int64GetDatum((int64)metrics.users);
	values[9] = Int64GetDatum((int64)test_interactions);
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls));
}
