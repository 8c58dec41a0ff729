/**
 * Evidence behind an alert: the enterprise's ads (red-flag phrases and promised yields marked as
 * spans of the original text), its complaints (withdrawal-trouble phrases marked), its register
 * changes, and register anomalies in words. Everything is as of the alert's day.
 */
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { familyById, findRedFlags } from '../features/lexicon.ts';
import { extractYields } from '../features/yield.ts';
import { featureByName } from '../features/registry.ts';

export const Span = z
  .object({
    start: z.number().int().meta({ description: 'UTF-16 offset into `text`' }),
    end: z.number().int().meta({ description: 'exclusive' }),
    kind: z.enum(['red_flag', 'yield']),
    family: z.string().meta({ description: "red_flag: lexicon family id; yield: 'yield'" }),
    label: z.string(),
    term: z.string().meta({ description: 'the lexicon term, or the promised yield phrase' }),
    annual_rate_pct: z.number().optional(),
  })
  .meta({ id: 'Span' });
export type Span = z.output<typeof Span>;

export function markSpans(text: string): Span[] {
  const spans: Span[] = findRedFlags(text).map((h) => ({
    start: h.start,
    end: h.end,
    kind: 'red_flag' as const,
    family: h.family,
    label: familyById(h.family).label_zh,
    term: h.term,
  }));
  for (const y of extractYields(text)) {
    spans.push({
      start: y.start,
      end: y.end,
      kind: 'yield',
      family: 'yield',
      label: `承诺年化约 ${y.annualRatePct.toFixed(1)}%`,
      term: y.phrase,
      annual_rate_pct: y.annualRatePct,
    });
  }
  return spans.sort((a, b) => a.start - b.start || b.end - a.end);
}

export const AdEvidence = z
  .object({
    ad_id: z.string(),
    seen_at: z.string(),
    channel: z.string(),
    advertiser_name: z.string().nullable(),
    phone: z.string().nullable(),
    url: z.string().nullable(),
    title: z.string().nullable(),
    text: z.string(),
    link_method: z.string().nullable(),
    spans: z.array(Span),
  })
  .meta({ id: 'AdEvidence' });
export type AdEvidence = z.output<typeof AdEvidence>;

export const ComplaintEvidence = z
  .object({
    complaint_id: z.string(),
    received_at: z.string(),
    channel: z.string(),
    target_name: z.string(),
    text: z.string(),
    amount_cny: z.number().nullable(),
    complainant_ref: z.string().nullable(),
    district: z.string().nullable(),
    link_method: z.string().nullable(),
    spans: z.array(Span),
  })
  .meta({ id: 'ComplaintEvidence' });
export type ComplaintEvidence = z.output<typeof ComplaintEvidence>;

const TS = (col: string) =>
  `strftime(${col} AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%dT%H:%M:%S+08:00')`;

/** Ads of an enterprise seen in (day − days, day], newest first (linked by resolution or by the ad's USCC). */
export async function adsOf(
  db: Db,
  uscc: string,
  day: string,
  o: { days: number; limit: number },
): Promise<{ total: number; items: AdEvidence[] }> {
  const rows = await db.all<Omit<AdEvidence, 'spans'> & { total: number }>(
    `WITH l AS (SELECT record_id, method FROM entity_links WHERE kind = 'ad' AND status = 'linked' AND uscc = $u),
     ids AS (SELECT ad_id FROM ads_history WHERE advertiser_uscc = $u UNION ALL SELECT record_id FROM l),
     a AS (
       SELECT a.*, l.method AS link_method FROM ads a LEFT JOIN l ON l.record_id = a.ad_id
       WHERE a.ad_id IN (SELECT ad_id FROM ids)
         AND a.seen_day <= $d::DATE AND a.seen_day > $d::DATE - $days::INTEGER
     )
     SELECT ad_id, ${TS('seen_at')} AS seen_at, channel, advertiser_name, phone, url, title, text,
            coalesce(link_method, 'uscc') AS link_method, (count(*) OVER ())::INTEGER AS total
     FROM a ORDER BY seen_at DESC, ad_id LIMIT $take`,
    { u: uscc, d: day, days: o.days, take: o.limit },
  );
  return {
    total: rows[0]?.total ?? 0,
    items: rows.map(({ total: _t, ...r }) => ({ ...r, spans: markSpans(r.text) })),
  };
}

export async function complaintsOf(
  db: Db,
  uscc: string,
  day: string,
  o: { days: number; limit: number },
): Promise<{ total: number; items: ComplaintEvidence[] }> {
  const rows = await db.all<Omit<ComplaintEvidence, 'spans'> & { total: number }>(
    `WITH l AS (SELECT record_id, method FROM entity_links WHERE kind = 'complaint' AND status = 'linked' AND uscc = $u),
     ids AS (SELECT complaint_id FROM complaints_history WHERE target_uscc = $u UNION ALL SELECT record_id FROM l),
     c AS (
       SELECT c.*, l.method AS link_method FROM complaints c LEFT JOIN l ON l.record_id = c.complaint_id
       WHERE c.complaint_id IN (SELECT complaint_id FROM ids)
         AND c.received_day <= $d::DATE AND c.received_day > $d::DATE - $days::INTEGER
     )
     SELECT complaint_id, ${TS('received_at')} AS received_at, channel, target_name, text, amount_cny,
            complainant_ref, district, coalesce(link_method, 'uscc') AS link_method, (count(*) OVER ())::INTEGER AS total
     FROM c ORDER BY received_at DESC, complaint_id LIMIT $take`,
    { u: uscc, d: day, days: o.days, take: o.limit },
  );
  return {
    total: rows[0]?.total ?? 0,
    items: rows.map(({ total: _t, ...r }) => ({ ...r, spans: markSpans(r.text) })),
  };
}

export const RegisterChange = z
  .object({
    changed_on: z.string(),
    field: z.string(),
    before: z.string().nullable(),
    after: z.string().nullable(),
  })
  .meta({ id: 'RegisterChange' });
export type RegisterChange = z.output<typeof RegisterChange>;

export async function changesOf(
  db: Db,
  uscc: string,
  day: string,
  days: number,
): Promise<RegisterChange[]> {
  return db.all<RegisterChange & Record<string, unknown>>(
    `SELECT changed_on::VARCHAR AS changed_on, field, "before", "after" FROM registration_changes
     WHERE uscc = $u AND changed_on <= $d::DATE AND changed_on > $d::DATE - $days::INTEGER
     ORDER BY changed_on DESC, field`,
    { u: uscc, d: day, days },
  );
}

export const Anomaly = z
  .object({
    feature: z.string(),
    label: z.string(),
    value: z.number(),
    text: z.string(),
    contribution: z.number().nullable(),
  })
  .meta({ id: 'Anomaly' });
export type Anomaly = z.output<typeof Anomaly>;

/** Register-family indicators that pushed the score up, in words (from the alert as issued). */
export function registerAnomalies(
  features: Record<string, number | null>,
  contributions: Record<string, number>,
): Anomaly[] {
  const out: Anomaly[] = [];
  for (const [name, value] of Object.entries(features)) {
    const def = featureByName(name);
    if (!def || def.family !== 'register' || value === null) continue;
    const contribution = contributions[name] ?? null;
    const risky = contribution !== null ? contribution > 0 : def.direction === 1 && value > 0;
    if (!risky) continue;
    out.push({
      feature: name,
      label: def.label_zh,
      value,
      text: def.describe(value),
      contribution,
    });
  }
  return out.sort((a, b) => (b.contribution ?? 0) - (a.contribution ?? 0));
}
