/**
 * The learned ad-text score (issue 21; #20's "text model earns its place or goes"): the text model
 * (pipeline/features/text.ts — jieba tokens, word and character n-grams, logistic regression)
 * trained point in time with the classifier, on the training window's labelled ads only, so that
 * new phrasings are caught without a lexicon entry. Its column `ad_text_score_90d` is the highest
 * score among an enterprise's linked ads of the last 90 days; training keeps it only when the
 * held-out days say it helps (train.ts, as the fusion with the rule index is chosen).
 *
 * Labels: an ad seen before `until` is positive when its advertiser was confirmed on or before
 * `until` (after the ad), negative otherwise — the same knowledge the classifier's labels have.
 * Cross-fitted by enterprise: enterprises fall into FOLDS groups by a hash of their uscc; the
 * model of a group is trained on the other groups' ads, and an enterprise's ads are always scored
 * by its own group's model — in training (so the classifier never sees a score fitted on the
 * enterprise's own label) and after it (so scores mean the same thing on both sides).
 */
import type { Db } from '../db/index.ts';
import {
  createTextModel,
  textModelFromJSON,
  type TextModel,
  type TextModelJSON,
} from '../features/text.ts';
import { tokens } from '../features/segment.ts';
import { createMatrix, type Matrix } from '../../models/index.ts';
import { addDays } from './days.ts';

export const TEXT_SCORE_COLUMN = 'ad_text_score_90d';
export const TEXT_SCORE_LABEL = '广告文本模型分';
const WINDOW_DAYS = 90;
const FOLDS = 4;
/** Negatives kept per positive ad (a seeded sample: the rest add time, not information). */
const NEGATIVES_PER_POSITIVE = 8;
const MIN_POSITIVE_ADS = 20;
/** Smaller than the text model's defaults: scores for a feature, not a classifier of its own. */
const TEXT_OPTIONS = {
  maxFeatures: 50_000,
  epochs: 10,
  classWeight: 'balanced',
  seed: 21,
} as const;

export interface AdTextScorer {
  /** One model per group of enterprises (fold = hash of the uscc). */
  folds: TextModel[];
  /** Ads the models were trained on, and how many of them were positive. */
  trainedOn: { ads: number; positives: number };
}

export interface AdTextScorerJson {
  format: 'dafei-ad-text-scorer';
  version: 1;
  folds: TextModelJSON[];
  trained_on: { ads: number; positives: number };
}

export function adTextScorerToJson(s: AdTextScorer): AdTextScorerJson {
  return {
    format: 'dafei-ad-text-scorer',
    version: 1,
    folds: s.folds.map((m) => m.toJSON()),
    trained_on: s.trainedOn,
  };
}

export function adTextScorerFromJson(j: AdTextScorerJson): AdTextScorer {
  if (j.format !== 'dafei-ad-text-scorer' || j.version !== 1)
    throw new Error('[text-score] not a dafei-ad-text-scorer v1 document');
  return { folds: j.folds.map((f) => textModelFromJSON(f)), trainedOn: j.trained_on };
}

/** FNV-1a of the uscc, into FOLDS groups. */
export function foldOf(uscc: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < uscc.length; i++) {
    h ^= uscc.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % FOLDS;
}

interface AdRow {
  uscc: string;
  ad_id: string;
  hash: string;
  day: string;
  title: string | null;
  text: string;
}

/** Tokens of ad versions seen in this process (walk-forward evaluations tokenise each ad once). */
const tokenCache = new Map<string, string[]>();
function tokensOf(a: AdRow): string[] {
  const key = `${a.ad_id}|${a.hash}`;
  let t = tokenCache.get(key);
  if (t === undefined) {
    t = tokens(a.title ? `${a.title}\n${a.text}` : a.text);
    if (tokenCache.size >= 500_000) tokenCache.clear();
    tokenCache.set(key, t);
  }
  return t;
}

/**
 * Linked ads seen in [from, to]; `distinct`: one per enterprise and text (for training: a
 * recapture or a repeated text says nothing new).
 */
async function linkedAds(db: Db, from: string, to: string, distinct: boolean): Promise<AdRow[]> {
  return db.all<AdRow>(
    `SELECT l.uscc, a.ad_id, a._hash AS hash, a.seen_day::VARCHAR AS day, a.title, a.text
       FROM ads a
       JOIN entity_links l ON l.kind = 'ad' AND l.record_id = a.ad_id AND l.status = 'linked'
       JOIN ad_text t ON t.ad_id = a.ad_id AND t._hash = a._hash
      WHERE a.seen_day BETWEEN $from::DATE AND $to::DATE
      ${distinct ? 'QUALIFY row_number() OVER (PARTITION BY l.uscc, t.text_key ORDER BY a.seen_day, a.ad_id) = 1' : ''}
      ORDER BY a.seen_day, a.ad_id`,
    { from, to },
  );
}

