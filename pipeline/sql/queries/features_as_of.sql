-- Features of every enterprise known on $d, using only records whose own time is on or before $d.
-- Output columns: as_of, uscc, then the registry's features in order (pipeline/features/registry.ts).
WITH
reg AS (  -- the latest register snapshot on or before $d
  SELECT * FROM registrations WHERE as_of <= $d::DATE
  QUALIFY row_number() OVER (PARTITION BY uscc ORDER BY as_of DESC) = 1
),
licence AS (  -- a financial licence in the register (finance-language.ts LICENCE_SCOPE_WORDS)
  SELECT uscc,
    (coalesce(industry_code, '') LIKE 'J%' OR regexp_matches(coalesce(business_scope, ''), $licence))::INT AS licensed
  FROM reg
),
ad AS (  -- linked ads of the last 90 days, with their text analysis
  SELECT l.uscc, t.*,
    (coalesce(t.f_deposit_like, 0) + coalesce(t.f_bank_wording, 0) + coalesce(t.f_soft_promise, 0)
      + t.f_guaranteed + t.f_high_yield + t.f_wealth_product > 0)::INT AS fin
  FROM ad_text t
  JOIN ads a ON a.ad_id = t.ad_id AND a._hash = t._hash
  JOIN entity_links l ON l.kind = 'ad' AND l.record_id = t.ad_id AND l.status = 'linked'
  WHERE t.seen_day <= $d::DATE AND t.seen_day > $d::DATE - 90
),
ad_first AS (
  SELECT l.uscc, min(a.seen_day) AS first_day,
    min(a.seen_day) FILTER (WHERE coalesce(t.f_deposit_like, 0) + coalesce(t.f_bank_wording, 0)
      + coalesce(t.f_soft_promise, 0) + t.f_guaranteed + t.f_high_yield + t.f_wealth_product > 0) AS fin_first_day
  FROM ads a JOIN entity_links l ON l.kind = 'ad' AND l.record_id = a.ad_id AND l.status = 'linked'
  LEFT JOIN ad_text t ON t.ad_id = a.ad_id AND t._hash = a._hash
  WHERE a.seen_day <= $d::DATE
  GROUP BY l.uscc
),
ad_agg AS (
  SELECT uscc,
    sum(f_guaranteed) AS ad_flag_guaranteed_90d,
    sum(f_high_yield) AS ad_flag_high_yield_90d,
    sum(f_referral) AS ad_flag_referral_90d,
    sum(f_elderly) AS ad_flag_elderly_90d,
    sum(f_equity) AS ad_flag_equity_90d,
    sum(f_crypto) AS ad_flag_crypto_90d,
    sum(f_consumption_rebate) AS ad_flag_consumption_rebate_90d,
    sum(f_gov_endorsement) AS ad_flag_gov_endorsement_90d,
    sum(f_seminar) AS ad_flag_seminar_90d,
    sum(f_wealth_product) AS ad_flag_wealth_product_90d,
    sum(n_flags) AS ad_flag_hits_90d,
    (sum(f_guaranteed) > 0)::INT + (sum(f_high_yield) > 0)::INT + (sum(f_referral) > 0)::INT
      + (sum(f_elderly) > 0)::INT + (sum(f_equity) > 0)::INT + (sum(f_crypto) > 0)::INT
      + (sum(f_consumption_rebate) > 0)::INT + (sum(f_gov_endorsement) > 0)::INT
      + (sum(f_seminar) > 0)::INT + (sum(f_wealth_product) > 0)::INT AS ad_flag_families_90d,
    avg((n_flags > 0)::INT) AS ad_flagged_share_90d,
    max(max_yield_pct) AS ad_max_yield_90d,
    max(yield_ratio) AS ad_yield_ratio_90d,
    count(*) FILTER (WHERE seen_day > $d::DATE - 7) AS ads_7d,
    count(*) FILTER (WHERE seen_day > $d::DATE - 30) AS ads_30d,
    count(*) AS ads_90d,
    count(*) FILTER (WHERE seen_day <= $d::DATE - 30 AND seen_day > $d::DATE - 60) AS ads_prev_30d,
    count(DISTINCT channel) AS ad_channels_90d,
    1 - count(DISTINCT text_key) / count(*) AS ad_repeat_share_90d,
    sum(coalesce(f_deposit_like, 0)) AS deposit_like_90d,
    sum(coalesce(f_bank_wording, 0)) AS bank_wording_90d,
    sum(coalesce(f_soft_promise, 0)) AS soft_promise_90d,
    avg(fin) AS fin_share_90d,
    count(*) FILTER (WHERE fin = 1 AND seen_day > $d::DATE - 30) AS ad_finance_30d,
    count(DISTINCT channel) FILTER (WHERE fin = 1 AND seen_day > $d::DATE - 30) AS ad_finance_channels_30d,
    count(*) FILTER (WHERE coalesce(f_gift_seminar, 0) + f_seminar > 0
                     AND (fin = 1 OR f_elderly > 0)) AS ad_gift_finance_90d,
    count(*) FILTER (WHERE coalesce(f_soft_referral, 0) + f_referral > 0 AND fin = 1) AS ad_referral_finance_90d
  FROM ad GROUP BY uscc
),
cp AS (  -- linked complaints of the last 90 days
  SELECT l.uscc, c.*, t.n_trouble
  FROM complaints c
  JOIN complaint_text t ON t.complaint_id = c.complaint_id AND t._hash = c._hash
  JOIN entity_links l ON l.kind = 'complaint' AND l.record_id = c.complaint_id AND l.status = 'linked'
  WHERE c.received_day <= $d::DATE AND c.received_day > $d::DATE - 90
),
cp_agg AS (
  SELECT uscc,
    count(*) FILTER (WHERE received_day > $d::DATE - 7) AS complaints_7d,
    count(*) FILTER (WHERE received_day > $d::DATE - 30) AS complaints_30d,
    count(*) AS complaints_90d,
    count(*) FILTER (WHERE received_day <= $d::DATE - 30 AND received_day > $d::DATE - 60) AS complaints_prev_30d,
    coalesce(sum(amount_cny), 0) AS complaint_amount_90d,
    count(DISTINCT complainant_ref) AS complainants_90d,
    count(*) FILTER (WHERE n_trouble > 0) AS complaint_trouble_90d,
    count(DISTINCT district) AS complaint_districts_90d
  FROM cp GROUP BY uscc
),
chg AS (
  SELECT uscc,
    count(*) FILTER (WHERE field = 'name' AND changed_on > $d::DATE - 180) AS changes_name_180d,
    count(*) FILTER (WHERE field = 'name' AND changed_on > $d::DATE - 180
                     AND regexp_matches("after", $finance) AND NOT regexp_matches(coalesce("before", ''), $finance)) AS renamed_to_finance_180d,
    count(*) FILTER (WHERE field = 'business_scope' AND changed_on > $d::DATE - 180) AS changes_scope_180d,
    count(*) FILTER (WHERE field = 'legal_rep' AND changed_on > $d::DATE - 180) AS changes_legal_rep_180d,
    count(*) FILTER (WHERE field = 'address' AND changed_on > $d::DATE - 180) AS changes_address_180d,
    count(*) FILTER (WHERE field = 'registered_capital' AND changed_on > $d::DATE - 180) AS changes_capital_180d,
    count(*) FILTER (WHERE changed_on > $d::DATE - 365) AS changes_365d
  FROM registration_changes WHERE changed_on <= $d::DATE GROUP BY uscc
),
outcome AS (  -- decisions known on $d
  SELECT uscc,
    bool_or(outcome = 'confirmed') AS confirmed,
    bool_or(outcome = 'cleared') AS cleared
  FROM case_outcomes WHERE decided_on <= $d::DATE GROUP BY uscc
),
-- the network: enterprises that share a legal rep, an address, a phone or a shareholder
attr AS (
  SELECT uscc, 'rep:' || legal_rep AS a FROM reg WHERE legal_rep IS NOT NULL AND legal_rep <> ''
  UNION ALL SELECT uscc, 'addr:' || address FROM reg WHERE address IS NOT NULL AND address <> ''
  UNION ALL SELECT uscc, 'tel:' || regexp_replace(phone, '[^0-9]', '', 'g') FROM reg WHERE phone IS NOT NULL AND length(regexp_replace(phone, '[^0-9]', '', 'g')) >= 7
  UNION ALL SELECT DISTINCT r.uscc, 'sh:' || (s.value->>'name')
  FROM reg r, json_each(r.shareholders) s WHERE r.shareholders IS NOT NULL
),
grp AS (SELECT a, count(*) AS n FROM attr GROUP BY a),
shared AS (
  SELECT attr.uscc,
    coalesce(max(grp.n - 1) FILTER (WHERE attr.a LIKE 'rep:%'), 0) AS shared_legal_rep,
    coalesce(max(grp.n - 1) FILTER (WHERE attr.a LIKE 'addr:%'), 0) AS shared_address,
    coalesce(max(grp.n - 1) FILTER (WHERE attr.a LIKE 'tel:%'), 0) AS shared_phone,
    coalesce(sum(grp.n - 1) FILTER (WHERE attr.a LIKE 'sh:%'), 0) AS shared_shareholder
  FROM attr JOIN grp USING (a) GROUP BY attr.uscc
),
-- edges for distances: groups of at most 50 (a business centre hosting hundreds says little)
edge AS (SELECT attr.* FROM attr JOIN grp USING (a) WHERE grp.n BETWEEN 2 AND 50),
hop0 AS (SELECT uscc FROM outcome WHERE confirmed),
hop1 AS (
  SELECT e2.uscc, count(DISTINCT h.uscc) AS n
  FROM hop0 h JOIN edge e1 ON e1.uscc = h.uscc JOIN edge e2 ON e2.a = e1.a AND e2.uscc <> h.uscc
  GROUP BY e2.uscc
),
hop2 AS (
  SELECT DISTINCT e2.uscc
  FROM hop1 h JOIN edge e1 ON e1.uscc = h.uscc JOIN edge e2 ON e2.a = e1.a AND e2.uscc <> h.uscc
)
SELECT
  $d::DATE AS as_of,
  reg.uscc,
  coalesce(ad_flag_guaranteed_90d, 0) AS ad_flag_guaranteed_90d,
  coalesce(ad_flag_high_yield_90d, 0) AS ad_flag_high_yield_90d,
  coalesce(ad_flag_referral_90d, 0) AS ad_flag_referral_90d,
  coalesce(ad_flag_elderly_90d, 0) AS ad_flag_elderly_90d,
  coalesce(ad_flag_equity_90d, 0) AS ad_flag_equity_90d,
  coalesce(ad_flag_crypto_90d, 0) AS ad_flag_crypto_90d,
  coalesce(ad_flag_consumption_rebate_90d, 0) AS ad_flag_consumption_rebate_90d,
  coalesce(ad_flag_gov_endorsement_90d, 0) AS ad_flag_gov_endorsement_90d,
  coalesce(ad_flag_seminar_90d, 0) AS ad_flag_seminar_90d,
  coalesce(ad_flag_wealth_product_90d, 0) AS ad_flag_wealth_product_90d,
  coalesce(ad_flag_hits_90d, 0) AS ad_flag_hits_90d,
  coalesce(ad_flag_families_90d, 0) AS ad_flag_families_90d,
  coalesce(ad_flagged_share_90d, 0) AS ad_flagged_share_90d,
  coalesce(ad_max_yield_90d, 0) AS ad_max_yield_90d,
  coalesce(ad_yield_ratio_90d, 0) AS ad_yield_ratio_90d,
  coalesce(ads_7d, 0) AS ads_7d,
  coalesce(ads_30d, 0) AS ads_30d,
  coalesce(ads_90d, 0) AS ads_90d,
  (coalesce(ads_30d, 0) + 1) / (coalesce(ads_prev_30d, 0) + 1) - 1 AS ads_growth_30d,
  coalesce(ad_channels_90d, 0) AS ad_channels_90d,
  coalesce(ad_repeat_share_90d, 0) AS ad_repeat_share_90d,
  $d::DATE - ad_first.first_day AS ad_days_since_first,
  coalesce(complaints_7d, 0) AS complaints_7d,
  coalesce(complaints_30d, 0) AS complaints_30d,
  coalesce(complaints_90d, 0) AS complaints_90d,
  (coalesce(complaints_30d, 0) + 1) / (coalesce(complaints_prev_30d, 0) + 1) - 1 AS complaints_growth_30d,
  coalesce(complaint_amount_90d, 0) AS complaint_amount_90d,
  coalesce(complainants_90d, 0) AS complainants_90d,
  coalesce(complaint_trouble_90d, 0) AS complaint_trouble_90d,
  coalesce(complaint_districts_90d, 0) AS complaint_districts_90d,
  $d::DATE - reg.established_on AS age_days,
  ln(1 + reg.registered_capital_wan) AS log_registered_capital,
  CASE WHEN reg.registered_capital_wan > 0 THEN least(reg.paid_in_capital_wan / reg.registered_capital_wan, 1) END AS paid_in_ratio,
  ((regexp_matches(reg.name, $finance) OR regexp_matches(coalesce(reg.business_scope, ''), $finance))
    AND coalesce(reg.industry_code, '') NOT LIKE 'J%')::INT AS finance_words_unlicensed,
  (coalesce(reg.industry_code, '') LIKE 'J%')::INT AS industry_finance,
  (coalesce(reg.industry_code, '') LIKE 'L%')::INT AS industry_business_services,
  (coalesce(reg.status, '') IN ('吊销', '注销', '停业', '迁出'))::INT AS status_abnormal,
  coalesce(changes_name_180d, 0) AS changes_name_180d,
  (coalesce(renamed_to_finance_180d, 0) > 0)::INT AS renamed_to_finance_180d,
  coalesce(changes_scope_180d, 0) AS changes_scope_180d,
  coalesce(changes_legal_rep_180d, 0) AS changes_legal_rep_180d,
  coalesce(changes_address_180d, 0) AS changes_address_180d,
  coalesce(changes_capital_180d, 0) AS changes_capital_180d,
  coalesce(changes_365d, 0) AS changes_365d,
  coalesce(outcome.cleared, false)::INT AS cleared_before,
  coalesce(shared_legal_rep, 0) AS shared_legal_rep,
  coalesce(shared_address, 0) AS shared_address,
  coalesce(shared_phone, 0) AS shared_phone,
  coalesce(shared_shareholder, 0) AS shared_shareholder,
  coalesce(hop1.n, 0) AS confirmed_neighbours,
  CASE WHEN hop1.uscc IS NOT NULL THEN 1 WHEN hop2.uscc IS NOT NULL THEN 2 ELSE 3 END AS confirmed_distance,
  licence.licensed AS finance_licensed,
  CASE WHEN licence.licensed = 1 THEN 0 ELSE coalesce(deposit_like_90d, 0) END AS ad_deposit_like_unlicensed_90d,
  CASE WHEN licence.licensed = 1 THEN 0 ELSE coalesce(bank_wording_90d, 0) END AS ad_bank_wording_unlicensed_90d,
  CASE WHEN licence.licensed = 1 THEN 0 ELSE coalesce(soft_promise_90d, 0) END AS ad_soft_promise_unlicensed_90d,
  CASE WHEN licence.licensed = 1 THEN 0 ELSE coalesce(fin_share_90d, 0) END AS ad_finance_unlicensed_share_90d,
  $d::DATE - ad_first.fin_first_day AS ad_finance_days_since_first,
  coalesce(ad_finance_30d, 0) AS ad_finance_30d,
  coalesce(ad_finance_channels_30d, 0) AS ad_finance_channels_30d,
  coalesce(ad_gift_finance_90d, 0) AS ad_gift_finance_90d,
  coalesce(ad_referral_finance_90d, 0) AS ad_referral_finance_90d
FROM reg
LEFT JOIN ad_agg USING (uscc)
LEFT JOIN ad_first USING (uscc)
LEFT JOIN cp_agg USING (uscc)
LEFT JOIN chg USING (uscc)
LEFT JOIN outcome USING (uscc)
LEFT JOIN shared USING (uscc)
LEFT JOIN hop1 USING (uscc)
LEFT JOIN hop2 USING (uscc)
LEFT JOIN licence USING (uscc)
ORDER BY reg.uscc
