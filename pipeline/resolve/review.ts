/**
 * Investigator reviews of links, append-only (link_reviews). The latest review of a
 * (kind, record_id, uscc) pair is in force: a confirmed link wins over any evidence in every later
 * run; a rejected pair is never proposed again. A review takes effect at the next resolve() (an
 * incremental run re-resolves exactly the reviewed records).
 */
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { normaliseUscc } from '../feeds/index.ts';

export type RecordKind = 'ad' | 'complaint';
export type Verdict = 'confirm' | 'reject';

export interface ReviewLinkOptions {
  kind: RecordKind;
  recordId: string;
  uscc: string;
  verdict: Verdict;
  reviewer: string;
  note?: string | null;
  /** Clock for reviewed_at (tests). */
  now?: Date;
}

export class ResolveError extends AppError {}

/** Records an investigator's verdict on (record, enterprise); returns the review id. */
export async function reviewLink(db: Db, o: ReviewLinkOptions): Promise<number> {
  if (o.kind !== 'ad' && o.kind !== 'complaint') {
    throw new ResolveError(
      'usage',
      `[resolve] kind must be 'ad' or 'complaint', got '${String(o.kind)}'`,
    );
  }
  if (o.verdict !== 'confirm' && o.verdict !== 'reject') {
    throw new ResolveError(
      'usage',
      `[resolve] verdict must be 'confirm' or 'reject', got '${String(o.verdict)}'`,
    );
  }
  if (o.reviewer.trim() === '')
    throw new ResolveError('usage', '[resolve] a review needs a reviewer');
  const uscc = normaliseUscc(o.uscc);
  const table = o.kind === 'ad' ? 'ads' : 'complaints';
  const idCol = o.kind === 'ad' ? 'ad_id' : 'complaint_id';
  const rec = await db.one(`SELECT 1 AS x FROM ${table} WHERE ${idCol} = $id`, { id: o.recordId });
  if (rec === undefined)
    throw new ResolveError('not_found', `[resolve] no ${o.kind} with id ${o.recordId}`);
  const ent = await db.one(`SELECT 1 AS x FROM registrations WHERE uscc = $uscc LIMIT 1`, { uscc });
  if (ent === undefined)
    throw new ResolveError('not_found', `[resolve] no enterprise ${uscc} in the register`);
  const row = await db.one<{ id: number | string }>(
    `INSERT INTO link_reviews (kind, record_id, uscc, verdict, reviewer, reviewed_at, note)
     VALUES ($kind, $id, $uscc, $verdict, $reviewer, $at::TIMESTAMPTZ, $note) RETURNING review_id AS id`,
    {
      kind: o.kind,
      id: o.recordId,
      uscc,
      verdict: o.verdict,
      reviewer: o.reviewer,
      at: (o.now ?? new Date()).toISOString(),
      note: o.note ?? null,
    },
  );
  return Number(row!.id);
}
