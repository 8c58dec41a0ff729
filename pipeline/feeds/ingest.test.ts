import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDb, type Db } from '../db/index.ts';
import { GOOD, tmpDir, toCsv, toNdjson, USCC_A, writeFeedFile, type Rec } from './_fixtures.ts';
import { ingest, formatCounts } from './ingest.ts';
import { FEED_NAMES } from './specs.ts';

async function count(db: Db, table: string): Promise<number> {
  return (await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${table}`))!.n;
}

/** Every table's row count (but the ledger, which records each attempt). */
async function snapshot(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const f of FEED_NAMES) {
    out[f] = await count(db, f);
    out[`${f}_history`] = await count(db, `${f}_history`);
  }
  out['quarantine'] = await count(db, 'quarantine');
  out['source_files'] = await count(db, 'source_files');
  out['http_cursors'] = await count(db, 'http_cursors');
  return out;
}

describe('ingest: every feed, both formats', () => {
  for (const feed of FEED_NAMES) {
    for (const format of ['ndjson', 'csv'] as const) {
      it(`${feed} as ${format}`, async () => {
        await withDb(async (db) => {
          const dir = tmpDir();
          const recs = GOOD[feed];
          const text = format === 'ndjson' ? toNdjson(recs) : toCsv(recs);
          const path = writeFeedFile(dir, `${feed}.${format}`, text);
          const r = await ingest(db, { feed, source: path });
          expect(formatCounts(r)).toBe(
            `read ${recs.length}, accepted ${recs.length}, duplicate 0, corrected 0, quarantined 0`,
          );
          expect(await count(db, feed)).toBe(recs.length);
        });
      });
    }
  }

  it('stores values typed, timestamps as Shanghai days, unknown fields in extra', async () => {
    await withDb(async (db) => {
      const dir = tmpDir();
      const recs = [
        ...GOOD.ads,
        {
          ad_id: 'AD-3',
          seen_at: '2026-03-01T17:30:00Z',
          channel: 'sms',
          text: 'x',
          campaign: 'spring',
        },
      ];
      await ingest(db, { feed: 'ads', source: writeFeedFile(dir, 'ads.ndjson', toNdjson(recs)) });
      const rows = await db.all<{ ad_id: string; day: string; extra: string | null }>(
        `SELECT ad_id, seen_day::VARCHAR AS day, extra::VARCHAR AS extra FROM ads ORDER BY ad_id`,
      );
      expect(rows).toEqual([
        { ad_id: 'AD-1', day: '2026-03-01', extra: null },
        { ad_id: 'AD-2', day: '2026-03-02', extra: null },
        // 17:30 UTC is 01:30 the next day in Shanghai
        { ad_id: 'AD-3', day: '2026-03-02', extra: '{"campaign":"spring"}' },
      ]);
    });
  });

  it('keeps shareholders of NDJSON registrations as JSON', async () => {
    await withDb(async (db) => {
      const dir = tmpDir();
      const rec = {
        ...GOOD.registrations[0]!,
        shareholders: [{ name: '张伟', kind: 'person', share_pct: 100 }],
      };
      await ingest(db, {
        feed: 'registrations',
        source: writeFeedFile(dir, 'r.ndjson', toNdjson([rec])),
      });
      const row = await db.one<{ n: string }>(
        `SELECT shareholders->>'$[0].name' AS n FROM registrations`,
      );
      expect(row?.n).toBe('张伟');
    });
  });
});

describe('ingest: encodings and compression', () => {
  const complaintsCsv = toCsv(GOOD.complaints);

  it.each([
    ['GBK CSV', { gbk: true }, 'gbk'],
    ['UTF-8 CSV with BOM', { bom: true }, undefined],
    ['gzipped CSV', { gzip: true }, undefined],
    ['gzipped GBK CSV', { gzip: true, gbk: true }, 'gbk'],
    ['BOM wins over a declared GBK', { bom: true }, 'gbk'],
  ] as const)('%s', async (_name, opts, encoding) => {
    await withDb(async (db) => {
      const path = writeFeedFile(tmpDir(), 'complaints.csv', complaintsCsv, opts);
      const r = await ingest(db, {
        feed: 'complaints',
        source: path,
        ...(encoding ? { encoding } : {}),
      });
      expect(r.accepted).toBe(2);
      expect(r.quarantined).toBe(0);
      const texts = await db.all<{ t: string }>(
        `SELECT text AS t FROM complaints ORDER BY complaint_id`,
      );
      expect(texts.map((x) => x.t)).toEqual(['投资5万元到期无法提现，客服失联', '预付卡退费难']);
    });
  });

  it('gzipped NDJSON with BOM', async () => {
    await withDb(async (db) => {
      const path = writeFeedFile(tmpDir(), 'ads.ndjson', toNdjson(GOOD.ads), {
        gzip: true,
        bom: true,
      });
      expect((await ingest(db, { feed: 'ads', source: path })).accepted).toBe(2);
    });
  });

  it('GBK bytes read as UTF-8 are quarantined with a hint, not garbled into the table', async () => {
    await withDb(async (db) => {
      const path = writeFeedFile(tmpDir(), 'complaints.csv', complaintsCsv, { gbk: true });
      const r = await ingest(db, { feed: 'complaints', source: path });
      expect(r.quarantined).toBe(2);
      const q = await db.all<{ reason: string }>(`SELECT reason FROM quarantine`);
      expect(q[0]!.reason).toMatch(/not valid UTF-8 .*--encoding gbk/);
    });
  });
});

describe('ingest: duplicates, corrections, history', () => {
  it('re-ingesting the same file changes nothing', async () => {
    await withDb(async (db) => {
      const dir = tmpDir();
      const bad = '{"ad_id":"AD-9","seen_at":"yesterday","channel":"web","text":"x"}\n';
      const path = writeFeedFile(dir, 'ads.ndjson', toNdjson(GOOD.ads) + bad);
      const first = await ingest(db, { feed: 'ads', source: path });
      expect(formatCounts(first)).toBe(
        'read 3, accepted 2, duplicate 0, corrected 0, quarantined 1',
      );
      const before = await snapshot(db);
      const again = await ingest(db, { feed: 'ads', source: path });
      expect(formatCounts(again)).toBe(
        'read 3, accepted 0, duplicate 2, corrected 0, quarantined 1',
      );
      expect(await snapshot(db)).toEqual(before);
    });
  });

  it('a changed record with the same key is a correction: newest wins, history kept', async () => {
    await withDb(async (db) => {
      const dir = tmpDir();
      await ingest(db, {
        feed: 'ads',
        source: writeFeedFile(dir, 'a1.ndjson', toNdjson(GOOD.ads)),
      });
      const fixed = { ...GOOD.ads[0]!, text: '更正后的广告文本' };
      const r = await ingest(db, {
        feed: 'ads',
        source: writeFeedFile(dir, 'a2.ndjson', toNdjson([fixed, GOOD.ads[1]!])),
      });
      expect(formatCounts(r)).toBe('read 2, accepted 0, duplicate 1, corrected 1, quarantined 0');
      expect(await count(db, 'ads')).toBe(2);
      const current = await db.one<{ text: string; b: number }>(
        `SELECT text, _batch::INTEGER AS b FROM ads WHERE ad_id = 'AD-1'`,
      );
      expect(current).toEqual({ text: '更正后的广告文本', b: r.batches[0]!.batchId });
      const history = await db.all<{ text: string }>(
        `SELECT text FROM ads_history WHERE ad_id = 'AD-1' ORDER BY _batch`,
      );
      expect(history.map((h) => h.text)).toEqual([GOOD.ads[0]!['text'], '更正后的广告文本']);
    });
  });

  it('within one file: an exact repeat is a duplicate, a changed repeat a correction', async () => {
    await withDb(async (db) => {
      const a = GOOD.ads[0]!;
      const recs = [a, a, { ...a, text: 'v2' }, { ...a, text: 'v2' }, { ...a, text: 'v3' }];
      const r = await ingest(db, {
        feed: 'ads',
        source: writeFeedFile(tmpDir(), 'ads.ndjson', toNdjson(recs)),
      });
      expect(formatCounts(r)).toBe('read 5, accepted 1, duplicate 2, corrected 2, quarantined 0');
      expect((await db.one<{ text: string }>(`SELECT text FROM ads`))!.text).toBe('v3');
      expect(await count(db, 'ads_history')).toBe(3);
    });
  });

  it('registrations are keyed by (uscc, as_of): a new snapshot is a new record', async () => {
    await withDb(async (db) => {
      const r0 = GOOD.registrations[0]!;
      const recs = [r0, { ...r0, as_of: '2026-02-01', name: '珠海鑫盛资产管理有限公司' }];
      const r = await ingest(db, {
        feed: 'registrations',
        source: writeFeedFile(tmpDir(), 'r.ndjson', toNdjson(recs)),
      });
      expect(r.accepted).toBe(2);
    });
  });
});

describe('ingest: quarantine', () => {
  it('names the record and the reason; good records around it land', async () => {
    await withDb(async (db) => {
      const lines = [
        JSON.stringify(GOOD.complaints[0]),
        JSON.stringify({ ...GOOD.complaints[1], complaint_id: 'C-3', amount_cny: -500 }),
        '{"complaint_id": "C-4", broken',
        JSON.stringify({
          ...GOOD.complaints[1],
          complaint_id: 'C-5',
          target_uscc: '91440400MA4UXXXX3X',
        }),
        JSON.stringify({ ...GOOD.complaints[1], complaint_id: 'C-6', channel: 'tv' }),
        JSON.stringify({
          ...GOOD.complaints[1],
          complaint_id: 'C-7',
          received_at: '2026-02-30T10:00:00',
        }),
        JSON.stringify({
          complaint_id: 'C-8',
          received_at: '2026-04-02T09:00:00Z',
          channel: 'portal',
          text: 'x',
        }),
        '[1,2,3]',
        JSON.stringify(GOOD.complaints[1]),
      ];
      const path = writeFeedFile(tmpDir(), 'complaints.ndjson', lines.join('\n'));
      const r = await ingest(db, { feed: 'complaints', source: path });
      expect(formatCounts(r)).toBe('read 9, accepted 2, duplicate 0, corrected 0, quarantined 7');
      const q = await db.all<{ line_no: string; reason: string; raw: string; source: string }>(
        `SELECT line_no, reason, raw, source FROM quarantine ORDER BY line_no`,
      );
      expect(q.map((x) => [Number(x.line_no), x.reason])).toEqual([
        [2, 'amount_cny -500: must not be negative'],
        [3, expect.stringMatching(/^malformed JSON/)],
        [4, 'target_uscc 91440400MA4UXXXX3X: check digit should be 3'],
        [5, 'channel tv: not one of hotline_12345, portal, letter, visit, referral, other'],
        [6, 'received_at 2026-02-30T10:00:00: not a valid date and time'],
        [7, 'target_name: required field is missing'],
        [8, 'line is not a JSON object'],
      ]);
      expect(q[1]!.raw).toBe('{"complaint_id": "C-4", broken');
      expect(q[0]!.source).toBe(path);
    });
  });

  it('text with a broken surrogate pair is quarantined, its raw text kept readable', async () => {
    await withDb(async (db) => {
      const broken = {
        ...GOOD.ads[0]!,
        ad_id: 'AD-S',
        text: '金\ud83d★\udcb0恒会员日，消费返现3%',
      };
      const path = writeFeedFile(tmpDir(), 'ads.ndjson', toNdjson([broken, GOOD.ads[1]!]));
      const r = await ingest(db, { feed: 'ads', source: path });
      expect(formatCounts(r)).toBe('read 2, accepted 1, duplicate 0, corrected 0, quarantined 1');
      const q = await db.one<{ reason: string; raw: string }>(`SELECT reason, raw FROM quarantine`);
      expect(q!.reason).toMatch(/^text 金\uFFFD★\uFFFD恒.*unpaired UTF-16 surrogate/);
      expect(q!.raw).toContain('AD-S');
    });
  });

  it('CSV rows with the wrong number of fields are quarantined', async () => {
    await withDb(async (db) => {
      const csv =
        toCsv(GOOD.case_outcomes) +
        `${USCC_A},2026-07-01\n` +
        `${USCC_A},2026-07-02,cleared,,,extra\n`;
      const r = await ingest(db, {
        feed: 'case_outcomes',
        source: writeFeedFile(tmpDir(), 'o.csv', csv),
      });
      expect(formatCounts(r)).toBe('read 4, accepted 2, duplicate 0, corrected 0, quarantined 2');
      const q = await db.all<{ reason: string }>(`SELECT reason FROM quarantine ORDER BY line_no`);
      expect(q.map((x) => x.reason)).toEqual([
        'row has 2 fields, the header has 5',
        'row has 6 fields, the header has 5',
      ]);
    });
  });

  it('a CSV without a required column fails the batch and changes nothing', async () => {
    await withDb(async (db) => {
      const csv = 'uscc,decided_on\n' + `${USCC_A},2026-07-01\n`;
      await expect(
        ingest(db, { feed: 'case_outcomes', source: writeFeedFile(tmpDir(), 'o.csv', csv) }),
      ).rejects.toThrow(/lacks required column\(s\) outcome/);
      expect(await count(db, 'case_outcomes_history')).toBe(0);
    });
  });
});

describe('ingest: unreadable sources fail the batch and leave the database as it was', () => {
  it('a missing file', async () => {
    await withDb(async (db) => {
      await expect(ingest(db, { feed: 'ads', source: '/nonexistent/ads.ndjson' })).rejects.toThrow(
        /\[ingest:ads\] cannot read \/nonexistent\/ads.ndjson: no such file or folder/,
      );
    });
  });

  it('a truncated gzip', async () => {
    await withDb(async (db) => {
      const dir = tmpDir();
      await ingest(db, {
        feed: 'ads',
        source: writeFeedFile(dir, 'ok.ndjson', toNdjson([GOOD.ads[0]!])),
      });
      const before = await snapshot(db);
      const many = Array.from({ length: 5000 }, (_, i) => ({ ...GOOD.ads[1]!, ad_id: `T-${i}` }));
      const gz = gzipSync(Buffer.from(toNdjson(many)));
      const path = join(dir, 'cut.ndjson.gz');
      writeFileSync(path, gz.subarray(0, Math.floor(gz.length * 0.6)));
      await expect(ingest(db, { feed: 'ads', source: path })).rejects.toThrow(
        /\[ingest:ads\] .*cut\.ndjson\.gz: unexpected end of file/,
      );
      expect(await snapshot(db)).toEqual(before);
      const ledger = await db.all<{ status: string; error: string }>(
        `SELECT status, error FROM ingest_batches ORDER BY batch_id`,
      );
      expect(ledger.map((l) => l.status)).toEqual(['ok', 'failed']);
    });
  });

  it('an unknown file type', async () => {
    await withDb(async (db) => {
      const path = writeFeedFile(tmpDir(), 'ads.xml', '<ads/>');
      await expect(ingest(db, { feed: 'ads', source: path })).rejects.toThrow(/unknown file type/);
    });
  });
});

describe('ingest: drop folder', () => {
  it('picks each new file once, remembered across runs (and across reopening)', async () => {
    const dir = tmpDir();
    const dbPath = join(tmpDir(), 'drop.duckdb');
    const { openMigratedDb } = await import('../db/index.ts');
    writeFeedFile(dir, '2026-03-01.ndjson', toNdjson([GOOD.ads[0]!]));
    writeFeedFile(dir, '2026-03-02.csv', toCsv([GOOD.ads[1]!]));
    writeFeedFile(dir, 'README.txt', 'not a feed');
    let db = await openMigratedDb(dbPath);
    const first = await ingest(db, { feed: 'ads', source: dir });
    expect(first.batches.map((b) => b.source.split('/').pop())).toEqual([
      '2026-03-01.ndjson',
      '2026-03-02.csv',
    ]);
    expect(first.accepted).toBe(2);
    db.close();

    db = await openMigratedDb(dbPath);
    expect((await ingest(db, { feed: 'ads', source: dir })).batches).toHaveLength(0);
    writeFeedFile(
      dir,
      '2026-03-03.ndjson.gz'.replace('.gz', ''),
      toNdjson([{ ...GOOD.ads[0]!, ad_id: 'AD-7' }]),
      { gzip: true },
    );
    const third = await ingest(db, { feed: 'ads', source: dir });
    expect(third.batches).toHaveLength(1);
    expect(third.accepted).toBe(1);
    expect(await count(db, 'source_files')).toBe(3);
    db.close();
  });
});

describe('ingest: HTTP source', () => {
  let server: Server;
  let base = '';
  const requests: string[] = [];
  const all: Rec[] = GOOD.ads.map((a, i) => ({
    ...a,
    ad_id: `H-${i}`,
    seen_at: `2026-03-0${i + 1}T10:00:00+08:00`,
  }));

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      requests.push(url.pathname + url.search);
      if (url.pathname === '/broken') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
        return;
      }
      if (url.pathname === '/ads.csv') {
        res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' }).end(toCsv(all));
        return;
      }
      const since = url.searchParams.get('since');
      const recs = since === null ? all.slice(0, 1) : all.slice(1);
      res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(toNdjson(recs));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('pulls NDJSON, then only what is new with since', async () => {
    await withDb(async (db) => {
      const t1 = new Date('2026-03-01T12:00:00Z');
      const first = await ingest(db, { feed: 'ads', source: `${base}/ads`, now: () => t1 });
      expect(first.accepted).toBe(1);
      const second = await ingest(db, {
        feed: 'ads',
        source: `${base}/ads`,
        now: () => new Date('2026-03-02T12:00:00Z'),
      });
      expect(second.accepted).toBe(1);
      expect(requests.slice(-2)).toEqual([
        '/ads',
        `/ads?since=${encodeURIComponent(t1.toISOString())}`,
      ]);
      expect(await count(db, 'ads')).toBe(2);
    });
  });

  it('reads CSV by content type', async () => {
    await withDb(async (db) => {
      expect((await ingest(db, { feed: 'ads', source: `${base}/ads.csv` })).accepted).toBe(2);
    });
  });

  it('an HTTP 500 fails the batch with a clear error and changes nothing', async () => {
    await withDb(async (db) => {
      const before = await snapshot(db);
      await expect(ingest(db, { feed: 'ads', source: `${base}/broken` })).rejects.toThrow(
        `[ingest:ads] HTTP 500 Internal Server Error from ${base}/broken`,
      );
      expect(await snapshot(db)).toEqual(before);
      expect(await count(db, 'http_cursors')).toBe(0);
    });
  });
});
