/**
 * Where the real public datasets are (see ../shared/datasets/README.md): $DAFEI_DATASETS when set
 * (only there), else ../shared/datasets beside the repository, else /work/shared/datasets.
 * Read in place, never copied into the repository.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { REPO_ROOT } from './city.ts';

export const DATASETS = ['ccf2020-illegal-fundraising', 'p2p-wdzj-2018'] as const;

/** The datasets folder holding both datasets, or null (callers skip with a message). */
export function findDatasets(): string | null {
  const env = process.env['DAFEI_DATASETS'];
  const candidates = env
    ? [env]
    : [resolve(REPO_ROOT, '..', 'shared', 'datasets'), '/work/shared/datasets'];
  return candidates.find((dir) => DATASETS.every((d) => existsSync(join(dir, d)))) ?? null;
}

export const SKIP_MESSAGE =
  'skipped: the real datasets (ccf2020-illegal-fundraising, p2p-wdzj-2018) were not found in ../shared/datasets ' +
  '(or $DAFEI_DATASETS); this notebook only reads them in place.';
