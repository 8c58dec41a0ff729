/**
 * `dafei train`: train on outcomes decided up to `until`, measure the same recipe walking forward
 * over the last `evalDays` before `until` (beside the baselines), and register the version.
 * The first model ever trained becomes active; later ones are challengers until activated.
 */
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { dataFingerprint } from '../features/compute.ts';
import { addDays } from './days.ts';
import { evaluateOverTime, lastDataDay, type EvaluationReport } from './evaluate.ts';
import { activateModel, activeVersion, registerModel } from './registry.ts';
import type { SamplingRecord } from './sampling.ts';
import { DEFAULT_FOREST, firstDataDay, trainModelAt, type TrainingOptions } from './train.ts';

export interface TrainJobOptions extends Partial<TrainingOptions> {
  /** Days before `until` used for the walk-forward evaluation. */
  evalDays?: number;
  /** Make this version active even when another one is. */
  activate?: boolean;
  note?: string;
}

export interface TrainJobResult {
  version: number;
  active: boolean;
  evaluation: EvaluationReport | null;
  examples: number;
  positives: number;
  /** The negative sampling the model was trained with (absent: the full training set). */
  sampling?: SamplingRecord;
}

/**
 * The recipe walking forward over the last `evalDays` (default 60) before `until`, beside the
 * baselines; null when there is too little history before them (or evalDays is 0).
 */
export async function evaluateRecipe(
  db: Db,
  o: TrainJobOptions & { until: string },
): Promise<EvaluationReport | null> {
  const first = await firstDataDay(db);
  const evalDays = o.evalDays ?? 60;
  const evalFrom = addDays(o.until, -evalDays);
  if (!first || evalDays <= 0 || evalFrom <= addDays(first, 60)) return null;
  try {
    return await evaluateOverTime(db, { ...o, until: evalFrom, to: o.until });
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    o.onProgress?.(`evaluation skipped: ${err.message}`);
    return null;
  }
}

export async function trainAndRegister(db: Db, o: TrainJobOptions = {}): Promise<TrainJobResult> {
  const until = o.until ?? (await lastDataDay(db));
  if (!until)
    throw new AppError('model_failed', '[train] there is no data yet: ingest feeds first');
  const evaluation = await evaluateRecipe(db, { ...o, until });
  const trained = await trainModelAt(db, { ...o, until });
  const version = await registerModel(db, {
    bundle: trained.bundle,
    trainedUntil: until,
    windowFrom: trained.set.days[0]!,
    windowTo: trained.set.days.at(-1)!,
    dataFingerprint: await dataFingerprint(db, until),
    params: {
      forest: { ...DEFAULT_FOREST, ...o.forest },
      horizonDays: trained.bundle.horizonDays,
      stepDays: o.stepDays ?? 7,
      calibrator: trained.bundle.calibrator.kind,
      // the negative sampling's rates and counts; null: the full training set
      sampling: trained.set.sampling ?? null,
    },
    metrics: {
      evaluation,
      examples: trained.set.labels.length,
      positives: trained.positives,
      fusion: trained.fusionChoice ?? null,
      text: trained.textChoice ?? null,
    },
    ...(o.note ? { note: o.note } : {}),
  });
  const current = await activeVersion(db);
  let active = false;
  if (o.activate || current === null) {
    await activateModel(
      db,
      version,
      'train',
      current === null ? 'first model' : 'activated at training',
    );
    active = true;
  }
  return {
    version,
    active,
    evaluation,
    examples: trained.set.labels.length,
    positives: trained.positives,
    ...(trained.set.sampling ? { sampling: trained.set.sampling } : {}),
  };
}
