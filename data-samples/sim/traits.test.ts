import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, type SimOptions } from './config.ts';
import { simulate } from './run.ts';
import { NO_TRAITS, QUIET_TRAITS } from './traits.ts';

const root = mkdtempSync(join(tmpdir(), 'dafei-traits-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** sha256 over every output file (name and bytes), in name order. */
function cityHash(dir: string): string {
  const h = createHash('sha256');
  const names = [
    ...readdirSync(dir).filter((f) => f !== 'truth'),
    ...readdirSync(join(dir, 'truth')).map((f) => `truth/${f}`),
  ].sort();
  for (const f of names) {
    h.update(f);
    h.update(readFileSync(join(dir, f)));
  }
  return h.digest('hex');
}

const golden = (out: string, extra: Partial<SimOptions> = {}): SimOptions => ({
  ...DEFAULTS,
  enterprises: 400,
  days: 90,
  seed: 424242,
  schemeRate: 0.02,
  quiet: true,
  out: join(root, out),
  ...extra,
});

describe('default output with the traits off', () => {
  // Computed with the simulator as it was before the traits existed (commit 0b33802): the
  // committed sample city and the evaluation cities depend on these bytes staying the same.
  const BEFORE_TRAITS = '421f3d44a6d4d98f48d7fa29ed90c91359848a1147c67a782ee62016036f445c';

  it('is byte for byte what the simulator wrote before the traits existed', async () => {
    await simulate(golden('default'), 0);
    expect(cityHash(join(root, 'default'))).toBe(BEFORE_TRAITS);
  }, 60_000);

  it('is the same with every trait present but at zero', async () => {
    await simulate(golden('zero', { traits: NO_TRAITS }), 0);
    expect(cityHash(join(root, 'zero'))).toBe(BEFORE_TRAITS);
  }, 60_000);
});

interface TruthRow {
  uscc: string;
  role: string;
  name: string;
  collapse_on?: string;
  trouble_start?: string;
  promotion_start?: string;
  traits?: string[];
  product?: string;
}
interface Link {
  feed: string;
  id: string;
  uscc: string | null;
}

describe('quiet-scheme traits', () => {
  const dir = join(root, 'quiet');
  let truth: TruthRow[] = [];
  let links: Link[] = [];
  let ads = new Map<string, { text: string; advertiser_name?: string; seen_at: string }>();
  let complaints = new Map<string, { day: string; target: string }>();
  let manifest: { counts: Record<string, number>; options: { traits?: unknown } };

  beforeAll(async () => {
    await simulate(
      {
        ...DEFAULTS,
        enterprises: 1500,
        days: 200,
        seed: 5151,
        schemeRate: 0.04,
        malformedRate: 0,
        duplicateRate: 0,
        quiet: true,
        out: dir,
        traits: QUIET_TRAITS,
      },
      0,
    );
    const nd = (f: string) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    truth = nd('truth/enterprises.ndjson') as unknown as TruthRow[];
    links = nd('truth/links.ndjson') as unknown as Link[];
    ads = new Map(
      nd('ads.ndjson').map((a) => [
        a['ad_id'] as string,
        a as unknown as { text: string; advertiser_name?: string; seen_at: string },
      ]),
    );
    const csv = iconv.decode(readFileSync(join(dir, 'complaints.csv')), 'gb18030').split('\n');
    complaints = new Map(
      csv
        .slice(1)
        .filter((l) => l !== '')
        .map((l) => {
          const [id, at, , target] = l.split(',');
          return [id!, { day: at!.slice(0, 10), target: target!.replace(/"/g, '') }];
        }),
    );
    manifest = JSON.parse(
      readFileSync(join(dir, 'truth/manifest.json'), 'utf8'),
    ) as typeof manifest;
  }, 120_000);

  const schemes = () => truth.filter((t) => t.role === 'scheme');
  const withTrait = (t: string) => schemes().filter((s) => s.traits?.includes(t));
  const adsOf = (uscc: string) =>
    links.filter((l) => l.feed === 'ads' && l.uscc === uscc).map((l) => ads.get(l.id)!);

  it('gives each trait to about its share of the schemes, and reports the counts', () => {
    const n = schemes().length;
    expect(n).toBeGreaterThan(40);
    for (const [trait, share] of [
      ['vague', QUIET_TRAITS.vague],
      ['bank_like', QUIET_TRAITS.bankLike],
      ['product_named', QUIET_TRAITS.productNamed],
      ['late_complaints', QUIET_TRAITS.lateComplaints],
    ] as const) {
      const k = withTrait(trait).length;
      expect(k / n, trait).toBeGreaterThan(share - 0.2);
      expect(k / n, trait).toBeLessThan(share + 0.2);
      expect(manifest.counts[`trait:${trait}`]).toBe(k);
    }
    expect(withTrait('vague').some((s) => s.traits!.includes('bank_like'))).toBe(false);
    expect(manifest.options.traits).toEqual(QUIET_TRAITS);
    expect(manifest.counts['role:decoy_lender']).toBeGreaterThan(0);
    expect(manifest.counts['role:decoy_shop_rental']).toBeGreaterThan(0);
  });

  it('vague schemes promise no rate; bank-like ones use a licensed product’s wording', () => {
    const vague = withTrait('vague').flatMap((s) => adsOf(s.uscc));
    expect(vague.length).toBeGreaterThan(20);
    for (const a of vague) expect(a.text, a.text).not.toMatch(/年化|月息|日息|%|％|翻倍/);
    const bank = withTrait('bank_like').flatMap((s) => adsOf(s.uscc));
    expect(bank.length).toBeGreaterThan(10);
    for (const a of bank) expect(a.text).toMatch(/业绩比较基准/);
  });

  it('product-named schemes never print their registered name, and some ads tie them', () => {
    const named = withTrait('product_named');
    expect(named.length).toBeGreaterThan(5);
    let tied = 0;
    let total = 0;
    for (const s of named) {
      expect(s.product).toBeTruthy();
      const core = s.name.replace(/^(珠海市|珠海|广东)/, '').slice(0, 2);
      for (const a of adsOf(s.uscc)) {
        total++;
        expect(a.advertiser_name ?? '').not.toContain(core);
        if (/\d{7,}|官网|http/.test(a.text)) tied++;
      }
    }
    expect(tied).toBeGreaterThan(0);
    expect(tied).toBeLessThan(total);
  });

  it('late-complaint schemes get no complaint until days before their collapse', () => {
    const late = withTrait('late_complaints');
    expect(late.length).toBeGreaterThan(5);
    for (const s of late) {
      const first = links
        .filter((l) => l.feed === 'complaints' && l.uscc === s.uscc)
        .map((l) => complaints.get(l.id)!.day)
        .sort()[0];
      if (first === undefined) continue;
      const days = (Date.parse(s.collapse_on!) - Date.parse(first)) / 86_400_000;
      expect(days, s.uscc).toBeLessThanOrEqual(12);
    }
  });
});
