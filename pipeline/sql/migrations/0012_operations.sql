-- 0012_operations: feed failures that never go silent (held batches, files moved aside), notices
-- for admins, the rule-index fallback mark of a revision, and the bookkeeping of bounded growth
-- (compacted revisions, purged quarantine text, audit log archives).
--
-- Existing tables are not altered: many statements insert into them by position. What this
-- migration adds about them lives in side tables keyed like them.

-- A batch held back instead of applied: over the quarantine threshold, or every line missing the
-- same required field (a source renamed it). Nothing of it is applied, a drop-folder file is not
-- marked taken, an HTTP cursor does not move, until an admin releases (applies it as it is) or
-- discards it. A copy of the source bytes is kept in `stored_path` for the release.
--   status   held | released | discarded
CREATE TABLE held_batches (
  batch_id        BIGINT PRIMARY KEY,         -- its ingest_batches row (status 'held')
  feed            VARCHAR NOT NULL,
  source          VARCHAR NOT NULL,           -- path or URL, as in ingest_batches
  source_kind     VARCHAR NOT NULL,           -- file | folder | http
  reason          VARCHAR NOT NULL,
  read            BIGINT NOT NULL,
  quarantined     BIGINT NOT NULL,
  held_at         TIMESTAMPTZ NOT NULL,
  stored_path     VARCHAR,                    -- the copy of the bytes as received
  format          VARCHAR NOT NULL,           -- ndjson | csv
  gzip            BOOLEAN NOT NULL,
  encoding        VARCHAR NOT NULL,
  sha256          VARCHAR,
  bytes           BIGINT,
  folder          VARCHAR,                    -- drop-folder files: where it came from
  file_name       VARCHAR,
  file_sha256     VARCHAR,
  http_url        VARCHAR,                    -- HTTP: the cursor to move when it is applied
  http_next_since VARCHAR,
  status          VARCHAR NOT NULL,
  decided_at      TIMESTAMPTZ,
  decided_by      VARCHAR,
  applied_batch   BIGINT                      -- the batch that applied it, when released
);

-- Drop-folder files that could not be read at all (corrupt gzip, unknown type, over a limit):
-- moved aside into <folder>/.rejected/ with a .reason.txt beside them, never taken again.
CREATE TABLE rejected_files (
  folder       VARCHAR NOT NULL,
  file_name    VARCHAR NOT NULL,
  sha256       VARCHAR NOT NULL,
  size         BIGINT NOT NULL,
  moved_to     VARCHAR,                       -- NULL when it could not be moved (still ignored)
  reason       VARCHAR NOT NULL,
  batch_id     BIGINT NOT NULL,               -- the failed ingest_batches row
  rejected_at  TIMESTAMPTZ NOT NULL
);

-- What an admin must see: a list published with the rule index because the model failed, a day
-- that failed after every retry, a failed backup, … Open until resolved.
--   level  warning | error
CREATE SEQUENCE ops_notice_seq START 1;
CREATE TABLE ops_notices (
  notice_id    BIGINT PRIMARY KEY DEFAULT nextval('ops_notice_seq'),
  raised_at    TIMESTAMPTZ NOT NULL,
  level        VARCHAR NOT NULL,
  kind         VARCHAR NOT NULL,              -- model_fallback | run_failed | backup_failed | held_batch | rejected_file | …
  subject      VARCHAR,                       -- e.g. the day, the batch
  message      VARCHAR NOT NULL,
  resolved_at  TIMESTAMPTZ,
  resolved_by  VARCHAR
);

-- Why a revision was ranked by the rule index although a model was active (the model could not
-- be loaded or failed to score). One row per such revision; absent = as configured.
CREATE TABLE list_revision_notes (
  day          DATE NOT NULL,
  revision     INTEGER NOT NULL,
  fallback     VARCHAR NOT NULL,              -- the model's failure, in words
  model_version INTEGER,                      -- the active model that failed
  PRIMARY KEY (day, revision)
);

-- Retention: a superseded revision (not the latest of its day) older than the configured days
-- keeps only its listed entries (the alerts it issued, with their reasons); the rest are deleted.
CREATE TABLE list_compactions (
  day            DATE NOT NULL,
  revision       INTEGER NOT NULL,
  compacted_at   TIMESTAMPTZ NOT NULL,
  entries_before INTEGER NOT NULL,
  entries_after  INTEGER NOT NULL,
  PRIMARY KEY (day, revision)
);

-- Retention: quarantine raw text older than the configured days is replaced by a marker; the
-- line, reason and source stay.
CREATE TABLE quarantine_purges (
  batch_id   BIGINT NOT NULL,
  purged_at  TIMESTAMPTZ NOT NULL,
  lines      BIGINT NOT NULL,
  PRIMARY KEY (batch_id)
);

-- Retention: the oldest audit entries (a contiguous run of ids, every one older than the
-- configured days) are written to a Parquet file (kept, and copied into every backup) and then
-- removed from audit_log. The hash chain (0011) goes on across the cut: the first entry left in
-- audit_log links to `last_hash`, the hash of the last archived entry.
CREATE TABLE audit_archives (
  file            VARCHAR PRIMARY KEY,        -- file name inside the archive folder
  first_id        BIGINT NOT NULL,
  last_id         BIGINT NOT NULL,
  first_at        TIMESTAMPTZ NOT NULL,
  last_at         TIMESTAMPTZ NOT NULL,
  rows            BIGINT NOT NULL,
  sha256          VARCHAR NOT NULL,
  archived_at     TIMESTAMPTZ NOT NULL,
  first_prev_hash VARCHAR,                    -- the chain link of the first archived entry
  last_hash       VARCHAR                     -- the hash of the last archived entry (NULL: unchained)
);

-- Read models updated incrementally. api_score_history (0006) held one row per enterprise with its
-- whole score history, rebuilt whole after every publication: a cost that grows with every day
-- kept. It now holds one row per enterprise and month; a publication rebuilds only the months of
-- the days whose current revision changed (api_score_history_days says which revision of each day
-- the read model reflects). Emptied here: the first sync builds it. (Altered before it is emptied:
-- DuckDB cannot commit a transaction that alters a table after deleting its rows.)
ALTER TABLE api_score_history ADD COLUMN month DATE;
DELETE FROM api_score_history;
DELETE FROM api_score_history_state;
CREATE TABLE api_score_history_days (
  day       DATE PRIMARY KEY,
  revision  INTEGER NOT NULL
);
