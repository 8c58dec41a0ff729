/** Tiny feed data for the API's operations tests: two valid ads, NDJSON lines, a temp folder. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Rec = Record<string, unknown>;

/** Two ads that follow the feed contract. */
export const ADS: Rec[] = [
  {
    ad_id: 'AD-1',
    seen_at: '2026-03-01T09:30:00+08:00',
    channel: 'wechat',
    advertiser_name: '鑫盛财富',
    text: '保本保息，年化收益18%，推荐好友再返现金，名额有限！',
  },
  {
    ad_id: 'AD-2',
    seen_at: '2026-03-02T10:00:00+08:00',
    channel: 'web',
    text: '新店开业，全场八折',
  },
];

/** The same ads with `text` renamed to `field` (a source that renamed a required field). */
export function renamedText(recs: Rec[], field: string, prefix: string): Rec[] {
  return recs.map(({ text, ...r }) => ({
    ...r,
    ad_id: `${prefix}${String(r['ad_id'])}`,
    [field]: text,
  }));
}

export function toNdjson(records: Rec[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

export function tmpDir(prefix = 'dafei-api-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
