/**
 * What Dafei's text analysis finds in real text: the CCF BDCI 2019 「互联网金融新实体发现」 training
 * posts (../shared/datasets/ccf2019-fintech-entities/train.csv, never copied into the project),
 * ingested as ads through a mapping file (bench/ccf2019-ads.mapping.json) into a fresh DuckDB, then
 * analysed by the pipeline's per-record text analysis (pipeline/features/analyse-text.ts):
 *
 *   - red-flag lexicon families: posts with at least one hit, per family;
 *   - promised yields extracted and annualised; a seeded random sample of 100 posts with a yield,
 *     checked by hand (bench/real-text-yield-verdicts.tsv: id, the extracted rate, the verdict and
 *     why — no text of the dataset), gives the extraction's precision;
 *   - platform names: how many of the names labelled in `unknownEntities` the name extraction
 *     (pipeline/features/platform-names.ts) recovers from the same text.
 *
 *   node --import tsx bench/real-text.ts [--sample FILE]   (FILE: the sample with its context, to check)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openMigratedDb } from '../pipeline/db/index.ts';
import { formatCounts, ingest } from '../pipeline/feeds/index.ts';
import { loadMapping } from '../pipeline/feeds/mapping/index.ts';
import { analyseNewText } from '../pipeline/features/analyse-text.ts';
import { countByFamily, findRedFlags, RED_FLAG_FAMILIES } from '../pipeline/features/lexicon.ts';
import { normalizeText } from '../pipeline/features/normalize-text.ts';
import { extractYields } from '../pipeline/features/yield.ts';
import { extractPlatformNames } from '../pipeline/features/platform-names.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** $DAFEI_DATASETS, else ../shared/datasets beside the repository, else /work/shared/datasets. */
export const DATASET =
  [process.env['DAFEI_DATASETS'], join(ROOT, '..', 'shared', 'datasets'), '/work/shared/datasets']
    .filter((d): d is string => d !== undefined)
    .map((d) => join(d, 'ccf2019-fintech-entities', 'train.csv'))
    .find((p) => existsSync(p)) ??
  join(ROOT, '..', 'shared', 'datasets', 'ccf2019-fintech-entities', 'train.csv');
const MAPPING = join(ROOT, 'bench', 'ccf2019-ads.mapping.json');
const VERDICTS = join(ROOT, 'bench', 'real-text-yield-verdicts.tsv');
/** The seed of the sample of 100 posts with a yield (change it and the sample changes). */
export const SAMPLE_SEED = 20191130;
export const SAMPLE_SIZE = 100;

