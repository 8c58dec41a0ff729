/**
 * Evaluation over time: train with outcomes decided up to T, then score every day after T and
 * check each day's ranking against the outcomes decided later — always beside the two baselines,
 * "most complaints in 30 days" and the rule index alone.
 */
import type { Db } from '../db/index.ts';
import {
  averagePrecision,
  leadTimeSummary,
  pairedBootstrap,
  precisionAtK,
  ruleIndex,
  type LeadTimeSummary,
  type PairedBootstrapResult,
} from '../../models/index.ts';
import { predictParallel } from './bundle.ts';
import { addDays, dayRange, daysBetween } from './days.ts';
import { ensureFeatures } from './ensure-features.ts';
import { loadFeatureRows } from './feature-matrix.ts';
import { confirmedOn } from './outcomes.ts';
import { withTextScore } from './text-score.ts';
import { AppError } from '../errors.ts';
import { trainModelAt, type TrainingOptions } from './train.ts';

/**
 * `model` is what production scores with: the forest fused with the rule index when the trained
 * bundle has a fusion (models/ensemble.ts), reading the learned ad-text score when training kept
 * it (text-score.ts); `noText` is the same recipe with the text score never allowed (the "without"
 * of the with / without comparison; equal to `model` when no model kept it); `forest` is the
 * forest alone, shown for transparency.
 */
export type ScorerName = 'model' | 'noText' | 'forest' | 'rules' | 'complaints';
export const SCORER_LABELS: Record<ScorerName, string> = {
  model: 'model',
  noText: 'w/o text score',
  forest: 'forest alone',
  rules: 'rule index',
  complaints: 'complaints 30d',
};

export interface ScorerEvaluation {
  precisionAt20: number;
  precisionAt50: number;
  precisionAt100: number;
  prAuc: number;
  /** Schemes decided after T that were in the top 50 on some day before their decision. */
  flagged: number;
  schemes: number;
  recall: number;
  /**
   * Lead time vs decision over every scheme decided in the test period, a scheme never in the top
   * 50 before its decision counting 0 days (it was not warned). This is the headline lead time: a
   * median over the flagged schemes alone would reward a scorer for missing the hard ones.
   */
  leadAllSchemes: LeadTimeSummary;
  /** Lead time vs decision of the flagged schemes only (their histogram; misses are `schemes − flagged`). */
  leadVsDecision: LeadTimeSummary;
  leadVsSurge: LeadTimeSummary;
}

/**
 * The best any scorer can reach on the same days: precision@50 of a perfect list (every enterprise
 * confirmed within the horizon ranked first), and the lead times of a list that has every scheme
 * in its top 50 from the first test day (lead times are censored there). A scorer at the ceiling
 * can only be tied.
 */
export interface EvaluationCeiling {
  precisionAt20: number;
  precisionAt50: number;
  precisionAt100: number;
  /** Schemes decided after the first test day: the most any list can warn of in time. */
  flagged: number;
  leadVsDecision: LeadTimeSummary;
  /** Over every scheme decided in the test period (one decided on the first test day counts 0). */
  leadAllSchemes: LeadTimeSummary;
}

/** One scheme decided in the test period: its decision day and each scorer's lead (0 = missed). */
export interface SchemeLead {
  uscc: string;
  decided: string;
  lead: Record<ScorerName | 'perfect', number>;
}

export interface EvaluationReport {
  trainedUntil: string;
  testFrom: string;
  testTo: string;
  testDays: number;
  horizonDays: number;
  trainingExamples: number;
  trainingPositives: number;
  retrainEveryDays: number;
  /** Walk-forward models, and how many of them kept the fusion with the rule index (train.ts). */
  models: number;
  fusedModels: number;
  /** Walk-forward models that trained the ad-text score, and that kept it. */
  textModels: number;
  textKept: number;
  scorers: Record<ScorerName, ScorerEvaluation>;
  ceiling: EvaluationCeiling;
  /**
   * The model minus each baseline, with a 95 % paired bootstrap interval over the schemes decided
   * in the test period: `sum` = precision@50 (schemes' days in the top 50 while labelled positive,
   * per 50 places and day), `median` = median lead time vs decision over all schemes, misses
   * counting 0 (days).
   */
  versus: Record<'rules' | 'complaints' | 'noText', PairedBootstrapResult>;
  /** Every scheme decided in the test period, in uscc order (for recall per kind of scheme). */
  perScheme: SchemeLead[];
  /** Test days are every this many days (1 = every day). */
  testEveryDays: number;
}

