import { describe, expect, it } from 'vitest';
import { migrate, openDb, type Db } from '../db/index.ts';
import { ingest, withUsccCheckChar, type FeedName } from '../feeds/index.ts';
import { tmpDir, toNdjson, writeFeedFile, type Rec } from '../feeds/_fixtures.ts';
import { resolve } from './resolve.ts';
import { updateKeyIndex } from './keys.ts';
import { MAX_HOLDERS } from './match-sql.ts';
import { reviewLink } from './review.ts';

/** A migrated in-memory database for one test. */
async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(':memory:');
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    db.close();
  }
}

const XS = withUsccCheckChar('91440400MA4UABC12'); // 珠海鑫盛财富管理有限公司 (renamed from 鑫盛科技)
const HT1 = withUsccCheckChar('91440402MA5XYW001'); // 珠海华泰贸易有限公司
const HT2 = withUsccCheckChar('91440402MA5XYW002'); // 珠海市华泰餐饮管理有限公司
const LD = withUsccCheckChar('91440403MA5XYW003'); // 龙达（珠海横琴）供应链管理有限公司
const NEW = withUsccCheckChar('91440404MA5XYW004'); // registered later: 珠海市金湾区龙达物流有限公司

const REGS: Rec[] = [
  {
    uscc: XS,
    name: '珠海鑫盛科技有限公司',
    as_of: '2025-06-01',
    established_on: '2025-05-20',
    legal_rep: '张伟',
    business_scope: '软件开发；信息技术咨询服务',
    address: '珠海市横琴新区宝华路6号105室-1234',
    district: '横琴粤澳深度合作区',
    phone: '0756-1234567',
    website: 'www.xinsheng-wealth.cn',
  },
  {
    uscc: XS,
    name: '珠海鑫盛财富管理有限公司',
    as_of: '2026-01-10',
    legal_rep: '张伟',
    business_scope: '投资咨询；资产管理；财富管理咨询（不含金融业务）',
    address: '珠海市横琴新区宝华路6号105室-1234',
    district: '横琴粤澳深度合作区',
    phone: '0756-1234567',
    website: 'www.xinsheng-wealth.cn',
  },
  {
    uscc: HT1,
    name: '珠海华泰贸易有限公司',
    as_of: '2025-01-01',
    business_scope: '五金产品批发；建筑材料销售',
    district: '香洲区',
    phone: '13912345678',
    address: '珠海市香洲区凤凰路88号',
  },
  {
    uscc: HT2,
    name: '珠海市华泰餐饮管理有限公司',
    as_of: '2025-01-01',
    business_scope: '餐饮服务；餐饮管理；食品销售',
    district: '斗门区',
    phone: '0756-5550000',
  },
  {
    uscc: LD,
    name: '龙达（珠海横琴）供应链管理有限公司',
    as_of: '2025-01-01',
    business_scope: '供应链管理服务；国内贸易代理',
    district: '横琴粤澳深度合作区',
    legal_rep: '欧阳明',
  },
];

const CHANGES: Rec[] = [
  {
    uscc: XS,
    changed_on: '2026-01-10',
    field: 'name',
    before: '珠海鑫盛科技有限公司',
    after: '珠海鑫盛财富管理有限公司',
  },
];

const ad = (id: string, day: string, extra: Rec): Rec => ({
  ad_id: id,
  seen_at: `${day}T10:00:00+08:00`,
  channel: 'wechat',
  text: '欢迎咨询',
  ...extra,
});
const complaint = (id: string, day: string, target: string, extra: Rec = {}): Rec => ({
  complaint_id: id,
  received_at: `${day}T10:00:00+08:00`,
  channel: 'hotline_12345',
  target_name: target,
  text: `${target}退费难，请尽快处理`,
  ...extra,
});