/** mulberry32: a small seeded generator, the same on every machine. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` ids drawn without replacement from `ids` (sorted first, so the draw does not depend on order). */
export function sampleIds(ids: readonly string[], n: number, seed: number): string[] {
  const pool = [...ids].sort();
  const r = rng(seed);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

function wilson(k: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.96;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = p + (z * z) / (2 * n);
  const h = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [(c - h) / d, (c + h) / d];
}

const KIND_ZH: Record<string, string> = {
  period: 'period misread (a monthly or daily rate taken as yearly, or the reverse)',
  commission: 'commissions or profit shares, not returns on principal',
  'not-yield': 'other numbers (markups, points, payout ratios, 1分钟)',
  loan: 'borrowing costs',
  reference: 'comparisons or statistics, not promises',
};

const norm = (s: string) => s.toLowerCase().replace(/\s+/g, '');
const pct = (x: number, n: number) => `${((100 * x) / Math.max(1, n)).toFixed(1)} %`;

async function main(): Promise<void> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  if (!existsSync(DATASET)) {
    out(`real-text: ${DATASET} is absent; nothing to measure`);
    return;
  }
  const args = process.argv.slice(2);
  const sampleFile = args[args.indexOf('--sample') + 1];
  out(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}; load average ${loadavg()[0]!.toFixed(2)}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'dafei-real-text-'));
  const db = await openMigratedDb(join(dir, 'real-text.duckdb'));
  try {
    const t0 = performance.now();
    const r = await ingest(db, { feed: 'ads', source: DATASET, mapping: loadMapping(MAPPING) });
    out(
      `ingest through ${MAPPING.slice(ROOT.length)}: ${formatCounts(r)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    const t1 = performance.now();
    const a = await analyseNewText(db);
    out(
      `text analysis (pipeline/features/analyse-text.ts): ${a.ads} posts in ${((performance.now() - t1) / 1000).toFixed(1)} s`,
    );

    const posts = await db.all<{ id: string; text: string; labels: string | null }>(
      `SELECT ad_id AS id, text, extra->>'unknownEntities' AS labels FROM ads ORDER BY ad_id`,
    );
    const n = posts.length;

    // ---- lexicon families ----------------------------------------------------------------------
    const byFamily = new Map<string, { posts: number; hits: number }>();
    let anyHit = 0;
    for (const p of posts) {
      const c = countByFamily(findRedFlags(normalizeText(p.text)));
      let hit = false;
      for (const [f, k] of Object.entries(c)) {
        const e = byFamily.get(f) ?? { posts: 0, hits: 0 };
        if (k > 0) {
          e.posts++;
          hit = true;
        }
        e.hits += k;
        byFamily.set(f, e);
      }
      if (hit) anyHit++;
    }
    const flagged = (await db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM ad_text WHERE n_flags > 0`,
    ))!.n;
    out(
      `\nred-flag lexicon (${RED_FLAG_FAMILIES.length} families): ${anyHit} of ${n} posts (${pct(anyHit, n)}) hit at least one family`,
    );
    out(
      `  (ad_text, the pipeline's stored analysis, which leaves out the complaint family 'trouble': ${flagged} posts with a hit)`,
    );
    for (const f of RED_FLAG_FAMILIES) {
      const e = byFamily.get(f.id) ?? { posts: 0, hits: 0 };
      out(
        `  ${f.id.padEnd(14)} ${String(e.posts).padStart(5)} posts (${pct(e.posts, n).padStart(7)})  ${String(e.hits).padStart(6)} hits  ${f.label_zh}`,
      );
    }

    // ---- promised yields -------------------------------------------------------------------------
    const ys = await db.all<{ id: string; y: number; ratio: number }>(
      `SELECT ad_id AS id, max_yield_pct AS y, yield_ratio AS ratio FROM ad_text WHERE max_yield_pct IS NOT NULL ORDER BY y`,
    );
    const q = (p: number) => ys[Math.min(ys.length - 1, Math.floor(p * ys.length))]?.y ?? NaN;
    out(
      `\npromised yields: ${ys.length} of ${n} posts (${pct(ys.length, n)}) state one; annualised median ${q(0.5).toFixed(1)} %, p10 ${q(0.1).toFixed(1)} %, p90 ${q(0.9).toFixed(1)} %`,
    );
    out(
      `  above 4 × the 1-year LPR of 2019-08-01 (the private-lending cap): ${ys.filter((y) => y.ratio > 4).length} posts`,
    );
    const sample = sampleIds(
      ys.map((y) => y.id),
      SAMPLE_SIZE,
      SAMPLE_SEED,
    );
    const byId = new Map(posts.map((p) => [p.id, p]));
    const yieldOf = new Map(ys.map((y) => [y.id, y.y]));
    if (sampleFile) {
      const lines: string[] = [];
      for (const id of sample) {
        const text = byId.get(id)!.text;
        const mentions = extractYields(text);
        lines.push(`## ${id}  max ${yieldOf.get(id)!.toFixed(2)} %`);
        for (const m of mentions) {
          const at = text.indexOf(m.phrase);
          const ctx =
            at < 0 ? m.phrase : text.slice(Math.max(0, at - 40), at + m.phrase.length + 25);
          lines.push(
            `   ${m.annualRatePct.toFixed(2)} %  [${m.phrase}]  …${ctx.replace(/\s+/g, ' ')}…`,
          );
        }
      }
      writeFileSync(sampleFile, `${lines.join('\n')}\n`);
      out(`  the sample (seed ${SAMPLE_SEED}) with its context: ${sampleFile}`);
    }
    if (existsSync(VERDICTS)) {
      const rows = readFileSync(VERDICTS, 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'))
        .slice(1)
        .map((l) => l.split('\t'));
      const verdict = new Map(
        rows.map((c) => [c[0]!, { pct: Number(c[1]), ok: c[2] === 'ok', kind: c[3] ?? '' }]),
      );
      const missing = sample.filter((id) => !verdict.has(id));
      const changed = sample.filter(
        (id) => verdict.has(id) && Math.abs(verdict.get(id)!.pct - yieldOf.get(id)!) > 0.01,
      );
      const ok = sample.filter((id) => verdict.get(id)?.ok).length;
      const checked = sample.length - missing.length;
      const [lo, hi] = wilson(ok, checked);
      out(
        `  checked by hand (bench/real-text-yield-verdicts.tsv, sample seed ${SAMPLE_SEED}): ${ok} of ${checked} correct → precision ${(ok / Math.max(1, checked)).toFixed(2)} (95 % Wilson ${lo.toFixed(2)}–${hi.toFixed(2)})` +
          (missing.length ? `; ${missing.length} sampled posts have no verdict` : '') +
          (changed.length
            ? `; ${changed.length} verdicts are for another extracted rate (the extraction changed: check them again)`
            : ''),
      );
      const kinds = new Map<string, number>();
      for (const id of sample) {
        const v = verdict.get(id);
        if (v && !v.ok) kinds.set(v.kind, (kinds.get(v.kind) ?? 0) + 1);
      }
      out(
        `  the wrong ones: ${[...kinds.entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([k, c]) => `${c} ${KIND_ZH[k] ?? k}`)
          .join(', ')}`,
      );
    }

    // ---- platform names ----------------------------------------------------------------------------
    let labels = 0;
    let inText = 0;
    let found = 0;
    let foundInText = 0;
    let candidates = 0;
    let candidatesLabelled = 0;
    let postsWithLabels = 0;
    let postsAnyFound = 0;
    for (const p of posts) {
      const ls = (p.labels ?? '')
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean);
      const cands = extractPlatformNames(p.text);
      candidates += cands.length;
      const candSet = new Set(cands.map(norm));
      const labelSet = new Set(ls.map(norm));
      candidatesLabelled += cands.filter((c) => labelSet.has(norm(c))).length;
      if (ls.length === 0) continue;
      postsWithLabels++;
      let any = false;
      for (const l of ls) {
        labels++;
        const present = norm(p.text).includes(norm(l));
        if (present) inText++;
        if (candSet.has(norm(l))) {
          found++;
          if (present) foundInText++;
          any = true;
        }
      }
      if (any) postsAnyFound++;
    }
    out(
      `\nplatform names (pipeline/features/platform-names.ts) against the labels of unknownEntities:`,
    );
    out(
      `  ${labels} labelled names in ${postsWithLabels} posts; ${inText} (${pct(inText, labels)}) appear verbatim in their post (the ceiling)`,
    );
    out(
      `  recovered exactly: ${found} of ${labels} (${pct(found, labels)}); of those in the text: ${foundInText} of ${inText} (${pct(foundInText, inText)})`,
    );
    out(
      `  posts with at least one labelled name recovered: ${postsAnyFound} of ${postsWithLabels} (${pct(postsAnyFound, postsWithLabels)})`,
    );
    out(
      `  candidates: ${(candidates / n).toFixed(1)} per post; ${pct(candidatesLabelled, candidates)} of them are a labelled name of their post (the labels list only names not in the competition's known list, so this understates precision)`,
    );
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// run when executed (the test imports the sample and the dataset's place from here)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
