-- 0005_api: what the HTTP API (api/) needs — tokens, dashboard users, the disposition workflow and
-- the audit log. All four are append-mostly: tokens and users are only ever revoked / disabled
-- (one UPDATE of a timestamp), dispositions and audit entries are never changed.

CREATE SEQUENCE api_token_seq START 1;
CREATE SEQUENCE disposition_seq START 1;
CREATE SEQUENCE audit_seq START 1;

-- Bearer tokens. Only sha256(token) is stored; the token itself is shown once, when created.
--   role         regulator | investigator | data_scientist | admin (api/README.md: the matrix)
--   expires_at   NULL = no expiry (tokens made with `dafei token create`); set for login sessions
CREATE TABLE api_tokens (
  token_id    BIGINT PRIMARY KEY DEFAULT nextval('api_token_seq'),
  token_hash  VARCHAR NOT NULL UNIQUE,
  name        VARCHAR NOT NULL,
  role        VARCHAR NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL,
  expires_at  TIMESTAMPTZ,
  revoked_at  TIMESTAMPTZ
);

-- Dashboard users. password_hash: 'scrypt$N$r$p$salt_b64$hash_b64' (node:crypto scrypt).
CREATE TABLE api_users (
  username      VARCHAR PRIMARY KEY,
  password_hash VARCHAR NOT NULL,
  role          VARCHAR NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL,
  disabled_at   TIMESTAMPTZ
);

-- The review workflow of an enterprise on the list, as append-only events. The state of an
-- enterprise is its latest event (none = 待核查). 待核查 → 核查中 → 排除 | 移交 | 认定; 移交 → 排除 | 认定.
--   alert_day     the list day the reviewer acted on (the alert id is alert_day:uscc)
--   status        待核查 | 核查中 | 排除 | 移交 | 认定
--   actor, role   who recorded it (token name / username) and with which role
--   assignee      the reviewer the case is assigned to after this event (carried forward)
--   outcome_batch for 认定 / 排除: the ingest batch of the case_outcomes record it produced
CREATE TABLE dispositions (
  disposition_id BIGINT PRIMARY KEY DEFAULT nextval('disposition_seq'),
  alert_day      DATE NOT NULL,
  uscc           VARCHAR NOT NULL,
  status         VARCHAR NOT NULL,
  actor          VARCHAR NOT NULL,
  role           VARCHAR NOT NULL,
  acted_at       TIMESTAMPTZ NOT NULL,
  note           VARCHAR,
  assignee       VARCHAR,
  outcome_batch  BIGINT
);

-- Who read or changed what. action: e.g. entity.read, entity.history, alert.read, export.alerts,
-- disposition.create, model.activate, run.trigger, auth.login, auth.denied.
CREATE TABLE audit_log (
  audit_id  BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
  logged_at TIMESTAMPTZ NOT NULL,
  actor     VARCHAR NOT NULL,
  role      VARCHAR,
  action    VARCHAR NOT NULL,
  target    VARCHAR,
  status    INTEGER,
  detail    JSON
);
