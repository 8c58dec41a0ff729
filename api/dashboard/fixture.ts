/**
 * Builds a dashboard database from a city's feeds (the browser tests' small city, `_browser.ts`;
 * the sample city for local development): ingest → backfill the last `days` of lists → train
 * (the first model becomes active).
 * Not a runtime module: only tests and dev scripts import it.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { Db } from '../../pipeline/db/index.ts';
import { loadSample, SAMPLE_DIR } from '../../pipeline/demo.ts';
import { addDays, lastDataDay, trainAndRegister } from '../../pipeline/modeling/index.ts';
import { backfill } from '../../pipeline/backfill.ts';

export interface SampleDbOptions {
  /** Folder of the city feeds (default: data-samples/city/). */
  dir?: string;
  /** Days of lists to backfill, ending on the last data day. */
  days?: number;
  /** Days of walk-forward evaluation stored with the model (the 模型 page shows it). */
  evalDays?: number;
  /** Train and register a model after the backfill (default true). */
  train?: boolean;
  log?: (line: string) => void;
}

export function sampleCityPresent(dir = SAMPLE_DIR): boolean {
  return existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('registrations.'));
}

/** Fills `db` (migrated, empty) and returns the last list day. */
export async function buildSampleDb(db: Db, o: SampleDbOptions = {}): Promise<string> {
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  const lap = (what: string) => log(`${what} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await loadSample(db, { out: log, err: log }, o.dir ?? SAMPLE_DIR);
  lap('ingested');
  const last = await lastDataDay(db);
  if (!last) throw new Error('[dashboard:fixture] the sample city holds no data');
  const from = addDays(last, -((o.days ?? 14) - 1));
  // Day one works without labels: the lists of the range are ranked by the rule index alone (as a
  // city starting out would have them); then a model is trained on the outcomes known by the last
  // day and becomes the active one (the 模型 page shows it with its walk-forward evaluation).
  await backfill(db, { from, to: last, progress: false });
  lap('backfilled');
  if (o.train !== false) {
    await trainAndRegister(db, { until: last, evalDays: o.evalDays ?? 30 });
    lap('trained');
  }
  return last;
}
