import { RandomForestClassifier } from 'ml-random-forest';
import type { Classifier, Contributions } from './classifier.ts';
import { toBinaryLabels } from './classifier.ts';
import { ModelError } from './errors.ts';
import { alignColumns, assertMatrix } from './matrix.ts';
import type { Matrix } from './matrix.ts';
import type { ReferenceForestArtifact } from './artifact.ts';

/**
 * The reference classifier: an adapter over `ml-random-forest` (CART trees from `ml-cart`).
 *
 * Use it on small data only: its split search is quadratic in the rows of a node, and its
 * out-of-bag step can crash, so OOB is always disabled here. Differences from HistogramForest:
 * features are sampled per tree (`maxFeatures`, the library's design), not per split; trees vote
 * (P(1) = share of trees whose leaf majority is 1). Missing values (NaN) are replaced by
 * MISSING_VALUE, i.e. treated as lower than any value, like HistogramForest.
 *
 * Contributions: the library keeps class distributions at leaves only, so after `fit` every
 * training row is pushed through every tree and each node gets the share of the rows reaching
 * it that the tree votes 1 for. Leaf values are the votes themselves, so tree-path
 * contributions telescope to the vote, and their mean over trees to `predictProba`.
 */
export interface ReferenceForestOptions {
  /** Default 50. */
  nEstimators: number;
  /** Features per tree: fraction in (0, 1] or a count. Default 0.7. */
  maxFeatures: number;
  /** Default 16. */
  maxDepth: number;
  /** Nodes with at most this many rows become leaves. Default 3. */
  minNumSamples: number;
  /** Default 42. */
  seed: number;
}

export const MISSING_VALUE = -1e30;

interface CartNode {
  left?: CartNode;
  right?: CartNode;
  splitColumn?: number;
  splitValue?: number;
  distribution?: { maxRowIndex(row: number): [number, number] } | number[][];
  /** Attached by this adapter. */
  dafeiValue?: number;
}

interface ForestInternals {
  estimators: { root: CartNode }[];
  indexes: number[][];
}

function isLeaf(n: CartNode): boolean {
  return !(n.left && n.right);
}

function leafVote(n: CartNode): number {
  const d = n.distribution;
  if (!d) return 0;
  if (Array.isArray(d)) {
    const row = d[0] ?? [];
    let best = 0;
    for (let k = 1; k < row.length; k++) if (row[k]! > row[best]!) best = k;
    return best === 1 ? 1 : 0;
  }
  return d.maxRowIndex(0)[1] === 1 ? 1 : 0;
}

function preorder(root: CartNode): CartNode[] {
  const out: CartNode[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    out.push(n);
    if (!isLeaf(n)) stack.push(n.right!, n.left!);
  }
  return out;
}

export class ReferenceForest implements Classifier {
  readonly kind = 'dafei-reference-forest' as const;
  readonly options: ReferenceForestOptions;
  columns: readonly string[] = [];
  private rf: RandomForestClassifier | null = null;

  constructor(options: Partial<ReferenceForestOptions> = {}) {
    this.options = {
      nEstimators: options.nEstimators ?? 50,
      maxFeatures: options.maxFeatures ?? 0.7,
      maxDepth: options.maxDepth ?? 16,
      minNumSamples: options.minNumSamples ?? 3,
      seed: options.seed ?? 42,
    };
  }

  fit(x: Matrix, y: ArrayLike<number>): this {
    assertMatrix(x, 'reference-forest');
    const labels = toBinaryLabels(y, x.rows, 'reference-forest');
    const rows = toRows(x);
    const o = this.options;
    const rf = new RandomForestClassifier({
      nEstimators: o.nEstimators,
      maxFeatures: o.maxFeatures,
      replacement: false,
      useSampleBagging: true,
      noOOB: true,
      seed: o.seed,
      treeOptions: {
        maxDepth: o.maxDepth,
        minNumSamples: o.minNumSamples,
        gainFunction: 'gini',
        splitFunction: 'mean',
      },
    });
    rf.train(rows, Array.from(labels));
    this.rf = rf;
    this.columns = [...x.columns];
    // Node values from the training rows (see class comment).
    const { estimators, indexes } = this.internals();
    estimators.forEach((est, t) => {
      const sums = new Map<CartNode, [number, number]>();
      const use = indexes[t]!;
      for (const row of rows) {
        const sub = use.map((j) => row[j]!);
        const path: CartNode[] = [];
        let n = est.root;
        path.push(n);
        while (!isLeaf(n)) {
          n = sub[n.splitColumn!]! < n.splitValue! ? n.left! : n.right!;
          path.push(n);
        }
        const v = leafVote(n);
        for (const p of path) {
          const s = sums.get(p) ?? [0, 0];
          s[0] += v;
          s[1] += 1;
          sums.set(p, s);
        }
      }
      for (const n of preorder(est.root)) {
        const s = sums.get(n);
        n.dafeiValue = isLeaf(n) ? leafVote(n) : s ? s[0] / s[1] : 0;
      }
    });
    return this;
  }

