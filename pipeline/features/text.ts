/**
 * The text model: P(promotional / fundraising-style text | words), trained on labelled texts.
 *
 * Pipeline: segment.ts tokens (jieba + domain dictionary, numbers masked) → word unigrams, word
 * bigrams from `natural.NGrams` and character bigrams from `natural.NGramsZH` → binary presence ×
 * smoothed IDF, L2-normalised → logistic
 * regression trained by seeded SGD (L2 penalty, optional balanced class weights). Deterministic:
 * same docs, labels and options give the same weights bit for bit. Defaults were chosen among six
 * variants on the SMS CV (bench/text-sms.ts): word bigrams +2 F1 points, char bigrams and a
 * weaker penalty with more epochs +2 more (0.884 → 0.913 mean F1).
 *
 * Why not natural's own classifiers: measured once on the SMS corpus with a scratch script
 * (2026-11-25, this 2-core machine), natural's BayesClassifier turns every document into a dense
 * 0/1 vector over the whole vocabulary: training on 2,000 SMS took 4.2 s (1,000: 0.9 s, so
 * super-linear), classifying 2.2 ms per message — minutes per fold at 8,000. Its
 * LogisticRegressionClassifier uses the same dense features (not measured). natural's
 * TfIdf.idf() scans every document per term: the 27k-term vocabulary of 10k SMS took 89 s.
 * So natural supplies the n-gram features, and the classifier is a sparse logistic regression.
 *
 * This is the only module that imports `natural` (CONVENTIONS §6). natural@8 calls dotenv on
 * import, so it is loaded lazily through createRequire after DOTENV_CONFIG_QUIET is set; types
 * come from the shim natural.d.ts (tsconfig `paths`).
 */
import { createRequire } from 'node:module';
import type * as Natural from 'natural';
import { NUM_TOKEN, tokens } from './segment.ts';

/** A text, or its tokens from segment.ts `tokens()` (to segment once and train many times). */
export type TextInput = string | readonly string[];

export interface TextModelOptions {
  /** Add word bigrams (natural.NGrams). Default true. */
  readonly bigrams?: boolean;
  /** Add character bigrams (natural.NGramsZH). Default true. */
  readonly charBigrams?: boolean;
  /** Keep features seen in at least this many training documents. Default 2. */
  readonly minDf?: number;
  /** Keep at most this many features (highest document frequency first). Default 200,000. */
  readonly maxFeatures?: number;
  /** SGD epochs. Default 25. */
  readonly epochs?: number;
  /** Initial learning rate. Default 0.5. */
  readonly learningRate?: number;
  /** L2 penalty. Default 1e-6. */
  readonly l2?: number;
  /** 'balanced' weighs classes inversely to their frequency. Default 'none'. */
  readonly classWeight?: 'none' | 'balanced';
  /** Seed of the SGD shuffle. Default 42. */
  readonly seed?: number;
}

export interface TextModelJSON {
  readonly format: 'dafei-text-model';
  readonly version: 1;
  readonly options: Required<TextModelOptions>;
  readonly features: readonly string[];
  readonly idf: readonly number[];
  readonly weights: readonly number[];
  readonly bias: number;
}

export interface TextModel {
  readonly trained: boolean;
  /** Trains from scratch (replaces any previous training). labels: 1/true = positive. */
  train(docs: readonly TextInput[], labels: readonly (number | boolean)[]): void;
  /** P(positive | text) in [0, 1]. Throws before training. */
  probability(text: TextInput): number;
  /** The features of `text` that moved its score most (weight × value, largest |·| first). */
  explain(text: TextInput, limit?: number): { feature: string; contribution: number }[];
  toJSON(): TextModelJSON;
}

const DEFAULTS: Required<TextModelOptions> = {
  bigrams: true,
  charBigrams: true,
  minDf: 2,
  maxFeatures: 200_000,
  epochs: 25,
  learningRate: 0.5,
  l2: 1e-6,
  classWeight: 'none',
  seed: 42,
};

let naturalModule: typeof Natural | undefined;

/** natural, loaded on first use with dotenv silenced. */
function natural(): typeof Natural {
  if (naturalModule === undefined) {
    process.env['DOTENV_CONFIG_QUIET'] ??= 'true';
    // Not require('natural'): tsx applies tsconfig `paths` at run time too, and `natural` is
    // mapped to the type shim natural.d.ts there (an empty module). The package has no
    // `exports` map, so its main file can be required by path under tsx, vitest and plain node.
    naturalModule = createRequire(import.meta.url)(
      'natural/lib/natural/index.js',
    ) as typeof Natural;
  }
  return naturalModule;
}

