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
import { textModelFromJSON, type TextModel, type TextModelJSON } from '../features/text.ts';
import { tokens } from '../features/segment.ts';
import { createMatrix, runTsWorker, type Matrix } from '../../models/index.ts';
import { AppError } from '../errors.ts';
import type { TextFitReply, TextFitRequest } from './text-fit-worker.ts';
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

/**
 * Lets the event loop turn (a server's requests run) once SLICE_MS have passed since the last
 * turn: tokenising and scoring take 0.2–2 ms an ad, so a count of ads would not bound the stall.
 */
const SLICE_MS = 50;
function breather(): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    if (performance.now() - last < SLICE_MS) return undefined;
    return new Promise<void>((r) =>
      setImmediate(() => {
        last = performance.now();
        r();
      }),
    );
  };
}

/**
 * Tokens of ad versions seen in this process (walk-forward evaluations tokenise each ad once).
 * Bounded: a training sample is at most about 45,000 ads (MAX_POSITIVE_ADS), so the cache holds a
 * sample and the ads scored after it, not a whole city's ads.
 */
const tokenCache = new Map<string, string[]>();
const TOKEN_CACHE_SIZE = 100_000;
function tokensOf(a: AdRow): string[] {
  const key = `${a.ad_id}|${a.hash}`;
  let t = tokenCache.get(key);
  if (t === undefined) {
    t = tokens(a.title ? `${a.title}\n${a.text}` : a.text);
    if (tokenCache.size >= TOKEN_CACHE_SIZE) tokenCache.clear();
    tokenCache.set(key, t);
  }
  return t;
}

export interface TrainAdTextOptions {
  /** Cap on the positive ads trained on (MAX_POSITIVE_ADS; smaller in tests). */
  maxPositiveAds?: number;
}

/**
 * The training sample, chosen in SQL so that only its texts are ever loaded: the linked ads seen
 * in [from, to], one per enterprise and text (a recapture or a repeated text says nothing new),
 * without the ads of a confirmed enterprise seen after its decision (they teach nothing about
 * early warning); labelled 1 when the advertiser was confirmed on or before `until` (the same
 * knowledge as confirmedOn's); at most $maxPos positives and $perPos negatives per positive kept,
 * each the first by md5 of the ad id — seeded, stable whatever the order the rows are stored in.
 * The positives are counted by a subquery, not by `count(*) FILTER (WHERE y = 1) OVER ()`: that
 * window aggregate took DuckDB over 100 s on the 500,000-enterprise city's 1.5 million linked ads
 * (the whole query now 4 s): most of training's ad-text step.
 */
const SAMPLE_SQL = `
WITH c AS (
  SELECT uscc, min(decided_on) AS d FROM case_outcomes
   WHERE outcome = 'confirmed' AND decided_on <= $until::DATE GROUP BY uscc
),
linked AS (
  SELECT l.uscc, a.ad_id, a._hash AS hash, a.seen_day, (c.d IS NOT NULL)::INTEGER AS y
    FROM ads a
    JOIN entity_links l ON l.kind = 'ad' AND l.record_id = a.ad_id AND l.status = 'linked'
    JOIN ad_text t ON t.ad_id = a.ad_id AND t._hash = a._hash
    LEFT JOIN c ON c.uscc = l.uscc
   WHERE a.seen_day BETWEEN $from::DATE AND $to::DATE AND (c.d IS NULL OR a.seen_day <= c.d)
  QUALIFY row_number() OVER (PARTITION BY l.uscc, t.text_key ORDER BY a.seen_day, a.ad_id) = 1
),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY y ORDER BY md5(ad_id), ad_id, uscc) AS r FROM linked
),
sample AS (
  SELECT * FROM ranked
   WHERE r <= CASE WHEN y = 1 THEN $maxPos::BIGINT
                   ELSE $perPos::BIGINT * least((SELECT count(*) FROM linked WHERE y = 1),
                                                $maxPos::BIGINT) END
)
SELECT s.uscc, s.ad_id, s.hash, s.seen_day::VARCHAR AS day, a.title, a.text, s.y
  FROM sample s JOIN ads a ON a.ad_id = s.ad_id AND a._hash = s.hash
 ORDER BY s.seen_day, s.ad_id, s.uscc`;