  private internals(): ForestInternals {
    if (!this.rf) throw new ModelError('not_fitted', '[reference-forest] the model is not fitted');
    return this.rf as unknown as ForestInternals;
  }

  /** Share of trees voting 1 (same as ml-random-forest's predictProbability(x, 1), unrounded). */
  predictProba(x: Matrix): Float64Array {
    const { estimators, indexes } = this.internals();
    const m = alignColumns(x, this.columns);
    const out = new Float64Array(m.rows);
    const rows = toRows(m);
    rows.forEach((row, i) => {
      let s = 0;
      estimators.forEach((est, t) => {
        const use = indexes[t]!;
        let n = est.root;
        while (!isLeaf(n)) n = row[use[n.splitColumn!]!]! < n.splitValue! ? n.left! : n.right!;
        s += leafVote(n);
      });
      out[i] = s / estimators.length;
    });
    return out;
  }

  /**
   * The library's own predictProbability(x, 1), for cross-checks. Note: ml-random-forest 2.1.0
   * sums votes with `reduce` without an initial value, so the first tree's vote is added as its
   * class label (0 or 1) instead of 1/nTrees: it can differ from `predictProba` by up to
   * 1/nTrees. `predictProba` counts every tree.
   */
  libraryPredictProba(x: Matrix): number[] {
    if (!this.rf) throw new ModelError('not_fitted', '[reference-forest] the model is not fitted');
    return this.rf.predictProbability(toRows(alignColumns(x, this.columns)), 1);
  }

  contributions(x: Matrix, row: number): Contributions {
    const { estimators, indexes } = this.internals();
    const m = alignColumns(x, this.columns);
    if (!(row >= 0 && row < m.rows))
      throw new ModelError('input_invalid', `[reference-forest] row ${row} out of range`);
    const r = toRows(m, row, row + 1)[0]!;
    const values = new Float64Array(m.cols);
    let bias = 0;
    let prediction = 0;
    estimators.forEach((est, t) => {
      const use = indexes[t]!;
      let n = est.root;
      bias += n.dafeiValue ?? 0;
      while (!isLeaf(n)) {
        const f = use[n.splitColumn!]!;
        const next = r[f]! < n.splitValue! ? n.left! : n.right!;
        values[f] = values[f]! + (next.dafeiValue ?? 0) - (n.dafeiValue ?? 0);
        n = next;
      }
      prediction += n.dafeiValue ?? 0;
    });
    const k = estimators.length;
    for (let j = 0; j < values.length; j++) values[j] = values[j]! / k;
    return { bias: bias / k, values, prediction: prediction / k, columns: this.columns };
  }

  toArtifact(): ReferenceForestArtifact {
    const { estimators } = this.internals();
    return {
      format: 'dafei-reference-forest',
      version: 1,
      columns: [...this.columns],
      params: { ...this.options },
      model: JSON.parse(JSON.stringify(this.rf!.toJSON())) as unknown,
      nodeValues: estimators.map((e) => preorder(e.root).map((n) => n.dafeiValue ?? 0)),
    };
  }

  static fromArtifact(a: ReferenceForestArtifact): ReferenceForest {
    const f = new ReferenceForest(a.params);
    let rf: RandomForestClassifier;
    try {
      rf = RandomForestClassifier.load(
        a.model as Parameters<typeof RandomForestClassifier.load>[0],
      );
    } catch (cause) {
      throw new ModelError(
        'artifact_invalid',
        '[artifact] ml-random-forest could not load the model',
        { cause },
      );
    }
    f.rf = rf;
    f.columns = [...a.columns];
    const { estimators } = f.internals();
    if (a.nodeValues.length !== estimators.length) {
      throw new ModelError('artifact_invalid', '[artifact] nodeValues do not match the trees');
    }
    estimators.forEach((e, t) => {
      const nodes = preorder(e.root);
      const vals = a.nodeValues[t]!;
      if (vals.length !== nodes.length) {
        throw new ModelError(
          'artifact_invalid',
          `[artifact] nodeValues of tree ${t} do not match its nodes`,
        );
      }
      nodes.forEach((n, k) => {
        n.dafeiValue = vals[k]!;
      });
    });
    return f;
  }
}

function toRows(m: Matrix, from = 0, to = m.rows): number[][] {
  const out: number[][] = [];
  for (let i = from; i < to; i++) {
    const r = new Array<number>(m.cols);
    for (let j = 0; j < m.cols; j++) {
      const v = m.data[i * m.cols + j]!;
      r[j] = Number.isNaN(v) ? MISSING_VALUE : v;
    }
    out.push(r);
  }
  return out;
}
