/**
 * Feed failures that never go silent: line-length limit while streaming, gzip and HTTP size caps,
 * drop-folder isolation (an unreadable file moved aside, the others land), held batches (not
 * applied, cursor not moved, released or discarded by an admin), HTTP credentials and redirects.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDb, type Db } from '../db/index.ts';
import { GOOD, tmpDir, toCsv, toNdjson, writeFeedFile, type Rec } from './_fixtures.ts';
import { formatCounts, ingest } from './ingest.ts';
import { discardHeld, listHeld, releaseHeld } from './held.ts';
import { gunzipOf, limitLines, LONG_LINE_HEAD, type LongLine } from './limits.ts';

async function count(db: Db, sql: string): Promise<number> {
  return (await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${sql}`))!.n;
}

function ads(n: number, prefix = 'A'): Rec[] {
  return Array.from({ length: n }, (_, i) => ({ ...GOOD.ads[0]!, ad_id: `${prefix}-${i}` }));
}

async function collect(src: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of src) parts.push(b);
  return Buffer.concat(parts);
}

function chunked(buf: Buffer, sizes: number[]): AsyncIterable<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0, at = 0; at < buf.length; i++) {
    const n = sizes[i % sizes.length]!;
    parts.push(buf.subarray(at, at + n));
    at += n;
  }
  return Readable.from(parts);
}

describe('limitLines', () => {
  it('replaces every line longer than the limit by an empty line, however the bytes are cut', async () => {
    // seeded line lengths around the limit of 10 bytes
    const lengths = [0, 3, 10, 11, 25, 9, 10, 40, 1, 0, 12, 10];
    const text = lengths.map((n, i) => String.fromCharCode(97 + i).repeat(n)).join('\n');
    const expected = lengths.map((n, i) => (n > 10 ? '' : String.fromCharCode(97 + i).repeat(n)));
    const longExpected = lengths
      .map((n, i) => ({ n, line: i + 1 }))
      .filter((l) => l.n > 10)
      .map((l) => ({ line: l.line, bytes: l.n }));
    for (const sizes of [[1], [2, 7], [5], [13, 1, 4], [1000]]) {
      const long: LongLine[] = [];
      const out = await collect(
        limitLines(chunked(Buffer.from(text), sizes), 10, (l) => long.push(l)),
      );
      expect(out.toString().split('\n')).toEqual(expected);
      expect(long.map((l) => ({ line: l.line, bytes: l.bytes }))).toEqual(longExpected);
      expect(long.map((l) => l.head.toString())).toEqual(
        longExpected.map((l) => String.fromCharCode(96 + l.line).repeat(l.bytes)),
      );
    }
  });

  it('keeps only the first 64 KiB of a long line', async () => {
    const long: LongLine[] = [];
    const line = Buffer.alloc(200_000, 0x61);
    await collect(
      limitLines(chunked(Buffer.concat([line, Buffer.from('\nok\n')]), [4096]), 1024, (l) =>
        long.push(l),
      ),
    );
    expect(long).toHaveLength(1);
    expect(long[0]!.bytes).toBe(200_000);
    expect(long[0]!.head.length).toBe(LONG_LINE_HEAD);
  });
});

describe('gunzipOf', () => {
  it('a corrupt gzip fails its reader, even one that starts late, and nothing else', async () => {
    const stream = gunzipOf(
      (async function* () {
        await Promise.resolve();
        yield Buffer.from('\x1f\x8bthis is not gzip at all');
      })(),
    );
    // let the decompression find the error before anyone reads (an ingest awaits its
    // transaction first): without a listener of its own, this is an uncaught exception. Wait for
    // 'close' (which follows the error), not 'error', so that the test adds no error listener.
    await new Promise((r) => stream.once('close', r));
    expect(stream.errored).toMatchObject({ code: 'Z_DATA_ERROR' });
    await expect(
      (async () => {
        for await (const _ of stream) void _;
      })(),
    ).rejects.toMatchObject({ code: 'Z_DATA_ERROR' });
  });
});

describe('ingest: limits', () => {
  it('a line over the limit is quarantined with its length; the lines around it land', async () => {
    await withDb(async (db) => {
      const dir = tmpDir();
      const huge = JSON.stringify({ ...GOOD.ads[0]!, ad_id: 'HUGE', text: 'x'.repeat(300_000) });
      const text = `${JSON.stringify(ads(1)[0])}\n${huge}\n${JSON.stringify(ads(2, 'B')[1])}\n`;
      const path = writeFeedFile(dir, 'ads.ndjson', text);
      const r = await ingest(db, { feed: 'ads', source: path, limits: { maxLineBytes: 4096 } });
      expect(formatCounts(r)).toBe('read 3, accepted 2, duplicate 0, corrected 0, quarantined 1');
      const q = await db.one<{ line_no: number; reason: string; n: number }>(
        `SELECT line_no::INTEGER AS line_no, reason, length(raw)::INTEGER AS n FROM quarantine`,
      );
      expect(q).toEqual({
        line_no: 2,
        reason: `line is ${Buffer.byteLength(huge)} bytes, longer than the limit of 4096 (limits.max_line_bytes); only its beginning is kept`,
        // the first 64 KiB (bytes) of the line, as text
        n: new TextDecoder().decode(Buffer.from(huge).subarray(0, LONG_LINE_HEAD)).length,
      });
    });
  });

  it('CSV: the long row is quarantined, the rows after it keep their line numbers', async () => {
    await withDb(async (db) => {
      const recs = [GOOD.ads[0]!, { ...GOOD.ads[0]!, ad_id: 'L', text: 'y'.repeat(10_000) }];
      recs.push({ ...GOOD.ads[0]!, ad_id: 'C' });
      const path = writeFeedFile(tmpDir(), 'ads.csv', toCsv(recs));
      const r = await ingest(db, { feed: 'ads', source: path, limits: { maxLineBytes: 2048 } });
      expect(formatCounts(r)).toBe('read 3, accepted 2, duplicate 0, corrected 0, quarantined 1');
      expect(await db.all(`SELECT ad_id, _line::INTEGER AS line FROM ads ORDER BY ad_id`)).toEqual([
        { ad_id: 'AD-1', line: 2 },
        { ad_id: 'C', line: 4 },
      ]);
      expect(await db.all(`SELECT line_no::INTEGER AS line FROM quarantine`)).toEqual([
        { line: 3 },
      ]);
    });
  });

  it('a gzip that expands past the cap is refused and changes nothing', async () => {
    await withDb(async (db) => {
      const path = join(tmpDir(), 'bomb.ndjson.gz');
      writeFileSync(path, gzipSync(Buffer.alloc(8 << 20, 0x0a))); // 8 MiB of blank lines, 8 KB zipped
      await expect(
        ingest(db, { feed: 'ads', source: path, limits: { maxGzipBytes: 1 << 20 } }),
      ).rejects.toThrow(
        /bomb\.ndjson\.gz: the gzip expands to more than 1048576 bytes \(limits\.max_gzip_output_bytes\); refused/,
      );
      expect(await count(db, 'ads_history')).toBe(0);
      expect(await db.all(`SELECT status FROM ingest_batches`)).toEqual([{ status: 'failed' }]);
    });
  });
});

describe('ingest: drop folder isolation', () => {
  it('good / corrupt gzip / good: both good files land, the bad one is moved aside with its reason', async () => {
    await withDb(async (db) => {
      const dir = tmpDir();
      writeFeedFile(dir, '01-good.ndjson', toNdjson(ads(3, 'G1')));
      const gz = gzipSync(Buffer.from(toNdjson(ads(2000, 'X'))));
      writeFileSync(join(dir, '02-bad.ndjson.gz'), gz.subarray(0, gz.length >> 1));
      writeFeedFile(dir, '03-good.csv', toCsv(ads(2, 'G3')));
      const rejected: string[] = [];
      const r = await ingest(db, {
        feed: 'ads',
        source: dir,
        onRejected: (f) => rejected.push(f.file),
      });
      expect(r.batches.map((b) => b.source.split('/').pop())).toEqual([
        '01-good.ndjson',
        '03-good.csv',
      ]);
      expect(formatCounts(r)).toBe('read 5, accepted 5, duplicate 0, corrected 0, quarantined 0');
      expect(rejected).toEqual(['02-bad.ndjson.gz']);
      expect(r.rejected[0]!.reason).toMatch(/02-bad\.ndjson\.gz: unexpected end of file/);
      // moved aside, with the reason beside it
      expect(readdirSync(dir).sort()).toEqual(['.rejected', '01-good.ndjson', '03-good.csv']);
      expect(readdirSync(join(dir, '.rejected')).sort()).toEqual([
        '02-bad.ndjson.gz',
        '02-bad.ndjson.gz.reason.txt',
      ]);
      expect(readFileSync(join(dir, '.rejected', '02-bad.ndjson.gz.reason.txt'), 'utf8')).toMatch(
        /unexpected end of file/,
      );
      expect(
        await db.all(
          `SELECT file_name, reason LIKE '%unexpected end of file%' AS why FROM rejected_files`,
        ),
      ).toEqual([{ file_name: '02-bad.ndjson.gz', why: true }]);
      expect(await db.all(`SELECT status FROM ingest_batches ORDER BY batch_id`)).toEqual([
        { status: 'ok' },
        { status: 'failed' },
        { status: 'ok' },
      ]);
      // the next poll takes nothing: neither the good files again nor the rejected one
      expect((await ingest(db, { feed: 'ads', source: dir })).batches).toEqual([]);
    });
  });

  it('a file that cannot be moved is still never taken again', async () => {
    await withDb(async (db) => {
      const dir = tmpDir();
      writeFileSync(join(dir, 'bad.ndjson.gz'), Buffer.from('not gzip at all'));
      // a .rejected *file* makes the move fail
      writeFileSync(join(dir, '.rejected'), '');
      const r = await ingest(db, { feed: 'ads', source: dir });
      expect(r.rejected.map((f) => [f.file, f.movedTo])).toEqual([['bad.ndjson.gz', null]]);
      expect(existsSync(join(dir, 'bad.ndjson.gz'))).toBe(true);
      const again = await ingest(db, { feed: 'ads', source: dir });
      expect([again.batches.length, again.rejected.length]).toEqual([0, 0]);
    });
  });
});

describe('ingest: held batches', () => {
  it('holds a batch over the threshold; exactly at it the batch is applied', async () => {
    await withDb(async (db) => {
      const dir = tmpDir();
      const bad = { ...GOOD.ads[0]!, channel: 'pigeon' };
      const at = (n: number, p: string) => [
        ...ads(25 - n, p),
        ...ads(n, `${p}x`).map((a) => ({ ...bad, ad_id: a['ad_id'] })),
      ];
      const applied = await ingest(db, {
        feed: 'ads',
        source: writeFeedFile(dir, 'twenty.ndjson', toNdjson(at(5, 'T'))),
      });
      expect([applied.batches.length, applied.held.length, applied.quarantined]).toEqual([1, 0, 5]);
      const held = await ingest(db, {
        feed: 'ads',
        source: writeFeedFile(dir, 'twenty-four.ndjson', toNdjson(at(6, 'U'))),
      });
      expect(held.batches).toEqual([]);
      expect(held.held.map((h) => [h.read, h.quarantined, h.reason])).toEqual([
        [
          25,
          6,
          '6 of 25 lines (24.0 %) quarantined, over the threshold of 20 % (hold.quarantine_fraction)',
        ],
      ]);
      // nothing of it applied; its quarantined lines are shown, under its batch
      expect(await count(db, `ads WHERE ad_id LIKE 'U%'`)).toBe(0);
      expect(await count(db, `quarantine WHERE batch_id = ${held.held[0]!.batchId}`)).toBe(6);
      expect(await db.all(`SELECT status FROM ingest_batches ORDER BY batch_id`)).toEqual([
        { status: 'ok' },
        { status: 'held' },
      ]);
    });
  });

  it('a drop-folder file held is not taken again; discarding it lets the folder go on', async () => {
    await withDb(async (db) => {
      const dir = tmpDir();
      const renamed = ads(3).map(({ text, ...rest }) => ({ ...rest, body: text }));
      writeFeedFile(dir, 'a.ndjson', toNdjson(renamed));
      writeFeedFile(dir, 'b.ndjson', toNdjson(ads(2, 'B')));
      const r = await ingest(db, { feed: 'ads', source: dir });
      expect(r.held.map((h) => h.reason)).toEqual([
        'every line (3) lacks the required field text: did the source rename it?',
      ]);
      expect(r.accepted).toBe(2);
      expect((await ingest(db, { feed: 'ads', source: dir })).batches).toEqual([]);
      await discardHeld(db, r.held[0]!.batchId, { actor: 'ops' });
      expect(await listHeld(db)).toEqual([]);
      const [row] = await listHeld(db, { all: true });
      expect([row!.status, row!.decided_by]).toEqual(['discarded', 'ops']);
      const after = await ingest(db, { feed: 'ads', source: dir });
      expect([after.batches.length, after.held.length]).toEqual([0, 0]);
      await expect(discardHeld(db, r.held[0]!.batchId, { actor: 'ops' })).rejects.toThrow(
        /no longer held \(it was discarded\)/,
      );
    });
  });
});

describe('ingest: HTTP sources', () => {
  let server: Server;
  let port = 0;
  const seen: { path: string; auth: string | undefined; host: string | undefined }[] = [];
  let renamedField = true;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      seen.push({
        path: url.pathname + url.search,
        auth: req.headers.authorization,
        host: req.headers.host,
      });
      const ndjson = (recs: Rec[]) =>
        res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(toNdjson(recs));
      if (url.pathname === '/feed') {
        // the source renamed `text` to `content` on every line, until it is fixed
        const recs = ads(4, url.searchParams.has('since') ? 'N' : 'F');
        ndjson(renamedField ? recs.map(({ text, ...r }) => ({ ...r, content: text })) : recs);
      } else if (url.pathname === '/private') {
        if (req.headers.authorization !== 'Bearer s3cret') res.writeHead(401).end();
        else ndjson(ads(1, 'P'));
      } else if (url.pathname === '/moved') {
        res.writeHead(302, { location: '/private' }).end();
      } else if (url.pathname === '/elsewhere') {
        res.writeHead(302, { location: `http://localhost:${port}/private` }).end();
      } else if (url.pathname === '/big') {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        // chunked: no Content-Length, the cap must count
        for (let i = 0; i < 50; i++) res.write(toNdjson(ads(20, `Z${i}`)));
        res.end();
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const base = () => `http://127.0.0.1:${port}`;

  it('a renamed required field holds the batch; the cursor stays; release applies it', async () => {
    await withDb(async (db) => {
      const source = `${base()}/feed`;
      const t1 = new Date('2026-03-01T12:00:00Z');
      const first = await ingest(db, { feed: 'ads', source, now: () => t1 });
      expect(first.held.map((h) => h.reason)).toEqual([
        'every line (4) lacks the required field text: did the source rename it?',
      ]);
      expect(await count(db, 'http_cursors')).toBe(0);
      // while it is held, the source is not pulled again
      const pulls = seen.length;
      await expect(ingest(db, { feed: 'ads', source })).rejects.toThrow(
        /batch \d+ of this source is held for an admin/,
      );
      expect(seen.length).toBe(pulls);
      // release: applied as it is (every line quarantined, as the contract says), cursor moves
      const applied = await releaseHeld(db, first.held[0]!.batchId, { actor: 'admin' });
      expect(formatCounts(applied)).toBe(
        'read 4, accepted 0, duplicate 0, corrected 0, quarantined 4',
      );
      expect(await db.all(`SELECT since FROM http_cursors`)).toEqual([{ since: t1.toISOString() }]);
      const [row] = await listHeld(db, { all: true });
      expect([row!.status, row!.applied_batch]).toEqual(['released', applied.batchId]);
      // the source fixed the field: the next pull sends since and lands
      renamedField = false;
      const next = await ingest(db, { feed: 'ads', source });
      expect(next.accepted).toBe(4);
      expect(seen.at(-1)!.path).toBe(`/feed?since=${encodeURIComponent(t1.toISOString())}`);
    });
  });

  it('a held HTTP batch released after the source is fixed lands whole', async () => {
    await withDb(async (db) => {
      renamedField = false;
      // a batch with 6 of 25 lines bad is held; release applies its 19 good lines
      const server2 = createServer((_req, res) => {
        const recs = [...ads(19, 'R'), ...ads(6, 'Q').map((a) => ({ ...a, channel: 'pigeon' }))];
        res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(toNdjson(recs));
      });
      await new Promise<void>((r) => server2.listen(0, '127.0.0.1', r));
      try {
        const source = `http://127.0.0.1:${(server2.address() as AddressInfo).port}/x.ndjson`;
        const r = await ingest(db, { feed: 'ads', source });
        expect(r.held).toHaveLength(1);
        const applied = await releaseHeld(db, r.held[0]!.batchId, { actor: 'admin' });
        expect(formatCounts(applied)).toBe(
          'read 25, accepted 19, duplicate 0, corrected 0, quarantined 6',
        );
        expect(await count(db, `ads WHERE ad_id LIKE 'R-%'`)).toBe(19);
        // the 6 lines were quarantined when held; the release does not store them twice
        expect(await count(db, 'quarantine')).toBe(6);
      } finally {
        await new Promise<void>((r) => server2.close(() => r()));
      }
    });
  });

  it('sends the configured headers; follows a same-host redirect; refuses another host', async () => {
    await withDb(async (db) => {
      const headers = { Authorization: 'Bearer s3cret' };
      expect(
        (await ingest(db, { feed: 'ads', source: `${base()}/private`, headers })).accepted,
      ).toBe(1);
      await expect(ingest(db, { feed: 'ads', source: `${base()}/private` })).rejects.toThrow(
        /HTTP 401/,
      );
      const moved = await ingest(db, { feed: 'ads', source: `${base()}/moved`, headers });
      expect(moved.duplicate).toBe(1);
      const before = seen.length;
      await expect(
        ingest(db, { feed: 'ads', source: `${base()}/elsewhere`, headers }),
      ).rejects.toThrow(
        `${base()}/elsewhere redirects to another host (http://localhost:${port}); refused`,
      );
      // the other host never saw the credentials
      expect(seen.slice(before).map((s) => s.path)).toEqual(['/elsewhere']);
    });
  });

  it('refuses a body over the size cap, counted while streaming', async () => {
    await withDb(async (db) => {
      await expect(
        ingest(db, { feed: 'ads', source: `${base()}/big`, limits: { httpMaxBytes: 64 * 1024 } }),
      ).rejects.toThrow(/the response is larger than 65536 bytes \(limits\.http_max_bytes\)/);
      expect(await count(db, 'ads_history')).toBe(0);
      expect(await count(db, 'http_cursors')).toBe(0);
    });
  });
});
