// Stores a model as a new version: catalog row, then item, user and neighbour rows by the
// multi-insert path (bulk_insert.h), feature rows alike, network layers by INSERT; all of it
// with the rights of pgrec's tables (catalog_access.h).
#include "model_store.h"

#include "bulk_insert.h"
#include "catalog_access.h"
#include "embedding.h"
#include "settings.h"

extern "C"
{
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
}

// The next version number, the first creation time and the owner of the current version.
static const char *const next_version_sql =
    "SELECT COALESCE(pg_catalog.max(version), 0) OPERATOR(pg_catalog.+) 1, "
    "pg_catalog.min(created_at), pg_catalog.max(owner::pg_catalog.oid) FILTER (WHERE is_current) "
    "FROM pgrec.model_versions WHERE name OPERATOR(pg_catalog.=) $1";

// Demotes the current version (for this transaction only, until commit).
static const char *const demote_sql = "UPDATE pgrec.model_versions SET is_current = false "
                                      "WHERE name OPERATOR(pg_catalog.=) $1 AND is_current";

static const char *const insert_model_sql =
    "INSERT INTO pgrec.model_versions (name, algorithm, hyperparameters, factors, users, items, "
    "interactions, global_mean, rating_min, rating_max, source, user_column, item_column, "
    "rating_column, created_at, training_seconds, peak_memory_bytes, loss_history, version, "
    "owner, source_search_path, item_features, user_features, text_search_config) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
    "COALESCE($15, pg_catalog.now()), $16, $17, $18, $19, $20::pg_catalog.regrole, "
    "$21, $22, $23, $24::pg_catalog.regconfig::pg_catalog.text) RETURNING model_id";

// Removes the versions older than the last pgrec.keep_versions.
static const char *const prune_sql =
    "DELETE FROM pgrec.model_versions v WHERE v.name OPERATOR(pg_catalog.=) $1 AND NOT "
    "v.is_current AND v.version OPERATOR(pg_catalog.<=) ((SELECT pg_catalog.max(c.version) FROM "
    "pgrec.model_versions c WHERE c.name OPERATOR(pg_catalog.=) $1) OPERATOR(pg_catalog.-) $2)";

