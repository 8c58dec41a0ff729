/**
 * The daily run for day D: resolve → features as of D → score with the active model (or the rule
 * index) → publish the list for D. Each step is idempotent; publication is atomic.
 */
import type { Db } from './db/index.ts';
import { computeFeatures } from './features/compute.ts';
import { withLedger } from './jobs/ledger.ts';
import { loadFeatureRows } from './modeling/feature-matrix.ts';
import { confirmedOn } from './modeling/outcomes.ts';
import { activeVersion, loadModel } from './modeling/registry.ts';
import { rankRows, scoreMatrix, type DEFAULT_THRESHOLDS } from './modeling/score.ts';
import { publishList, type PublishResult } from './publish.ts';
import { resolve } from './resolve/index.ts';
import { rescreenAfter } from './notify/screen.ts';
import { selectRows } from '../models/index.ts';

export interface RunDayResult extends PublishResult {
  scorer: 'model' | 'rules';
  modelVersion: number | null;
  enterprises: number;
  seconds: number;
  /** Seconds per step: resolve (0 when skipped), features (text of new records included), score, publish. */
  steps: { resolve: number; features: number; score: number; publish: number };
}

export interface RunDayOptions {
  thresholds?: typeof DEFAULT_THRESHOLDS;
  /** Skip entity resolution (when the caller just ran it, e.g. a backfill). */
  skipResolve?: boolean;
}

export async function runDay(
  db: Db,
  day: string,
  options: RunDayOptions = {},
): Promise<RunDayResult> {
  return withLedger(db, 'run', day, async () => {
    const t0 = performance.now();
    let t = t0;
    const lap = () => {
      const now = performance.now();
      const s = (now - t) / 1000;
      t = now;
      return s;
    };
    if (!options.skipResolve) await resolve(db);
    const resolveSeconds = lap();
    const features = await computeFeatures(db, day);
    const featureSeconds = lap();
    const all = await loadFeatureRows(db, [day]);
    // enterprises already confirmed are known cases, not alerts
    const confirmed = await confirmedOn(db, day);
    const keep: number[] = [];
    for (let i = 0; i < all.uscc.length; i++) if (!confirmed.has(all.uscc[i]!)) keep.push(i);
    const x = selectRows(all.matrix, keep);
    const uscc = keep.map((i) => all.uscc[i]!);
    const version = await activeVersion(db);
    const model = version === null ? null : await loadModel(db, version);
    const rows = rankRows(await scoreMatrix(x, uscc, model, options.thresholds));
    const scoreSeconds = lap();
    const published = await publishList(db, {
      day,
      scorer: model ? 'model' : 'rules',
      modelVersion: version,
      dataFingerprint: features.fingerprint,
      rows,
    });
    // what the run changed (new links, the new revision) against watchlists and subscriptions
    await rescreenAfter(db);
    return {
      ...published,
      scorer: model ? ('model' as const) : ('rules' as const),
      modelVersion: version,
      enterprises: rows.length,
      seconds: (performance.now() - t0) / 1000,
      steps: {
        resolve: resolveSeconds,
        features: featureSeconds,
        score: scoreSeconds,
        publish: lap(),
      },
    };
  });
}
