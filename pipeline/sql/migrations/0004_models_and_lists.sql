-- 0004_models_and_lists: the model registry, daily scores, published alert lists, the run ledger.

-- Every trained model is a version. Its artefact (versioned JSON from models/artifact.ts) is kept
-- here so that activating or rolling back never depends on a file that may be gone.
CREATE TABLE model_versions (
  version          INTEGER PRIMARY KEY,
  created_at       TIMESTAMPTZ NOT NULL,
  kind             VARCHAR NOT NULL,          -- 'forest'
  trained_until    DATE NOT NULL,             -- outcomes decided on or before this day were used
  window_from      DATE NOT NULL,             -- first as_of day of the training examples
  window_to        DATE NOT NULL,             -- last as_of day of the training examples
  horizon_days     INTEGER NOT NULL,          -- label: confirmed within this many days after as_of
  data_fingerprint VARCHAR NOT NULL,
  features         JSON NOT NULL,             -- feature names, in the artefact's column order
  params           JSON NOT NULL,
  metrics          JSON NOT NULL,             -- evaluation over time beside the baselines
  artifact         VARCHAR NOT NULL,
  note             VARCHAR
);

-- Activations: the active (champion) model is the latest row's version; NULL = the rule index.
CREATE TABLE model_activations (
  seq        INTEGER PRIMARY KEY,
  version    INTEGER,
  action     VARCHAR NOT NULL,               -- activate | rollback
  acted_at   TIMESTAMPTZ NOT NULL,
  actor      VARCHAR NOT NULL,
  note       VARCHAR
);

-- Published lists. A revision is published whole in one transaction: readers see the previous
-- complete revision or the new one. A re-run for a day adds a revision, never edits one.
CREATE TABLE list_revisions (
  day              DATE NOT NULL,
  revision         INTEGER NOT NULL,
  published_at     TIMESTAMPTZ NOT NULL,
  scorer           VARCHAR NOT NULL,          -- model | rules
  model_version    INTEGER,                   -- NULL when the rule index ranked alone
  data_fingerprint VARCHAR NOT NULL,
  enterprises      INTEGER NOT NULL,          -- scored
  listed           INTEGER NOT NULL,          -- on the list (with a level)
  red              INTEGER NOT NULL,
  orange           INTEGER NOT NULL,
  yellow           INTEGER NOT NULL,
  PRIMARY KEY (day, revision)
);

-- Every scored enterprise of a revision: the score, the rule index beside it, and for those on
-- the list the reasons, each indicator's contribution and the feature values as issued.
CREATE TABLE list_entries (
  day            DATE NOT NULL,
  revision       INTEGER NOT NULL,
  uscc           VARCHAR NOT NULL,
  rank           INTEGER NOT NULL,            -- 1 = highest score; ties broken by uscc
  score          DOUBLE NOT NULL,             -- calibrated probability (or the rule index alone)
  level          VARCHAR,                     -- red | orange | yellow | NULL (not listed)
  rule_score     DOUBLE NOT NULL,
  reasons        JSON,                        -- top reasons in words, listed entries only
  contributions  JSON,                        -- {feature: contribution}, listed entries only
  features       JSON                         -- {feature: value}, listed entries only
);

-- What changed since the previous day's list.
CREATE TABLE list_changes (
  day        DATE NOT NULL,
  revision   INTEGER NOT NULL,
  uscc       VARCHAR NOT NULL,
  change     VARCHAR NOT NULL,               -- new | level_up | level_down | dropped
  prev_level VARCHAR,
  level      VARCHAR
);

-- The run ledger: every job run, with its outcome.
CREATE SEQUENCE job_run_seq START 1;
CREATE TABLE job_runs (
  run_id       BIGINT PRIMARY KEY,
  job          VARCHAR NOT NULL,              -- run | backfill | train | ingest:<source> | …
  target       VARCHAR,                       -- e.g. the day of a daily run
  started_at   TIMESTAMPTZ NOT NULL,
  finished_at  TIMESTAMPTZ,
  status       VARCHAR NOT NULL,              -- running | ok | failed
  counts       JSON,
  error        VARCHAR
);
