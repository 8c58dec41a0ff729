/**
 * The daily run for day D: resolve → features as of D → score with the active model (or the rule
 * index) → publish the list for D. Each step is idempotent; publication is atomic.
 */
import type { Db } from './db/index.ts';
import { computeFeatures } from './features/compute.ts';
import { withRunLedger } from './jobs/ledger.ts';
import { loadFeatureRows } from './modeling/feature-matrix.ts';
import { confirmedOn } from './modeling/outcomes.ts';
import { activeVersion, loadModel } from './modeling/registry.ts';
import { rankRows, scoreMatrix, type DEFAULT_THRESHOLDS } from './modeling/score.ts';
import { withTextScore } from './modeling/text-score.ts';
import type { ModelBundle } from './modeling/bundle.ts';
import { raiseNotice } from './ops/notices.ts';
import { publishList, type PublishResult } from './publish.ts';
import { resolve } from './resolve/index.ts';
import { rescreenAfter } from './notify/screen.ts';
import { selectRows } from '../models/index.ts';

export interface RunDayResult extends PublishResult {
  scorer: 'model' | 'rules';
  modelVersion: number | null;
  /** Set when a model was active but could not be used: the rule index ranked instead. */
  fallback?: string;
  enterprises: number;
  seconds: number;
  /** Seconds per step: resolve (0 when skipped), features (text of new records included), score, publish. */
  steps: { resolve: number; features: number; score: number; publish: number };
}

export interface RunDayOptions {
  thresholds?: typeof DEFAULT_THRESHOLDS;
  /** Skip entity resolution (when the caller just ran it, e.g. a backfill). */
  skipResolve?: boolean;
  /** The ledger row to use (queued by the scheduler); default a new one. */
  runId?: number;
}

export async function runDay(
  db: Db,
  day: string,
  options: RunDayOptions = {},
): Promise<RunDayResult> {
  return withRunLedger(db, 'run', day, options.runId, async () => {
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
    // a broken model never stops the list: the rule index ranks, and the revision says why
    const { model, rows, fallback } = await scoreWithFallback(db, version, x, uscc, day, options);
    const scoreSeconds = lap();
    const published = await publishList(db, {
      day,
      scorer: model ? 'model' : 'rules',
      modelVersion: model ? version : null,
      dataFingerprint: features.fingerprint,
      rows,
      ...(fallback ? { note: { fallback, modelVersion: version } } : {}),
    });
    if (fallback) {
      await raiseNotice(db, {
        level: 'error',
        kind: 'model_fallback',
        subject: day,
        message: `the list of ${day} (revision ${published.revision}) was ranked by the rule index: ${fallback}`,
      });
    }
    // what the run changed (new links, the new revision) against watchlists and subscriptions
    await rescreenAfter(db);
    return {
      ...published,
      scorer: model ? ('model' as const) : ('rules' as const),
      modelVersion: model ? version : null,
      ...(fallback ? { fallback } : {}),
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

/**
 * Scores with the active model; when it cannot be loaded or fails to score, with the rule index,
 * saying why.
 */
async function scoreWithFallback(
  db: Db,
  version: number | null,
  x: Parameters<typeof scoreMatrix>[0],
  uscc: string[],
  day: string,
  options: RunDayOptions,
): Promise<{ model: ModelBundle | null; rows: ReturnType<typeof rankRows>; fallback?: string }> {
  const rules = async () => rankRows(await scoreMatrix(x, uscc, null, options.thresholds));
  if (version === null) return { model: null, rows: await rules() };
  let model: ModelBundle;
  try {
    model = await loadModel(db, version);
  } catch (err) {
    return {
      model: null,
      rows: await rules(),
      fallback: `model v${version} could not be loaded (${(err as Error).message})`,
    };
  }
  try {
    // a model with the learned ad-text score reads it beside the features (text-score.ts)
    const input = await withTextScore(
      db,
      model.text,
      x,
      uscc,
      uscc.map(() => day),
    );
    return { model, rows: rankRows(await scoreMatrix(input, uscc, model, options.thresholds)) };
  } catch (err) {
    return {
      model: null,
      rows: await rules(),
      fallback: `model v${version} failed to score (${(err as Error).message})`,
    };
  }
}
