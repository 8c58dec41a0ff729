/**
 * The review workflow of an enterprise on the list, as append-only events:
 *   待核查 → 核查中 → 排除 | 移交 | 认定;  移交 → 排除 | 认定.
 * The state is the latest event (none = 待核查). An event may keep the state and only change the
 * assignee or add a note. 认定 and 排除 also write a case_outcomes record (confirmed / cleared,
 * decided_on = the event's Shanghai day) in its own ingest batch (source 'dispositions'), so
 * reviews feed retraining and the ingest ledger's counts still add up.
 */
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { shanghaiDay } from '../modeling/days.ts';

export const DISPOSITION_STATUSES = ['待核查', '核查中', '排除', '移交', '认定'] as const;
export type DispositionStatus = (typeof DISPOSITION_STATUSES)[number];
export const DISPOSITION_INITIAL: DispositionStatus = '待核查';

/** Allowed next states (staying in the same state is allowed: reassignment, notes). */
export const TRANSITIONS: Readonly<Record<DispositionStatus, readonly DispositionStatus[]>> = {
  待核查: ['核查中'],
  核查中: ['排除', '移交', '认定'],
  移交: ['排除', '认定'],
  排除: [],
  认定: [],
};

export class WorkflowError extends AppError {
  readonly from: string;
  readonly to: string;
  constructor(from: string, to: string) {
    super(
      'usage',
      `cannot go from ${from} to ${to}; allowed: ${TRANSITIONS[from as DispositionStatus]?.join(', ') || 'none (closed)'}`,
    );
    this.from = from;
    this.to = to;
  }
}

export const DispositionRow = z
  .object({
    disposition_id: z.number().int(),
    alert_day: z.string(),
    uscc: z.string(),
    status: z.enum(DISPOSITION_STATUSES),
    actor: z.string(),
    role: z.string(),
    at: z.string(),
    note: z.string().nullable(),
    assignee: z.string().nullable(),
    outcome_batch: z.number().int().nullable(),
  })
  .meta({ id: 'Disposition' });
export type DispositionRow = z.output<typeof DispositionRow>;

const COLUMNS = `disposition_id::INTEGER AS disposition_id, alert_day::VARCHAR AS alert_day, uscc, status, actor, role,
  strftime(acted_at AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%dT%H:%M:%S+08:00') AS at, note, assignee, outcome_batch::INTEGER AS outcome_batch`;

