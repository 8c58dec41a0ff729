/**
 * Kinds of scheme from a simulated city's ground truth (truth/enterprises.ndjson), for the
 * evaluation's recall per kind. Read by benchmarks only: the pipeline never sees the truth.
 *
 * A scheme may be of several kinds:
 *   loud             numbers in its ads (yield style `high`) and no quiet trait
 *   vague            no or few numbers (yield style `mild` / `none`, or the `vague` trait), not bank-like
 *   bank-like        worded like a licensed bank's wealth product (`bank_like` trait)
 *   named by product ads and complaints name a product, never the company (`product_named` trait)
 *   short promotion  30–90 days of ads before its trouble (`short_promo` trait)
 *   late complaints  no complaint before its trouble (complaint style `late`; with the trait, none
 *                    until days before the collapse)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const KIND_ORDER = [
  'all',
  'loud',
  'vague',
  'bank-like',
  'named by product',
  'short promotion',
  'late complaints',
] as const;

interface TruthScheme {
  uscc: string;
  role: string;
  yield_style?: string;
  complaint_style?: string;
  traits?: string[];
}

function readTruth(dir: string, name: string): string {
  const plain = join(dir, 'truth', name);
  if (existsSync(plain)) return readFileSync(plain, 'utf8');
  return gunzipSync(readFileSync(`${plain}.gz`)).toString('utf8');
}

export function kindsOf(s: TruthScheme): string[] {
  const t = s.traits ?? [];
  const quiet = t.includes('vague') || t.includes('bank_like') || t.includes('product_named');
  const kinds = ['all'];
  if (s.yield_style === 'high' && !quiet) kinds.push('loud');
  if ((s.yield_style !== 'high' || t.includes('vague')) && !t.includes('bank_like'))
    kinds.push('vague');
  if (t.includes('bank_like')) kinds.push('bank-like');
  if (t.includes('product_named')) kinds.push('named by product');
  if (t.includes('short_promo')) kinds.push('short promotion');
  if (s.complaint_style === 'late') kinds.push('late complaints');
  return kinds;
}

/** uscc → kinds, for every scheme of the city. */
export function schemeKinds(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readTruth(dir, 'enterprises.ndjson').split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as TruthScheme;
    if (e.role === 'scheme') out.set(e.uscc, kindsOf(e));
  }
  return out;
}

/** The city's options and counts of roles and traits (truth/manifest.json). */
export function cityManifest(dir: string): {
  options: Record<string, unknown>;
  counts: Record<string, number>;
} {
  return JSON.parse(readTruth(dir, 'manifest.json')) as {
    options: Record<string, unknown>;
    counts: Record<string, number>;
  };
}

/** One line: how many schemes of each kind the city has (the shares the evaluation reports). */
export function formatKindShares(kinds: ReadonlyMap<string, readonly string[]>): string {
  const n = kinds.size;
  const count = (k: string) => [...kinds.values()].filter((v) => v.includes(k)).length;
  return `schemes by kind: ${KIND_ORDER.filter((k) => k !== 'all')
    .map((k) => `${k} ${count(k)} (${((100 * count(k)) / Math.max(1, n)).toFixed(0)} %)`)
    .join(', ')} of ${n}`;
}
