-- 0014_notifications: watchlists (重点关注名单), subscriptions, the in-app inbox and the push
-- channels (a daily e-mail digest, webhooks / group robots). pipeline/notify owns these tables.
--
-- A subscriber is a principal name, as the API knows it: `user:<username>` for a dashboard user,
-- the token's name for an API token. Its role (and jurisdiction) is looked up when a notification
-- is made and when it is pushed, never copied here: a disabled user or a revoked token gets nothing.
--
-- Screening is incremental: every source of change (an ingest batch, a resolve run, a published
-- revision, a disposition) is screened once and recorded in notify_screened; an event has a stable
-- key (complaint:<id>, enterprise:<uscc>, level:<day>:<uscc>:<level> …) and a subscriber gets at
-- most one notification per event key, ever (UNIQUE (recipient, event_key)), however often the
-- day is re-run or its records corrected.

CREATE SEQUENCE watchlist_seq START 1;
CREATE SEQUENCE watch_entry_seq START 1;
CREATE SEQUENCE subscription_seq START 1;
CREATE SEQUENCE notify_endpoint_seq START 1;
CREATE SEQUENCE notification_seq START 1;
CREATE SEQUENCE delivery_seq START 1;

-- A list is personal (owner) or shared by an office (office = its jurisdiction code; '' = the whole
-- tree). Archived lists match nothing.
CREATE TABLE watchlists (
  watchlist_id BIGINT PRIMARY KEY DEFAULT nextval('watchlist_seq'),
  name         VARCHAR NOT NULL,
  owner        VARCHAR,
  office       VARCHAR,
  created_by   VARCHAR NOT NULL,
  created_at   TIMESTAMPTZ NOT NULL,
  archived_at  TIMESTAMPTZ,
  archived_by  VARCHAR
);

-- What is watched:
--   kind       enterprise (value = USCC) | person (a legal representative's name; companies = the
--              USCCs of the companies they are known to represent, which disambiguate a common
--              name) | phone | address | domain (a web domain; subdomains match too) | keyword (a
--              brand or word in names, ads and complaints)
--   value      as entered (trimmed; USCC upper-cased); normalised when screened, with the
--              resolver's own rules (rz_phone, rz_addr, rz_host, rz_clean)
--   expires_on the last day the entry matches
CREATE TABLE watch_entries (
  entry_id     BIGINT PRIMARY KEY DEFAULT nextval('watch_entry_seq'),
  watchlist_id BIGINT NOT NULL,
  kind         VARCHAR NOT NULL,
  value        VARCHAR NOT NULL,
  companies    VARCHAR[],
  reason       VARCHAR NOT NULL,
  expires_on   DATE NOT NULL,
  created_by   VARCHAR NOT NULL,
  created_at   TIMESTAMPTZ NOT NULL,
  removed_at   TIMESTAMPTZ,
  removed_by   VARCHAR
);
CREATE INDEX watch_entries_list ON watch_entries (watchlist_id);

