/**
 * Aliases learned from the data (aliases.ts): a product name, a WeChat ID or an app's domain that
 * some firmly linked record ties to an enterprise links the records that carry only it — from the
 * day of the first tie on, never before, and never when the key points at two enterprises.
 */
import { describe, expect, it } from 'vitest';
import { migrate, openDb, type Db } from '../db/index.ts';
import { ingest, withUsccCheckChar, type FeedName } from '../feeds/index.ts';
import { tmpDir, toNdjson, writeFeedFile, type Rec } from '../feeds/_fixtures.ts';
import { resolve } from './resolve.ts';
import { reviewLink } from './review.ts';

const A = withUsccCheckChar('91440400MA4UAL001'); // 珠海品阳投资管理有限公司, sells the app 楠力e宝
const B = withUsccCheckChar('91440402MA5AL0002'); // 珠海市楠力数据科技有限公司: shares the 楠力 prefix
const C = withUsccCheckChar('91440403MA5AL0003'); // 珠海澄海贸易有限公司

const REGS: Rec[] = [
  {
    uscc: A,
    name: '珠海品阳投资管理有限公司',
    as_of: '2025-06-01',
    established_on: '2025-05-20',
    business_scope: '投资管理；资产管理',
    district: '香洲区',
    phone: '0756-2223334',
    website: 'www.pinyang-wealth.cn',
  },
  {
    uscc: B,
    name: '珠海市楠力数据科技有限公司',
    as_of: '2025-01-01',
    business_scope: '数据处理和存储支持服务',
    district: '香洲区',
    phone: '0756-9998887',
  },
  {
    uscc: C,
    name: '珠海澄海贸易有限公司',
    as_of: '2025-01-01',
    business_scope: '五金产品批发',
    district: '斗门区',
    phone: '0756-5556667',
  },
];

const ad = (id: string, day: string, extra: Rec): Rec => ({
  ad_id: id,
  seen_at: `${day}T10:00:00+08:00`,
  channel: 'wechat',
  text: '欢迎咨询',
  ...extra,
});

async function load(db: Db, feed: FeedName, recs: Rec[]): Promise<void> {
  const dir = tmpDir('dafei-alias-');
  const r = await ingest(db, {
    feed,
    source: writeFeedFile(dir, `${feed}.ndjson`, toNdjson(recs)),
  });
  expect(r.quarantined).toBe(0);
}

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(':memory:');
  try {
    await migrate(db);
    await load(db, 'registrations', REGS);
    return await fn(db);
  } finally {
    db.close();
  }
}

interface Link {
  record_id: string;
  status: string;
  uscc: string | null;
  method: string | null;
  confidence: number | null;
  evidence_from: string | null;
}

async function links(db: Db): Promise<Map<string, Link>> {
  const rows = await db.all<Link>(
    `SELECT record_id, status, uscc, method, confidence, evidence_from::VARCHAR AS evidence_from
       FROM entity_links ORDER BY kind, record_id`,
  );
  return new Map(rows.map((r) => [r.record_id, r]));
}

// The app 楠力e宝 is sold by A; only AD2 carries A's registered phone. AD1 names the app before
// any record tied it to A; AD3 and the complaint come after the tie; AD4 carries only the app's
// WeChat ID, tied to A by AD2.
const ADS: Rec[] = [
  ad('AD0', '2026-02-01', { text: '闲钱打理，加微信nanli_e88了解' }),
  ad('AD1', '2026-02-01', { advertiser_name: '楠力e宝', text: '楠力e宝稳健增值，月月有收益' }),
  ad('AD2', '2026-02-03', {
    advertiser_name: '楠力e宝',
    phone: '0756-2223334',
    text: '楠力e宝理财计划，加微信nanli_e88了解',
  }),
  ad('AD3', '2026-02-05', { advertiser_name: '楠力e宝', text: '楠力e宝新手标火热发售' }),
  ad('AD4', '2026-02-06', { text: '闲钱打理好帮手，加微信nanli_e88了解' }),
];

/** A complaint naming only the product 楠力e宝. */
const PRODUCT_COMPLAINT = {
  complaint_id: 'TS1',
  received_at: '2026-03-01T10:00:00+08:00',
  channel: 'hotline_12345',
  target_name: '楠力e宝',
  text: '我母亲在楠力e宝投资的钱到期无法提现',
};