async function load(db: Db, feed: FeedName, recs: Rec[]): Promise<void> {
  const dir = tmpDir('dafei-resolve-');
  const r = await ingest(db, {
    feed,
    source: writeFeedFile(dir, `${feed}.ndjson`, toNdjson(recs)),
  });
  expect(r.quarantined).toBe(0);
}

async function seedRegister(db: Db): Promise<void> {
  await load(db, 'registrations', REGS);
  await load(db, 'registration_changes', CHANGES);
}

interface Link {
  kind: string;
  record_id: string;
  uscc: string | null;
  method: string | null;
  confidence: number | null;
  status: string;
  candidates: string;
  record_day: string;
  evidence_from: string | null;
}

async function links(db: Db): Promise<Link[]> {
  return db.all<Link>(
    `SELECT kind, record_id, uscc, method, confidence, status, candidates::VARCHAR AS candidates,
            record_day::VARCHAR AS record_day, evidence_from::VARCHAR AS evidence_from
       FROM entity_links ORDER BY kind, record_id`,
  );
}

async function keyIndex(db: Db): Promise<Record<string, unknown>[]> {
  return db.all(
    `SELECT uscc, kind, key, valid_from::VARCHAR AS vf, valid_to::VARCHAR AS vt, ref, holders::INTEGER AS holders
       FROM resolve_key_index ORDER BY ALL`,
  );
}

async function linkOf(db: Db, id: string): Promise<Link> {
  const l = (await links(db)).find((x) => x.record_id === id);
  if (l === undefined) throw new Error(`no link for ${id}`);
  return l;
}

function candidateUsccs(l: Link): string[] {
  return (JSON.parse(l.candidates) as { uscc: string }[]).map((c) => c.uscc);
}

describe('resolve: each method', () => {
  it.each([
    [
      'uscc carried by the ad (lower case)',
      ad('A1', '2026-02-01', { advertiser_uscc: XS.toLowerCase(), advertiser_name: '某某' }),
      XS,
      'uscc',
    ],
    [
      'registered name, full-width and spaced',
      ad('A2', '2026-02-01', { advertiser_name: '珠海 鑫盛财富管理有限公司' }),
      XS,
      'name',
    ],
    [
      'name with region and form stripped',
      ad('A3', '2026-02-01', { advertiser_name: '广东鑫盛财富管理集团' }),
      XS,
      'name',
    ],
    [
      'brand + industry alias',
      ad('A4', '2026-02-01', { advertiser_name: '鑫盛财富' }),
      XS,
      'alias',
    ],
    [
      'bracketed region in the registered name',
      ad('A5', '2026-02-01', { advertiser_name: '龙达供应链管理' }),
      LD,
      'name',
    ],
    [
      'one-character misspelling',
      ad('A6', '2026-02-01', { advertiser_name: '珠海欣盛财富管理有限公司' }),
      XS,
      'name',
    ],
    [
      'pinyin abbreviation learned from the website',
      ad('A12', '2026-02-01', { advertiser_name: 'ＸＩＮＳ财富' }),
      XS,
      'alias',
    ],
    [
      'former name after the rename',
      ad('A7', '2026-02-01', { advertiser_name: '珠海鑫盛科技有限公司' }),
      XS,
      'former_name',
    ],
    [
      'phone only',
      ad('A8', '2026-02-01', { phone: '0756 1234567', text: '高收益理财' }),
      XS,
      'phone',
    ],
    [
      'website only',
      ad('A9', '2026-02-01', {
        url: 'https://m.xinsheng-wealth.cn/a/12?from=wx',
        text: '高收益理财',
      }),
      XS,
      'website',
    ],
    [
      'phone printed in the text',
      ad('A10', '2026-02-01', { text: '稳健理财，热线：0756-1234567' }),
      XS,
      'phone',
    ],
    [
      'address printed in the text',
      ad('A11', '2026-02-01', { text: '理财讲座，地址：横琴新区宝华路6号105室-1234' }),
      XS,
      'address',
    ],
  ])('%s', async (_label, rec, uscc, method) => {
    await withDb(async (db) => {
      await seedRegister(db);
      await load(db, 'ads', [rec]);
      await resolve(db);
      const l = await linkOf(db, String(rec['ad_id']));
      expect(l).toMatchObject({ status: 'linked', uscc, method });
      expect(l.confidence).toBeGreaterThan(0.5);
      expect(l.confidence).toBeLessThanOrEqual(1);
    });
  });

  it('complaints: by name, by address prefix, and by legal representative with district', async () => {
    await withDb(async (db) => {
      await seedRegister(db);
      await load(db, 'complaints', [
        complaint('C1', '2026-02-01', '鑫盛财富管理有限公司'),
        complaint('C2', '2026-02-01', '香洲区凤凰路88号的公司'),
        complaint('C3', '2026-02-01', '欧阳明', { district: '横琴粤澳深度合作区' }),
      ]);
      const r = await resolve(db);
      expect(r.complaints).toEqual({ linked: 3, ambiguous: 0, unlinked: 0 });
      expect(await linkOf(db, 'C1')).toMatchObject({ uscc: XS, method: 'name' });
      expect(await linkOf(db, 'C2')).toMatchObject({ uscc: HT1, method: 'address' });
      expect(await linkOf(db, 'C3')).toMatchObject({ uscc: LD, method: 'legal_rep' });
    });
  });

  it('a complaint about a person or a shop not in the register stays unlinked', async () => {
    await withDb(async (db) => {
      await seedRegister(db);
      await load(db, 'complaints', [
        complaint('C4', '2026-02-01', '王经理'),
        complaint('C5', '2026-02-01', '老王烧烤店'),
        complaint('C6', '2026-02-01', '李某', { text: '李某以高息为诱饵向亲友借款后失联' }),
      ]);
      await resolve(db);
      for (const id of ['C4', 'C5', 'C6']) {
        expect(await linkOf(db, id)).toMatchObject({ status: 'unlinked', uscc: null });
      }
    });
  });
});

