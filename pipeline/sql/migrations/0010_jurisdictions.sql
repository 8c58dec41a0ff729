-- 0010_jurisdictions: offices and their areas, scoped accounts, referrals (移交), two-person
-- decisions (认定 / 排除), reopening, and one writer at a time per enterprise's workflow.
-- The model is described in README.md ("Offices, referrals and approvals"); the SQL that places
-- an enterprise in an office as of a day is pipeline/jurisdictions/offices.ts.

-- The tree of offices: GB/T 2260 divisions (province 44, city 4404, district 440402) and the
-- functional zones the register uses. Loaded whole from the deployment's file
-- (pipeline/jurisdictions/load.ts); never edited row by row.
--   parent   NULL for the one root
--   kind     province | city | district | zone
--   aliases  other names the register and addresses use for it (横琴新区)
--   depth    0 for the root
CREATE TABLE jurisdictions (
  code     VARCHAR PRIMARY KEY,
  name     VARCHAR NOT NULL,
  parent   VARCHAR,
  kind     VARCHAR NOT NULL,
  aliases  VARCHAR[] NOT NULL,
  depth    INTEGER NOT NULL
);

-- Outside agencies a case can be referred to (公安经侦, 市场监管, 地方金融监管), from the same file.
CREATE TABLE referral_agencies (
  id    VARCHAR PRIMARY KEY,
  name  VARCHAR NOT NULL
);

-- Which file the tree came from (one row).
CREATE TABLE jurisdiction_source (
  file       VARCHAR NOT NULL,
  sha256     VARCHAR NOT NULL,
  loaded_at  TIMESTAMPTZ NOT NULL,
  nodes      INTEGER NOT NULL,
  agencies   INTEGER NOT NULL
);

-- The office an account belongs to: it sees that office's subtree. NULL = the whole tree.
ALTER TABLE api_tokens ADD COLUMN jurisdiction VARCHAR;
ALTER TABLE api_users ADD COLUMN jurisdiction VARCHAR;

-- 移交: one row per referral, written with the 移交 disposition event that made it.
--   from_office  the enterprise's office when it was referred
--   target_kind  office (another office of the tree: it answers in its inbox) | agency (outside)
--   target       jurisdictions.code | referral_agencies.id
CREATE SEQUENCE referral_seq START 1;
CREATE TABLE referrals (
  referral_id     BIGINT PRIMARY KEY DEFAULT nextval('referral_seq'),
  uscc            VARCHAR NOT NULL,
  alert_day       DATE NOT NULL,
  from_office     VARCHAR,
  target_kind     VARCHAR NOT NULL,
  target          VARCHAR NOT NULL,
  note            VARCHAR,
  actor           VARCHAR NOT NULL,
  role            VARCHAR NOT NULL,
  actor_office    VARCHAR,
  created_at      TIMESTAMPTZ NOT NULL,
  disposition_id  BIGINT NOT NULL
);

-- The target office's answer: at most one per referral (the key refuses a second one).
--   answer        accepted (the enterprise belongs to the target from effective_on) | returned
--   effective_on  Asia/Shanghai day of the answer
CREATE TABLE referral_answers (
  referral_id     BIGINT PRIMARY KEY,
  answer          VARCHAR NOT NULL,
  reason          VARCHAR,
  actor           VARCHAR NOT NULL,
  role            VARCHAR NOT NULL,
  actor_office    VARCHAR,
  answered_at     TIMESTAMPTZ NOT NULL,
  effective_on    DATE NOT NULL,
  disposition_id  BIGINT NOT NULL
);

-- 认定 / 排除 as proposals: they take effect when a second person approves.
CREATE SEQUENCE approval_seq START 1;
CREATE TABLE approvals (
  approval_id   BIGINT PRIMARY KEY DEFAULT nextval('approval_seq'),
  uscc          VARCHAR NOT NULL,
  alert_day     DATE NOT NULL,
  proposed      VARCHAR NOT NULL,            -- 认定 | 排除
  note          VARCHAR,
  case_ref      VARCHAR,
  actor         VARCHAR NOT NULL,
  role          VARCHAR NOT NULL,
  actor_office  VARCHAR,
  proposed_at   TIMESTAMPTZ NOT NULL
);

-- At most one decision per proposal (the key refuses a second one).
--   decision        approved | rejected | withdrawn (by the proposer)
--   disposition_id  the 认定 / 排除 event an approval wrote
CREATE TABLE approval_decisions (
  approval_id     BIGINT PRIMARY KEY,
  decision        VARCHAR NOT NULL,
  note            VARCHAR,
  actor           VARCHAR NOT NULL,
  role            VARCHAR NOT NULL,
  actor_office    VARCHAR,
  decided_at      TIMESTAMPTZ NOT NULL,
  disposition_id  BIGINT
);

-- A closed enterprise reopened: the 核查中 event that reopened it, the 认定 / 排除 event it
-- reopened, and the case_outcomes batch that was superseded (kept, no longer a label).
CREATE TABLE reopenings (
  disposition_id    BIGINT PRIMARY KEY,
  uscc              VARCHAR NOT NULL,
  reopened          BIGINT NOT NULL,
  reason            VARCHAR NOT NULL,
  actor             VARCHAR NOT NULL,
  role              VARCHAR NOT NULL,
  actor_office      VARCHAR,
  reopened_at       TIMESTAMPTZ NOT NULL,
  superseded_batch  BIGINT
);

-- One row per enterprise whose workflow ever changed; every change bumps its version in the same
-- transaction. Two writers on different connections that both read version v cannot both commit:
-- the second fails (a conflict on this row), which the API answers with 409.
CREATE TABLE workflow_heads (
  uscc     VARCHAR PRIMARY KEY,
  version  BIGINT NOT NULL
);

-- Derived: every register fact that places an enterprise in an office (its snapshots, its address
-- changes that name an office, its USCC's division code before its first snapshot), resolved
-- against the tree — pipeline/jurisdictions/offices.ts. Rebuilt whole when the register or the tree
-- changes (`enterprise_offices_state.stamp`); accepted referrals are read live beside it.
--   pri  orders facts of the same day: -1 USCC division, 0 address change, 1 snapshot
CREATE TABLE enterprise_offices (
  uscc        VARCHAR NOT NULL,
  valid_from  DATE NOT NULL,
  pri         INTEGER NOT NULL,
  office      VARCHAR
);

CREATE TABLE enterprise_offices_state (
  stamp     VARCHAR NOT NULL,   -- row counts of the register tables and the tree file's sha256
  built_at  TIMESTAMPTZ NOT NULL,
  seconds   DOUBLE NOT NULL
);

CREATE INDEX enterprise_offices_uscc ON enterprise_offices (uscc);
CREATE INDEX referrals_uscc ON referrals (uscc);
CREATE INDEX referrals_target ON referrals (target);
CREATE INDEX approvals_uscc ON approvals (uscc);
