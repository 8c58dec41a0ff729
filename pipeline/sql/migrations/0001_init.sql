-- 0001_init: feeds (current + append-only history), ingest ledger, quarantine, source memory.
-- Each feed has
--   <feed>_history     every version of every record ever accepted, append-only, with
--                        _key   natural key of the record (FEEDS.md), chr(31)-joined
--                        _hash  md5 of its content: same key + same hash = duplicate
--                        _batch ingest batch that brought this version
--                        _line  line of the source where the record starts
--   <feed>_superseded  (_batch, _line) of versions replaced by a correction, append-only
--   <feed>             view: the current version per key (newest wins)

CREATE SEQUENCE ingest_batch_seq START 1;

CREATE TABLE ingest_batches (
  batch_id     BIGINT PRIMARY KEY,
  feed         VARCHAR NOT NULL,
  source       VARCHAR NOT NULL,
  source_kind  VARCHAR NOT NULL,          -- file | folder | http
  started_at   TIMESTAMPTZ NOT NULL,
  finished_at  TIMESTAMPTZ NOT NULL,
  status       VARCHAR NOT NULL,          -- ok | failed
  read         BIGINT NOT NULL,
  accepted     BIGINT NOT NULL,
  duplicate    BIGINT NOT NULL,
  corrected    BIGINT NOT NULL,
  quarantined  BIGINT NOT NULL,
  bytes        BIGINT,
  error        VARCHAR
);

CREATE TABLE quarantine (
  batch_id       BIGINT NOT NULL,
  feed           VARCHAR NOT NULL,
  source         VARCHAR NOT NULL,
  line_no        BIGINT NOT NULL,
  raw            VARCHAR NOT NULL,
  reason         VARCHAR NOT NULL,
  quarantined_at TIMESTAMPTZ NOT NULL
);

-- Files of drop folders already ingested: each file once, by content.
CREATE TABLE source_files (
  folder     VARCHAR NOT NULL,
  file_name  VARCHAR NOT NULL,
  sha256     VARCHAR NOT NULL,
  size       BIGINT NOT NULL,
  batch_id   BIGINT NOT NULL,
  picked_at  TIMESTAMPTZ NOT NULL
);

-- Incremental HTTP pulls: the `since` to send next time, per feed and URL.
CREATE TABLE http_cursors (
  feed        VARCHAR NOT NULL,
  url         VARCHAR NOT NULL,
  since       VARCHAR NOT NULL,
  batch_id    BIGINT NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE registrations_history (
  uscc VARCHAR NOT NULL, name VARCHAR NOT NULL, as_of DATE NOT NULL, established_on DATE,
  legal_rep VARCHAR, registered_capital_wan DOUBLE, paid_in_capital_wan DOUBLE, status VARCHAR,
  enterprise_type VARCHAR, industry_code VARCHAR, business_scope VARCHAR, address VARCHAR,
  district VARCHAR, phone VARCHAR, website VARCHAR, shareholders JSON, extra JSON,
  _key VARCHAR NOT NULL, _hash VARCHAR NOT NULL, _batch BIGINT NOT NULL, _line BIGINT NOT NULL
);
CREATE TABLE registrations_superseded (_batch BIGINT NOT NULL, _line BIGINT NOT NULL, by_batch BIGINT NOT NULL);
CREATE VIEW registrations AS
  SELECT h.* FROM registrations_history h ANTI JOIN registrations_superseded s ON s._batch = h._batch AND s._line = h._line;

CREATE TABLE registration_changes_history (
  uscc VARCHAR NOT NULL, changed_on DATE NOT NULL, field VARCHAR NOT NULL, "before" VARCHAR,
  "after" VARCHAR, extra JSON,
  _key VARCHAR NOT NULL, _hash VARCHAR NOT NULL, _batch BIGINT NOT NULL, _line BIGINT NOT NULL
);
CREATE TABLE registration_changes_superseded (_batch BIGINT NOT NULL, _line BIGINT NOT NULL, by_batch BIGINT NOT NULL);
CREATE VIEW registration_changes AS
  SELECT h.* FROM registration_changes_history h ANTI JOIN registration_changes_superseded s ON s._batch = h._batch AND s._line = h._line;

CREATE TABLE ads_history (
  ad_id VARCHAR NOT NULL, seen_at TIMESTAMPTZ NOT NULL, seen_day DATE NOT NULL,
  channel VARCHAR NOT NULL, advertiser_name VARCHAR, advertiser_uscc VARCHAR, phone VARCHAR,
  url VARCHAR, title VARCHAR, text VARCHAR NOT NULL, extra JSON,
  _key VARCHAR NOT NULL, _hash VARCHAR NOT NULL, _batch BIGINT NOT NULL, _line BIGINT NOT NULL
);
CREATE TABLE ads_superseded (_batch BIGINT NOT NULL, _line BIGINT NOT NULL, by_batch BIGINT NOT NULL);
CREATE VIEW ads AS
  SELECT h.* FROM ads_history h ANTI JOIN ads_superseded s ON s._batch = h._batch AND s._line = h._line;

CREATE TABLE complaints_history (
  complaint_id VARCHAR NOT NULL, received_at TIMESTAMPTZ NOT NULL, received_day DATE NOT NULL,
  channel VARCHAR NOT NULL, target_name VARCHAR NOT NULL, target_uscc VARCHAR, text VARCHAR NOT NULL,
  amount_cny DOUBLE, complainant_ref VARCHAR, district VARCHAR, extra JSON,
  _key VARCHAR NOT NULL, _hash VARCHAR NOT NULL, _batch BIGINT NOT NULL, _line BIGINT NOT NULL
);
CREATE TABLE complaints_superseded (_batch BIGINT NOT NULL, _line BIGINT NOT NULL, by_batch BIGINT NOT NULL);
CREATE VIEW complaints AS
  SELECT h.* FROM complaints_history h ANTI JOIN complaints_superseded s ON s._batch = h._batch AND s._line = h._line;

CREATE TABLE case_outcomes_history (
  uscc VARCHAR NOT NULL, decided_on DATE NOT NULL, outcome VARCHAR NOT NULL, case_ref VARCHAR,
  note VARCHAR, extra JSON,
  _key VARCHAR NOT NULL, _hash VARCHAR NOT NULL, _batch BIGINT NOT NULL, _line BIGINT NOT NULL
);
CREATE TABLE case_outcomes_superseded (_batch BIGINT NOT NULL, _line BIGINT NOT NULL, by_batch BIGINT NOT NULL);
CREATE VIEW case_outcomes AS
  SELECT h.* FROM case_outcomes_history h ANTI JOIN case_outcomes_superseded s ON s._batch = h._batch AND s._line = h._line;