static Datum int8_array(const int64 *values, int count)
{
	Datum *d = (Datum *)palloc(sizeof(Datum) * Max(count, 1));
	for (int i = 0; i < count; i++)
		d[i] = Int64GetDatum(values[i]);
	return PointerGetDatum(construct_array(d, count, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

static Datum float4_array(const float *values, int count)
{
	Datum *d = (Datum *)palloc(sizeof(Datum) * Max(count, 1));
	for (int i = 0; i < count; i++)
		d[i] = Float4GetDatum(values[i]);
	return PointerGetDatum(construct_array(d, count, FLOAT4OID, 4, true, TYPALIGN_INT));
}

static SPIPlanPtr prepare(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr plan = SPI_prepare(sql, nargs, types);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	return plan;
}

static void execute(SPIPlanPtr plan, Datum *values, const char *nulls, int expected)
{
	int rc = SPI_execute_plan(plan, values, nulls, false, 0);
	if (rc != expected)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
}

ModelRows model_rows(const pgrec::AlgorithmEntry &algorithm, const pgrec::Interactions &data,
                     const float *user_factors, const float *item_factors, const float *user_bias,
                     const float *item_bias, const pgrec::SparseRows *neighbors)
{
	bool keeps_values = pgrec::keeps_seen_values(algorithm);
	return {data.user_ids.data(),
	        data.users(),
	        data.item_ids.data(),
	        data.items(),
	        user_factors,
	        item_factors,
	        user_bias,
	        item_bias,
	        data.by_user.ptr.data(),
	        data.by_user.index.data(),
	        keeps_values ? data.by_user.value.data() : NULL,
	        neighbors ? pgrec::neighbor_view(*neighbors) : pgrec::NeighborView{},
	        {},
	        {},
	        0,
	        {nullptr, 0},
	        0};
}

bool begin_model_write(const char *name, const char *action, MemoryContext context,
                       ModelCatalog *current)
{
	lock_model(name);
	if (!read_model_catalog(name, true, context, current))
		return false;
	check_model_owner(name, current->owner, action);
	return true;
}

int run_model_statement(const char *sql, const char *name, int nargs, Datum number, bool read_only)
{
	Oid types[2] = {TEXTOID, INT4OID};
	Datum values[2] = {CStringGetTextDatum(name), number};
	SavedRights rights;
	enter_catalog_rights(&rights);
	int rc = SPI_execute_with_args(sql, nargs, types, values, NULL, read_only, 0);
	leave_rights(&rights);
	return rc;
}

// An embedding of the k floats at x; elogs on a value that is not finite.
static Datum embedding_of(const float *x, int k)
{
	Embedding *e = new_embedding(k);
	for (int f = 0; f < k; f++)
		check_element(x[f], f + 1);
	memcpy(e->x, x, sizeof(float) * k);
	return PointerGetDatum(e);
}

// Writes one side's rows (users when `users`, with their seen items and, when kept, their
// values) by the multi-insert path.
static void write_side(int64 model_id, const int64_t *ids, size_t count, const float *factors,
                       const float *bias, int k, bool users, const ModelRows &rows)
{
	static const char *const item_columns[] = {"model_id", "item_id", "bias", "factors"};
	static const char *const user_columns[] = {"model_id", "user_id",    "bias",
	                                           "factors",  "seen_items", "seen_values"};
	BulkInsert *b = bulk_insert_begin(users ? "user_factors" : "item_factors",
	                                  users ? user_columns : item_columns, users ? 6 : 4);
	for (size_t r = 0; r < count; r++)
	{
		Datum values[6];
		bool nulls[6] = {false, false, bias == NULL, k == 0, false, rows.seen_values == NULL};
		MemoryContext previous = MemoryContextSwitchTo(bulk_insert_memory(b));
		values[0] = Int64GetDatum(model_id);
		values[1] = Int64GetDatum(ids[r]);
		values[2] = bias ? Float4GetDatum(bias[r]) : (Datum)0;
		values[3] = k > 0 ? embedding_of(factors + r * k, k) : (Datum)0;
		if (users)
		{
			int64 begin = rows.seen_ptr ? rows.seen_ptr[r] : 0;
			int64 end = rows.seen_ptr ? rows.seen_ptr[r + 1] : 0;
			int64 *seen = (int64 *)palloc(sizeof(int64) * Max(end - begin, 1));
			for (int64 e = begin; e < end; e++)
				seen[e - begin] = rows.item_ids[rows.seen_index[e]];
			values[4] = int8_array(seen, (int)(end - begin));
			values[5] = rows.seen_values
			                ? float4_array(rows.seen_values + begin, (int)(end - begin))
			                : (Datum)0;
		}
		MemoryContextSwitchTo(previous);
		bulk_insert_row(b, values, nulls);
	}
	bulk_insert_end(b);
}

// Writes the non-empty neighbour rows by the multi-insert path: of items (ids: the item ids)
// into pgrec.item_neighbors, or of users into pgrec.user_neighbors.
static void insert_neighbors(int64 model_id, const ModelRows &rows, bool of_users)
{
	const pgrec::NeighborView &s = rows.neighbors;
	const int64_t *row_ids = of_users ? rows.user_ids : rows.item_ids;
	static const char *const item_columns[] = {"model_id", "item_id", "neighbor_ids", "weights"};
	static const char *const user_columns[] = {"model_id", "user_id", "neighbor_ids", "weights"};
	BulkInsert *b = bulk_insert_begin(of_users ? "user_neighbors" : "item_neighbors",
	                                  of_users ? user_columns : item_columns, 4);
	for (size_t r = 0; r < s.rows; r++)
	{
		int64 begin = s.ptr[r], end = s.ptr[r + 1];
		if (end == begin)
			continue;
		MemoryContext previous = MemoryContextSwitchTo(bulk_insert_memory(b));
		int64 *neighbors = (int64 *)palloc(sizeof(int64) * (end - begin));
		for (int64 e = begin; e < end; e++)
			neighbors[e - begin] = row_ids[s.index[e]];
		Datum values[4] = {Int64GetDatum(model_id), Int64GetDatum(row_ids[r]),
		                   int8_array(neighbors, (int)(end - begin)),
		                   float4_array(s.weight + begin, (int)(end - begin))};
		bool nulls[4] = {false, false, false, false};
		MemoryContextSwitchTo(previous);
		bulk_insert_row(b, values, nulls);
	}
	bulk_insert_end(b);
}

// Inserts the layers of a network scorer into pgrec.network_layers, in order.
static void insert_network(int64 model_id, const pgrec::Network &network)
{
	Oid types[6] = {INT8OID, INT4OID, INT4OID, INT4OID, FLOAT4ARRAYOID, FLOAT4ARRAYOID};
	SPIPlanPtr plan = prepare("INSERT INTO pgrec.network_layers (model_id, layer, inputs, "
	                          "outputs, weights, bias) VALUES ($1, $2, $3, $4, $5, $6)",
	                          6, types);
	for (size_t l = 0; l < network.count; l++)
	{
		const pgrec::NetworkLayer &layer = network.layers[l];
		Datum values[6] = {Int64GetDatum(model_id),
		                   Int32GetDatum((int32)l),
		                   Int32GetDatum(layer.inputs),
		                   Int32GetDatum(layer.outputs),
		                   float4_array(layer.weights, layer.inputs * layer.outputs),
		                   float4_array(layer.bias, layer.outputs)};
		execute(plan, values, NULL, SPI_OK_INSERT);
	}
}

// Runs sql, an INSERT ... SELECT $2, ... WHERE model_id = $1 that copies the rows of version
// from_id to version to_id (catalog rights held); `what` names them in the error.
static void copy_rows(const char *sql, int64 from_id, int64 to_id, const char *what)
{
	Oid types[2] = {INT8OID, INT8OID};
	Datum ids[2] = {Int64GetDatum(from_id), Int64GetDatum(to_id)};
	if (SPI_execute_with_args(sql, 2, types, ids, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not copy the %s of model version %lld", what, (long long)from_id);
}

static const char *const copy_network_sql =
    "INSERT INTO pgrec.network_layers SELECT $2, layer, inputs, outputs, weights, bias FROM "
    "pgrec.network_layers WHERE model_id OPERATOR(pg_catalog.=) $1";

// Writes one side's feature rows by the multi-insert path (nothing when f.builder is NULL). The
// table's CHECK constraints (side, kind) hold by construction: side is 'i' or 'u' and kind one
// of feature_kind_name()'s names.
static void insert_features(int64 model_id, char side, const FeatureRows &f, int k)
{
	if (f.builder == NULL)
		return;
	static const char *const columns[] = {"model_id", "side",  "feature", "column_name", "kind",
	                                      "value",    "offset", "scale",  "bias",        "factors"};
	const std::vector<int32_t> &feature_columns = f.builder->columns();
	const std::vector<std::string> &values = f.builder->values();
	size_t count = f.matrix->features();
	bool has_factors = !f.embeddings->factors.empty(), has_bias = !f.embeddings->bias.empty();
	BulkInsert *b = bulk_insert_begin("feature_factors", columns, 10);
	for (size_t feature = 0; feature < count; feature++)
	{
		pgrec::FeatureKind kind = f.matrix->kinds[feature];
		bool is_number = kind == pgrec::FeatureKind::Number;
		MemoryContext previous = MemoryContextSwitchTo(bulk_insert_memory(b));
		NameData *column = (NameData *)palloc0(sizeof(NameData));
		namestrcpy(column, f.columns->names[feature_columns[feature]]);
		Datum row[10] = {
		    Int64GetDatum(model_id),
		    CharGetDatum(side),
		    Int32GetDatum((int32)feature),
		    NameGetDatum(column),
		    CStringGetTextDatum(feature_kind_name(kind)),
		    is_number ? (Datum)0
		              : PointerGetDatum(cstring_to_text_with_len(values[feature].data(),
		                                                         (int)values[feature].size())),
		    Float4GetDatum(f.matrix->offset[feature]),
		    Float4GetDatum(f.matrix->scale[feature]),
		    has_bias ? Float4GetDatum(f.embeddings->bias[feature]) : (Datum)0,
		    has_factors ? embedding_of(f.embeddings->factors.data() + feature * k, k) : (Datum)0};
		bool nulls[10] = {false, false, false, false, false, is_number, false, false, !has_bias,
		                  !has_factors};
		MemoryContextSwitchTo(previous);
		bulk_insert_row(b, row, nulls);
	}
	bulk_insert_end(b);
}

// The start of a new version of name (catalog rights entered): its version number, the first
// creation time (NULL Datum for a new name) and the owner to keep (the current user for a new
// name); the current version is demoted for this transaction.
struct NewVersion
{
	int32 version;
	Datum created_at;
	bool created_null;
	Oid owner;
};

static NewVersion begin_version(const char *name, Oid user)
{
	if (run_model_statement(next_version_sql, name, 1, (Datum)0, false) != SPI_OK_SELECT ||
	    SPI_processed != 1)
		elog(ERROR, "could not start a new version of model \"%s\"", name);
	NewVersion v;
	bool isnull, owner_null;
	HeapTuple row = SPI_tuptable->vals[0];
	v.version = DatumGetInt32(SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull));
	v.created_at = SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &v.created_null);
	Datum owner = SPI_getbinval(row, SPI_tuptable->tupdesc, 3, &owner_null);
	v.owner = owner_null ? user : DatumGetObjectId(owner);
	if (run_model_statement(demote_sql, name, 1, (Datum)0, false) != SPI_OK_UPDATE)
		elog(ERROR, "could not demote the current version of model \"%s\"", name);
	return v;
}

// Removes the versions of name beyond pgrec.keep_versions (catalog rights entered).
static void prune_versions(const char *name)
{
	if (run_model_statement(prune_sql, name, 2, Int32GetDatum(pgrec_keep_versions), false) !=
	    SPI_OK_DELETE)
		elog(ERROR, "could not prune the versions of model \"%s\"", name);
}

int64 store_model(const ModelRecord *r, const ModelRows &rows, int32 *version_out)
{
	ereport(DEBUG1, (errmsg("writing a new version of model \"%s\"", r->name)));
	SavedRights rights;
	enter_catalog_rights(&rights);
	NewVersion nv = begin_version(r->name, rights.user);
	int32 version = nv.version;
	Datum created_at = nv.created_at;
	bool created_null = nv.created_null;
	Oid owner = nv.owner;

	Oid model_types[24] = {TEXTOID, TEXTOID,   JSONBOID,       INT4OID,   INT8OID, INT8OID,
	                       INT8OID, FLOAT8OID, FLOAT4OID,      FLOAT4OID, TEXTOID, NAMEOID,
	                       NAMEOID, NAMEOID,   TIMESTAMPTZOID, FLOAT8OID, INT8OID, FLOAT8ARRAYOID,
	                       INT4OID, OIDOID,    TEXTOID,        TEXTOID,   TEXTOID, OIDOID};
	Datum v[24];
	char n[25] = "                        ";
	Datum *losses = (Datum *)palloc(sizeof(Datum) * Max(r->epochs, 1));
	for (int e = 0; e < r->epochs; e++)
		losses[e] = Float8GetDatum(r->loss_history[e]);
	v[0] = CStringGetTextDatum(r->name);
	v[1] = CStringGetTextDatum(r->algorithm->name);
	v[2] = JsonbPGetDatum(hyperparameters_jsonb(r->algorithm, r->hyperparameters));
	v[3] = Int32GetDatum(r->factors);
	v[4] = Int64GetDatum((int64)rows.users);
	v[5] = Int64GetDatum((int64)rows.items);
	v[6] = Int64GetDatum(r->interactions);
	v[7] = Float8GetDatum(r->global_mean);
	v[8] = Float4GetDatum(r->rating_min);
	v[9] = Float4GetDatum(r->rating_max);
	n[8] = n[9] = r->has_rating_range ? ' ' : 'n';
	v[10] = CStringGetTextDatum(r->source);
	v[11] = DirectFunctionCall1(namein, CStringGetDatum(r->user_column));
	v[12] = DirectFunctionCall1(namein, CStringGetDatum(r->item_column));
	v[13] = r->rating_column ? DirectFunctionCall1(namein, CStringGetDatum(r->rating_column))
	                         : (Datum)0;
	n[13] = r->rating_column ? ' ' : 'n';
	v[14] = created_at;
	n[14] = created_null ? 'n' : ' ';
	v[15] = Float8GetDatum(r->training_seconds);
	v[16] = Int64GetDatum(r->peak_memory_bytes);
	v[17] = PointerGetDatum(
	    construct_array(losses, r->epochs, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	v[18] = Int32GetDatum(version);
	v[19] = ObjectIdGetDatum(owner);
	v[20] = r->source_search_path ? CStringGetTextDatum(r->source_search_path) : (Datum)0;
	n[20] = r->source_search_path ? ' ' : 'n';
	v[21] = r->item_features ? CStringGetTextDatum(r->item_features) : (Datum)0;
	n[21] = r->item_features ? ' ' : 'n';
	v[22] = r->user_features ? CStringGetTextDatum(r->user_features) : (Datum)0;
	n[22] = r->user_features ? ' ' : 'n';
	v[23] = ObjectIdGetDatum(r->text_search_config);
	n[23] = OidIsValid(r->text_search_config) ? ' ' : 'n';
	if (SPI_execute_with_args(insert_model_sql, 24, model_types, v, n, false, 1) !=
	        SPI_OK_INSERT_RETURNING ||
	    SPI_processed != 1)
		elog(ERROR, "could not insert the model row");
	bool isnull;
	int64 model_id =
	    DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	write_side(model_id, rows.item_ids, rows.items, rows.item_factors, rows.item_bias, r->factors,
	           false, rows);
	write_side(model_id, rows.user_ids, rows.users, rows.user_factors, rows.user_bias, r->factors,
	           true, rows);
	if (rows.neighbors.ptr)
		insert_neighbors(model_id, rows, r->algorithm->scorer == pgrec::Scorer::UserNeighbors);
	insert_features(model_id, 'i', rows.item_features, r->factors);
	insert_features(model_id, 'u', rows.user_features, r->factors);
	if (rows.features_from)
		copy_feature_rows(rows.features_from, model_id);
	insert_network(model_id, rows.network);
	if (rows.network_from)
		copy_rows(copy_network_sql, rows.network_from, model_id, "network");
	prune_versions(r->name);
	leave_rights(&rights);
	*version_out = version;
	return model_id;
}

static const char *const copy_model_sql =
    "INSERT INTO pgrec.model_versions (name, version, owner, algorithm, hyperparameters, "
    "factors, users, items, interactions, global_mean, rating_min, rating_max, source, "
    "source_search_path, user_column, item_column, rating_column, item_features, user_features, "
    "text_search_config, created_at, trained_at, "
    "training_seconds, peak_memory_bytes, loss_history, metrics) "
    "SELECT $2, $3, $4::pg_catalog.regrole, algorithm, hyperparameters, factors, users, items, "
    "interactions, global_mean, rating_min, rating_max, source, source_search_path, user_column, "
    "item_column, rating_column, item_features, user_features, text_search_config, "
    "COALESCE($5, created_at), trained_at, "
    "training_seconds, peak_memory_bytes, loss_history, metrics FROM pgrec.model_versions "
    "WHERE model_id OPERATOR(pg_catalog.=) $1 RETURNING model_id";

void copy_feature_rows(int64 from_id, int64 to_id)
{
	SavedRights rights;
	enter_catalog_rights(&rights);
	copy_rows("INSERT INTO pgrec.feature_factors SELECT $2, side, feature, column_name, kind, "
	          "value, \"offset\", scale, bias, factors FROM pgrec.feature_factors WHERE model_id "
	          "OPERATOR(pg_catalog.=) $1",
	          from_id, to_id, "features");
	leave_rights(&rights);
}

int64 copy_version(int64 from_id, const char *name, int32 *version_out)
{
	SavedRights rights;
	enter_catalog_rights(&rights);
	NewVersion nv = begin_version(name, rights.user);
	Oid types[5] = {INT8OID, TEXTOID, INT4OID, OIDOID, TIMESTAMPTZOID};
	Datum values[5] = {Int64GetDatum(from_id), CStringGetTextDatum(name), Int32GetDatum(nv.version),
	                   ObjectIdGetDatum(nv.owner), nv.created_at};
	char nulls[6] = "    ";
	nulls[4] = nv.created_null ? 'n' : ' ';
	if (SPI_execute_with_args(copy_model_sql, 5, types, values, nulls, false, 1) !=
	        SPI_OK_INSERT_RETURNING ||
	    SPI_processed != 1)
		elog(ERROR, "could not copy model version %lld", (long long)from_id);
	bool isnull;
	int64 model_id =
	    DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	copy_rows("INSERT INTO pgrec.item_factors SELECT $2, item_id, bias, factors FROM "
	          "pgrec.item_factors WHERE model_id OPERATOR(pg_catalog.=) $1",
	          from_id, model_id, "item factors");
	copy_rows("INSERT INTO pgrec.user_factors SELECT $2, user_id, bias, factors, seen_items, "
	          "seen_values FROM pgrec.user_factors WHERE model_id OPERATOR(pg_catalog.=) $1",
	          from_id, model_id, "user factors");
	copy_rows("INSERT INTO pgrec.item_neighbors SELECT $2, item_id, neighbor_ids, weights FROM "
	          "pgrec.item_neighbors WHERE model_id OPERATOR(pg_catalog.=) $1",
	          from_id, model_id, "item neighbours");
	copy_rows("INSERT INTO pgrec.user_neighbors SELECT $2, user_id, neighbor_ids, weights FROM "
	          "pgrec.user_neighbors WHERE model_id OPERATOR(pg_catalog.=) $1",
	          from_id, model_id, "user neighbours");
	copy_feature_rows(from_id, model_id);
	copy_rows(copy_network_sql, from_id, model_id, "network");
	prune_versions(name);
	leave_rights(&rights);
	*version_out = nv.version;
	return model_id;
}
