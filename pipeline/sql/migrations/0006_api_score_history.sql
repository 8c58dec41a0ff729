-- 0006_api_score_history: a read model for the API's entity timelines.
--
-- list_entries holds every scored enterprise of every revision of every day (enterprises × days
-- rows), in day order; reading one enterprise's scores over time scans all of it. This table holds
-- the same facts per enterprise — its score on each day's current revision — sorted by uscc, so a
-- lookup reads one row. It is derived data: rebuilt whole (pipeline/queries/score-history.ts)
-- whenever list_revisions changes; `api_score_history_state.stamp` says which state it reflects,
-- and readers fall back to list_entries while it is stale.
CREATE TABLE api_score_history (
  uscc    VARCHAR NOT NULL,
  scores  JSON NOT NULL      -- [{"day","revision","rank","score","level"}], by day ascending
);

CREATE TABLE api_score_history_state (
  stamp     VARCHAR NOT NULL,  -- count and latest published_at of list_revisions when built
  built_at  TIMESTAMPTZ NOT NULL,
  seconds   DOUBLE NOT NULL
);