/**
 * Trains the scorer on the ads seen from `from` to the day before `until`, labelled by the
 * outcomes decided on or before `until` (`confirmed`: uscc → decision day). Null when there are
 * too few positive ads to learn from.
 */
export async function trainAdTextScorer(
  db: Db,
  from: string,
  until: string,
  confirmed: ReadonlyMap<string, string>,
): Promise<AdTextScorer | null> {
  // ads of a confirmed enterprise seen after its decision teach nothing about early warning
  const ads = (await linkedAds(db, from, addDays(until, -1), true)).filter((a) => {
    const d = confirmed.get(a.uscc);
    return d === undefined || d > until || a.day <= d;
  });
  const label = (a: AdRow) => {
    const d = confirmed.get(a.uscc);
    return d !== undefined && d <= until ? 1 : 0;
  };
  const positives = ads.filter((a) => label(a) === 1);
  if (positives.length < MIN_POSITIVE_ADS) return null;
  // a seeded sample of the negatives, by a hash of the ad (stable whatever the order)
  const keep = Math.min(
    1,
    (NEGATIVES_PER_POSITIVE * positives.length) / (ads.length - positives.length),
  );
  const sample = ads.filter((a) => label(a) === 1 || hashUnit(a.ad_id) < keep);
  const folds: TextModel[] = [];
  for (let f = 0; f < FOLDS; f++) {
    const train = sample.filter((a) => foldOf(a.uscc) !== f);
    const model = createTextModel(TEXT_OPTIONS);
    model.train(
      train.map((a) => tokensOf(a)),
      train.map(label),
    );
    folds.push(model);
  }
  return {
    folds,
    trainedOn: { ads: sample.length, positives: positives.length },
  };
}

function hashUnit(s: string): number {
  let h = 0x9e3779b9;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
  }
  return (h >>> 0) / 4294967296;
}

/**
 * The text score of each (uscc, day) row: the highest score of the enterprise's linked ads seen
 * in the 90 days up to the day (NaN with no ad), each ad scored by its enterprise's fold model.
 */
export async function textScores(
  db: Db,
  scorer: AdTextScorer,
  uscc: readonly string[],
  day: readonly string[],
): Promise<Float32Array> {
  const out = new Float32Array(uscc.length).fill(Number.NaN);
  if (uscc.length === 0) return out;
  let lo = day[0]!;
  let hi = day[0]!;
  for (const d of day) {
    if (d < lo) lo = d;
    if (d > hi) hi = d;
  }
  const wanted = new Set(uscc);
  const byUscc = new Map<string, { day: string; p: number }[]>();
  // every ad, repeats included: a text seen again inside the window counts there (scores of
  // the same text are equal, so the cache below spares the work)
  const seen = new Map<string, number>();
  for (const a of await linkedAds(db, addDays(lo, -(WINDOW_DAYS - 1)), hi, false)) {
    if (!wanted.has(a.uscc)) continue;
    let list = byUscc.get(a.uscc);
    if (!list) byUscc.set(a.uscc, (list = []));
    const key = `${a.uscc}|${a.title ?? ''}|${a.text}`;
    let p = seen.get(key);
    if (p === undefined) {
      p = scorer.folds[foldOf(a.uscc)]!.probability(tokensOf(a));
      seen.set(key, p);
    }
    list.push({ day: a.day, p });
  }
  for (let i = 0; i < uscc.length; i++) {
    const list = byUscc.get(uscc[i]!);
    if (!list) continue;
    const to = day[i]!;
    const from = addDays(to, -(WINDOW_DAYS - 1));
    let best = Number.NaN;
    for (const a of list)
      if (a.day >= from && a.day <= to && (Number.isNaN(best) || a.p > best)) best = a.p;
    out[i] = best;
  }
  return out;
}

/** The matrix with one more column. */
export function withColumn(x: Matrix, name: string, values: Float32Array): Matrix {
  const cols = x.cols + 1;
  const m = createMatrix(x.rows, cols, [...x.columns, name]);
  for (let i = 0; i < x.rows; i++) {
    m.data.set(x.data.subarray(i * x.cols, (i + 1) * x.cols), i * cols);
    m.data[i * cols + x.cols] = values[i]!;
  }
  return m;
}

/** The model's input: the feature matrix, with the text score when the bundle scores text. */
export async function withTextScore(
  db: Db,
  scorer: AdTextScorer | undefined,
  x: Matrix,
  uscc: readonly string[],
  day: readonly string[],
): Promise<Matrix> {
  if (scorer === undefined || x.columns.includes(TEXT_SCORE_COLUMN)) return x;
  return withColumn(x, TEXT_SCORE_COLUMN, await textScores(db, scorer, uscc, day));
}
