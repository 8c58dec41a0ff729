-- 0011_accounts: account lifecycle, login protection, MFA, sessions, the demo marker and a
-- tamper-evident audit log (issue 15; docs/security.md).

-- Dashboard users: login protection, one-time passwords, TOTP (RFC 6238) and recovery codes.
--   failed_logins          consecutive failed logins since the last success (back-off, lockout)
--   locked_at              set at the lockout threshold; only an admin unlocks
--   must_change_password   a one-time password (created or reset by an admin) is in force
--   totp_secret            base32; TOTP is on when totp_enabled_at is set (pending otherwise)
--   totp_last_step         the last accepted 30-s step: a code is never accepted twice
--   recovery_codes         JSON array of sha256 hashes of unused recovery codes
--
-- Columns are added without a default and given it afterwards, and existing rows are filled last:
-- DuckDB cannot commit a transaction that adds two columns with defaults to a table holding rows
-- and then alters it again, nor one that alters a table after changing its rows.
ALTER TABLE api_users ADD COLUMN failed_logins INTEGER;
ALTER TABLE api_users ADD COLUMN last_failed_at TIMESTAMPTZ;
ALTER TABLE api_users ADD COLUMN locked_at TIMESTAMPTZ;
ALTER TABLE api_users ADD COLUMN last_login_at TIMESTAMPTZ;
ALTER TABLE api_users ADD COLUMN password_changed_at TIMESTAMPTZ;
ALTER TABLE api_users ADD COLUMN must_change_password BOOLEAN;
ALTER TABLE api_users ADD COLUMN totp_secret VARCHAR;
ALTER TABLE api_users ADD COLUMN totp_enabled_at TIMESTAMPTZ;
ALTER TABLE api_users ADD COLUMN totp_last_step BIGINT;
ALTER TABLE api_users ADD COLUMN recovery_codes VARCHAR;
ALTER TABLE api_users ALTER COLUMN failed_logins SET DEFAULT 0;
ALTER TABLE api_users ALTER COLUMN must_change_password SET DEFAULT false;
UPDATE api_users SET failed_logins = 0, must_change_password = false;

-- Tokens: what kind, whose, for what, last use.
--   kind      api (dafei token create, POST /v1/tokens) | session (a login)
--   username  the user a session (or a user's API token) belongs to: disabling the user or
--             changing the password revokes it
--   scope     full | change_password | enrol_totp (a session that may do only that first)
--   last_used_at  written at most once a minute per token (api/auth.ts)
ALTER TABLE api_tokens ADD COLUMN kind VARCHAR;
ALTER TABLE api_tokens ADD COLUMN username VARCHAR;
ALTER TABLE api_tokens ADD COLUMN scope VARCHAR;
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD COLUMN revoked_reason VARCHAR;
ALTER TABLE api_tokens ALTER COLUMN kind SET DEFAULT 'api';
ALTER TABLE api_tokens ALTER COLUMN scope SET DEFAULT 'full';
UPDATE api_tokens SET kind = 'api', scope = 'full';
UPDATE api_tokens SET kind = 'session', username = substr(name, 6) WHERE name LIKE 'user:%';
-- API tokens never expired before: they now expire 90 days after this migration
UPDATE api_tokens SET expires_at = now() + INTERVAL 90 DAY WHERE expires_at IS NULL AND revoked_at IS NULL;

-- The audit log as a hash chain: entry_hash = sha256(prev_hash, the entry's fields), ids
-- consecutive (pipeline/queries/audit.ts). Entries written before this migration have no hash
-- and are reported as outside the chain by `dafei audit verify`.
ALTER TABLE audit_log ADD COLUMN client_ip VARCHAR;
ALTER TABLE audit_log ADD COLUMN user_agent VARCHAR;
ALTER TABLE audit_log ADD COLUMN request_id VARCHAR;
ALTER TABLE audit_log ADD COLUMN prev_hash VARCHAR;
ALTER TABLE audit_log ADD COLUMN entry_hash VARCHAR;

-- Facts about the database itself, e.g. ('demo', 'true') for a database made by `dafei demo`.
CREATE TABLE app_meta (
  key    VARCHAR PRIMARY KEY,
  value  VARCHAR NOT NULL,
  set_at TIMESTAMPTZ NOT NULL
);