/** Feature strings of a token list: distinct unigrams, word bigrams and char bigrams. */
export function textFeatures(
  toks: readonly string[],
  options: { readonly bigrams?: boolean; readonly charBigrams?: boolean } = {},
): string[] {
  const set = new Set<string>(toks);
  if ((options.bigrams ?? true) && toks.length >= 2) {
    for (const g of natural().NGrams.bigrams(toks)) set.add(`${g[0]!} ${g[1]!}`);
  }
  if (options.charBigrams === true) {
    // Character bigrams inside each token run (numbers as #), prefixed to keep them apart.
    const joined = toks.map((t) => (t === NUM_TOKEN ? '#' : t)).join('');
    if (joined.length >= 2) {
      for (const g of natural().NGramsZH.bigrams(joined)) set.add(`c:${g[0]!}${g[1]!}`);
    }
  }
  return [...set];
}

function toTokenList(doc: TextInput): readonly string[] {
  return typeof doc === 'string' ? tokens(doc) : doc;
}

/** mulberry32: small, fast, seeded PRNG. */
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

const sigmoid = (z: number): number =>
  z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));

interface Row {
  readonly idx: Int32Array;
  readonly val: Float64Array;
}

interface Fitted {
  readonly index: Map<string, number>;
  readonly features: string[];
  readonly idf: Float64Array;
  readonly weights: Float64Array;
  readonly bias: number;
}

function vectorize(
  feats: readonly string[],
  index: ReadonlyMap<string, number>,
  idf: Float64Array,
): Row {
  const idx: number[] = [];
  for (const f of feats) {
    const j = index.get(f);
    if (j !== undefined) idx.push(j);
  }
  idx.sort((a, b) => a - b);
  const val = new Float64Array(idx.length);
  let norm = 0;
  for (let k = 0; k < idx.length; k++) {
    const v = idf[idx[k]!]!;
    val[k] = v;
    norm += v * v;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let k = 0; k < val.length; k++) val[k]! /= norm;
  return { idx: Int32Array.from(idx), val };
}

function fit(
  docs: readonly TextInput[],
  labels: readonly (number | boolean)[],
  o: Required<TextModelOptions>,
): Fitted {
  if (docs.length !== labels.length) {
    throw new Error(`[text-model] ${docs.length} docs but ${labels.length} labels`);
  }
  if (docs.length === 0) throw new Error('[text-model] no training documents');
  const y = labels.map((l) => (l === true || l === 1 ? 1 : 0));
  const feats = docs.map((d) => textFeatures(toTokenList(d), o));

  // Vocabulary by document frequency; ties broken by the feature string (deterministic).
  const df = new Map<string, number>();
  for (const fs of feats) for (const f of fs) df.set(f, (df.get(f) ?? 0) + 1);
  const kept = [...df]
    .filter(([, n]) => n >= o.minDf)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, o.maxFeatures);
  const features = kept.map(([f]) => f);
  const index = new Map(features.map((f, i) => [f, i]));
  const n = docs.length;
  const idf = Float64Array.from(kept, ([, d]) => Math.log((1 + n) / (1 + d)) + 1);
  const rows = feats.map((fs) => vectorize(fs, index, idf));

  const pos = y.reduce((s: number, v) => s + v, 0);
  const wPos = o.classWeight === 'balanced' && pos > 0 ? n / (2 * pos) : 1;
  const wNeg = o.classWeight === 'balanced' && pos < n ? n / (2 * (n - pos)) : 1;

  // SGD with a Bottou-style decaying step; L2 applied through a weight scale (lazy updates).
  const w = new Float64Array(features.length);
  let scale = 1;
  let bias = 0;
  const order = Array.from({ length: n }, (_, i) => i);
  const rand = rng(o.seed);
  let t = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const tmp = order[i]!;
      order[i] = order[j]!;
      order[j] = tmp;
    }
    for (const i of order) {
      const eta = o.learningRate / (1 + o.learningRate * o.l2 * t);
      t++;
      const row = rows[i]!;
      let z = bias;
      for (let k = 0; k < row.idx.length; k++) z += w[row.idx[k]!]! * scale * row.val[k]!;
      const yi = y[i]!;
      const g = (sigmoid(z) - yi) * (yi === 1 ? wPos : wNeg);
      scale *= 1 - eta * o.l2;
      if (scale < 1e-9) {
        for (let k = 0; k < w.length; k++) w[k]! *= scale;
        scale = 1;
      }
      const step = (eta * g) / scale;
      for (let k = 0; k < row.idx.length; k++) w[row.idx[k]!]! -= step * row.val[k]!;
      bias -= eta * g;
    }
  }
  for (let k = 0; k < w.length; k++) w[k]! *= scale;
  return { index, features, idf, weights: w, bias };
}