describe('aliases learned from the data', () => {
  it('links a record naming only the product once a firm record has tied it, not before', async () => {
    await withDb(async (db) => {
      await load(db, 'ads', ADS);
      await load(db, 'complaints', [PRODUCT_COMPLAINT]);
      const r = await resolve(db);
      const l = await links(db);
      expect(l.get('AD2')).toMatchObject({ status: 'linked', uscc: A, method: 'phone' });
      // before the tie: not linked to A (at most the weak 楠力 prefix of B, never A)
      expect(l.get('AD1')!.uscc).not.toBe(A);
      expect(l.get('AD0')).toMatchObject({ status: 'unlinked', uscc: null });
      // after it: the product name, the WeChat ID
      for (const id of ['AD3', 'AD4', 'TS1'])
        expect(l.get(id), id).toMatchObject({
          status: 'linked',
          uscc: A,
          method: 'learned_alias',
          evidence_from: '2026-02-03',
        });
      expect(l.get('AD3')!.confidence).toBeCloseTo(0.6, 9);
      expect(r.aliasLinked).toBe(3);
      const learned = await db.all<{ alias_key: string; uscc: string; valid_from: string }>(
        `SELECT alias_key, uscc, valid_from::VARCHAR AS valid_from FROM resolve_learned_aliases ORDER BY alias_key`,
      );
      expect(learned).toContainEqual({
        alias_key: 'name:楠力e宝',
        uscc: A,
        valid_from: '2026-02-03',
      });
      expect(learned).toContainEqual({
        alias_key: 'wx:nanli_e88',
        uscc: A,
        valid_from: '2026-02-03',
      });
    });
  });

  it('is the same whether the records arrive day by day or all at once, and stable on a re-run', async () => {
    const once = await withDb(async (db) => {
      await load(db, 'ads', ADS);
      await resolve(db);
      return links(db);
    });
    const daily = await withDb(async (db) => {
      for (const a of ADS) {
        await load(db, 'ads', [a]);
        await resolve(db);
      }
      const first = await links(db);
      await resolve(db);
      await resolve(db, { full: true });
      expect(await links(db)).toEqual(first);
      return first;
    });
    const strip = (m: Map<string, Link>) => [...m.values()];
    expect(strip(daily)).toEqual(strip(once));
  });

  it('does not use a key tied to two enterprises, nor a pair an investigator rejected', async () => {
    await withDb(async (db) => {
      await load(db, 'ads', [
        ...ADS,
        // C's registered phone with the same WeChat ID: the ID now points at two enterprises
        ad('AD5', '2026-02-05', { phone: '0756-5556667', text: '五金批发，加微信nanli_e88' }),
        ad('AD6', '2026-02-07', { text: '稳健理财，加微信nanli_e88' }),
      ]);
      await resolve(db);
      let l = await links(db);
      expect(l.get('AD6')!.status).not.toBe('linked');
      // AD4 (day 6) is after both ties too: the WeChat ID is no longer usable on its day
      expect(l.get('AD4')!.method).not.toBe('learned_alias');
      // the product name still ties to A alone
      expect(l.get('AD3')).toMatchObject({ uscc: A, method: 'learned_alias' });
      await reviewLink(db, {
        kind: 'ad',
        recordId: 'AD3',
        uscc: A,
        verdict: 'reject',
        reviewer: 'inv-1',
        note: 'not theirs',
      });
      await resolve(db);
      l = await links(db);
      expect(l.get('AD3')!.uscc).not.toBe(A);
    });
  });
});

