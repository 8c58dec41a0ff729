/**
 * `dafei backfill`: every day of a range in order. Resumable: a day that already has a list is
 * skipped (unless `force`), so a backfill stopped half-way continues where it stopped.
 */
import type { Db } from './db/index.ts';
import { dayRange } from './modeling/days.ts';
import { createProgress } from './progress.ts';
import { resolve } from './resolve/index.ts';
import { runDay, type RunDayResult } from './run-day.ts';

export interface BackfillOptions {
  from: string;
  to: string;
  force?: boolean;
  progress?: boolean;
}

export interface BackfillResult {
  days: number;
  ran: number;
  skipped: number;
  seconds: number;
  last?: RunDayResult;
}

export async function backfill(db: Db, o: BackfillOptions): Promise<BackfillResult> {
  const t0 = performance.now();
  const days = dayRange(o.from, o.to);
  const done = new Set(
    (
      await db.all<{ d: string }>(
        `SELECT DISTINCT day::VARCHAR AS d FROM list_revisions WHERE day BETWEEN $f::DATE AND $t::DATE`,
        { f: o.from, t: o.to },
      )
    ).map((r) => r.d),
  );
  // Links are point in time (each record uses only what the register knew on its day), so one
  // resolution up front serves every day of the range.
  await resolve(db);
  const bar = o.progress === false ? null : createProgress('backfill', days.length);
  let ran = 0;
  let last: RunDayResult | undefined;
  for (const day of days) {
    if (!o.force && done.has(day)) {
      bar?.tick(`${day} (already listed)`);
      continue;
    }
    last = await runDay(db, day, { skipResolve: true });
    ran++;
    bar?.tick(`${day} listed ${last.listed}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  bar?.done();
  return { days: days.length, ran, skipped: days.length - ran, seconds, ...(last ? { last } : {}) };
}
