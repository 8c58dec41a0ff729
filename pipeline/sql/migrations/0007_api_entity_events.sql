-- 0007_api_entity_events: the rest of an enterprise timeline as a read model, and indexes for
-- the API's per-enterprise lookups.
--
-- A timeline read live joins seven sources, each behind a view with an anti join (about 12 ms of
-- DuckDB time per enterprise). This table holds, per enterprise, the events that change only
-- when data is ingested or linked — establishment, register changes, ads, complaints — rendered
-- as the API returns them (at, kind, ref, summary, data, key), newest first. It is derived data:
-- rebuilt whole (pipeline/queries/entity-events.ts) when the source tables change;
-- `api_entity_events_state.stamp` says which state it reflects, and readers fall back to the
-- live query while it is stale. Scores come from api_score_history (0006); dispositions and case
-- outcomes, which the API itself writes, are always read live.
CREATE TABLE api_entity_events (
  uscc    VARCHAR NOT NULL,
  events  JSON NOT NULL       -- [{"at","kind","ref","summary","data","key"}], by key descending
);

CREATE TABLE api_entity_events_state (
  stamp     VARCHAR NOT NULL,  -- row counts of the source tables and the latest resolve run
  built_at  TIMESTAMPTZ NOT NULL,
  seconds   DOUBLE NOT NULL
);

-- Point lookups by enterprise: without an index each one scans (and decompresses) the column.
CREATE INDEX api_entity_events_uscc ON api_entity_events (uscc);
CREATE INDEX api_score_history_uscc ON api_score_history (uscc);
CREATE INDEX dispositions_uscc ON dispositions (uscc);
