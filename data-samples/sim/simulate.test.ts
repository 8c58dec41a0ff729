import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidUscc } from '../../pipeline/feeds/uscc.ts';
import { DEFAULTS, type SimOptions } from './config.ts';
import { COMPLAINT_COLUMNS, OUTCOME_COLUMNS, simulate } from './run.ts';

const root = mkdtempSync(join(tmpdir(), 'dafei-sim-'));
const base = (out: string, extra: Partial<SimOptions> = {}): SimOptions => ({
  ...DEFAULTS,
  enterprises: 400,
  days: 60,
  seed: 7,
  schemeRate: 0.03,
  malformedRate: 0.02,
  quiet: true,
  out: join(root, out),
  ...extra,
});

function files(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...files(p).map((x) => join(f, x)));
    else out.push(f);
  }
  return out.sort();
}

function lines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
}

/** Minimal CSV line parser (no embedded newlines, which the simulator never writes). */
function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cur);
      cur = '';
    } else cur += c;
  }
  cells.push(cur);
  return cells;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/;
const validDate = (s: unknown): boolean =>
  typeof s === 'string' &&
  DATE.test(s) &&
  new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
const validTs = (s: unknown): boolean =>
  typeof s === 'string' &&
  TS.test(s) &&
  validDate(s.slice(0, 10)) &&
  Number(s.slice(11, 13)) < 24 &&
  Number(s.slice(14, 16)) < 60;
const STATUS = ['存续', '在业', '吊销', '注销', '迁出', '停业'];
const FIELDS = [
  'name',
  'legal_rep',
  'address',
  'registered_capital',
  'business_scope',
  'shareholder',
  'industry',
  'status',
  'other',
];
const AD_CHANNELS = ['web', 'app', 'wechat', 'weibo', 'sms', 'video', 'offline', 'other'];
const C_CHANNELS = ['hotline_12345', 'portal', 'letter', 'visit', 'referral', 'other'];

interface Malformed {
  feed: string;
  file: string;
  line: number;
  kind: string;
}

let dirA = '';
let malformed: Malformed[] = [];
const badLines = (file: string): Set<number> =>
  new Set(malformed.filter((m) => m.file === file).map((m) => m.line));

