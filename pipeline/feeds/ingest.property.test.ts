/**
 * Property: whatever malformed rows are mixed into a file, every good row lands, every bad row is
 * quarantined at its own line with a reason, and read = accepted + duplicate + corrected + quarantined.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withDb } from '../db/index.ts';
import { tmpDir, toCsv, writeFeedFile, type Rec } from './_fixtures.ts';
import { ingest } from './ingest.ts';
import { COMPLAINT_CHANNELS } from './specs.ts';
import { USCC_ALPHABET, withUsccCheckChar } from './uscc.ts';

const COLUMNS = [
  'complaint_id',
  'received_at',
  'channel',
  'target_name',
  'target_uscc',
  'text',
  'amount_cny',
  'complainant_ref',
  'district',
];

const text = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  .filter((s) => s.trim() !== '');
const usccArb = fc
  .array(fc.constantFrom(...USCC_ALPHABET), { minLength: 9, maxLength: 9 })
  .map((cs) => withUsccCheckChar(`91440400${cs.join('')}`));
const timestamp = fc
  .date({
    min: new Date('2020-01-01T00:00:00Z'),
    max: new Date('2030-12-31T00:00:00Z'),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00'));

const goodBody = fc.record({
  received_at: timestamp,
  channel: fc.constantFrom(...COMPLAINT_CHANNELS),
  target_name: text,
  target_uscc: fc.option(usccArb, { nil: undefined }),
  text,
  amount_cny: fc.option(fc.double({ min: 0, max: 1e9, noNaN: true }), { nil: undefined }),
});

type Bad = (r: Rec) => Rec;
const BAD_VALUES: Record<string, Bad> = {
  missingText: (r) => ({ ...r, text: undefined }),
  missingId: (r) => ({ ...r, complaint_id: undefined }),
  badDate: (r) => ({ ...r, received_at: '2026-13-45T99:00:00' }),
  notADate: (r) => ({ ...r, received_at: '上周三' }),
  negative: (r) => ({ ...r, amount_cny: -500.5 }),
  notANumber: (r) => ({ ...r, amount_cny: '五万' }),
  channel: (r) => ({ ...r, channel: 'fax' }),
  checkDigit: (r) => {
    const u = withUsccCheckChar('91440400MA4UABC12');
    return { ...r, target_uscc: u.slice(0, 17) + (u[17] === '0' ? '1' : '0') };
  },
};

const row = fc.oneof(
  { weight: 3, arbitrary: goodBody.map((b) => ({ kind: 'good' as const, body: b })) },
  {
    weight: 2,
    arbitrary: fc.tuple(goodBody, fc.constantFrom(...Object.keys(BAD_VALUES))).map(([b, k]) => ({
      kind: 'bad' as const,
      body: BAD_VALUES[k]!(b as Rec),
    })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(goodBody, fc.double({ min: 0.05, max: 0.95, noNaN: true }))
      .map(([b, cut]) => ({
        kind: 'broken' as const,
        body: b,
        cut,
      })),
  },
);

describe('ingest never loses a good row nor lets a bad one in', () => {
  it('NDJSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 300 }), async (rows) => {
        await withDb(async (db) => {
          const goodIds: string[] = [];
          const badLines: number[] = [];
          const lines = rows.map((r, i) => {
            const rec = { complaint_id: `P-${i}`, ...r.body };
            if (r.kind === 'good') goodIds.push(`P-${i}`);
            else badLines.push(i + 1);
            const json = JSON.stringify(rec);
            return r.kind === 'broken'
              ? json.slice(0, Math.max(1, Math.floor(json.length * r.cut)))
              : json;
          });
          const path = writeFeedFile(tmpDir(), 'c.ndjson', lines.join('\n'));
          const res = await ingest(db, { feed: 'complaints', source: path });
          expect(res.read).toBe(rows.length);
          expect(res.accepted).toBe(goodIds.length);
          expect(res.read).toBe(res.accepted + res.duplicate + res.corrected + res.quarantined);
          const landed = await db.all<{ id: string }>(`SELECT complaint_id AS id FROM complaints`);
          expect(landed.map((l) => l.id).sort()).toEqual([...goodIds].sort());
          const q = await db.all<{ line: number; reason: string }>(
            `SELECT line_no::INTEGER AS line, reason FROM quarantine ORDER BY line_no`,
          );
          expect(q.map((x) => x.line)).toEqual(badLines);
          for (const x of q) expect(x.reason.length).toBeGreaterThan(5);
        });
      }),
      { numRuns: 40, seed: 20260101 },
    );
  });

  it('CSV with quoted commas, quotes and line breaks in cells', async () => {
    const cell = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
      .filter((s) => s.trim() !== '');
    const withSpecials = fc
      .tuple(cell, fc.constantFrom(',', '"', '\n', '，', '""', ' '))
      .map(([s, c]) => `${s}${c}${s}`);
    const csvRow = fc.oneof(
      {
        weight: 3,
        arbitrary: goodBody.chain((b) =>
          withSpecials.map((t) => ({ kind: 'good' as const, body: { ...b, text: t } })),
        ),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(goodBody, fc.constantFrom(...Object.keys(BAD_VALUES)))
          .map(([b, k]) => ({ kind: 'bad' as const, body: BAD_VALUES[k]!(b as Rec) })),
      },
      { weight: 1, arbitrary: goodBody.map((b) => ({ kind: 'short' as const, body: b })) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(csvRow, { minLength: 1, maxLength: 200 }), async (rows) => {
        await withDb(async (db) => {
          const goodIds: string[] = [];
          let bad = 0;
          const parts = [COLUMNS.join(',')];
          rows.forEach((r, i) => {
            const rec = { complaint_id: `P-${i}`, ...r.body };
            if (r.kind === 'good') goodIds.push(`P-${i}`);
            else bad++;
            const line = toCsv([rec], COLUMNS)
              .split('\r\n')
              .slice(1)
              .join('\r\n')
              .replace(/\r\n$/, '');
            // a cut row: its last fields are gone
            parts.push(r.kind === 'short' ? line.split(',').slice(0, 3).join(',') : line);
          });
          const path = writeFeedFile(tmpDir(), 'c.csv', parts.join('\r\n') + '\r\n');
          const res = await ingest(db, { feed: 'complaints', source: path });
          expect(res.read).toBe(rows.length);
          expect(res.quarantined).toBe(bad);
          expect(res.read).toBe(res.accepted + res.duplicate + res.corrected + res.quarantined);
          const landed = await db.all<{ id: string; text: string }>(
            `SELECT complaint_id AS id, text FROM complaints`,
          );
          expect(landed.map((l) => l.id).sort()).toEqual([...goodIds].sort());
          const byId = new Map(landed.map((l) => [l.id, l.text]));
          rows.forEach((r, i) => {
            if (r.kind === 'good') expect(byId.get(`P-${i}`)).toBe(r.body['text']);
          });
        });
      }),
      { numRuns: 25, seed: 20260102 },
    );
  });
});
