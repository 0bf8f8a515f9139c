-- pgrec extension script: the embedding type, its operators, operator classes and aggregates
-- in the installation schema, and the schema pgrec that holds the recommender API.

\echo Use "CREATE EXTENSION pgrec" to load this file. \quit

CREATE SCHEMA pgrec;
COMMENT ON SCHEMA pgrec IS 'pgrec recommender API: training, recommendation and model catalog';
