// Re-ranking for recommend() and recommend_for_interactions(): checks the arguments, reads the
// groups of the candidate items through SPI and runs the core's MMR and caps (src/core/rerank).
#include "rerank.h"

#include "core_guard.h"
#include "interaction_source.h"

#include "../core/algorithm_registry.h"
#include "../core/rerank.h"

extern "C"
{
#include "utils/lsyscache.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

#include <cmath>
#include <memory>

RerankArguments read_rerank_arguments(FunctionCallInfo fcinfo, int argno)
{
	RerankArguments a = {0.0, NULL, 0, false};
	if (PG_NARGS() <= argno + 2)
		return a; // an older SQL definition without the arguments
	if (!PG_ARGISNULL(argno))
		a.diversity = PG_GETARG_FLOAT8(argno);
	if (std::isnan(a.diversity) || a.diversity < 0.0 || a.diversity > 1.0)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("diversity must be between 0 and 1, not %s",
		                std::isnan(a.diversity) ? "NaN" : psprintf("%g", a.diversity)),
		         errdetail("Diversity 0 ranks by relevance alone, 1 by dissimilarity to the items "
		                   "picked before.")));
	bool has_groups = !PG_ARGISNULL(argno + 1), has_cap = !PG_ARGISNULL(argno + 2);
	if (has_cap)
	{
		a.max_per_group = PG_GETARG_INT32(argno + 2);
		if (a.max_per_group <= 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("max_per_group must be positive, not %d", a.max_per_group)));
	}
	if (has_cap && !has_groups)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("max_per_group needs item_groups"),
		                errhint("Give item_groups, a table or query whose rows are (item id, "
		                        "group), or leave max_per_group out.")));
	if (has_groups && !has_cap)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("item_groups needs max_per_group"),
		                errhint("Give max_per_group, the most items of one group the result may "
		                        "hold, or leave item_groups out.")));
	if (has_groups)
		a.item_groups = text_to_cstring(PG_GETARG_TEXT_PP(argno + 1));
	a.active = a.diversity > 0.0 || has_groups;
	return a;
}

// The groups of the pool's items, read in steps as the pool grows.
struct GroupReader
{
	char *select;          // the SELECT of (item id, group text) rows WHERE item id = ANY($1)
	MemoryContext context; // where keys, items and the group strings live
	const char **keys;     // keys[p]: the group of pool position p, NULL for none
	int32 *items;          // items[p]: the item whose group keys[p] is
	size_t read;           // positions whose groups have been read
};

// An item id of the pool and its position, for looking rows up.
struct IdPosition
{
	int64 id;
	size_t position;
};

static int compare_id_position(const void *a, const void *b)
{
	int64 x = ((const IdPosition *)a)->id, y = ((const IdPosition *)b)->id;
	return x < y ? -1 : (x > y);
}

// Checks the group source (SPI connected) and prepares *reader to read from it: ereports 42703
// when its rows have fewer than two columns and 42804 when the first is not an integer type.
static void open_group_source(const char *source, MemoryContext context, GroupReader *reader)
{
	char *from = source_from_item(source);
	if (SPI_execute(psprintf("SELECT * FROM %s AS item_groups LIMIT 0", from), true, 0) !=
	    SPI_OK_SELECT)
		elog(ERROR, "could not read the columns of item_groups: %s",
		     SPI_result_code_string(SPI_result));
	TupleDesc desc = SPI_tuptable->tupdesc;
	if (desc->natts < 2)
		ereport(ERROR,
		        (errcode(ERRCODE_UNDEFINED_COLUMN), errmsg("item_groups has no group column"),
		         errdetail_plural("Its rows have %d column; an item id and a group need two.",
		                          "Its rows have %d columns; an item id and a group need two.",
		                          desc->natts, desc->natts),
		         errhint("Give rows of (item id, group): the first column is the item id, "
		                 "the second the group, by position.")));
	check_id_column(desc, 1);
	SPI_freetuptable(SPI_tuptable);
	reader->select = psprintf("SELECT g.pgrec_item, g.pgrec_group::text FROM %s AS "
	                          "g(pgrec_item, pgrec_group) WHERE g.pgrec_item = ANY($1)",
	                          from);
	reader->context = context;
	reader->keys = NULL;
	reader->items = NULL;
	reader->read = 0;
}

