-- 0016_quiet_schemes: signals for schemes with no numbers, no complaints yet and no company name
-- (issue 21): financial-product language per ad, licence mismatch and early-behaviour features, and
-- aliases learned from the data (product / app names, WeChat IDs, domains, phones).

-- Financial-product language of each ad version (pipeline/features/finance-language.ts), 0 or 1.
ALTER TABLE ad_text ADD COLUMN f_deposit_like INTEGER;   -- a deposit-like product: money in, a return, a term
ALTER TABLE ad_text ADD COLUMN f_lending INTEGER;        -- lending to the customer (贷款, 放款), not deposit-taking
ALTER TABLE ad_text ADD COLUMN f_bank_wording INTEGER;   -- licensed wealth products' disclosures (业绩比较基准 …)
ALTER TABLE ad_text ADD COLUMN f_soft_promise INTEGER;   -- a return promised without a number (稳健增值 …)
ALTER TABLE ad_text ADD COLUMN f_gift_seminar INTEGER;   -- free gifts and seminars
ALTER TABLE ad_text ADD COLUMN f_soft_referral INTEGER;  -- referral in everyday words (老带新, 介绍亲友)
-- ad_text is derived data: every ad is analysed again with the new columns at the next feature run.
DELETE FROM ad_text;

-- New features (pipeline/features/registry-quiet.ts), appended in the registry's order.
ALTER TABLE feature_values ADD COLUMN finance_licensed DOUBLE;
ALTER TABLE feature_values ADD COLUMN ad_deposit_like_unlicensed_90d DOUBLE;
ALTER TABLE feature_values ADD COLUMN ad_bank_wording_unlicensed_90d DOUBLE;
ALTER TABLE feature_values ADD COLUMN ad_soft_promise_unlicensed_90d DOUBLE;
ALTER TABLE feature_values ADD COLUMN ad_finance_unlicensed_share_90d DOUBLE;
ALTER TABLE feature_values ADD COLUMN ad_finance_days_since_first DOUBLE;
ALTER TABLE feature_values ADD COLUMN ad_finance_30d DOUBLE;
ALTER TABLE feature_values ADD COLUMN ad_finance_channels_30d DOUBLE;
ALTER TABLE feature_values ADD COLUMN ad_gift_finance_90d DOUBLE;
ALTER TABLE feature_values ADD COLUMN ad_referral_finance_90d DOUBLE;
-- every day's features are computed again (with the new columns) when next needed
DELETE FROM feature_days;

-- Aliases learned from the data (pipeline/resolve/aliases.ts). A key printed in a record that the
-- register-based resolver linked firmly — a product or app name, a WeChat ID, a web host, a phone —
-- ties that key to the enterprise from the record's day on. A record that the resolver could not
-- link (or linked only by a weak brand prefix), and that carries a key tied to exactly one
-- enterprise by records of its own day or before, is linked to it (entity_links.method =
-- 'learned_alias'). Recomputed in full by every resolve().
--
-- resolve_record_keys  the keys printed in each ad and complaint version (extracted once per version)
CREATE TABLE resolve_record_keys (
  kind        VARCHAR NOT NULL,
  record_id   VARCHAR NOT NULL,
  record_hash VARCHAR NOT NULL,
  day         DATE NOT NULL,
  alias_key   VARCHAR NOT NULL
);
-- resolve_record_keyed  the record versions whose keys are in resolve_record_keys (some have none)
CREATE TABLE resolve_record_keyed (
  kind        VARCHAR NOT NULL,
  record_id   VARCHAR NOT NULL,
  record_hash VARCHAR NOT NULL
);
-- resolve_learned_aliases  one row per (key, uscc): the day of the first tying record (the alias is
--                          usable from then on), the last one, and how many records tie them
CREATE TABLE resolve_learned_aliases (
  alias_key  VARCHAR NOT NULL,   -- 'name:惠欣金服' | 'wx:hechengyu_12' | 'host:hechengyu.cn' | 'tel:13912345678'
  uscc       VARCHAR NOT NULL,
  valid_from DATE NOT NULL,
  last_day   DATE NOT NULL,
  support    INTEGER NOT NULL
);
-- resolve_alias_links  the records linked through a learned alias, with what the register-based
--                      resolver had said about them (restored before every recomputation)
CREATE TABLE resolve_alias_links (
  kind             VARCHAR NOT NULL,
  record_id        VARCHAR NOT NULL,
  uscc             VARCHAR NOT NULL,
  alias_key        VARCHAR NOT NULL,
  valid_from       DATE NOT NULL,
  support          INTEGER NOT NULL,
  prior_status     VARCHAR NOT NULL,
  prior_uscc       VARCHAR,
  prior_method     VARCHAR,
  prior_confidence DOUBLE,
  prior_evidence_from DATE
);