-- Subscriptions per subscriber. Every notification lands in the in-app inbox; `email` adds it to
-- the daily digest, `endpoint_id` pushes it at once to a webhook or group robot.
--   kind       watch_hits (watchlist_id = one list, NULL = my lists and my office's)
--              | new_alerts (levels: default red, orange; in my jurisdiction)
--              | my_cases (enterprises whose case is assigned to me)
--              | office_queue (referrals and approvals waiting for my office)
--              | feed_problems (failed or held feed batches)
--   quiet_*    'HH:MM' (Asia/Shanghai): pushes due in [quiet_from, quiet_to) wait until quiet_to
CREATE TABLE subscriptions (
  subscription_id BIGINT PRIMARY KEY DEFAULT nextval('subscription_seq'),
  subscriber   VARCHAR NOT NULL,
  kind         VARCHAR NOT NULL,
  watchlist_id BIGINT,
  levels       VARCHAR[],
  email        BOOLEAN NOT NULL,
  endpoint_id  BIGINT,
  quiet_from   VARCHAR,
  quiet_to     VARCHAR,
  created_at   TIMESTAMPTZ NOT NULL,
  removed_at   TIMESTAMPTZ
);

-- Push destinations set up by an administrator: format json (our payload, HMAC-SHA256 signed with
-- `secret`), wecom (企业微信 group robot), dingtalk (钉钉 group robot; `secret` = its 加签 secret).
CREATE TABLE notify_endpoints (
  endpoint_id BIGINT PRIMARY KEY DEFAULT nextval('notify_endpoint_seq'),
  name        VARCHAR NOT NULL,
  format      VARCHAR NOT NULL,
  url         VARCHAR NOT NULL,
  secret      VARCHAR,
  created_by  VARCHAR NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL,
  disabled_at TIMESTAMPTZ
);

-- Where a subscriber's digest goes.
CREATE TABLE notify_contacts (
  subscriber VARCHAR PRIMARY KEY,
  email      VARCHAR NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);

-- One row per event, the first time it is seen. title carries no personal data (it may be pushed);
-- data holds the details, personal ones under their own field names (legal_rep, phone), which the
-- API removes for roles that may not read them.
CREATE TABLE notification_events (
  event_key   VARCHAR PRIMARY KEY,
  kind        VARCHAR NOT NULL,
  uscc        VARCHAR,
  day         DATE,
  title       VARCHAR NOT NULL,
  data        JSON NOT NULL,
  link        VARCHAR,
  source      VARCHAR NOT NULL,
  detected_at TIMESTAMPTZ NOT NULL
);

-- The inbox: one row per subscriber and event, ever. reasons: why this subscriber hears of it
-- ([{subscription_id, kind, watchlist_id, watchlist, entry_id, entry_kind, match, …}]).
CREATE TABLE notifications (
  notification_id BIGINT PRIMARY KEY DEFAULT nextval('notification_seq'),
  recipient   VARCHAR NOT NULL,
  event_key   VARCHAR NOT NULL,
  reasons     JSON NOT NULL,
  email       BOOLEAN NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL,
  UNIQUE (recipient, event_key)
);
CREATE INDEX notifications_recipient ON notifications (recipient);

-- Read marks, append-only (the API marks, the scheduler writes notifications: no row is updated
-- by both).
CREATE TABLE notification_reads (
  notification_id BIGINT NOT NULL,
  read_at         TIMESTAMPTZ NOT NULL
);

-- Pushes: a webhook call per notification and endpoint, a digest e-mail per subscriber and day.
-- status pending → sent, or dead after the last retry (the dead-letter list; an administrator can
-- queue it again).
CREATE TABLE deliveries (
  delivery_id      BIGINT PRIMARY KEY DEFAULT nextval('delivery_seq'),
  channel          VARCHAR NOT NULL,
  recipient        VARCHAR NOT NULL,
  endpoint_id      BIGINT,
  address          VARCHAR,
  digest_day       DATE,
  notification_ids BIGINT[] NOT NULL,
  status           VARCHAR NOT NULL,
  attempts         INTEGER NOT NULL,
  next_attempt_at  TIMESTAMPTZ,
  last_error       VARCHAR,
  created_at       TIMESTAMPTZ NOT NULL,
  sent_at          TIMESTAMPTZ
);

-- Sources already screened: batch:<id>, resolve:<run_id>, revision:<day>/<revision>; and the
-- highest disposition_id screened (disposition:<id>, one row per screening).
CREATE TABLE notify_screened (
  source        VARCHAR PRIMARY KEY,
  screened_at   TIMESTAMPTZ NOT NULL,
  hits          INTEGER NOT NULL,
  notifications INTEGER NOT NULL,
  seconds       DOUBLE NOT NULL
);

-- What existed before this migration is history, not news.
INSERT INTO notify_screened SELECT 'batch:' || batch_id, now(), 0, 0, 0 FROM ingest_batches;
INSERT INTO notify_screened SELECT 'resolve:' || run_id, now(), 0, 0, 0 FROM resolve_runs;
INSERT INTO notify_screened
  SELECT 'revision:' || day::VARCHAR || '/' || revision, now(), 0, 0, 0 FROM list_revisions;
INSERT INTO notify_screened
  SELECT 'disposition:' || max(disposition_id), now(), 0, 0, 0 FROM dispositions HAVING count(*) > 0;
