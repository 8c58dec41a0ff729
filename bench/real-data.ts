/**
 * Real public data: 5-fold cross-validated ROC-AUC and F1, ours vs scikit-learn, same folds.
 *
 *   node --import tsx bench/real-data.ts [--datasets ../shared/datasets] [--trees 300] [--seed 42]
 *
 * Builds feature tables (bench/real-data-features.ts) from ccf2020-illegal-fundraising and
 * p2p-wdzj-2018, writes each as CSV (id, label, fold, features…) into a temporary folder, runs
 * models/byo.ts `crossValidate` (histogram forest, `trees` trees, scikit-learn's defaults
 * otherwise) and /usr/bin/python3 bench/real_data_sklearn.py (RandomForestClassifier, same
 * trees, same folds) on the same CSV. F1 on both sides is at the best-F1 threshold of the
 * training folds' out-of-bag scores. Skips cleanly (exit 0) without the datasets or sklearn.
 * Bar: our ROC-AUC no more than 0.01 below scikit-learn's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { crossValidate } from '../models/byo.ts';
import { featureTableFromCsv, toCsv } from '../models/csv.ts';
import { stratifiedKFold } from '../models/metrics.ts';
import { ccfTable, p2pTables } from './real-data-features.ts';
import type { Table } from './real-data-features.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: resolve(here, '../../shared/datasets') },
    trees: { type: 'string', default: '300' },
    seed: { type: 'string', default: '42' },
  },
});
const root = values.datasets;
const trees = Number(values.trees);
const seed = Number(values.seed);
const py = '/usr/bin/python3';

if (
  !existsSync(join(root, 'ccf2020-illegal-fundraising')) ||
  !existsSync(join(root, 'p2p-wdzj-2018'))
) {
  console.log(`real data: not found under ${root}; skipped`);
  process.exit(0);
}
const probe = existsSync(py)
  ? spawnSync(py, ['-c', 'import sklearn, numpy'], { encoding: 'utf8' })
  : null;
if (!probe || probe.status !== 0) {
  console.log('sklearn: not available (apt-get install python3-sklearn); skipped');
  process.exit(0);
}

interface Row {
  dataset: string;
  rows: number;
  positives: number;
  features: number;
  ours: { auc: number; ap: number; f1: number; s: number };
  sk: { auc: number; ap: number; f1: number; s: number };
}

const dir = mkdtempSync(join(tmpdir(), 'dafei-real-data-'));
const table: Row[] = [];
try {
  const tables: Table[] = [ccfTable(root), ...p2pTables(root)];
  for (const t of tables) {
    const folds = stratifiedKFold(t.labels, 5, seed);
    const file = join(dir, `${t.name.replace(/[^a-z0-9]+/gi, '_')}.csv`);
    writeFileSync(
      file,
      toCsv(
        ['id', 'label', 'fold', ...t.columns],
        t.ids.map((id, i) => [
          id,
          t.labels[i]!,
          folds[i]!,
          ...Array.from(t.values[i]!, (v) => (Number.isFinite(v) ? v : null)),
        ]),
      ),
    );
    // Ours reads the very same CSV back (the bring-your-own-features path).
    const ft = featureTableFromCsv(readFileSync(file, 'utf8'), {
      id: 'id',
      label: 'label',
      extra: ['fold'],
    });
    const cv = crossValidate(ft.matrix, ft.labels!, {
      foldIds: ft.extra['fold']!,
      forest: { nEstimators: trees, seed },
    });
    const run = spawnSync(
      py,
      [join(here, 'real_data_sklearn.py'), file, String(trees), String(seed)],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      },
    );
    if (run.status !== 0) {
      console.error(run.stderr);
      throw new Error(`bench/real_data_sklearn.py failed on ${t.name}`);
    }
    const lines = run.stdout.trim().split('\n');
    const sk = JSON.parse(lines[lines.length - 1]!) as {
      roc_auc: number;
      pr_auc: number;
      f1: number;
      seconds: number;
    };
    const positives = t.labels.reduce((s, v) => s + v, 0);
    const row: Row = {
      dataset: t.name,
      rows: t.ids.length,
      positives,
      features: t.columns.length,
      ours: { auc: cv.rocAuc, ap: cv.prAuc, f1: cv.f1, s: cv.seconds },
      sk: { auc: sk.roc_auc, ap: sk.pr_auc, f1: sk.f1, s: sk.seconds },
    };
    table.push(row);
    console.log(`dataset: ${t.name}`);
    console.log(`rows: ${row.rows}`);
    console.log(`positives: ${positives}`);
    console.log(`features: ${row.features}`);
    console.log(`ours roc_auc: ${cv.rocAuc.toFixed(4)}`);
    console.log(`sklearn roc_auc: ${sk.roc_auc.toFixed(4)}`);
    console.log(`ours pr_auc: ${cv.prAuc.toFixed(4)}`);
    console.log(`sklearn pr_auc: ${sk.pr_auc.toFixed(4)}`);
    console.log(`ours f1: ${cv.f1.toFixed(4)}`);
    console.log(`sklearn f1: ${sk.f1.toFixed(4)}`);
    console.log(`ours seconds: ${cv.seconds.toFixed(2)}`);
    console.log(`sklearn seconds: ${sk.seconds.toFixed(2)}`);
    console.log(`auc gap ours-sklearn: ${(cv.rocAuc - sk.roc_auc).toFixed(4)}`);
    console.log(`bar auc >= sklearn - 0.01: ${cv.rocAuc >= sk.roc_auc - 0.01 ? 'pass' : 'FAIL'}`);
    console.log(
      `top features: ${cv.importance
        .slice(0, 5)
        .map((f) => `${f.name} ${f.importance.toFixed(3)}`)
        .join(', ')}`,
    );
    console.log('');
  }
  console.log(`summary (5-fold CV, ${trees} trees, F1 at the out-of-bag best-F1 threshold):`);
  console.log(
    '| dataset | rows | positives | features | ROC-AUC ours | ROC-AUC sklearn | PR-AUC ours | PR-AUC sklearn | F1 ours | F1 sklearn |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of table) {
    const f = (v: number): string => v.toFixed(4);
    console.log(
      `| ${r.dataset} | ${r.rows} | ${r.positives} | ${r.features} | ${f(r.ours.auc)} | ${f(r.sk.auc)} | ${f(r.ours.ap)} | ${f(r.sk.ap)} | ${f(r.ours.f1)} | ${f(r.sk.f1)} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