export interface EvaluateOptions extends TrainingOptions {
  /** Last test day (default: the last day with data). */
  to?: string;
  topK?: number;
  /** A complaint surge: this many linked complaints within 7 days. */
  surgeComplaints?: number;
  /** Walk forward: retrain with the outcomes known every this many days (0: one model at T). */
  retrainEveryDays?: number;
  /** Horizon of the evaluation's labels when it differs from the training horizon. */
  evalHorizonDays?: number;
  /** Score every this many days of the test period (default 1: every day; 7: weekly). */
  testEveryDays?: number;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : Number.NaN);

export async function lastDataDay(db: Db): Promise<string | null> {
  const r = await db.one<{ d: string | null }>(
    `SELECT greatest((SELECT max(seen_day) FROM ads), (SELECT max(received_day) FROM complaints))::VARCHAR AS d`,
  );
  return r?.d ?? null;
}

/** First day each enterprise had `n` linked complaints within 7 days. */
async function surgeDays(db: Db, n: number): Promise<Map<string, string>> {
  const rows = await db.all<{ uscc: string; d: string }>(
    `WITH c AS (
       SELECT l.uscc, c.received_day AS day
       FROM complaints c JOIN entity_links l ON l.kind = 'complaint' AND l.record_id = c.complaint_id AND l.status = 'linked'
     ), w AS (
       SELECT uscc, day, count(*) OVER (PARTITION BY uscc ORDER BY day RANGE BETWEEN INTERVAL 6 DAY PRECEDING AND CURRENT ROW) AS n7
       FROM c
     )
     SELECT uscc, min(day)::VARCHAR AS d FROM w WHERE n7 >= $n GROUP BY uscc`,
    { n },
  );
  return new Map(rows.map((r) => [r.uscc, r.d]));
}

/** What one scorer's daily lists add up to over the test days. */
interface ScorerTally {
  p20: number[];
  p50: number[];
  p100: number[];
  ap: number[];
  /** First test day each enterprise was in the top K. */
  firstTop: Map<string, string>;
  /** Days each scheme was in the top 50 while labelled positive. */
  hits: Map<string, number>;
}

/**
 * Walks forward over the test days: each day is read, scored by the model trained last (and by
 * the baselines) and tallied on its own, so memory holds one day at a time (a city of 500,000
 * enterprises has 500,000 rows a day).
 */
