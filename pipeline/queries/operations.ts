/** What the 运行 page and GET /v1/runs show beside the ledger: held batches, files moved aside, notices. */
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { listHeld } from '../feeds/index.ts';
import { openNotices } from '../ops/notices.ts';

export const HeldBatchRow = z
  .object({
    batch_id: z.number().int(),
    feed: z.string(),
    source: z.string().meta({ description: 'the file or URL (URLs for admins only)' }),
    source_kind: z.string(),
    reason: z.string(),
    read: z.number().int(),
    quarantined: z.number().int(),
    held_at: z.string(),
    status: z.enum(['held', 'released', 'discarded']),
    decided_at: z.string().nullable(),
    decided_by: z.string().nullable(),
    applied_batch: z.number().int().nullable(),
  })
  .meta({ id: 'HeldBatch' });

export const RejectedFileRow = z
  .object({
    folder: z.string(),
    file_name: z.string(),
    moved_to: z.string().nullable(),
    reason: z.string(),
    batch_id: z.number().int(),
    rejected_at: z.string(),
  })
  .meta({ id: 'RejectedFile' });
export type RejectedFileRow = z.output<typeof RejectedFileRow>;

export const NoticeRow = z
  .object({
    notice_id: z.number().int(),
    raised_at: z.string(),
    level: z.enum(['warning', 'error']),
    kind: z.string(),
    subject: z.string().nullable(),
    message: z.string(),
  })
  .meta({ id: 'Notice' });

/** What needs an admin, beside the run ledger (GET /v1/runs). */
export const OperationsState = z.object({
  held_batches: z.array(HeldBatchRow).meta({ description: 'feed batches held back, not applied' }),
  rejected_files: z
    .array(RejectedFileRow)
    .meta({ description: 'drop-folder files moved aside lately, with the reason' }),
  notices: z.array(NoticeRow).meta({ description: 'open operations notices' }),
});

export async function recentRejectedFiles(db: Db, limit = 20): Promise<RejectedFileRow[]> {
  return db.all<RejectedFileRow>(
    `SELECT folder, file_name, moved_to, reason, batch_id::INTEGER AS batch_id, rejected_at::VARCHAR AS rejected_at
     FROM rejected_files ORDER BY rejected_at DESC, batch_id DESC LIMIT $n`,
    { n: limit },
  );
}

export type OperationsState = z.output<typeof OperationsState>;

/** Held batches waiting for an admin, files moved aside lately, and open notices. */
export async function operationsState(db: Db): Promise<OperationsState> {
  return {
    held_batches: await listHeld(db),
    rejected_files: await recentRejectedFiles(db),
    notices: await openNotices(db),
  };
}

/** Source URLs (which may carry credentials or internal hosts) are shown to admins only. */
export function hideUrls(text: string): string;
export function hideUrls(text: string | null): string | null;
export function hideUrls(text: string | null): string | null {
  return text === null ? null : text.replace(/\bhttps?:\/\/[^\s'"()<>]+/gi, '[URL: admins only]');
}