/**
 * Positive ads trained on at most. The text models learn phrasings; beyond a few thousand
 * positive ads they gain little, while a large city's window holds about 90,000 positives among
 * 800,000 ads (the 500,000-enterprise benchmark), whose texts, tokens and 4 fits cost gigabytes
 * and minutes on the thread that serves the API. With the negatives kept per positive, at most
 * 45,000 ads are loaded for training, whatever the city's size.
 */
export const MAX_POSITIVE_ADS = 5_000;

/**
 * Trains the scorer on the ads seen from `from` to the day before `until`, labelled by the
 * outcomes decided on or before `until`. Null when there are too few positive ads to learn from.
 * `trainedOn.positives` counts the positives of the (capped) sample. Tokenising yields to the event
 * loop (SLICE_MS); the fit runs on a worker thread.
 */
export async function trainAdTextScorer(
  db: Db,
  from: string,
  until: string,
  o: TrainAdTextOptions = {},
): Promise<AdTextScorer | null> {
  const maxPos = o.maxPositiveAds ?? MAX_POSITIVE_ADS;
  const rows = await db.all<AdRow & { y: number }>(SAMPLE_SQL, {
    from,
    to: addDays(until, -1),
    until,
    maxPos,
    perPos: NEGATIVES_PER_POSITIVE,
  });
  const positives = rows.filter((a) => a.y === 1).length;
  if (positives < MIN_POSITIVE_ADS) return null;
  const toks: string[][] = [];
  const pause = breather();
  for (let i = 0; i < rows.length; i++) {
    await pause();
    toks.push(tokensOf(rows[i]!));
  }
  const models = await fitInWorker({
    tokens: toks,
    labels: rows.map((a) => a.y),
    folds: rows.map((a) => foldOf(a.uscc)),
    nFolds: FOLDS,
    options: TEXT_OPTIONS,
  });
  const folds = models.map((m) => textModelFromJSON(m));
  return { folds, trainedOn: { ads: rows.length, positives } };
}

/**
 * The FOLDS text models, fitted on a worker thread (text-fit-worker.ts): fitting is the long part,
 * and the caller's event loop (a server's) stays free meanwhile.
 */
async function fitInWorker(request: TextFitRequest): Promise<TextModelJSON[]> {
  return runTsWorker<TextFitReply, TextModelJSON[]>(
    new URL('./text-fit-worker.ts', import.meta.url),
    request,
    (m) =>
      m.kind === 'done'
        ? { done: m.models }
        : { error: new AppError('model_failed', `[text-score] ${m.message}`) },
    (what, cause) =>
      new AppError(
        'model_failed',
        `[text-score] the text-model worker ${what}`,
        cause ? { cause } : {},
      ),
  );
}

/**
 * The rows textScores reads: every linked ad of the asked enterprises (their list joined in SQL)
 * seen in [from, to], repeats included, with the key of its text (an md5 of enterprise, title and
 * text: ads with the same key have the same tokens and fold, hence the same score). The ad's id,
 * title and text come only with the first ad of each key (`first`), joined back from its version
 * in `ads_history` after the window: the window sorts narrow rows, and a repeated text is never
 * read into JavaScript. (An equality join: with `k.first AND …` in its ON clause DuckDB took 66 s
 * instead of 0.5 s on the 50,000-enterprise city.) No ORDER BY: the result is a set (each key is
 * scored once, each row's score is a maximum), so it streams without being sorted whole first.
 */
