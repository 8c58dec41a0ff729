/**
 * The naive baseline the issue asks to report: each day, rank enterprises by the number of
 * complaints received in the last 30 days (true links, i.e. perfect entity resolution, which is
 * generous to the baseline) and flag the top K.
 */
import { ymd } from './dates.ts';

export interface SchemeDates {
  idx: number;
  promo: number;
  trouble: number;
  collapse: number;
  decided: number;
}

export interface BaselineReport {
  window_days: number;
  k: number;
  /** Mean precision@K over the days from day `window_days` on (scheme = positive). */
  mean_precision_at_k: number;
  /** Schemes whose collapse falls inside the simulated period. */
  schemes_collapsing: number;
  /** Of those, flagged at least once on or before their collapse + 30 days. */
  flagged: number;
  /** Median of (collapse − first day in the top K), over flagged schemes; positive = before collapse. */
  median_lead_days_vs_collapse: number | null;
  /** Median of (decided − first day in the top K). */
  median_lead_days_vs_decision: number | null;
  flagged_before_trouble: number;
  flagged_30d_before_collapse: number;
  first_flag_dates: { idx: number; first_flag: string | null; trouble: string; collapse: string }[];
}

/** The k largest (count desc, index asc) without sorting the whole map. */
function topK(counts: ReadonlyMap<number, number>, k: number): [number, number][] {
  const top: [number, number][] = [];
  const worse = (a: [number, number], b: [number, number]): boolean =>
    a[1] < b[1] || (a[1] === b[1] && a[0] > b[0]);
  for (const e of counts) {
    if (top.length === k && !worse(top[k - 1]!, e)) continue;
    let i = top.length < k ? top.length : k - 1;
    if (top.length < k) top.push(e);
    else top[i] = e;
    while (i > 0 && worse(top[i - 1]!, top[i]!)) {
      const t = top[i - 1]!;
      top[i - 1] = top[i]!;
      top[i] = t;
      i--;
    }
  }
  return top;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `complaints[d]` lists the enterprise index of each complaint on day start + d (−1 = none). */
export function computeBaseline(
  complaints: readonly Int32Array[],
  schemes: readonly SchemeDates[],
  start: number,
  window = 30,
  k = 50,
): BaselineReport {
  const days = complaints.length;
  const end = start + days - 1;
  const isScheme = new Set(schemes.map((s) => s.idx));
  const counts = new Map<number, number>();
  const firstFlag = new Map<number, number>();
  let precisionSum = 0;
  let precisionDays = 0;
  for (let d = 0; d < days; d++) {
    for (const i of complaints[d]!) if (i >= 0) counts.set(i, (counts.get(i) ?? 0) + 1);
    if (d >= window) {
      for (const i of complaints[d - window]!) {
        if (i < 0) continue;
        const c = (counts.get(i) ?? 0) - 1;
        if (c <= 0) counts.delete(i);
        else counts.set(i, c);
      }
    }
    const top = topK(counts, k);
    let hits = 0;
    for (const [i] of top) {
      if (isScheme.has(i)) {
        hits++;
        if (!firstFlag.has(i)) firstFlag.set(i, start + d);
      }
    }
    if (d >= window - 1) {
      precisionSum += hits / k;
      precisionDays++;
    }
  }
  const collapsing = schemes.filter((s) => s.collapse >= start && s.collapse <= end);
  const leadC: number[] = [];
  const leadD: number[] = [];
  let beforeTrouble = 0;
  let before30 = 0;
  for (const s of collapsing) {
    const f = firstFlag.get(s.idx);
    if (f === undefined || f > s.collapse + 30) continue;
    leadC.push(s.collapse - f);
    leadD.push(s.decided - f);
    if (f < s.trouble) beforeTrouble++;
    if (s.collapse - f >= 30) before30++;
  }
  return {
    window_days: window,
    k,
    mean_precision_at_k: precisionDays
      ? Math.round((precisionSum / precisionDays) * 1000) / 1000
      : 0,
    schemes_collapsing: collapsing.length,
    flagged: leadC.length,
    median_lead_days_vs_collapse: median(leadC),
    median_lead_days_vs_decision: median(leadD),
    flagged_before_trouble: beforeTrouble,
    flagged_30d_before_collapse: before30,
    first_flag_dates: collapsing.map((s) => ({
      idx: s.idx,
      first_flag: firstFlag.has(s.idx) ? ymd(firstFlag.get(s.idx)!) : null,
      trouble: ymd(s.trouble),
      collapse: ymd(s.collapse),
    })),
  };
}

function lead(days: number | null, event: string): string {
  if (days === null) return `n/a vs ${event}`;
  return days >= 0 ? `${days} days before ${event}` : `${-days} days after ${event}`;
}

export function formatBaseline(b: BaselineReport): string {
  return (
    `baseline "most complaints in ${b.window_days} days": mean precision@${b.k} ${b.mean_precision_at_k.toFixed(3)}; ` +
    `${b.flagged}/${b.schemes_collapsing} schemes collapsing in the period ever flagged; median first flag ${lead(b.median_lead_days_vs_collapse, 'collapse')}, ` +
    `${lead(b.median_lead_days_vs_decision, 'decision')}; ${b.flagged_before_trouble} flagged before their trouble began, ${b.flagged_30d_before_collapse} ≥30 days before collapse`
  );
}
