/**
 * Text analysis of ads and complaints, once per record version: red-flag hits per family and the
 * promised yield (annualised, and against the benchmark rate of the ad's own day). Only versions
 * not analysed before are read, so a daily run analyses only the day's new records.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { literal, type Db } from '../db/index.ts';
import { StageFile } from '../stage-file.ts';
import { financeCuesOfNormalized, type FinanceCues } from './finance-language.ts';
import { countByFamily, findRedFlags } from './lexicon.ts';
import { normalizeText } from './normalize-text.ts';
import { benchmarkRateOn } from './rates.ts';
import { AD_FLAG_FAMILIES } from './registry.ts';
import { maxAnnualYield } from './yield.ts';

export interface AdTextRow {
  n_flags: number;
  families: Record<string, number>;
  max_yield_pct: number | null;
  yield_ratio: number | null;
  /** Financial-product language (finance-language.ts). */
  cues: FinanceCues;
}

/** ad_text's cue columns (migration 0016), in order. */
const CUE_COLUMNS: readonly (keyof FinanceCues)[] = [
  'depositLike',
  'lending',
  'bankWording',
  'softPromise',
  'giftOrSeminar',
  'softReferral',
];

/** The analysis of one ad's title and text on its day. */
export function analyseAd(title: string | null, text: string, day: string): AdTextRow {
  const norm = normalizeText(title ? `${title}\n${text}` : text);
  const hits = findRedFlags(norm);
  const byFamily = countByFamily(hits);
  let n = 0;
  const families: Record<string, number> = {};
  for (const f of AD_FLAG_FAMILIES) {
    families[f] = byFamily[f];
    n += byFamily[f];
  }
  const y = maxAnnualYield(norm);
  const maxYield = y === undefined ? null : y;
  return {
    n_flags: n,
    families,
    max_yield_pct: maxYield,
    yield_ratio: maxYield === null ? null : maxYield / benchmarkRateOn(day),
    cues: financeCuesOfNormalized(norm.text),
  };
}

export function analyseComplaint(text: string): { n_trouble: number; n_flags: number } {
  const counts = countByFamily(findRedFlags(text));
  let other = 0;
  for (const [family, n] of Object.entries(counts)) if (family !== 'trouble') other += n;
  return { n_trouble: counts.trouble, n_flags: other };
}

export interface AnalyseResult {
  ads: number;
  complaints: number;
  seconds: number;
}

/** Analyses every ad and complaint version that has not been analysed yet. */
export async function analyseNewText(
  db: Db,
  onProgress?: (done: number) => void,
): Promise<AnalyseResult> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'dafei-text-'));
  try {
    const adsFile = new StageFile(join(dir, 'ads.ndjson'));
    let done = 0;
    for await (const rows of db.stream<{
      ad_id: string;
      _hash: string;
      day: string;
      channel: string;
      title: string | null;
      text: string;
    }>(
      `SELECT a.ad_id, a._hash, a.seen_day::VARCHAR AS day, a.channel, a.title, a.text
       FROM ads a ANTI JOIN ad_text t ON t.ad_id = a.ad_id AND t._hash = a._hash`,
    )) {
      for (const r of rows) {
        const a = analyseAd(r.title, r.text, r.day);
        adsFile.add(
          JSON.stringify([
            r.ad_id,
            r._hash,
            r.day,
            r.channel,
            r.text,
            a.n_flags,
            ...AD_FLAG_FAMILIES.map((f) => a.families[f]),
            a.max_yield_pct,
            a.yield_ratio,
            ...CUE_COLUMNS.map((c) => (a.cues[c] ? 1 : 0)),
          ]),
        );
      }
      done += rows.length;
      onProgress?.(done);
    }
    adsFile.close();
    const complaintsFile = new StageFile(join(dir, 'complaints.ndjson'));
    for await (const rows of db.stream<{ complaint_id: string; _hash: string; text: string }>(
      `SELECT c.complaint_id, c._hash, c.text
       FROM complaints c ANTI JOIN complaint_text t ON t.complaint_id = c.complaint_id AND t._hash = c._hash`,
    )) {
      for (const r of rows) {
        const c = analyseComplaint(r.text);
        complaintsFile.add(JSON.stringify([r.complaint_id, r._hash, c.n_trouble, c.n_flags]));
      }
    }
    complaintsFile.close();
    await db.transaction(async (tx) => {
      if (adsFile.rows > 0) {
        const fam = AD_FLAG_FAMILIES.map((_, i) => `v[${7 + i}]::INTEGER`).join(', ');
        const k = 7 + AD_FLAG_FAMILIES.length;
        const cues = CUE_COLUMNS.map((_, i) => `v[${k + 2 + i}]::INTEGER`).join(', ');
        await tx.run(
          `INSERT INTO ad_text
           SELECT v[1], v[2], v[3]::DATE, v[4], md5(regexp_replace(v[5], '\\s+', '', 'g')), v[6]::INTEGER, ${fam},
                  v[${k}]::DOUBLE, v[${k + 1}]::DOUBLE, ${cues}
           FROM read_json(${literal(adsFile.path)}, format = 'newline_delimited', records = false,
                          maximum_object_size = 268435456, columns = {v: 'VARCHAR[]'})`,
        );
      }
      if (complaintsFile.rows > 0) {
        await tx.run(
          `INSERT INTO complaint_text
           SELECT v[1], v[2], v[3]::INTEGER, v[4]::INTEGER
           FROM read_json(${literal(complaintsFile.path)}, format = 'newline_delimited', records = false,
                          columns = {v: 'VARCHAR[]'})`,
        );
      }
    });
    return {
      ads: adsFile.rows,
      complaints: complaintsFile.rows,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