describe('resolve: ambiguity', () => {
  it('several candidates and no clear winner: ambiguous, with the candidates, never forced', async () => {
    await withDb(async (db) => {
      await seedRegister(db);
      await load(db, 'ads', [
        ad('B1', '2026-02-01', { advertiser_name: '华泰', text: '欢迎来电咨询' }),
      ]);
      const r = await resolve(db);
      expect(r.ads).toEqual({ linked: 0, ambiguous: 1, unlinked: 0 });
      const l = await linkOf(db, 'B1');
      expect(l.uscc).toBeNull();
      expect(l.status).toBe('ambiguous');
      expect(candidateUsccs(l).sort()).toEqual([HT1, HT2].sort());
    });
  });

  it('a second piece of evidence settles it: the phone, or the business the text describes', async () => {
    await withDb(async (db) => {
      await seedRegister(db);
      await load(db, 'ads', [
        ad('B2', '2026-02-01', { advertiser_name: '华泰', phone: '0756-5550000' }),
        ad('B3', '2026-02-01', {
          advertiser_name: '华泰',
          text: '华泰餐饮新店开业，餐饮套餐八折，欢迎品尝美食',
        }),
      ]);
      await resolve(db);
      expect(await linkOf(db, 'B2')).toMatchObject({ status: 'linked', uscc: HT2 });
      const b3 = await linkOf(db, 'B3');
      expect(b3).toMatchObject({ status: 'linked', uscc: HT2 });
      expect(candidateUsccs(b3)).toContain(HT1);
    });
  });
});