export async function evaluateOverTime(db: Db, o: EvaluateOptions): Promise<EvaluationReport> {
  const horizon = o.evalHorizonDays ?? o.horizonDays ?? 90;
  const topK = o.topK ?? 50;
  const to = o.to ?? (await lastDataDay(db))!;
  const every = Math.max(1, o.testEveryDays ?? 1);
  const testDays = dayRange(addDays(o.until, 1), to).filter((_, i) => i % every === 0);
  if (testDays.length === 0)
    throw new AppError('model_failed', `[evaluate] no test day after ${o.until} (data ends ${to})`);
  await ensureFeatures(db, testDays, (d, i, n) => o.onProgress?.(`features ${d} (${i + 1}/${n})`));
  const confirmed = await confirmedOn(db, to);
  const surge = await surgeDays(db, o.surgeComplaints ?? 3);
  const names = Object.keys(SCORER_LABELS) as ScorerName[];
  const tally = Object.fromEntries(
    names.map((n) => [
      n,
      { p20: [], p50: [], p100: [], ap: [], firstTop: new Map(), hits: new Map() },
    ]),
  ) as unknown as Record<ScorerName, ScorerTally>;
  const schemes = [...confirmed].filter(([, d]) => d > o.until && d <= to);
  const labelOn = (uscc: string, day: string) => {
    const d = confirmed.get(uscc);
    return d !== undefined && d > day && d <= addDays(day, horizon) ? 1 : 0;
  };
  // the ceilings: precision@k of a perfect list (positives first)
  const ceilP = { 20: [] as number[], 50: [] as number[], 100: [] as number[] };
  // Walk forward: each model scores only the days after its own cut-off, until the next retrain.
  const step = o.retrainEveryDays ?? 30;
  let first: Awaited<ReturnType<typeof trainModelAt>> | undefined;
  let models = 0;
  let fusedModels = 0;
  let textModels = 0;
  let textKept = 0;
  for (let t = o.until; t < to; t = step > 0 ? addDays(t, step) : to) {
    const trained = await trainModelAt(db, { ...o, until: t });
    first ??= trained;
    models++;
    if (trained.bundle.fusion) fusedModels++;
    if (trained.textChoice) textModels++;
    if (trained.textChoice?.kept) textKept++;
    const end = step > 0 ? addDays(t, step) : to;
    for (const day of testDays.filter((d) => d > t && d <= end)) {
      // enterprises already confirmed on the day are known cases, not candidates
      const rows = await loadFeatureRows(db, [day], {
        keep: (uscc) => {
          const d = confirmed.get(uscc);
          return d === undefined || d > day;
        },
      });
      const x = rows.matrix;
      if (x.rows === 0) continue;
      const input = await withTextScore(
        db,
        trained.bundle.text,
        x,
        rows.uscc,
        rows.uscc.map(() => day),
      );
      // the score before calibration ranks (calibration is monotone: same order, without its ties)
      const p = await predictParallel(trained.bundle, input);
      const alt = trained.withoutText ? await predictParallel(trained.withoutText, x) : p;
      const ci30 = x.columns.indexOf('complaints_30d');
      const ci90 = x.columns.indexOf('complaints_90d');
      const scores: Record<ScorerName, ArrayLike<number>> = {
        model: p.raw,
        noText: alt.raw,
        forest: p.forest,
        rules: p.rules ?? ruleIndex(x),
        complaints: Float64Array.from(
          { length: x.rows },
          (_, i) => x.data[i * x.cols + ci30]! + x.data[i * x.cols + ci90]! / 1000,
        ),
      };
      const labels = rows.uscc.map((u) => labelOn(u, day));
      const positives = labels.filter((l) => l === 1).length;
      for (const k of [20, 50, 100] as const) ceilP[k].push(Math.min(positives, k) / k);
      for (const name of names) tallyDay(tally[name], scores[name], labels, rows.uscc, day, topK);
    }
  }
  // the longest possible lead: a scheme in the top 50 from the first test day (lead times are
  // censored there)
  const perfectLead = (d: string) =>
    testDays[0] !== undefined && testDays[0] < d ? daysBetween(testDays[0], d) : 0;
  const ceilLead = schemes.map(([, d]) => perfectLead(d)).filter((x) => x > 0);
  const hitsOf = {} as Record<ScorerName, Map<string, number>>;
  const leadOf = {} as Record<ScorerName, Map<string, number>>;
  const result = {} as Record<ScorerName, ScorerEvaluation>;
  for (const name of names) {
    const { p20, p50, p100, ap, firstTop, hits } = tally[name];
    hitsOf[name] = hits;
    const leads = (leadOf[name] = new Map<string, number>());
    const leadDecision: number[] = [];
    const leadSurge: number[] = [];
    let flagged = 0;
    for (const [uscc, decided] of schemes) {
      const first = firstTop.get(uscc);
      // a scheme not in the top 50 before its decision was not warned: 0 days
      const lead = first !== undefined && first < decided ? daysBetween(first, decided) : 0;
      leads.set(uscc, lead);
      if (first === undefined || lead === 0) continue;
      flagged++;
      leadDecision.push(lead);
      const sd = surge.get(uscc);
      if (sd !== undefined) leadSurge.push(daysBetween(first, sd));
    }
    result[name] = {
      precisionAt20: mean(p20),
      precisionAt50: mean(p50),
      precisionAt100: mean(p100),
      prAuc: mean(ap),
      flagged,
      schemes: schemes.length,
      recall: schemes.length ? flagged / schemes.length : Number.NaN,
      leadAllSchemes: leadTimeSummary([...leads.values()]),
      leadVsDecision: leadTimeSummary(leadDecision),
      leadVsSurge: leadTimeSummary(leadSurge),
    };
  }
  const p50Days = ceilP[50].length;
  const versus = (b: 'rules' | 'complaints' | 'noText') =>
    pairedBootstrap(
      schemes.map(([u]) => ({
        a: hitsOf.model.get(u) ?? 0,
        b: hitsOf[b].get(u) ?? 0,
        medianA: leadOf.model.get(u)!,
        medianB: leadOf[b].get(u)!,
      })),
      { scale: 50 * Math.max(1, p50Days) },
    );
  return {
    trainedUntil: o.until,
    testFrom: testDays[0] ?? o.until,
    testTo: to,
    testDays: testDays.length,
    horizonDays: horizon,
    trainingExamples: first!.set.labels.length,
    trainingPositives: first!.positives,
    retrainEveryDays: step,
    models,
    fusedModels,
    textModels,
    textKept,
    scorers: result,
    ceiling: {
      precisionAt20: mean(ceilP[20]),
      precisionAt50: mean(ceilP[50]),
      precisionAt100: mean(ceilP[100]),
      flagged: ceilLead.length,
      leadVsDecision: leadTimeSummary(ceilLead),
      leadAllSchemes: leadTimeSummary(schemes.map(([, d]) => perfectLead(d))),
    },
    versus: { rules: versus('rules'), complaints: versus('complaints'), noText: versus('noText') },
    perScheme: schemes.map(([uscc, decided]) => ({
      uscc,
      decided,
      lead: {
        model: leadOf.model.get(uscc)!,
        noText: leadOf.noText.get(uscc)!,
        forest: leadOf.forest.get(uscc)!,
        rules: leadOf.rules.get(uscc)!,
        complaints: leadOf.complaints.get(uscc)!,
        perfect: perfectLead(decided),
      },
    })),
    testEveryDays: every,
  };
}