export async function dispositionsOf(db: Db, uscc: string): Promise<DispositionRow[]> {
  return db.all<DispositionRow & Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM dispositions WHERE uscc = $u ORDER BY disposition_id`,
    { u: uscc },
  );
}

export interface RecordDispositionInput {
  day: string;
  uscc: string;
  status: DispositionStatus;
  actor: string;
  role: string;
  note?: string | undefined;
  /** undefined = keep the current assignee; null = unassign. */
  assignee?: string | null | undefined;
  caseRef?: string | undefined;
  now?: Date;
}

/**
 * Appends one event after checking the transition. Runs in one transaction with the outcome
 * record it may produce. The caller checks that (day, uscc) is an alert. (The API goes through
 * pipeline/workflow, which also serialises changes per enterprise and asks for two people.)
 */
export async function recordDisposition(
  db: Db,
  i: RecordDispositionInput,
): Promise<DispositionRow> {
  return db.transaction((tx) => appendDisposition(tx, i));
}

/** The latest event of an enterprise (its state), or undefined (待核查, never touched). */
export async function lastDisposition(
  tx: Db,
  uscc: string,
): Promise<
  | {
      disposition_id: number;
      status: DispositionStatus;
      assignee: string | null;
      outcome_batch: number | null;
    }
  | undefined
> {
  return tx.one(
    `SELECT disposition_id::INTEGER AS disposition_id, status, assignee, outcome_batch::INTEGER AS outcome_batch
     FROM dispositions WHERE uscc = $u ORDER BY disposition_id DESC LIMIT 1`,
    { u: uscc },
  );
}

/**
 * Appends one event inside the caller's transaction. `check: false` skips the transition check,
 * for the workflow's own moves (an accepted or returned referral, a reopening).
 */
export async function appendDisposition(
  tx: Db,
  i: RecordDispositionInput,
  o: { check?: boolean } = {},
): Promise<DispositionRow> {
  const now = i.now ?? new Date();
  const last = await lastDisposition(tx, i.uscc);
  const from = last?.status ?? DISPOSITION_INITIAL;
  if (o.check !== false) {
    if (from !== i.status && !TRANSITIONS[from].includes(i.status))
      throw new WorkflowError(from, i.status);
    if (from === i.status && (from === '排除' || from === '认定'))
      throw new WorkflowError(from, i.status);
  }
  const assignee = i.assignee === undefined ? (last?.assignee ?? null) : i.assignee;
  let batch: number | null = null;
  if (i.status === '认定' || i.status === '排除') {
    batch = await writeOutcome(tx, {
      uscc: i.uscc,
      decidedOn: shanghaiDay(now),
      outcome: i.status === '认定' ? 'confirmed' : 'cleared',
      caseRef: i.caseRef ?? null,
      note: i.note ?? null,
      actor: i.actor,
      alertDay: i.day,
      now,
    });
  }
  const row = await tx.one<DispositionRow & Record<string, unknown>>(
    `INSERT INTO dispositions (alert_day, uscc, status, actor, role, acted_at, note, assignee, outcome_batch)
     VALUES ($d::DATE, $u, $s, $actor, $role, $at::TIMESTAMPTZ, $note, $assignee, $batch)
     RETURNING ${COLUMNS}`,
    {
      d: i.day,
      u: i.uscc,
      s: i.status,
      actor: i.actor,
      role: i.role,
      at: now.toISOString(),
      note: i.note ?? null,
      assignee,
      batch,
    },
  );
  return row!;
}

interface OutcomeInput {
  uscc: string;
  decidedOn: string;
  outcome: 'confirmed' | 'cleared';
  caseRef: string | null;
  note: string | null;
  actor: string;
  alertDay: string;
  now: Date;
}

/**
 * One case_outcomes record in its own batch, exactly as the ingest would store it: key
 * uscc␟decided_on, content hash over the text values, a correction of a same-day outcome marks
 * the older version superseded. read = accepted + duplicate + corrected + quarantined holds.
 */
async function writeOutcome(tx: Db, o: OutcomeInput): Promise<number> {
  const batch = (await tx.one<{ b: number }>(`SELECT nextval('ingest_batch_seq')::INTEGER AS b`))!
    .b;
  const key = `${o.uscc}\u001f${o.decidedOn}`;
  const extra = JSON.stringify({ source: 'dispositions', actor: o.actor, alert_day: o.alertDay });
  const prev = await tx.one<{ _batch: number; _line: number; _hash: string }>(
    `SELECT _batch::INTEGER AS _batch, _line::INTEGER AS _line, _hash FROM case_outcomes WHERE _key = $k`,
    { k: key },
  );
  const hashRow = (await tx.one<{ h: string }>(
    `SELECT md5(concat_ws(chr(31), $u, $d, $o, coalesce($ref::VARCHAR, chr(0)), coalesce($note::VARCHAR, chr(0)), $extra)) AS h`,
    { u: o.uscc, d: o.decidedOn, o: o.outcome, ref: o.caseRef, note: o.note, extra },
  ))!;
  const cls = !prev ? 'accepted' : prev._hash === hashRow.h ? 'duplicate' : 'corrected';
  if (cls === 'corrected') {
    await tx.run(`INSERT INTO case_outcomes_superseded VALUES ($b, $l, $by)`, {
      b: prev!._batch,
      l: prev!._line,
      by: batch,
    });
  }
  if (cls !== 'duplicate') {
    await tx.run(
      `INSERT INTO case_outcomes_history VALUES ($u, $d::DATE, $o, $ref, $note, $extra::JSON, $k, $h, $b, 1)`,
      {
        u: o.uscc,
        d: o.decidedOn,
        o: o.outcome,
        ref: o.caseRef,
        note: o.note,
        extra,
        k: key,
        h: hashRow.h,
        b: batch,
      },
    );
  }
  await tx.run(
    `INSERT INTO ingest_batches VALUES ($b, 'case_outcomes', 'dispositions', 'api', $at::TIMESTAMPTZ, $at::TIMESTAMPTZ,
       'ok', 1, $acc, $dup, $cor, 0, NULL, NULL)`,
    {
      b: batch,
      at: o.now.toISOString(),
      acc: cls === 'accepted' ? 1 : 0,
      dup: cls === 'duplicate' ? 1 : 0,
      cor: cls === 'corrected' ? 1 : 0,
    },
  );
  return batch;
}

/**
 * Supersedes the case outcome a 认定 / 排除 event wrote (batch `outcomeBatch`) when the enterprise
 * is reopened: its rows stay in case_outcomes_history, marked superseded in their own ingest batch
 * (source 'reopen', nothing read), so training no longer uses them. Returns that batch, or null
 * when nothing was current any more (e.g. a later correction had already replaced it).
 */
export async function supersedeOutcome(
  tx: Db,
  outcomeBatch: number,
  o: { now: Date },
): Promise<number | null> {
  const rows = await tx.all<{ _batch: number; _line: number }>(
    `SELECT _batch::INTEGER AS _batch, _line::INTEGER AS _line FROM case_outcomes WHERE _batch = $b`,
    { b: outcomeBatch },
  );
  if (rows.length === 0) return null;
  const batch = (await tx.one<{ b: number }>(`SELECT nextval('ingest_batch_seq')::INTEGER AS b`))!
    .b;
  for (const r of rows)
    await tx.run(`INSERT INTO case_outcomes_superseded VALUES ($b, $l, $by)`, {
      b: r._batch,
      l: r._line,
      by: batch,
    });
  await tx.run(
    `INSERT INTO ingest_batches VALUES ($b, 'case_outcomes', 'reopen', 'api', $at::TIMESTAMPTZ, $at::TIMESTAMPTZ,
       'ok', 0, 0, 0, 0, 0, NULL, NULL)`,
    { b: batch, at: o.now.toISOString() },
  );
  return batch;
}