function makeModel(o: Required<TextModelOptions>, fitted: Fitted | undefined): TextModel {
  let state = fitted;
  return {
    get trained() {
      return state !== undefined;
    },
    train(docs, labels) {
      state = fit(docs, labels, o);
    },
    probability(text) {
      if (state === undefined) throw new Error('[text-model] probability() before train()');
      const row = vectorize(textFeatures(toTokenList(text), o), state.index, state.idf);
      let z = state.bias;
      for (let k = 0; k < row.idx.length; k++) z += state.weights[row.idx[k]!]! * row.val[k]!;
      return sigmoid(z);
    },
    explain(text, limit = 5) {
      if (state === undefined) throw new Error('[text-model] explain() before train()');
      const st = state;
      const row = vectorize(textFeatures(toTokenList(text), o), st.index, st.idf);
      return Array.from(row.idx, (j, k) => ({
        feature: st.features[j]!,
        contribution: st.weights[j]! * row.val[k]!,
      }))
        .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
        .slice(0, limit);
    },
    toJSON() {
      if (state === undefined) throw new Error('[text-model] toJSON() before train()');
      return {
        format: 'dafei-text-model',
        version: 1,
        options: o,
        features: state.features,
        idf: Array.from(state.idf),
        weights: Array.from(state.weights),
        bias: state.bias,
      };
    },
  };
}

/** A new, untrained text model. */
export function createTextModel(options: TextModelOptions = {}): TextModel {
  return makeModel({ ...DEFAULTS, ...options }, undefined);
}

/** Restores a trained model from `toJSON()` output (also accepts it as a JSON string). */
export function textModelFromJSON(json: TextModelJSON | string): TextModel {
  const j = (typeof json === 'string' ? JSON.parse(json) : json) as TextModelJSON;
  if (j.format !== 'dafei-text-model' || j.version !== 1) {
    throw new Error('[text-model] not a dafei-text-model v1 document');
  }
  if (j.features.length !== j.idf.length || j.features.length !== j.weights.length) {
    throw new Error('[text-model] features, idf and weights differ in length');
  }
  const features = [...j.features];
  return makeModel(
    { ...DEFAULTS, ...j.options },
    {
      index: new Map(features.map((f, i) => [f, i])),
      features,
      idf: Float64Array.from(j.idf),
      weights: Float64Array.from(j.weights),
      bias: j.bias,
    },
  );
}

/** Alias of textModelFromJSON. */
export const fromJSON = textModelFromJSON;

export interface BinaryMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
}

export interface CrossValidationOptions {
  readonly folds?: number;
  readonly seed?: number;
  readonly threshold?: number;
  readonly model?: TextModelOptions;
}

export interface CrossValidationResult {
  readonly folds: readonly BinaryMetrics[];
  readonly mean: { readonly precision: number; readonly recall: number; readonly f1: number };
}

/** Precision, recall and F1 of scores against 0/1 labels at `threshold`. */
export function binaryMetrics(
  scores: readonly number[],
  labels: readonly (number | boolean)[],
  threshold = 0.5,
): BinaryMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  scores.forEach((s, i) => {
    const y = labels[i] === true || labels[i] === 1;
    const p = s >= threshold;
    if (p && y) tp++;
    else if (p) fp++;
    else if (y) fn++;
    else tn++;
  });
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, tp, fp, fn, tn };
}

/**
 * Stratified k-fold assignment: each class is shuffled with `seed` and dealt round-robin, so
 * every fold gets the same share of positives. Returns the fold of each document.
 */
export function stratifiedFolds(
  labels: readonly (number | boolean)[],
  folds: number,
  seed: number,
): number[] {
  const rand = rng(seed);
  const out = new Array<number>(labels.length).fill(0);
  for (const cls of [0, 1]) {
    const ids = labels.flatMap((l, i) => ((l === true || l === 1 ? 1 : 0) === cls ? [i] : []));
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const tmp = ids[i]!;
      ids[i] = ids[j]!;
      ids[j] = tmp;
    }
    ids.forEach((id, k) => (out[id] = k % folds));
  }
  return out;
}

/** Seeded stratified k-fold cross-validation of the text model. Deterministic. */
export function crossValidateTextModel(
  docs: readonly TextInput[],
  labels: readonly (number | boolean)[],
  options: CrossValidationOptions = {},
): CrossValidationResult {
  const k = options.folds ?? 5;
  const fold = stratifiedFolds(labels, k, options.seed ?? 42);
  const toks = docs.map(toTokenList); // segment once
  const results: BinaryMetrics[] = [];
  for (let f = 0; f < k; f++) {
    const trainIdx = fold.flatMap((g, i) => (g === f ? [] : [i]));
    const testIdx = fold.flatMap((g, i) => (g === f ? [i] : []));
    const model = createTextModel(options.model);
    model.train(
      trainIdx.map((i) => toks[i]!),
      trainIdx.map((i) => labels[i]!),
    );
    const scores = testIdx.map((i) => model.probability(toks[i]!));
    results.push(
      binaryMetrics(
        scores,
        testIdx.map((i) => labels[i]!),
        options.threshold ?? 0.5,
      ),
    );
  }
  const avg = (key: 'precision' | 'recall' | 'f1'): number =>
    results.reduce((s, r) => s + r[key], 0) / results.length;
  return {
    folds: results,
    mean: { precision: avg('precision'), recall: avg('recall'), f1: avg('f1') },
  };
}
