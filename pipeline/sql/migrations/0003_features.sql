-- 0003_features: per-record text analysis (computed once per record version) and the feature table.

-- Text analysis of each ad version: red-flag hits per family and the promised yield.
CREATE TABLE ad_text (
  ad_id VARCHAR NOT NULL,
  _hash VARCHAR NOT NULL,          -- the ad version analysed (ads_history._hash)
  seen_day DATE NOT NULL,
  channel VARCHAR NOT NULL,
  text_key VARCHAR NOT NULL,       -- md5 of the normalised text: repeated captures share it
  n_flags INTEGER NOT NULL,
  f_guaranteed INTEGER NOT NULL,
  f_high_yield INTEGER NOT NULL,
  f_referral INTEGER NOT NULL,
  f_elderly INTEGER NOT NULL,
  f_equity INTEGER NOT NULL,
  f_crypto INTEGER NOT NULL,
  f_consumption_rebate INTEGER NOT NULL,
  f_gov_endorsement INTEGER NOT NULL,
  f_seminar INTEGER NOT NULL,
  f_wealth_product INTEGER NOT NULL,
  max_yield_pct DOUBLE,            -- highest promised yield, annualised, percent
  yield_ratio DOUBLE               -- max_yield_pct / 1-year LPR on seen_day
);

-- Text analysis of each complaint version.
CREATE TABLE complaint_text (
  complaint_id VARCHAR NOT NULL,
  _hash VARCHAR NOT NULL,
  n_trouble INTEGER NOT NULL,      -- withdrawal-trouble phrases (提现困难, 延期兑付, 跑路, 失联 …)
  n_flags INTEGER NOT NULL         -- other red-flag phrases quoted by the complainant
);

-- Features per enterprise as of a day (columns: pipeline/features/registry.ts, in order).
CREATE TABLE feature_values (
  as_of DATE NOT NULL,
  uscc VARCHAR NOT NULL,
  ad_flag_guaranteed_90d DOUBLE,
  ad_flag_high_yield_90d DOUBLE,
  ad_flag_referral_90d DOUBLE,
  ad_flag_elderly_90d DOUBLE,
  ad_flag_equity_90d DOUBLE,
  ad_flag_crypto_90d DOUBLE,
  ad_flag_consumption_rebate_90d DOUBLE,
  ad_flag_gov_endorsement_90d DOUBLE,
  ad_flag_seminar_90d DOUBLE,
  ad_flag_wealth_product_90d DOUBLE,
  ad_flag_hits_90d DOUBLE,
  ad_flag_families_90d DOUBLE,
  ad_flagged_share_90d DOUBLE,
  ad_max_yield_90d DOUBLE,
  ad_yield_ratio_90d DOUBLE,
  ads_7d DOUBLE,
  ads_30d DOUBLE,
  ads_90d DOUBLE,
  ads_growth_30d DOUBLE,
  ad_channels_90d DOUBLE,
  ad_repeat_share_90d DOUBLE,
  ad_days_since_first DOUBLE,
  complaints_7d DOUBLE,
  complaints_30d DOUBLE,
  complaints_90d DOUBLE,
  complaints_growth_30d DOUBLE,
  complaint_amount_90d DOUBLE,
  complainants_90d DOUBLE,
  complaint_trouble_90d DOUBLE,
  complaint_districts_90d DOUBLE,
  age_days DOUBLE,
  log_registered_capital DOUBLE,
  paid_in_ratio DOUBLE,
  finance_words_unlicensed DOUBLE,
  industry_finance DOUBLE,
  industry_business_services DOUBLE,
  status_abnormal DOUBLE,
  changes_name_180d DOUBLE,
  renamed_to_finance_180d DOUBLE,
  changes_scope_180d DOUBLE,
  changes_legal_rep_180d DOUBLE,
  changes_address_180d DOUBLE,
  changes_capital_180d DOUBLE,
  changes_365d DOUBLE,
  cleared_before DOUBLE,
  shared_legal_rep DOUBLE,
  shared_address DOUBLE,
  shared_phone DOUBLE,
  shared_shareholder DOUBLE,
  confirmed_neighbours DOUBLE,
  confirmed_distance DOUBLE
);

-- One row per computed day: when, how many enterprises, and a fingerprint of the inputs.
CREATE TABLE feature_days (
  as_of DATE PRIMARY KEY,
  computed_at TIMESTAMPTZ NOT NULL,
  enterprises INTEGER NOT NULL,
  fingerprint VARCHAR NOT NULL
);