beforeAll(async () => {
  await simulate(base('a'), 0);
  await simulate(base('b'), 1);
  await simulate(base('c', { seed: 8 }), 0);
  dirA = join(root, 'a');
  malformed = lines(join(dirA, 'truth/malformed.ndjson')).map((l) => JSON.parse(l) as Malformed);
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('determinism', () => {
  it('writes byte-identical files for the same seed', () => {
    const a = files(join(root, 'a'));
    expect(a).toEqual(files(join(root, 'b')));
    expect(a).toContain('ads.ndjson');
    for (const f of a)
      expect(readFileSync(join(root, 'b', f)).equals(readFileSync(join(root, 'a', f))), f).toBe(
        true,
      );
  });

  it('writes the same bytes whatever the number of worker threads', async () => {
    await simulate(base('t0'), 0);
    await simulate(base('t2'), 2);
    for (const f of files(join(root, 't0'))) {
      expect(readFileSync(join(root, 't2', f)).equals(readFileSync(join(root, 't0', f))), f).toBe(
        true,
      );
    }
  });

  it('writes a different city for a different seed', () => {
    for (const f of ['registrations.ndjson', 'ads.ndjson', 'complaints.csv']) {
      expect(readFileSync(join(root, 'c', f)).equals(readFileSync(join(root, 'a', f))), f).toBe(
        false,
      );
    }
  });

  it('gzips deterministically and the content matches the plain files', async () => {
    await simulate(base('g1', { gzip: true }), 0);
    await simulate(base('g2', { gzip: true }), 0);
    const g1 = join(root, 'g1');
    expect(files(g1)).toContain('ads.ndjson.gz');
    expect(
      readFileSync(join(g1, 'ads.ndjson.gz')).equals(
        readFileSync(join(root, 'g2', 'ads.ndjson.gz')),
      ),
    ).toBe(true);
    expect(
      gunzipSync(readFileSync(join(g1, 'complaints.csv.gz'))).equals(
        readFileSync(join(dirA, 'complaints.csv')),
      ),
    ).toBe(true);
  });
});

describe('feed contract', () => {
  it('has deliberately malformed rows, each pointing at an existing line', () => {
    expect(malformed.length).toBeGreaterThan(5);
    const kinds = new Set(malformed.map((m) => m.kind));
    expect(kinds.size).toBeGreaterThanOrEqual(4);
    for (const m of malformed) {
      const ls = lines(join(dirA, m.file));
      expect(m.line).toBeGreaterThanOrEqual(1);
      expect(m.line).toBeLessThanOrEqual(ls.length);
    }
  });

  it('registrations: every well-formed row has valid required fields and a valid USCC', () => {
    const bad = badLines('registrations.ndjson');
    let n = 0;
    lines(join(dirA, 'registrations.ndjson')).forEach((l, i) => {
      if (bad.has(i + 1)) return;
      const r = JSON.parse(l) as Record<string, unknown>;
      expect(isValidUscc(r['uscc'] as string), l).toBe(true);
      expect(typeof r['name']).toBe('string');
      expect(validDate(r['as_of']), l).toBe(true);
      if (r['status'] !== undefined) expect(STATUS).toContain(r['status']);
      if (r['registered_capital_wan'] !== undefined)
        expect(r['registered_capital_wan']).toBeGreaterThanOrEqual(0);
      if (r['industry_code'] !== undefined) expect(r['industry_code']).toMatch(/^[A-T]\d{0,4}$/);
      for (const s of (r['shareholders'] ?? []) as Record<string, unknown>[]) {
        expect(['person', 'company']).toContain(s['kind']);
        if (s['uscc'] !== undefined) expect(isValidUscc(s['uscc'] as string)).toBe(true);
        expect(s['share_pct']).toBeGreaterThanOrEqual(0);
        expect(s['share_pct']).toBeLessThanOrEqual(100);
      }
      n++;
    });
    expect(n).toBeGreaterThan(350);
  });

  it('registration_changes and ads: every well-formed row satisfies the contract', () => {
    const badC = badLines('registration_changes.ndjson');
    lines(join(dirA, 'registration_changes.ndjson')).forEach((l, i) => {
      if (badC.has(i + 1)) return;
      const r = JSON.parse(l) as Record<string, unknown>;
      expect(isValidUscc(r['uscc'] as string)).toBe(true);
      expect(validDate(r['changed_on'])).toBe(true);
      expect(FIELDS).toContain(r['field']);
    });
    const badA = badLines('ads.ndjson');
    const ids = new Set<string>();
    lines(join(dirA, 'ads.ndjson')).forEach((l, i) => {
      if (badA.has(i + 1)) return;
      const r = JSON.parse(l) as Record<string, unknown>;
      expect(typeof r['ad_id']).toBe('string');
      expect(validTs(r['seen_at']), l).toBe(true);
      expect(AD_CHANNELS).toContain(r['channel']);
      expect(typeof r['text']).toBe('string');
      if (r['advertiser_uscc'] !== undefined)
        expect(isValidUscc((r['advertiser_uscc'] as string).toUpperCase()), l).toBe(true);
      ids.add(r['ad_id'] as string);
    });
    expect(ids.size).toBeGreaterThan(100);
  });

  it('complaints.csv is GB18030 with the contract header, and well-formed rows are valid', () => {
    const raw = readFileSync(join(dirA, 'complaints.csv'));
    expect(raw.toString('utf8')).toContain('\uFFFD'); // not UTF-8
    const text = iconv.decode(raw, 'gb18030');
    const ls = text.slice(0, -1).split('\n');
    expect(ls[0]).toBe(COMPLAINT_COLUMNS.join(','));
    expect(text).toMatch(/投资|退费|跑路|提现/);
    const bad = badLines('complaints.csv');
    let n = 0;
    ls.slice(1).forEach((l, i) => {
      if (bad.has(i + 2)) return;
      const c = parseCsvLine(l);
      expect(c.length, l).toBe(COMPLAINT_COLUMNS.length);
      expect(c[0]).not.toBe('');
      expect(validTs(c[1]), l).toBe(true);
      expect(C_CHANNELS).toContain(c[2]);
      expect(c[3]).not.toBe('');
      if (c[4] !== '') expect(isValidUscc(c[4]!)).toBe(true);
      expect(c[5]).not.toBe('');
      if (c[6] !== '') expect(Number(c[6])).toBeGreaterThanOrEqual(0);
      n++;
    });
    expect(n).toBeGreaterThan(20);
  });
});

describe('ground truth', () => {
  interface Truth {
    uscc: string;
    role: string;
    trouble_start: string | null;
    collapse_on: string | null;
    decided_on: string | null;
    outcome: string | null;
    outcome_in_feed: boolean;
  }
  const truth = (): Truth[] =>
    lines(join(dirA, 'truth/enterprises.ndjson')).map((l) => JSON.parse(l) as Truth);
  const outcomes = (): string[][] => {
    const bad = badLines('case_outcomes.csv');
    return lines(join(dirA, 'case_outcomes.csv'))
      .slice(1)
      .filter((_, i) => !bad.has(i + 2))
      .map(parseCsvLine);
  };

  it('every scheme decided within the period has a confirmed outcome 14–120 days after its collapse', () => {
    const t = truth();
    expect(t).toHaveLength(400);
    const byUscc = new Map(outcomes().map((c) => [c[0]!, c]));
    expect(outcomes()[0]).toHaveLength(OUTCOME_COLUMNS.length);
    const decided = t.filter((x) => x.role === 'scheme' && x.outcome_in_feed);
    expect(decided.length).toBeGreaterThan(2);
    for (const s of decided) {
      const row = byUscc.get(s.uscc);
      expect(row, s.uscc).toBeDefined();
      expect(row![2]).toBe('confirmed');
      expect(row![1]).toBe(s.decided_on);
      expect(s.trouble_start! < s.collapse_on!, s.uscc).toBe(true);
      const afterCollapse =
        (Date.parse(`${row![1]!}T00:00:00Z`) - Date.parse(`${s.collapse_on!}T00:00:00Z`)) /
        86_400_000;
      expect(afterCollapse, s.uscc).toBeGreaterThanOrEqual(14);
      expect(afterCollapse, s.uscc).toBeLessThanOrEqual(120);
    }
    for (const c of outcomes()) {
      const e = t.find((x) => x.uscc === c[0]);
      expect(e, c[0]).toBeDefined();
      expect(c[2]).toBe(e!.role === 'scheme' ? 'confirmed' : 'cleared');
    }
  });

  it('links cover every ad and complaint id and point at registered enterprises or null', () => {
    const usccs = new Set(truth().map((x) => x.uscc));
    const links = lines(join(dirA, 'truth/links.ndjson')).map(
      (l) => JSON.parse(l) as { feed: string; id: string; uscc: string | null },
    );
    const adIds = new Set(links.filter((l) => l.feed === 'ads').map((l) => l.id));
    const bad = badLines('ads.ndjson');
    lines(join(dirA, 'ads.ndjson')).forEach((l, i) => {
      if (!bad.has(i + 1)) expect(adIds.has((JSON.parse(l) as { ad_id: string }).ad_id)).toBe(true);
    });
    for (const l of links) if (l.uscc !== null) expect(usccs.has(l.uscc)).toBe(true);
    expect(links.some((l) => l.uscc === null)).toBe(true);
    expect(links.some((l) => l.feed === 'complaints')).toBe(true);
  });

  it('schemes are a small minority of ads', () => {
    const schemes = new Set(
      truth()
        .filter((x) => x.role === 'scheme')
        .map((x) => x.uscc),
    );
    const ads = lines(join(dirA, 'truth/links.ndjson'))
      .map((l) => JSON.parse(l) as { feed: string; uscc: string | null })
      .filter((l) => l.feed === 'ads');
    const share = ads.filter((l) => l.uscc !== null && schemes.has(l.uscc)).length / ads.length;
    expect(share).toBeGreaterThan(0.01);
    expect(share).toBeLessThan(0.4);
  });
});