const SCORE_ROWS_SQL = `
WITH w AS (SELECT DISTINCT unnest(from_json($u::VARCHAR, '["VARCHAR"]')) AS uscc),
r AS (
  SELECT l.uscc, a.ad_id, a._batch, a._line, a.seen_day,
         md5(l.uscc || '|' || coalesce(a.title, '') || '|' || a.text) AS key
    FROM ads a
    JOIN entity_links l ON l.kind = 'ad' AND l.record_id = a.ad_id AND l.status = 'linked'
    JOIN w ON w.uscc = l.uscc
    JOIN ad_text t ON t.ad_id = a.ad_id AND t._hash = a._hash
   WHERE a.seen_day BETWEEN $from::DATE AND $to::DATE
),
k AS (
  SELECT *, row_number() OVER (PARTITION BY key ORDER BY seen_day, ad_id, uscc) = 1 AS first FROM r
)
SELECT k.uscc, k.seen_day::VARCHAR AS day, k.key, k.first::INTEGER AS first, h.ad_id,
       h._hash AS hash, h.title, h.text
  FROM k LEFT JOIN ads_history h
    ON h._batch = CASE WHEN k.first THEN k._batch END AND h._line = k._line`;

/**
 * The text score of each (uscc, day) row: the highest score of the enterprise's linked ads seen
 * in the 90 days up to the day (NaN with no ad), each ad scored by its enterprise's fold model.
 * Only the asked enterprises' ads are read, streamed chunk by chunk and read column by column
 * (SCORE_ROWS_SQL): what stays in memory is a score per distinct text and a (day, text) pair per
 * ad, never a text. Each distinct text is tokenised and scored once. The ads are read on a
 * connection of its own (committed data: do not call it inside a transaction that has just linked
 * ads).
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
  // every ad, repeats included: a text seen again inside the window counts there; `ids` numbers
  // the distinct texts, `scores` holds each one's score once its first ad has been read
  const byUscc = new Map<string, { day: string; id: number }[]>();
  const ids = new Map<string, number>();
  let scores = new Float64Array(1024);
  const pause = breather();
  // a connection of its own: the caller's stays free for others while this one yields mid-stream
  const conn = await db.fork();
  try {
    const params = {
      u: JSON.stringify([...new Set(uscc)]),
      from: addDays(lo, -(WINDOW_DAYS - 1)),
      to: hi,
    };
    for await (const chunk of conn.streamChunks(SCORE_ROWS_SQL, params)) {
      await pause();
      const col = (c: number) => chunk.strings(c);
      const [us, days, keys, firsts] = [col(0), col(1), col(2), col(3)];
      const [adIds, hashes, titles, texts] = [col(4), col(5), col(6), col(7)];
      for (let i = 0; i < chunk.rowCount; i++) {
        const u = us[i]!;
        const key = keys[i]!;
        let id = ids.get(key);
        if (id === undefined) {
          id = ids.size;
          ids.set(key, id);
          if (id >= scores.length) {
            const grown = new Float64Array(scores.length * 2);
            grown.set(scores);
            scores = grown;
          }
        }
        let list = byUscc.get(u);
        if (!list) byUscc.set(u, (list = []));
        list.push({ day: days[i]!, id });
        if (firsts[i] === '1') {
          await pause();
          const a = {
            uscc: u,
            ad_id: adIds[i]!,
            hash: hashes[i]!,
            day: days[i]!,
            title: titles[i] ?? null,
            text: texts[i]!,
          };
          scores[id] = scorer.folds[foldOf(u)]!.probability(tokensOf(a));
        }
      }
    }
  } finally {
    conn.close();
  }
  for (let i = 0; i < uscc.length; i++) {
    await pause();
    const list = byUscc.get(uscc[i]!);
    if (!list) continue;
    const to = day[i]!;
    const from = addDays(to, -(WINDOW_DAYS - 1));
    let best = Number.NaN;
    for (const a of list) {
      if (a.day < from || a.day > to) continue;
      const p = scores[a.id]!;
      if (Number.isNaN(best) || p > best) best = p;
    }
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
