-- 0013_intake: files uploaded on the 数据导入 page, and each time one was ingested through a mapping.
-- Both are append-only; an ingest's status, counts (with its ingest batch) and error are those of
-- its job_runs entry (job 'intake'), so the 运行 page lists uploads beside the scheduled pulls.

CREATE SEQUENCE intake_upload_seq START 1;

--   file_name    as the user's computer named it (shown), stored_path where it is kept
--   format       csv | xlsx
CREATE TABLE intake_uploads (
  upload_id    BIGINT PRIMARY KEY DEFAULT nextval('intake_upload_seq'),
  file_name    VARCHAR NOT NULL,
  stored_path  VARCHAR NOT NULL,
  format       VARCHAR NOT NULL,
  bytes        BIGINT NOT NULL,
  sha256       VARCHAR NOT NULL,
  uploaded_by  VARCHAR NOT NULL,
  uploaded_at  TIMESTAMPTZ NOT NULL
);

--   mapping      the mapping file used (JSON), template the template it came from (if any)
CREATE TABLE intake_ingests (
  upload_id   BIGINT NOT NULL,
  run_id      BIGINT NOT NULL,
  feed        VARCHAR NOT NULL,
  template    VARCHAR,
  mapping     JSON NOT NULL,
  actor       VARCHAR NOT NULL,
  started_at  TIMESTAMPTZ NOT NULL
);