/** One day's list for one scorer: precision at 20/50/100, average precision, the top K. */
function tallyDay(
  t: ScorerTally,
  s: ArrayLike<number>,
  labels: number[],
  uscc: string[],
  day: string,
  topK: number,
): void {
  // deterministic ranking: score, then uscc
  const order = labels
    .map((_, k) => ({ k, score: s[k]!, uscc: uscc[k]! }))
    .sort((a, b) => b.score - a.score || (a.uscc < b.uscc ? -1 : 1));
  const ranked = order.map((o2) => labels[o2.k]!);
  const rankScores = order.map((_, r) => order.length - r);
  t.p20.push(precisionAtK(ranked, rankScores, 20));
  t.p50.push(precisionAtK(ranked, rankScores, 50));
  t.p100.push(precisionAtK(ranked, rankScores, 100));
  if (labels.some((l) => l === 1)) t.ap.push(averagePrecision(ranked, rankScores));
  for (const o2 of order.slice(0, topK)) {
    if (!t.firstTop.has(o2.uscc)) t.firstTop.set(o2.uscc, day);
    if (topK === 50 && labels[o2.k] === 1) t.hits.set(o2.uscc, (t.hits.get(o2.uscc) ?? 0) + 1);
  }
}

const f2 = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(2));
const lead = (s: LeadTimeSummary) =>
  s.count === 0 ? '–' : `${s.median.toFixed(0)} d [${s.q1.toFixed(0)}–${s.q3.toFixed(0)}]`;
const SCORER_ORDER: ScorerName[] = ['model', 'noText', 'forest', 'rules', 'complaints'];
const COL = 16;
const LABEL = 36;
/** A table cell right-aligned in COL, always a space from the one before (a wide cell widens). */
const cell = (text: string) => ` ${text.padStart(COL - 1)}`;

/**
 * The evaluation table as text, with the perfect list beside the scorers (its precision@k and its
 * lead time are the ceilings); `short` gives the few lines `dafei train` prints.
 */
