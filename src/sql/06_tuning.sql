-- pgrec extension script, part: Synthetic data with planted structure and hyper-parameter search.
-- Concatenated in file-name order into pgrec--<version>.sql by the Makefile.

-- Synthetic data with planted structure, so that demos and tests work without real data.

CREATE FUNCTION pgrec.synthetic_ratings(
	users integer DEFAULT 600,
	items integer DEFAULT 400,
	ratings_per_user integer DEFAULT 40,
	genres integer DEFAULT 6,
	seed bigint DEFAULT 42)
RETURNS TABLE (user_id bigint, item_id bigint, rating real, genre integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
	-- Each user loves one genre; each item has one genre. A user rates items of their genre
	-- 4-5 and others 1-3, with deterministic noise from md5 of (seed, user, item).
	WITH pairs AS (
		SELECT u, i,
			('x' || substr(md5(seed || ':' || u || ':' || i), 1, 8))::bit(32)::bigint AS h
		FROM generate_series(1, users) u, generate_series(1, items) i
	), picked AS (
		SELECT u, i, h, row_number() OVER (PARTITION BY u ORDER BY h) AS n FROM pairs
	)
	SELECT u::bigint, i::bigint,
		(CASE WHEN u % genres = i % genres THEN 4 + (h % 2) ELSE 1 + (h % 3) END)::real,
		i % genres
	FROM picked
	WHERE n <= ratings_per_user
	ORDER BY u, i
$$;
COMMENT ON FUNCTION pgrec.synthetic_ratings(integer, integer, integer, integer, bigint)
	IS 'deterministic synthetic ratings with planted taste groups: user u loves the items of genre u % genres';

-- Hyper-parameter search on a validation split.

CREATE FUNCTION pgrec.tune(
	model_name text,
	train_source text,
	validation_source text,
	user_column name,
	item_column name,
	rating_column name DEFAULT NULL,
	algorithm text DEFAULT 'als',
	factors integer[] DEFAULT '{32,64}',
	regularization double precision[] DEFAULT NULL,
	alpha double precision[] DEFAULT NULL,
	epochs integer[] DEFAULT NULL,
	metric text DEFAULT NULL,
	k integer DEFAULT 10,
	trials integer DEFAULT NULL,
	seed bigint DEFAULT 42,
	validation text DEFAULT 'known_users',
	validation_history text DEFAULT NULL,
	grid jsonb DEFAULT NULL)
RETURNS TABLE (trial integer, trial_factors integer, trial_regularization double precision,
	trial_alpha double precision, trial_epochs integer, rmse double precision,
	recall_at_k double precision, ndcg_at_k double precision, seconds double precision,
	best boolean, trial_parameters jsonb)
-- No fixed search_path: the sources are resolved as the caller names them; every object of
-- pgrec is schema-qualified below.
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	-- Whether the trials train on ratings, by the grid's losses if it has any (they must agree).
	grid_losses jsonb := CASE WHEN jsonb_typeof(grid -> 'loss') = 'array' THEN grid -> 'loss' ELSE '[null]' END;
	-- (A value that is not a string is left to the grid's checks below.)
	grid_ratings boolean[] := ARRAY(SELECT pgrec.trains_on_ratings(tune.algorithm,
		CASE WHEN jsonb_typeof(l) = 'string' THEN l #>> '{}' END) FROM jsonb_array_elements(grid_losses) l);
	explicit_ratings boolean := (SELECT bool_or(r) FROM unnest(grid_ratings) r);
	mixed_losses boolean := (SELECT bool_or(r) <> bool_and(r) FROM unnest(grid_ratings) r);
	-- factors has a default grid; an algorithm without factors (neighbourhood models) gets none.
	has_factors boolean := coalesce((SELECT 'factors' = ANY (a.parameters) FROM pgrec.algorithms() a WHERE a.name = tune.algorithm), true);
	chosen_metric text := coalesce(metric, CASE WHEN explicit_ratings THEN 'rmse' ELSE 'ndcg_at_k' END);
	lower_is_better boolean;
	trial_name text := model_name || ' (tuning trial)';
	best_name text := model_name || ' (tuning best)';
	best_value double precision;
	value double precision;
	combo record;
	value_json jsonb;
	t record;
	e record;
	n integer := 0;
	results jsonb := '[]';
	-- grid: its keys in order, the argument types pgrec.train gives them, and the cross product
	-- of its arrays (one object per combination; a single empty object without a grid).
	entry record;
	tunable text[];
	-- pgrec.train's input arguments (the text-source form) and their types, from the catalog.
	train_arguments jsonb := (SELECT jsonb_object_agg(arg.name, pg_catalog.format_type(arg.type, NULL))
		FROM pg_catalog.pg_proc p, unnest(p.proargnames, p.proallargtypes, p.proargmodes) arg(name, type, mode)
		WHERE p.pronamespace = 'pgrec'::regnamespace AND p.proname = 'train'
			AND p.proargtypes[1] = 'text'::regtype AND arg.mode = 'i');
	grid_keys text[] := '{}';
	grid_combos jsonb[] := ARRAY['{}'::jsonb];
	train_call text;
	hint text;
BEGIN
	IF chosen_metric NOT IN ('rmse', 'mae', 'precision_at_k', 'recall_at_k', 'ndcg_at_k', 'hit_rate_at_k', 'map_at_k') THEN
		RAISE EXCEPTION 'unknown metric "%"', chosen_metric USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Use rmse, mae, precision_at_k, recall_at_k, ndcg_at_k, hit_rate_at_k or map_at_k.';
	END IF;
	IF mixed_losses THEN
		RAISE EXCEPTION 'the losses of grid must all train on ratings or all on implicit feedback'
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Tune the squared loss and the others in separate runs.';
	END IF;
	IF chosen_metric IN ('rmse', 'mae') AND (NOT coalesce(explicit_ratings, true) OR rating_column IS NULL) THEN
		RAISE EXCEPTION '% needs an algorithm for explicit ratings and a rating column', chosen_metric
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF validation IS NULL OR validation NOT IN ('known_users', 'fold_in') THEN
		RAISE EXCEPTION 'unknown validation "%"', validation USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Use known_users (validation rows of the training users) or fold_in (validation users folded in from validation_history).';
	END IF;
	IF (validation = 'fold_in') <> (validation_history IS NOT NULL) THEN
		RAISE EXCEPTION 'validation_history goes with validation fold_in' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Give the held-out users'' histories as validation_history and their held-out items as validation_source.';
	END IF;
	IF trials IS NOT NULL AND trials < 1 THEN
		RAISE EXCEPTION 'trials must be positive' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT coalesce(pg_has_role((SELECT m.owner FROM pgrec.models m WHERE m.name = model_name), 'USAGE'), true) THEN
		RAISE EXCEPTION 'must be owner of model "%"', model_name USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF grid IS NOT NULL THEN
		IF jsonb_typeof(grid) <> 'object' THEN
			RAISE EXCEPTION 'grid must be a JSON object, not %', jsonb_typeof(grid) USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Map each hyper-parameter to the array of values to try, for example {"neighbors": [20, 100]}.';
		END IF;
		-- tune trains without feature sources: the algorithms that need them are left out.
		IF NOT EXISTS (SELECT FROM pgrec.algorithms() a WHERE a.name = tune.algorithm AND a.trainable
				AND cardinality(a.required_features) = 0) THEN
			RAISE EXCEPTION '%', CASE WHEN EXISTS (SELECT FROM pgrec.algorithms() a WHERE a.name = tune.algorithm AND a.trainable)
					THEN format('algorithm %s needs feature sources, which tune does not take', algorithm)
					ELSE format('unknown algorithm "%s"', algorithm) END
				USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Use one of ' || (SELECT string_agg(a.name, ', ' ORDER BY a.name) FROM pgrec.algorithms() a
					WHERE a.trainable AND cardinality(a.required_features) = 0) || '.';
		END IF;
		-- The keys a grid may hold: the algorithm's hyper-parameters that pgrec.train takes by
		-- name. Only these names (and their catalog types) ever reach the SQL built below.
		SELECT array_agg(ap.name ORDER BY ap.ord) INTO tunable
		FROM pgrec.algorithms() a, unnest(a.parameters) WITH ORDINALITY ap(name, ord)
		WHERE a.name = tune.algorithm AND train_arguments ? ap.name;
		FOR entry IN
			SELECT gk.grid_key, gk.grid_values,
				CASE WHEN gk.grid_key = ANY (tunable) THEN train_arguments ->> gk.grid_key END AS arg_type
			FROM jsonb_each(grid) gk(grid_key, grid_values)
			ORDER BY gk.grid_key COLLATE "C"
		LOOP
			IF entry.arg_type IS NULL THEN
				hint := CASE WHEN tunable IS NULL THEN format('%s takes no hyper-parameter that tune can search.', algorithm)
					ELSE format('The hyper-parameters of %s are %s.', algorithm,
						CASE WHEN cardinality(tunable) = 1 THEN tunable[1]
							ELSE array_to_string(tunable[1:cardinality(tunable) - 1], ', ') || ' and ' || tunable[cardinality(tunable)] END) END;
				RAISE EXCEPTION '"%" is not a hyper-parameter of %', entry.grid_key, algorithm
					USING ERRCODE = 'invalid_parameter_value', HINT = hint;
			END IF;
			-- factors' default list cannot be told from the same list given: grid replaces it.
			IF (entry.grid_key = 'factors' AND factors IS NOT NULL AND factors <> '{32,64}')
				OR (entry.grid_key = 'regularization' AND regularization IS NOT NULL)
				OR (entry.grid_key = 'alpha' AND alpha IS NOT NULL)
				OR (entry.grid_key = 'epochs' AND epochs IS NOT NULL) THEN
				RAISE EXCEPTION '% is given both in grid and as its own argument', entry.grid_key
					USING ERRCODE = 'invalid_parameter_value',
					HINT = format('Give the values of %s in one place.', entry.grid_key);
			END IF;
			IF jsonb_typeof(entry.grid_values) <> 'array' THEN
				RAISE EXCEPTION 'grid entry "%" must be an array, not %', entry.grid_key, jsonb_typeof(entry.grid_values)
					USING ERRCODE = 'invalid_parameter_value',
					HINT = format('Give the values to try as an array, for example {"%s": [%s]}.', entry.grid_key, entry.grid_values);
			END IF;
			IF jsonb_array_length(entry.grid_values) = 0 THEN
				RAISE EXCEPTION 'grid entry "%" is an empty array', entry.grid_key USING ERRCODE = 'invalid_parameter_value',
					HINT = format('Give at least one value of %s, or leave it out of grid for the algorithm''s default.', entry.grid_key);
			END IF;
			-- Each value has the JSON type of the argument: a string for a named choice, a
			-- number otherwise, an integral one for an integer argument.
			SELECT gv.v INTO value_json FROM jsonb_array_elements(entry.grid_values) gv(v)
			WHERE CASE WHEN entry.arg_type = 'text' THEN jsonb_typeof(gv.v) <> 'string'
				WHEN entry.arg_type = 'integer[]' THEN jsonb_typeof(gv.v) <> 'array'
					OR EXISTS (SELECT FROM jsonb_array_elements(CASE WHEN jsonb_typeof(gv.v) = 'array' THEN gv.v ELSE '[]' END) el(x)
						WHERE CASE WHEN jsonb_typeof(el.x) <> 'number' THEN true
							ELSE (el.x)::numeric <> trunc((el.x)::numeric) OR abs((el.x)::numeric) > 2147483647 END)
				WHEN jsonb_typeof(gv.v) <> 'number' THEN true
				WHEN entry.arg_type = 'integer' THEN (gv.v)::numeric <> trunc((gv.v)::numeric) OR abs((gv.v)::numeric) > 2147483647
				ELSE false END
			LIMIT 1;
			IF FOUND THEN
				RAISE EXCEPTION 'grid values of "%" must be %', entry.grid_key,
					CASE entry.arg_type WHEN 'text' THEN 'strings' WHEN 'integer' THEN 'integers'
						WHEN 'integer[]' THEN 'arrays of integers' ELSE 'numbers' END
					USING ERRCODE = 'invalid_parameter_value',
					DETAIL = format('The value %s is not one.', value_json);
			END IF;
			grid_keys := grid_keys || entry.grid_key;
			grid_combos := ARRAY(SELECT gc.c || jsonb_build_object(entry.grid_key, gv.v)
				FROM unnest(grid_combos) WITH ORDINALITY gc(c, i), jsonb_array_elements(entry.grid_values) WITH ORDINALITY gv(v, j)
				ORDER BY gc.i, gv.j);
			-- The key is a vetted argument name and its type comes from the catalog; the
			-- value travels as a parameter ($12, the trial's combination), never as SQL text.
			-- Numbers are cast from jsonb (an integral 8.0 is the integer 8), arrays element by
			-- element in their order.
			train_call := coalesce(train_call, '') || CASE entry.arg_type
				WHEN 'text' THEN format(', %I => ($12 ->> %L)', entry.grid_key, entry.grid_key)
				WHEN 'integer[]' THEN format(', %I => ARRAY(SELECT (el.x)::integer FROM jsonb_array_elements($12 -> %L) WITH ORDINALITY el(x, n) ORDER BY el.n)',
					entry.grid_key, entry.grid_key)
				ELSE format(', %I => ($12 -> %L)::%s', entry.grid_key, entry.grid_key, entry.arg_type) END;
		END LOOP;
	END IF;
	-- The dedicated grids that grid does not replace, then grid's own arguments.
	train_call := 'SELECT * FROM pgrec.train($1, $2, $3, $4, $5, algorithm => $6, seed => $11'
		|| CASE WHEN 'factors' = ANY (grid_keys) THEN '' ELSE ', factors => $7' END
		|| CASE WHEN 'epochs' = ANY (grid_keys) THEN '' ELSE ', epochs => $8' END
		|| CASE WHEN 'regularization' = ANY (grid_keys) THEN '' ELSE ', regularization => $9' END
		|| CASE WHEN 'alpha' = ANY (grid_keys) THEN '' ELSE ', alpha => $10' END
		|| coalesce(train_call, '') || ')';
	lower_is_better := chosen_metric IN ('rmse', 'mae');
	PERFORM pgrec.drop_model(trial_name, true), pgrec.drop_model(best_name, true);
	-- Every combination (NULL: the algorithm's default), or a seeded random sample of them.
	FOR combo IN
		SELECT f, r, a, ep, g FROM unnest(CASE WHEN has_factors AND NOT 'factors' = ANY (grid_keys) THEN coalesce(factors, '{64}') ELSE ARRAY[NULL::integer] END) f,
			unnest(coalesce(regularization, ARRAY[NULL::double precision])) r,
			unnest(coalesce(alpha, ARRAY[NULL::double precision])) a,
			unnest(coalesce(epochs, ARRAY[NULL::integer])) ep,
			unnest(grid_combos) WITH ORDINALITY gc(g, gi)
		-- The sample key hashes the seed and the trial's values (a NULL list an empty field), so
		-- a seed keeps picking the same trials.
		ORDER BY CASE WHEN trials IS NULL THEN ''
			ELSE md5(format('%s:%s:%s:%s:%s:%s', seed, f, r, a, ep, g)) END, f, r, a, ep, gi
		LIMIT trials
	LOOP
		n := n + 1;
		EXECUTE train_call INTO t USING trial_name, train_source, user_column, item_column, rating_column,
			algorithm, combo.f, combo.ep, combo.r, combo.a, seed, combo.g;
		IF validation = 'fold_in' THEN
			-- The histories fold in with the values the model was trained on.
			SELECT * INTO e FROM pgrec.evaluate_fold_in(trial_name, validation_history, validation_source,
				user_column, item_column, rating_column, k => k);
		ELSE
			SELECT * INTO e FROM pgrec.evaluate(trial_name, validation_source, user_column, item_column,
				CASE WHEN explicit_ratings THEN rating_column END, k => k);
		END IF;
		value := (to_jsonb(e) ->> chosen_metric)::double precision;
		results := results || jsonb_build_object('trial', n, 'factors', coalesce(combo.f, (combo.g ->> 'factors')::integer),
			'regularization', (SELECT hyperparameters->'regularization' FROM pgrec.models WHERE name = trial_name),
			'alpha', (SELECT hyperparameters->'alpha' FROM pgrec.models WHERE name = trial_name),
			'epochs', (SELECT hyperparameters->'epochs' FROM pgrec.models WHERE name = trial_name),
			'rmse', e.rmse, 'recall_at_k', e.recall_at_k, 'ndcg_at_k', e.ndcg_at_k, 'seconds', t.seconds,
			'value', value, 'parameters', combo.g);
		IF best_value IS NULL OR (lower_is_better AND value < best_value) OR (NOT lower_is_better AND value > best_value) THEN
			best_value := value;
			PERFORM pgrec.drop_model(best_name, true);
			PERFORM pgrec.publish_version(trial_name, best_name);
		END IF;
		PERFORM pgrec.drop_model(trial_name);
	END LOOP;
	IF n = 0 THEN
		RAISE EXCEPTION 'no combination to try' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- The best trial becomes the new current version of the model; its older versions stay.
	PERFORM pgrec.publish_version(best_name, model_name);
	PERFORM pgrec.drop_model(best_name);
	RETURN QUERY
		SELECT (r->>'trial')::integer, (r->>'factors')::integer, (r->>'regularization')::double precision,
			(r->>'alpha')::double precision, (r->>'epochs')::integer, (r->>'rmse')::double precision,
			(r->>'recall_at_k')::double precision, (r->>'ndcg_at_k')::double precision,
			(r->>'seconds')::double precision, (r->>'value')::double precision = best_value, r->'parameters'
		FROM jsonb_array_elements(results) r
		ORDER BY (r->>'trial')::integer;
END
$$;
CREATE FUNCTION pgrec.publish_version(from_model text, to_model text) RETURNS bigint
	AS 'MODULE_PATHNAME', 'pgrec_publish_version' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgrec.publish_version(text, text)
	IS 'copies the current version of from_model as the new current version of to_model, keeping to_model''s history (owner of both only); returns the new model_id';

COMMENT ON FUNCTION pgrec.tune(text, text, text, name, name, name, text, integer[], double precision[], double precision[], integer[], text, integer, integer, bigint, text, text, jsonb)
	IS 'grid (or, with trials, seeded random) search of hyper-parameters (the listed ones, and any of the algorithm''s in grid) on a validation split of the training users, or (validation fold_in) on held-out users folded in from validation_history; keeps the best model under model_name and returns every trial';
