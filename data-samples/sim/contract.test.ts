/**
 * The simulator's output against the project's own feed reader and validator
 * (pipeline/feeds): every row is accepted except the deliberately malformed ones, which are
 * exactly the rows quarantined.
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecords } from '../../pipeline/feeds/read.ts';
import { FEEDS, type FeedName } from '../../pipeline/feeds/specs.ts';
import { createValidator } from '../../pipeline/feeds/validate.ts';
import { DEFAULTS } from './config.ts';
import { simulate } from './run.ts';

const root = mkdtempSync(join(tmpdir(), 'dafei-contract-'));

beforeAll(async () => {
  await simulate({
    ...DEFAULTS,
    enterprises: 600,
    days: 90,
    seed: 11,
    schemeRate: 0.02,
    malformedRate: 0.01,
    gzip: true,
    quiet: true,
    out: root,
  });
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const FILES: readonly (readonly [FeedName, string, 'utf-8' | 'gb18030'])[] = [
  ['registrations', 'registrations.ndjson.gz', 'utf-8'],
  ['registration_changes', 'registration_changes.ndjson.gz', 'utf-8'],
  ['ads', 'ads.ndjson.gz', 'utf-8'],
  ['complaints', 'complaints.csv.gz', 'gb18030'],
  ['case_outcomes', 'case_outcomes.csv.gz', 'utf-8'],
];

async function check(
  dir: string,
  feed: FeedName,
  file: string,
  encoding: 'utf-8' | 'gb18030',
): Promise<void> {
  const malformed = new Set(
    gunzipSync(readFileSync(join(dir, 'truth/malformed.ndjson.gz')))
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { file: string; line: number })
      .filter((m) => m.file === file)
      .map((m) => m.line),
  );
  const validate = createValidator(FEEDS[feed]);
  const quarantined = new Set<number>();
  const unexpected: string[] = [];
  let accepted = 0;
  const onRecord = (
    line: number,
    value: Record<string, unknown> | undefined,
    problem: string,
  ): void => {
    const checked = value === undefined ? { ok: false as const, reason: problem } : validate(value);
    if (checked.ok) accepted++;
    else {
      quarantined.add(line);
      if (!malformed.has(line)) unexpected.push(`line ${line}: ${checked.reason}`);
    }
  };
  if (file.includes('.csv')) {
    await readRecords(
      createReadStream(join(dir, file)),
      { format: 'csv', encoding, gzip: true },
      (r) => onRecord(r.line, r.value, r.problem ?? ''),
    );
  } else {
    // NDJSON framing is one JSON object a line (the pipeline parses it in worker threads).
    gunzipSync(readFileSync(join(dir, file)))
      .toString('utf8')
      .split('\n')
      .forEach((raw, i) => {
        if (raw === '') return;
        let value: unknown;
        try {
          value = JSON.parse(raw);
        } catch {
          onRecord(i + 1, undefined, 'malformed JSON');
          return;
        }
        onRecord(i + 1, value as Record<string, unknown>, '');
      });
  }
  expect(unexpected).toEqual([]);
  expect([...quarantined].sort((a, b) => a - b)).toEqual([...malformed].sort((a, b) => a - b));
  expect(accepted).toBeGreaterThan(0);
}

describe('feeds against the pipeline validator', () => {
  it.each(FILES)(
    '%s: quarantined rows are exactly the malformed ones',
    async (feed, file, encoding) => {
      await check(root, feed, file, encoding);
    },
  );
});

describe('the committed sample city (data-samples/city)', () => {
  const city = fileURLToPath(new URL('../city', import.meta.url));
  it.each(FILES)(
    '%s: quarantined rows are exactly the malformed ones',
    async (feed, file, encoding) => {
      await check(city, feed, file, encoding);
    },
  );
});
