/**
 * A batch larger than DuckDB's row group (122,880 rows) and than one block, with keys repeated
 * inside a block (so a block is applied in several rounds), duplicates, corrections and bad lines,
 * must be fully visible to the process that ingested it right after the ingest returns (see
 * Db.checkpoint and pipeline/db/checkpoint.test.ts). Counted three ways: the ingest's own counts,
 * the tables in this process, and the tables after reopening the file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openMigratedDb } from '../db/index.ts';
import { tmpDir } from './_fixtures.ts';
import { ingest } from './ingest.ts';

const ROWS = 300_000;
const LOREM = '本公司专业提供理财咨询服务，稳健收益，欢迎来电咨询。'.repeat(3);

describe('ingest: large batches with repeated keys', () => {
  it('every accepted row is visible in the same process and after reopening', async () => {
    const dir = tmpDir('dafei-large-');
    const lines: string[] = [];
    const want = { read: ROWS, accepted: 0, duplicate: 0, corrected: 0, quarantined: 0 };
    const seen = new Map<number, string>();
    for (let i = 0; i < ROWS; i++) {
      // every 1000th line repeats the previous ad: identical (duplicate) or with a new text (corrected)
      const repeat = i % 1000 === 1;
      const id = repeat ? i - 1 : i;
      // long texts, as real ads have: the batch is large in bytes, not only in rows
      const body = `广告 ${id} ${LOREM}`;
      const text = repeat && i % 2000 === 1 ? `更正：${body}` : body;
      const bad = i % 997 === 5; // and a few unreadable times, quarantined
      if (bad) want.quarantined++;
      else if (!seen.has(id)) want.accepted++;
      else if (seen.get(id) === text) want.duplicate++;
      else want.corrected++;
      if (!bad) seen.set(id, text);
      lines.push(
        bad
          ? JSON.stringify({ ad_id: `AD-${id}`, seen_at: 'not a time', channel: 'web', text })
          : JSON.stringify({
              ad_id: `AD-${id}`,
              seen_at: '2026-03-01T09:30:00+08:00',
              channel: 'web',
              text,
            }),
      );
    }
    const file = join(dir, 'ads.ndjson');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const path = join(dir, 'db.duckdb');
    const db = await openMigratedDb(path);
    const r = await ingest(db, { feed: 'ads', source: file });
    expect(r).toMatchObject(want);
    expect(want.duplicate).toBeGreaterThan(0);
    expect(want.corrected).toBeGreaterThan(0);
    const count = async (d: typeof db) =>
      d.one<{ history: number; current: number }>(
        `SELECT (SELECT count(*) FROM ads_history)::INTEGER AS history, (SELECT count(*) FROM ads)::INTEGER AS current`,
      );
    const expected = { history: r.accepted + r.corrected, current: r.accepted };
    expect(await count(db)).toEqual(expected);
    db.close();
    const again = await openMigratedDb(path);
    expect(await count(again)).toEqual(expected);
    again.close();
  }, 120_000);
});
