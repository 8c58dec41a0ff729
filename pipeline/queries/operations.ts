/** What the 运行 page and GET /v1/runs show beside the ledger: held batches, files moved aside, notices. */
import type { Db } from '../db/index.ts';
import { listHeld, type HeldRow } from '../feeds/index.ts';
import { openNotices, type Notice } from '../ops/notices.ts';

export interface RejectedFileRow {
  folder: string;
  file_name: string;
  moved_to: string | null;
  reason: string;
  batch_id: number;
  rejected_at: string;
}

export async function recentRejectedFiles(db: Db, limit = 20): Promise<RejectedFileRow[]> {
  return db.all<RejectedFileRow>(
    `SELECT folder, file_name, moved_to, reason, batch_id::INTEGER AS batch_id, rejected_at::VARCHAR AS rejected_at
     FROM rejected_files ORDER BY rejected_at DESC, batch_id DESC LIMIT $n`,
    { n: limit },
  );
}

export interface OperationsState {
  held_batches: HeldRow[];
  rejected_files: RejectedFileRow[];
  notices: Notice[];
}

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
