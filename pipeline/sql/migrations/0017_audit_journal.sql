-- 0017_audit_journal: how far each audit journal has been moved into audit_log
-- (pipeline/queries/audit-journal.ts). The API appends a request's audit entry to
-- `<database>.audit-journal` (fdatasync'd) and answers; a background mover inserts the entries
-- here in batches, and records in the same transaction the last journal line it moved, so that
-- replaying the journal after a crash inserts each entry exactly once.
CREATE TABLE audit_journal_moved (
  journal   VARCHAR PRIMARY KEY,   -- the journal's id (one per server process)
  seq       BIGINT NOT NULL,       -- the last line moved
  line_hash VARCHAR NOT NULL,      -- that line's hash: the next line links to it
  moved_at  TIMESTAMPTZ NOT NULL
);
