-- 0002_resolve: entity resolution (pipeline/resolve) — ads and complaints linked to enterprises.
--
-- entity_links     the CURRENT link of every ad and complaint: exactly one row per (kind, record_id)
--                  once `resolve()` has run. Rows are replaced (delete + insert) when a record is
--                  re-resolved; history of runs is in resolve_runs, of decisions in link_reviews.
--   kind           'ad' | 'complaint'
--   record_id      ads.ad_id | complaints.complaint_id
--   record_day     seen_day | received_day (Shanghai day) of the record. Every register fact the
--                  resolver used for this record was known on or before this day (names, aliases,
--                  phones, websites, addresses valid from their snapshot as_of / change changed_on),
--                  so a feature computed as of D may use the link of any record with record_day <= D.
--   record_hash    _hash of the record version that was resolved (a correction re-resolves it)
--   uscc           the enterprise, when status = 'linked'; NULL otherwise
--   method         strongest evidence behind the link: uscc | name | former_name | alias | phone |
--                  website | address | legal_rep | review (an investigator confirmed it);
--                  for ambiguous/unlinked rows: the strongest evidence of the best candidate, or NULL
--   confidence     in [0, 1]: combined evidence of the linked enterprise, discounted by the runner-up
--   status         'linked' | 'ambiguous' (several candidates, no clear winner: never forced) |
--                  'unlinked' (no candidate, or only weak ones)
--   candidates     JSON array, best first, at most 10: [{"uscc", "score", "methods": [...]}]
--                  (kept for every status, so ambiguous records stay visible with their candidates)
--   evidence_from  latest valid-from day among the register facts behind the chosen enterprise
--                  (<= record_day); NULL when not linked
--   resolved_at    when this row was written; run_id: the resolve_runs row that wrote it
--
-- link_reviews     append-only investigator decisions. The latest review (review_id order) of a
--                  (kind, record_id, uscc) pair is in force: 'confirm' makes that link win over any
--                  evidence (method 'review', confidence 1); 'reject' removes the enterprise from the
--                  record's candidates in every later run.
--
-- resolve_runs     ledger of runs: mode 'full' | 'incremental', counts, seconds, and config_hash
--                  (the normalisation rules in force: a change forces a full run).
--
-- resolve_keys     the register keys (uscc, kind, key, valid_from, valid_to, ref) of the last run; the next
--                  incremental run diffs the register's keys against it to find the records whose
--                  candidates could have changed.
-- resolve_review_mark  the highest review_id the last run had seen.

CREATE SEQUENCE resolve_run_seq START 1;
CREATE SEQUENCE link_review_seq START 1;

CREATE TABLE resolve_runs (
  run_id              BIGINT PRIMARY KEY,
  mode                VARCHAR NOT NULL,      -- full | incremental
  started_at          TIMESTAMPTZ NOT NULL,
  finished_at         TIMESTAMPTZ,
  config_hash         VARCHAR NOT NULL,
  resolved_ads        BIGINT,
  resolved_complaints BIGINT,
  seconds             DOUBLE
);

CREATE TABLE entity_links (
  kind          VARCHAR NOT NULL,
  record_id     VARCHAR NOT NULL,
  record_day    DATE NOT NULL,
  record_hash   VARCHAR NOT NULL,
  uscc          VARCHAR,
  method        VARCHAR,
  confidence    DOUBLE,
  status        VARCHAR NOT NULL,
  candidates    JSON NOT NULL,
  evidence_from DATE,
  resolved_at   TIMESTAMPTZ NOT NULL,
  run_id        BIGINT NOT NULL
);

CREATE TABLE link_reviews (
  review_id   BIGINT PRIMARY KEY DEFAULT nextval('link_review_seq'),
  kind        VARCHAR NOT NULL,               -- ad | complaint
  record_id   VARCHAR NOT NULL,
  uscc        VARCHAR NOT NULL,
  verdict     VARCHAR NOT NULL,               -- confirm | reject
  reviewer    VARCHAR NOT NULL,
  reviewed_at TIMESTAMPTZ NOT NULL,
  note        VARCHAR
);

CREATE TABLE resolve_keys (
  uscc       VARCHAR NOT NULL,
  kind       VARCHAR NOT NULL,
  key        VARCHAR NOT NULL,
  valid_from DATE NOT NULL,
  valid_to   DATE,
  ref        VARCHAR                          -- pfx/mask keys: the name core they were cut from
);

CREATE TABLE resolve_review_mark (last_review_id BIGINT NOT NULL);