describe('resolve: point in time', () => {
  it('never uses a name the enterprise got after the day the ad was seen', async () => {
    await withDb(async (db) => {
      await seedRegister(db);
      await load(db, 'ads', [
        ad('P1', '2026-01-05', { advertiser_name: '珠海鑫盛财富管理有限公司' }), // before the rename
        ad('P2', '2026-01-10', { advertiser_name: '珠海鑫盛财富管理有限公司' }), // the day of the rename
        ad('P3', '2026-01-05', { advertiser_name: '珠海鑫盛科技有限公司' }), // the name in force then
        ad('P4', '2024-12-31', { advertiser_name: '华泰贸易' }), // before the register knew 华泰
      ]);
      await resolve(db);
      const p1 = await linkOf(db, 'P1');
      expect(p1.uscc).toBeNull();
      expect(p1.status).not.toBe('linked');
      for (const c of JSON.parse(p1.candidates) as { methods: string[] }[]) {
        expect(c.methods).not.toContain('name');
      }
      expect(await linkOf(db, 'P2')).toMatchObject({
        status: 'linked',
        uscc: XS,
        method: 'name',
        evidence_from: '2026-01-10',
      });
      expect(await linkOf(db, 'P3')).toMatchObject({ status: 'linked', uscc: XS, method: 'name' });
      expect(await linkOf(db, 'P4')).toMatchObject({ status: 'unlinked', uscc: null });
      for (const l of await links(db)) {
        if (l.evidence_from !== null) expect(l.evidence_from <= l.record_day).toBe(true);
      }
    });
  });

  it('an enterprise registered after the ad is not a candidate for it', async () => {
    await withDb(async (db) => {
      await seedRegister(db);
      await load(db, 'ads', [ad('P5', '2026-02-01', { advertiser_name: '龙达' })]);
      await load(db, 'registrations', [
        {
          uscc: NEW,
          name: '珠海市金湾区龙达物流有限公司',
          as_of: '2026-03-01',
          district: '金湾区',
        },
      ]);
      await resolve(db);
      const l = await linkOf(db, 'P5');
      expect(l).toMatchObject({ status: 'linked', uscc: LD });
      expect(candidateUsccs(l)).not.toContain(NEW);
    });
  });
});

describe('resolve: common keys, point in time', () => {
  it('a brand too common for weak lookups only from a later day is still used for earlier records', async () => {
    await withDb(async (db) => {
      const early = withUsccCheckChar('91440400MA6HT0000');
      const regs: Rec[] = [
        {
          uscc: early,
          name: '珠海宏图财富管理有限公司',
          as_of: '2025-01-01',
          business_scope: '投资咨询',
        },
      ];
      // 60 more 宏图… enterprises registered on 2026-03-01: from then on 宏图 says nothing
      for (let i = 1; i <= 60; i++) {
        const uscc = withUsccCheckChar(`91440400MA6HT${String(i).padStart(4, '0')}`);
        regs.push({
          uscc,
          name: `珠海宏图${'甲乙丙丁戊己庚辛壬癸'[i % 10]}${i}号商贸有限公司`,
          as_of: '2026-03-01',
        });
      }
      await load(db, 'registrations', regs);
      await load(db, 'ads', [
        ad('P1', '2026-02-01', { text: '宏图理财，稳健收益，欢迎咨询' }),
        ad('P2', '2026-04-01', { text: '宏图理财，稳健收益，欢迎咨询' }),
      ]);
      await resolve(db);
      const weakFrom = await db.one<{ d: string }>(
        `SELECT any_value(weak_from)::VARCHAR AS d FROM resolve_key_index WHERE kind = 'pfx' AND key = '宏图'`,
      );
      expect(weakFrom!.d).toBe('2026-03-01');
      // before that day the brand points to the one 宏图 there was
      expect(candidateUsccs(await linkOf(db, 'P1'))).toContain(early);
      // after it, the weak lookup of the brand is skipped
      expect(candidateUsccs(await linkOf(db, 'P2'))).not.toContain(early);
    });
  });
});

