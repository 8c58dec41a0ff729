/**
 * The model registry: trained versions with their window, data fingerprint, features, parameters,
 * metrics and artefact; the active model (champion) is the latest activation; the others are
 * challengers. Activate and roll back are recorded, never edited.
 */
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { bundleFromJson, bundleToJson, type ModelBundle } from './bundle.ts';

export const ModelVersionInfo = z
  .object({
    version: z.number().int(),
    created_at: z.string(),
    kind: z.string(),
    trained_until: z.string(),
    window_from: z.string(),
    window_to: z.string(),
    horizon_days: z.number().int(),
    data_fingerprint: z.string(),
    features: z.array(z.string()),
    params: z
      .record(z.string(), z.unknown())
      .meta({ description: "the learner's parameters as trained (by model kind)" }),
    metrics: z.record(z.string(), z.unknown()).nullable().meta({
      description:
        'the evaluation recorded at training (evaluation, examples, positives, fusion; versions trained earlier may lack parts)',
    }),
    note: z.string().nullable(),
    active: z.boolean(),
  })
  .meta({ id: 'ModelVersion' });
export type ModelVersionInfo = z.output<typeof ModelVersionInfo>;

export interface RegisterInput {
  bundle: ModelBundle;
  trainedUntil: string;
  windowFrom: string;
  windowTo: string;
  dataFingerprint: string;
  params: unknown;
  metrics: unknown;
  note?: string;
}

export async function registerModel(db: Db, m: RegisterInput): Promise<number> {
  return db.transaction(async (tx) => {
    const next = (await tx.one<{ v: number }>(
      `SELECT coalesce(max(version), 0)::INTEGER + 1 AS v FROM model_versions`,
    ))!.v;
    await tx.run(
      `INSERT INTO model_versions VALUES ($v, now(), 'forest', $until::DATE, $from::DATE, $to::DATE, $h, $fp,
         $features::JSON, $params::JSON, $metrics::JSON, $artifact, $note)`,
      {
        v: next,
        until: m.trainedUntil,
        from: m.windowFrom,
        to: m.windowTo,
        h: m.bundle.horizonDays,
        fp: m.dataFingerprint,
        features: JSON.stringify(m.bundle.features),
        params: JSON.stringify(m.params),
        metrics: JSON.stringify(m.metrics),
        artifact: bundleToJson(m.bundle),
        note: m.note ?? null,
      },
    );
    return next;
  });
}

/**
 * Adds the walk-forward evaluation of a version's recipe to its metrics, when it was measured
 * after the version was registered (the demo activates its first model before evaluating it).
 */
export async function recordEvaluation(
  db: Db,
  version: number,
  evaluation: unknown,
): Promise<void> {
  const r = await db.one<{ metrics: string }>(
    `SELECT metrics::VARCHAR AS metrics FROM model_versions WHERE version = $v`,
    { v: version },
  );
  if (!r) throw new AppError('not_found', `model version ${version} does not exist`);
  const metrics = { ...(JSON.parse(r.metrics) as Record<string, unknown>), evaluation };
  await db.run(`UPDATE model_versions SET metrics = $m::JSON WHERE version = $v`, {
    v: version,
    m: JSON.stringify(metrics),
  });
}

/** The active model's version, or null when the rule index ranks alone. */
export async function activeVersion(db: Db): Promise<number | null> {
  const r = await db.one<{ version: number | null }>(
    `SELECT version FROM model_activations ORDER BY seq DESC LIMIT 1`,
  );
  return r?.version ?? null;
}

export async function loadModel(db: Db, version: number): Promise<ModelBundle> {
  const r = await db.one<{ artifact: string }>(
    `SELECT artifact FROM model_versions WHERE version = $v`,
    { v: version },
  );
  if (!r) throw new AppError('not_found', `model version ${version} does not exist`);
  return bundleFromJson(r.artifact);
}

export async function listModels(db: Db): Promise<ModelVersionInfo[]> {
  const active = await activeVersion(db);
  const rows = await db.all<
    Omit<ModelVersionInfo, 'active' | 'features' | 'params' | 'metrics'> & {
      features: string;
      params: string;
      metrics: string;
    }
  >(
    `SELECT version, created_at::VARCHAR AS created_at, kind, trained_until::VARCHAR AS trained_until,
            window_from::VARCHAR AS window_from, window_to::VARCHAR AS window_to, horizon_days,
            data_fingerprint, features::VARCHAR AS features, params::VARCHAR AS params, metrics::VARCHAR AS metrics, note
     FROM model_versions ORDER BY version`,
  );
  return rows.map((r) => ({
    ...r,
    features: JSON.parse(r.features) as string[],
    params: JSON.parse(r.params) as ModelVersionInfo['params'],
    metrics: JSON.parse(r.metrics) as ModelVersionInfo['metrics'],
    active: r.version === active,
  }));
}

async function recordActivation(
  db: Db,
  version: number | null,
  action: 'activate' | 'rollback',
  actor: string,
  note?: string,
) {
  await db.run(
    `INSERT INTO model_activations
     SELECT coalesce(max(seq), 0) + 1, $v, $action, now(), $actor, $note FROM model_activations`,
    { v: version, action, actor, note: note ?? null },
  );
}

/** Makes `version` the champion. */
export async function activateModel(
  db: Db,
  version: number,
  actor = 'cli',
  note?: string,
): Promise<void> {
  const exists = await db.one(`SELECT 1 AS x FROM model_versions WHERE version = $v`, {
    v: version,
  });
  if (!exists) throw new AppError('not_found', `model version ${version} does not exist`);
  await recordActivation(db, version, 'activate', actor, note);
}

/** Goes back to the model active before the current one (or to the rule index). Returns it. */
export async function rollbackModel(db: Db, actor = 'cli', note?: string): Promise<number | null> {
  const rows = await db.all<{ version: number | null }>(
    `SELECT version FROM model_activations ORDER BY seq DESC`,
  );
  if (rows.length === 0)
    throw new AppError('not_found', 'no model has been activated: nothing to roll back');
  const current = rows[0]!.version;
  const previous = rows.slice(1).find((r) => r.version !== current)?.version ?? null;
  await recordActivation(db, previous, 'rollback', actor, note ?? `from ${current ?? 'rules'}`);
  return previous;
}