export function formatEvaluation(r: EvaluationReport, short = false): string {
  const c = r.ceiling;
  const row = (label: string, f: (e: ScorerEvaluation) => string, perfect: string) =>
    `${label.padEnd(LABEL)}${SCORER_ORDER.map((n) => cell(f(r.scorers[n]))).join('')}${cell(perfect)}`;
  const lines = [
    `evaluation over time: first model trained on outcomes decided ≤ ${r.trainedUntil} (${r.trainingExamples} examples, ${r.trainingPositives} positive)${r.retrainEveryDays > 0 ? `, retrained every ${r.retrainEveryDays} days` : ''}; ${r.fusedModels} of ${r.models} models fuse the rule index, ${r.textKept} of ${r.textModels} keep the ad-text score; test days ${r.testFrom} … ${r.testTo} (${r.testDays}${r.testEveryDays > 1 ? `, every ${r.testEveryDays} days` : ''}); horizon ${r.horizonDays} d`,
    ''.padEnd(LABEL) +
      SCORER_ORDER.map((n) => SCORER_LABELS[n].padStart(COL)).join('') +
      'perfect list'.padStart(COL),
    row('precision@50', (e) => f2(e.precisionAt50), f2(c.precisionAt50)),
    row(
      'recall (in top 50 before decision)',
      (e) => `${e.flagged}/${e.schemes}`,
      `${c.flagged}/${r.scorers.model.schemes}`,
    ),
    row(
      'median lead vs decision (missed = 0)',
      (e) => lead(e.leadAllSchemes),
      lead(c.leadAllSchemes),
    ),
  ];
  if (!short) {
    lines.splice(
      2,
      0,
      row('precision@20', (e) => f2(e.precisionAt20), f2(c.precisionAt20)),
    );
    lines.push(
      row('precision@100', (e) => f2(e.precisionAt100), f2(c.precisionAt100)),
      row('PR-AUC (mean over days)', (e) => f2(e.prAuc), '1.00'),
      row(
        'median lead, flagged schemes only',
        (e) => lead(e.leadVsDecision),
        lead(c.leadVsDecision),
      ),
      row('median lead vs complaint surge', (e) => lead(e.leadVsSurge), '–'),
      row(
        'lead histogram, flagged only',
        (e) => e.leadVsDecision.histogram.map((b) => b.count).join('/'),
        c.leadVsDecision.histogram.map((b) => b.count).join('/'),
      ),
      `ratio to the perfect list (model): precision@20 ${ratio(r.scorers.model.precisionAt20, c.precisionAt20)}, precision@50 ${ratio(r.scorers.model.precisionAt50, c.precisionAt50)}, median lead ${ratio(r.scorers.model.leadAllSchemes.median, c.leadAllSchemes.median)}, recall ${ratio(r.scorers.model.recall, c.flagged / Math.max(1, r.scorers.model.schemes))}`,
      ...(['rules', 'complaints', 'noText'] as const).map((b) => {
        const v = r.versus[b];
        const sg = (x: number, d: number) =>
          Number.isNaN(x) ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(d)}`;
        return `model − ${SCORER_LABELS[b]} (95 % bootstrap over ${r.scorers.model.schemes} schemes): precision@50 ${sg(v.sum.estimate, 3)} [${sg(v.sum.lo, 3)}, ${sg(v.sum.hi, 3)}], median lead ${sg(v.median.estimate, 0)} d [${sg(v.median.lo, 0)}, ${sg(v.median.hi, 0)}]`;
      }),
      `  (perfect list: every enterprise confirmed within the horizon ranked first, and every scheme listed from the first test day; histogram buckets: ${r.scorers.model.leadVsDecision.histogram.map((b) => b.label).join(', ')} days; lead = decision − first day in the top 50, 0 for a scheme not listed before its decision; surge = first 7 days with ≥ 3 linked complaints)`,
    );
  }
  return lines.join('\n');
}

const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '–';

/**
 * Recall and median lead per kind of scheme (loud, vague, bank-like, named by product, late
 * complaints …), beside the perfect list. The kinds come from outside the pipeline (the
 * simulator's truth, read by the bench); a scheme may be of several kinds.
 */
export function formatRecallByKind(
  r: EvaluationReport,
  kinds: ReadonlyMap<string, readonly string[]>,
  order: readonly string[],
): string {
  const lines = [
    `recall per kind of scheme (warned / decided in the test period; median lead, missed = 0)`,
    ''.padEnd(LABEL) +
      SCORER_ORDER.map((n) => SCORER_LABELS[n].padStart(COL)).join('') +
      'perfect list'.padStart(COL),
  ];
  const names = [...SCORER_ORDER, 'perfect'] as const;
  for (const kind of order) {
    const of = r.perScheme.filter((s) => kinds.get(s.uscc)?.includes(kind));
    if (of.length === 0) continue;
    const cells = names.map((n) => {
      const leads = of.map((s) => s.lead[n]);
      const warned = leads.filter((x) => x > 0).length;
      return `${warned}/${of.length} ${leadTimeSummary(leads).median.toFixed(0)} d`.padStart(COL);
    });
    lines.push(`${`${kind} (${of.length})`.padEnd(LABEL)}${cells.join('')}`);
  }
  return lines.join('\n');
}