// Reads the groups of pool positions [first, count) (SPI connected), first being the first
// position whose item differs from the one read before (a larger pool of the exact scan starts
// with the smaller one; the approximate search's may not), as the calling user and read-only;
// keys is grown to count. Rows with a NULL group are skipped (the item stays ungrouped); an
// item with two different groups is an error (21000).
static void read_groups(GroupReader *reader, const int64 *item_ids,
                        const pgrec::Recommendation *pool, size_t count)
{
	size_t first = 0;
	while (first < reader->read && first < count && reader->items[first] == pool[first].item)
		first++;
	size_t n = count - first;
	Size bytes = sizeof(const char *) * Max(count, 1);
	Size item_bytes = sizeof(int32) * Max(count, 1);
	reader->keys = reader->keys ? (const char **)repalloc_huge(reader->keys, bytes)
	                            : (const char **)MemoryContextAllocHuge(reader->context, bytes);
	reader->items = reader->items ? (int32 *)repalloc_huge(reader->items, item_bytes)
	                              : (int32 *)MemoryContextAllocHuge(reader->context, item_bytes);
	for (size_t p = first; p < count; p++)
	{
		reader->keys[p] = NULL;
		reader->items[p] = pool[p].item;
	}
	reader->read = count;
	if (n == 0)
		return;
	IdPosition *lookup = (IdPosition *)palloc(sizeof(IdPosition) * n);
	Datum *ids = (Datum *)palloc(sizeof(Datum) * n);
	for (size_t r = 0; r < n; r++)
	{
		lookup[r] = {item_ids[pool[first + r].item], first + r};
		ids[r] = Int64GetDatum(lookup[r].id);
	}
	qsort(lookup, n, sizeof(IdPosition), compare_id_position);
	Oid types[1] = {INT8ARRAYOID};
	Datum values[1] = {PointerGetDatum(
	    construct_array(ids, (int)n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE))};
	if (SPI_execute_with_args(reader->select, 1, types, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read item_groups: %s", SPI_result_code_string(SPI_result));
	TupleDesc desc = SPI_tuptable->tupdesc;
	Oid id_type = getBaseType(SPI_gettypeid(desc, 1));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool null_id, null_group;
		HeapTuple tuple = SPI_tuptable->vals[r];
		Datum id = SPI_getbinval(tuple, desc, 1, &null_id);
		Datum group = SPI_getbinval(tuple, desc, 2, &null_group);
		if (null_id || null_group)
			continue;
		IdPosition key = {datum_to_id(id, id_type), 0};
		IdPosition *found =
		    (IdPosition *)bsearch(&key, lookup, n, sizeof(IdPosition), compare_id_position);
		if (found == NULL)
			continue;
		char *name = MemoryContextStrdup(reader->context, TextDatumGetCString(group));
		const char *known = reader->keys[found->position];
		if (known && strcmp(known, name) != 0)
			ereport(ERROR,
			        (errcode(ERRCODE_CARDINALITY_VIOLATION),
			         errmsg("item %lld has more than one group in item_groups", (long long)key.id),
			         errdetail("It is in groups \"%s\" and \"%s\".", known, name),
			         errhint("Give each item one group, for example its main category; items "
			                 "without a group are not capped.")));
		reader->keys[found->position] = name;
	}
	SPI_freetuptable(SPI_tuptable);
}

// True when diversity can be computed for the model's items (item_similarity gives theirs). A
// new scorer decides here, and adds its similarity below.
static bool has_item_similarity(const CachedModel *e)
{
	switch (e->model.catalog.algorithm->scorer)
	{
	case pgrec::Scorer::DotProduct:
	case pgrec::Scorer::Network: // the cosine of its items' embeddings
		return true;
	case pgrec::Scorer::ItemNeighbors: // where its weights are similarities (item_knn)
		return e->model.catalog.algorithm->weights_are_similarities;
	case pgrec::Scorer::UserNeighbors: // user-user weights say nothing of two items
		return false;
	}
	return false;
}

// The similarity of the model's items for diversity (has_item_similarity): the cosine of their
// factors, or the stored weights. Calls no PostgreSQL function: it runs inside the core guard.
static std::unique_ptr<pgrec::ItemSimilarity> item_similarity(const CachedModel *e)
{
	if (e->model.catalog.algorithm->scorer == pgrec::Scorer::ItemNeighbors)
		return std::make_unique<pgrec::WeightSimilarity>(e->model.neighbors);
	return std::make_unique<pgrec::CosineSimilarity>(e->model.item_factors, e->item_inverse_norms,
	                                                 e->model.catalog.factors);
}

pgrec::Recommendation *rerank_items(const RerankArguments *arguments, const CachedModel *e,
                                    CandidateSource source, const void *state, int64 k,
                                    size_t *count)
{
	Assert(arguments->active);
	if (arguments->diversity > 0.0 && !has_item_similarity(e))
		ereport(
		    ERROR,
		    (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		     errmsg("model \"%s\" has no item similarity for diversity", e->name),
		     errdetail(e->model.catalog.algorithm->scorer == pgrec::Scorer::UserNeighbors
		                   ? "Algorithm %s keeps user-user weights, not item similarities."
		                   : "Algorithm %s keeps item-item weights that are not similarities.",
		               e->model.catalog.algorithm->name),
		     errhint("Cap the groups of its items with item_groups and max_per_group instead.")));
	size_t catalogue = e->model.items;
	size_t room = (size_t)Min((uint64)k, (uint64)Max(catalogue, 1));
	size_t pool_room = Max(pgrec::rerank_pool_size(room, catalogue), 1);
	MemoryContext context = CurrentMemoryContext;
	pgrec::Recommendation *out =
	    (pgrec::Recommendation *)palloc(sizeof(pgrec::Recommendation) * room);
	pgrec::Recommendation *pool = (pgrec::Recommendation *)MemoryContextAllocHuge(
	    context, sizeof(pgrec::Recommendation) * pool_room);
	GroupReader groups = {};
	bool capped = arguments->item_groups != NULL;
	if (capped)
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		open_group_source(arguments->item_groups, context, &groups);
	}
	pgrec::CancelToken cancel = backend_cancel_token();
	for (;;)
	{
		size_t pool_count = source(state, pool_room, pool);
		if (capped)
			read_groups(&groups, e->model.item_ids, pool, pool_count);
		double diversity = arguments->diversity;
		size_t max_per_group = (size_t)arguments->max_per_group;
		CORE_CALL({
			std::unique_ptr<pgrec::ItemSimilarity> similarity;
			if (diversity > 0.0)
				similarity = item_similarity(e);
			pgrec::GroupCaps caps = {groups.keys, max_per_group};
			pgrec::RerankOptions options = {diversity, similarity.get(), capped ? &caps : nullptr};
			*count = pgrec::rerank(pool, pool_count, room, options, cancel, out);
		});
		if (*count == room || pool_count < pool_room || pool_room >= catalogue)
			break;
		pool_room = Min(pool_room * 2, catalogue);
		pool =
		    (pgrec::Recommendation *)repalloc_huge(pool, sizeof(pgrec::Recommendation) * pool_room);
	}
	if (capped)
		SPI_finish();
	return out;
}
