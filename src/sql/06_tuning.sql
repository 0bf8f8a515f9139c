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
	validation_history text DEFAULT NULL)
RETURNS TABLE (trial integer, trial_factors integer, trial_regularization double precision,
	trial_alpha double precision, trial_epochs integer, rmse double precision,
	recall_at_k double precision, ndcg_at_k double precision, seconds double precision,
	best boolean)
-- No fixed search_path: the sources are resolved as the caller names them; every object of
-- pgrec is schema-qualified below.
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	explicit_ratings boolean := (SELECT a.explicit_feedback FROM pgrec.algorithms() a WHERE a.name = tune.algorithm);
	-- factors has a default grid; an algorithm without factors (neighbourhood models) gets none.
	has_factors boolean := coalesce((SELECT 'factors' = ANY (a.parameters) FROM pgrec.algorithms() a WHERE a.name = tune.algorithm), true);
	chosen_metric text := coalesce(metric, CASE WHEN explicit_ratings THEN 'rmse' ELSE 'ndcg_at_k' END);
	lower_is_better boolean;
	trial_name text := model_name || ' (tuning trial)';
	best_name text := model_name || ' (tuning best)';
	best_value double precision;
	value double precision;
	combo record;
	t record;
	e record;
	n integer := 0;
	results jsonb := '[]';
BEGIN
	IF chosen_metric NOT IN ('rmse', 'mae', 'precision_at_k', 'recall_at_k', 'ndcg_at_k', 'hit_rate_at_k', 'map_at_k') THEN
		RAISE EXCEPTION 'unknown metric "%"', chosen_metric USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Use rmse, mae, precision_at_k, recall_at_k, ndcg_at_k, hit_rate_at_k or map_at_k.';
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
	lower_is_better := chosen_metric IN ('rmse', 'mae');
	PERFORM pgrec.drop_model(trial_name, true), pgrec.drop_model(best_name, true);
	-- Every combination (NULL: the algorithm's default), or a seeded random sample of them.
	FOR combo IN
		SELECT f, r, a, ep FROM unnest(CASE WHEN has_factors THEN coalesce(factors, '{64}') ELSE ARRAY[NULL::integer] END) f,
			unnest(coalesce(regularization, ARRAY[NULL::double precision])) r,
			unnest(coalesce(alpha, ARRAY[NULL::double precision])) a,
			unnest(coalesce(epochs, ARRAY[NULL::integer])) ep
		ORDER BY CASE WHEN trials IS NULL THEN '' ELSE md5(seed || ':' || f || ':' || r || ':' || a || ':' || ep) END, f, r, a, ep
		LIMIT trials
	LOOP
		n := n + 1;
		SELECT * INTO t FROM pgrec.train(trial_name, train_source, user_column, item_column, rating_column,
			algorithm => algorithm, factors => combo.f, epochs => combo.ep,
			regularization => combo.r, alpha => combo.a, seed => seed);
		IF validation = 'fold_in' THEN
			SELECT * INTO e FROM pgrec.evaluate_fold_in(trial_name, validation_history, validation_source,
				user_column, item_column, CASE WHEN explicit_ratings THEN rating_column END, k => k);
		ELSE
			SELECT * INTO e FROM pgrec.evaluate(trial_name, validation_source, user_column, item_column,
				CASE WHEN explicit_ratings THEN rating_column END, k => k);
		END IF;
		value := (to_jsonb(e) ->> chosen_metric)::double precision;
		results := results || jsonb_build_object('trial', n, 'factors', combo.f,
			'regularization', (SELECT hyperparameters->'regularization' FROM pgrec.models WHERE name = trial_name),
			'alpha', (SELECT hyperparameters->'alpha' FROM pgrec.models WHERE name = trial_name),
			'epochs', (SELECT hyperparameters->'epochs' FROM pgrec.models WHERE name = trial_name),
			'rmse', e.rmse, 'recall_at_k', e.recall_at_k, 'ndcg_at_k', e.ndcg_at_k, 'seconds', t.seconds,
			'value', value);
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
			(r->>'seconds')::double precision, (r->>'value')::double precision = best_value
		FROM jsonb_array_elements(results) r
		ORDER BY (r->>'trial')::integer;
END
$$;
CREATE FUNCTION pgrec.publish_version(from_model text, to_model text) RETURNS bigint
	AS 'MODULE_PATHNAME', 'pgrec_publish_version' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgrec.publish_version(text, text)
	IS 'copies the current version of from_model as the new current version of to_model, keeping to_model''s history (owner of both only); returns the new model_id';

COMMENT ON FUNCTION pgrec.tune(text, text, text, name, name, name, text, integer[], double precision[], double precision[], integer[], text, integer, integer, bigint, text, text)
	IS 'grid (or, with trials, seeded random) search of hyper-parameters on a validation split of the training users, or (validation fold_in) on held-out users folded in from validation_history; keeps the best model under model_name and returns every trial';
