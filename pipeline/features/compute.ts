/**
 * Features of every enterprise as of a day, into `feature_values`. Per-record text analysis is
 * incremental (each ad or complaint version is analysed once); the aggregation is one SQL query
 * over the analysed records, so a daily run equals a from-scratch computation by construction.
 */
import { query, settleBulkWrite, type Db } from '../db/index.ts';
import { analyseNewText } from './analyse-text.ts';
import { LICENCE_SCOPE_WORDS } from './finance-language.ts';
import { FEATURE_NAMES } from './registry.ts';

/** Finance words in a name or business scope (without a financial licence, a red flag). */
export const FINANCE_WORDS =
  '投资|理财|财富|资产管理|资管|金融|基金|资本管理|融资|借贷|信贷|保理|供应链金融|众筹|互助|数字资产|区块链|虚拟货币|私募';

export interface ComputeResult {
  asOf: string;
  enterprises: number;
  fingerprint: string;
  seconds: number;
  analysed: { ads: number; complaints: number };
}

/**
 * A fingerprint of the data visible on `asOf`: changes when any record dated on or before it
 * does, or when the link of such a record to an enterprise does.
 */
export async function dataFingerprint(db: Db, asOf: string): Promise<string> {
  const row = await db.one<{ f: string }>(
    `SELECT md5(string_agg(part, '|' ORDER BY part)) AS f FROM (
       SELECT 'r' || count(*) || ':' || coalesce(sum(md5_number_lower(_hash || _key)), 0) AS part FROM registrations WHERE as_of <= $d::DATE
       UNION ALL SELECT 'g' || count(*) || ':' || coalesce(sum(md5_number_lower(_hash || _key)), 0) FROM registration_changes WHERE changed_on <= $d::DATE
       UNION ALL SELECT 'a' || count(*) || ':' || coalesce(sum(md5_number_lower(_hash || _key)), 0) FROM ads WHERE seen_day <= $d::DATE
       UNION ALL SELECT 'c' || count(*) || ':' || coalesce(sum(md5_number_lower(_hash || _key)), 0) FROM complaints WHERE received_day <= $d::DATE
       UNION ALL SELECT 'o' || count(*) || ':' || coalesce(sum(md5_number_lower(_hash || _key)), 0) FROM case_outcomes WHERE decided_on <= $d::DATE
       UNION ALL SELECT 'l' || count(*) || ':' || coalesce(sum(md5_number_lower(kind || record_id || coalesce(uscc, '') || status)), 0)
         FROM entity_links WHERE record_day <= $d::DATE
     )`,
    { d: asOf },
  );
  return row!.f;
}

/**
 * Runs the feature query for `asOf` (after analysing new text) and replaces that day's rows.
 * `fingerprint`: the day's data fingerprint when the caller has just computed it.
 */
export async function computeFeatures(
  db: Db,
  asOf: string,
  fingerprint?: string,
): Promise<ComputeResult> {
  const t0 = performance.now();
  const analysed = await analyseNewText(db);
  fingerprint ??= await dataFingerprint(db, asOf);
  const columns = ['as_of', 'uscc', ...FEATURE_NAMES].join(', ');
  const enterprises = await db.transaction(async (tx) => {
    await tx.run(`DELETE FROM feature_values WHERE as_of = $d::DATE`, { d: asOf });
    await tx.run(`INSERT INTO feature_values (${columns}) ${query('features_as_of')}`, {
      d: asOf,
      finance: FINANCE_WORDS,
      licence: LICENCE_SCOPE_WORDS,
    });
    const n = (await tx.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM feature_values WHERE as_of = $d::DATE`,
      { d: asOf },
    ))!.n;
    await tx.run(`DELETE FROM feature_days WHERE as_of = $d::DATE`, { d: asOf });
    await tx.run(`INSERT INTO feature_days VALUES ($d::DATE, now(), $n, $f)`, {
      d: asOf,
      n,
      f: fingerprint,
    });
    return n;
  });
  await settleBulkWrite(db, enterprises + analysed.ads + analysed.complaints);
  return {
    asOf,
    enterprises,
    fingerprint,
    seconds: (performance.now() - t0) / 1000,
    analysed: { ads: analysed.ads, complaints: analysed.complaints },
  };
}