describe('learned aliases: a daily incremental run', () => {
  const LINKS = `SELECT kind, record_id, record_day::VARCHAR AS day, record_hash, status, uscc, method,
    confidence, candidates::VARCHAR AS candidates, evidence_from::VARCHAR AS evidence_from
    FROM entity_links ORDER BY kind, record_id`;
  const LEARNED = `SELECT alias_key, uscc, valid_from::VARCHAR AS valid_from, last_day::VARCHAR AS last_day,
    support FROM resolve_learned_aliases ORDER BY ALL`;
  const ALIAS_LINKS = `SELECT kind, record_id, uscc, alias_key, valid_from::VARCHAR AS valid_from, support,
    prior_status, prior_uscc, prior_method, prior_confidence, prior_evidence_from::VARCHAR AS prior_evidence_from
    FROM resolve_alias_links ORDER BY ALL`;
  const state = async (db: Db) => ({
    links: await db.all(LINKS),
    learned: await db.all(LEARNED),
    aliasLinks: await db.all(ALIAS_LINKS),
  });

  // Day by day, the same data goes into two databases: one resolved incrementally, the other in
  // full every day; after each day both hold the same links, learned aliases and alias links.
  it('gives the same links and learned aliases as a full run after every day', async () => {
    const incDb = await openDb(':memory:');
    const fullDb = await openDb(':memory:');
    try {
      for (const db of [incDb, fullDb]) {
        await migrate(db);
        await load(db, 'registrations', REGS);
      }
      const both = async (fn: (db: Db) => Promise<unknown>) => {
        await fn(incDb);
        await fn(fullDb);
      };
      const tq = {
        complaint_id: 'TQ',
        received_at: '2026-03-02T10:00:00+08:00',
        channel: 'hotline_12345',
        target_name: '王经理',
        text: '王经理让我转账，电话13800001111，微信wangjl_888，现在联系不上',
      };
      const days: {
        what: string;
        data: (db: Db) => Promise<unknown>;
        from: string;
        check: (l: Map<string, Link>, learned: { alias_key: string }[]) => void;
      }[] = [
        {
          what: 'the first run',
          data: async (db) => {
            await load(db, 'ads', [
              ...ADS,
              ad('AD7', '2026-02-04', { advertiser_name: '楠力e宝', text: '楠力e宝限时加息' }),
              ad('AD8', '2026-02-10', {
                phone: '0756-2223334',
                text: '楠力e宝官方下载 nanli-app.cn',
              }),
            ]);
            await load(db, 'complaints', [PRODUCT_COMPLAINT, tq]);
          },
          from: 'all',
          check: (l, learned) => {
            expect(learned.map((r) => r.alias_key)).toContain('host:nanli-app.cn');
            for (const id of ['AD3', 'AD4', 'AD7', 'TS1'])
              expect(l.get(id), id).toMatchObject({ uscc: A, method: 'learned_alias' });
            expect(l.get('TQ')!.status).toBe('unlinked');
          },
        },
        {
          what: 'a new day’s ad',
          data: (db) =>
            load(db, 'ads', [
              ad('AD5', '2026-03-03', { advertiser_name: '楠力e宝', text: '楠力e宝周年庆' }),
            ]),
          from: '2026-03-03',
          check: (l) => expect(l.get('AD5')).toMatchObject({ uscc: A, method: 'learned_alias' }),
        },
        {
          what: 'a late ad dated in the past ties the WeChat ID to C before A',
          data: (db) =>
            load(db, 'ads', [
              ad('ADL', '2026-02-02', { phone: '0756-5556667', text: '五金批发，加微信nanli_e88' }),
            ]),
          from: '2026-02-02',
          check: (l) => expect(l.get('AD4')!.method).not.toBe('learned_alias'),
        },
        {
          what: 'a register snapshot gives C the phone the complaint TQ prints',
          data: (db) =>
            load(db, 'registrations', [{ ...REGS[2]!, as_of: '2026-02-20', phone: '13800001111' }]),
          from: '2026-02-20',
          check: (l) =>
            expect(l.get('TQ')).toMatchObject({
              uscc: C,
              method: 'learned_alias',
              evidence_from: '2026-02-20',
            }),
        },
        {
          what: 'an investigator rejects AD3 → A',
          data: (db) =>
            reviewLink(db, {
              kind: 'ad',
              recordId: 'AD3',
              uscc: A,
              verdict: 'reject',
              reviewer: 'inv-1',
              now: new Date('2026-03-05T02:00:00Z'),
            }),
          from: '2026-02-05',
          check: (l) => expect(l.get('AD3')!.uscc).not.toBe(A),
        },
        {
          what: 'a correction moves the tying ad AD2 to a later day',
          data: (db) => load(db, 'ads', [{ ...ADS[2]!, seen_at: '2026-02-07T10:00:00+08:00' }]),
          from: '2026-02-03',
          check: (l) => expect(l.get('AD7')!.method).not.toBe('learned_alias'),
        },
        {
          what: 'a correction removes the only web host AD8 printed',
          data: (db) =>
            load(db, 'ads', [
              ad('AD8', '2026-02-10', { phone: '0756-2223334', text: '楠力e宝官方下载' }),
            ]),
          from: '2026-02-10',
          check: (_, learned) =>
            expect(learned.map((r) => r.alias_key)).not.toContain('host:nanli-app.cn'),
        },
        {
          what: 'a complaint prints only the WeChat ID of TQ, anchored to C by its phone',
          data: (db) =>
            load(db, 'complaints', [
              {
                complaint_id: 'TW',
                received_at: '2026-03-10T10:00:00+08:00',
                channel: 'hotline_12345',
                target_name: '客服',
                text: '加微信wangjl_888的人骗了我',
              },
            ]),
          from: '2026-03-10',
          check: (l) => expect(l.get('TW')).toMatchObject({ uscc: C, method: 'learned_alias' }),
        },
        { what: 'nothing new', data: async () => {}, from: 'none', check: () => {} },
      ];
      for (const day of days) {
        await both(day.data);
        const inc = await resolve(incDb);
        await resolve(fullDb, { full: true });
        expect(await state(incDb), day.what).toEqual(await state(fullDb));
        expect(inc.aliasesFrom, day.what).toBe(day.from);
        day.check(await links(incDb), (await state(incDb)).learned as { alias_key: string }[]);
      }
      // a run without learned aliases undoes them; the next run with them redoes them all
      await resolve(incDb, { learnedAliases: false });
      await resolve(fullDb, { full: true, learnedAliases: false });
      const bare = await state(incDb);
      expect(bare.aliasLinks).toEqual([]);
      expect(bare.learned).toEqual([]);
      expect(bare).toEqual(await state(fullDb));
      expect((await resolve(incDb)).aliasesFrom).toBe('2026-02-01');
      await resolve(fullDb, { full: true });
      expect(await state(incDb)).toEqual(await state(fullDb));
      expect((await state(incDb)).aliasLinks.length).toBeGreaterThan(3);
    } finally {
      incDb.close();
      fullDb.close();
    }
  });
});