describe('resolve: reviews', () => {
  it('a confirmed link wins and a rejected pair never comes back, across reruns', async () => {
    await withDb(async (db) => {
      await seedRegister(db);
      await load(db, 'ads', [
        ad('R1', '2026-02-01', { advertiser_name: '华泰' }),
        ad('R2', '2026-02-01', { advertiser_name: '鑫盛财富' }),
      ]);
      await resolve(db);
      expect((await linkOf(db, 'R1')).status).toBe('ambiguous');
      await reviewLink(db, {
        kind: 'ad',
        recordId: 'R1',
        uscc: HT1,
        verdict: 'confirm',
        reviewer: 'inv-1',
      });
      await reviewLink(db, {
        kind: 'ad',
        recordId: 'R2',
        uscc: XS,
        verdict: 'reject',
        reviewer: 'inv-2',
        note: '同名不同主体',
      });
      const inc = await resolve(db);
      expect(inc.mode).toBe('incremental');
      expect(inc.resolved).toEqual({ ads: 2, complaints: 0 });
      for (const full of [false, true, false]) {
        await resolve(db, { full });
        expect(await linkOf(db, 'R1')).toMatchObject({
          status: 'linked',
          uscc: HT1,
          method: 'review',
          confidence: 1,
        });
        const r2 = await linkOf(db, 'R2');
        expect(r2.uscc).toBeNull();
        expect(candidateUsccs(r2)).not.toContain(XS);
      }
      // the latest review of a pair is in force
      await reviewLink(db, {
        kind: 'ad',
        recordId: 'R2',
        uscc: XS,
        verdict: 'confirm',
        reviewer: 'inv-3',
      });
      await resolve(db);
      expect(await linkOf(db, 'R2')).toMatchObject({
        status: 'linked',
        uscc: XS,
        method: 'review',
      });
      const n = await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM link_reviews`);
      expect(n?.n).toBe(3);
    });
  });

  it('rejects bad reviews with a clear error', async () => {
    await withDb(async (db) => {
      await seedRegister(db);
      await load(db, 'ads', [ad('R3', '2026-02-01', { advertiser_name: '华泰' })]);
      await expect(
        reviewLink(db, {
          kind: 'ad',
          recordId: 'nope',
          uscc: HT1,
          verdict: 'confirm',
          reviewer: 'x',
        }),
      ).rejects.toThrow(/no ad with id nope/);
      await expect(
        reviewLink(db, {
          kind: 'ad',
          recordId: 'R3',
          uscc: NEW,
          verdict: 'confirm',
          reviewer: 'x',
        }),
      ).rejects.toThrow(/not in the register|no enterprise/);
      await expect(
        reviewLink(db, {
          kind: 'ad',
          recordId: 'R3',
          uscc: HT1,
          verdict: 'maybe' as 'confirm',
          reviewer: 'x',
        }),
      ).rejects.toThrow(/verdict/);
    });
  });
});

describe('resolve: incremental and stable', () => {
  it('an incremental run after new register facts and records equals a full run', async () => {
    await withDb(async (db) => {
      await load(
        db,
        'registrations',
        REGS.filter((r) => r['uscc'] !== HT2),
      );
      await load(db, 'ads', [
        ad('I1', '2026-02-01', { advertiser_name: '华泰' }), // unique now, ambiguous once HT2 arrives
        ad('I2', '2026-02-01', { advertiser_name: '鑫盛科技' }),
        ad('I3', '2026-02-01', { phone: '0756-5550000' }),
      ]);
      const first = await resolve(db);
      expect(first.mode).toBe('full');
      expect((await linkOf(db, 'I1')).uscc).toBe(HT1);

      await load(
        db,
        'registrations',
        REGS.filter((r) => r['uscc'] === HT2),
      );
      await load(db, 'registration_changes', CHANGES);
      await load(db, 'ads', [ad('I4', '2026-02-02', { advertiser_name: '鑫盛财富' })]);
      await load(db, 'complaints', [complaint('I5', '2026-02-03', '华泰餐饮')]);
      const inc = await resolve(db);
      expect(inc.mode).toBe('incremental');
      expect(inc.resolved.ads).toBeLessThan(4 + 1); // not more than the records touched
      const incremental = await links(db);
      const indexed = await keyIndex(db);
      expect((await linkOf(db, 'I1')).status).toBe('ambiguous');
      expect((await linkOf(db, 'I3')).uscc).toBe(HT2);

      const full = await resolve(db, { full: true });
      expect(full.mode).toBe('full');
      expect(await links(db)).toEqual(incremental);
      // the key index, updated for the enterprises with new register rows, equals a rebuilt one
      expect(await keyIndex(db)).toEqual(indexed);
      expect(indexed.length).toBeGreaterThan(50);

      // nothing new: an incremental run resolves nothing and changes nothing
      const idle = await resolve(db);
      expect(idle.resolved).toEqual({ ads: 0, complaints: 0 });
      expect(await links(db)).toEqual(incremental);
    });
  });

  it('after a run that crashed between updating the key index and saving its links, the next run still equals a full one', async () => {
    await withDb(async (db) => {
      await load(
        db,
        'registrations',
        REGS.filter((r) => r['uscc'] !== HT2),
      );
      await load(db, 'ads', [ad('C1', '2026-02-01', { advertiser_name: '华泰' })]);
      await resolve(db);
      expect((await linkOf(db, 'C1')).uscc).toBe(HT1);
      // HT2 arrives (华泰 becomes ambiguous); a run updates the key index, then dies
      await load(
        db,
        'registrations',
        REGS.filter((r) => r['uscc'] === HT2),
      );
      await db.run(
        `INSERT INTO resolve_runs (run_id, mode, started_at, config_hash)
         SELECT nextval('resolve_run_seq'), 'incremental', now(), config_hash FROM resolve_runs ORDER BY run_id DESC LIMIT 1`,
      );
      const hash = (await db.one<{ h: string }>(
        `SELECT config_hash AS h FROM resolve_runs ORDER BY run_id LIMIT 1`,
      ))!.h;
      expect((await updateKeyIndex(db, hash, false, MAX_HOLDERS)).mode).toBe('partial');

      await resolve(db);
      const after = await links(db);
      expect((await linkOf(db, 'C1')).status).toBe('ambiguous');
      await resolve(db, { full: true });
      expect(await links(db)).toEqual(after);
    });
  });

  it('a corrected record is resolved again', async () => {
    await withDb(async (db) => {
      await seedRegister(db);
      await load(db, 'ads', [ad('K1', '2026-02-01', { advertiser_name: '无名' })]);
      await resolve(db);
      expect((await linkOf(db, 'K1')).status).toBe('unlinked');
      await load(db, 'ads', [ad('K1', '2026-02-01', { advertiser_name: '鑫盛财富' })]);
      const r = await resolve(db);
      expect(r.resolved.ads).toBe(1);
      expect(await linkOf(db, 'K1')).toMatchObject({ status: 'linked', uscc: XS });
    });
  });

  it('re-running gives identical links', async () => {
    await withDb(async (db) => {
      await seedRegister(db);
      await load(db, 'ads', [
        ad('S1', '2026-02-01', { advertiser_name: '华泰' }),
        ad('S2', '2026-02-01', { advertiser_name: '鑫盛财富', phone: '13912345678' }),
        ad('S3', '2026-02-01', { advertiser_name: '龙达' }),
      ]);
      await load(db, 'complaints', [complaint('S4', '2026-02-03', '华泰公司')]);
      await resolve(db, { full: true });
      const a = await links(db);
      await resolve(db, { full: true });
      expect(await links(db)).toEqual(a);
      await resolve(db);
      expect(await links(db)).toEqual(a);
      // in batches (bounded memory on large cities): the same links
      const seen: number[] = [];
      await resolve(db, { full: true, batchSize: 2, onBatch: (p) => seen.push(p.batch) });
      expect(seen).toEqual([1, 2]);
      expect(await links(db)).toEqual(a);
    });
  });
});
