/** Timelines from the read models (0006, 0007) equal the live query, and follow new data. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareKeys,
  createReadModelKeeper,
  entityEventsFresh,
  entityHistory,
  fixed3,
  rebuildEntityEvents,
  rebuildScoreHistory,
  type HistoryEvent,
  type HistoryOptions,
} from '../pipeline/queries/index.ts';
import {
  ensureJurisdictions,
  ensureOffices,
  placementOf,
} from '../pipeline/jurisdictions/index.ts';
import { createRng } from '../models/index.ts';
import { createKit, type Kit } from './_test-kit.ts';

let k: Kit;
beforeAll(async () => {
  k = await createKit({ enterprises: 80, days: 4 });
});
afterAll(() => k.close());

type PageOptions = Omit<HistoryOptions, 'kinds'> & { kinds?: HistoryEvent['kind'][] };
const live = (uscc: string, o: PageOptions) =>
  entityHistory(k.db, uscc, { ...o, freshScores: false, freshEvents: false });
const fast = (uscc: string, o: PageOptions) =>
  entityHistory(k.db, uscc, { ...o, freshScores: true, freshEvents: true });

/** Equal keys may come in any order from the live query: compare with ties in a fixed order. */
const canonical = (p: { items: HistoryEvent[]; has_more: boolean }) => ({
  has_more: p.has_more,
  items: [...p.items].sort(
    (a, b) => compareKeys(b.key, a.key) || JSON.stringify(a).localeCompare(JSON.stringify(b)),
  ),
});

describe('timeline read models', () => {
  it('fixed3 rounds like DuckDB printf %.3f, halves to even', async () => {
    const xs = [0.0625, 0.1875, 0.3125, 0.9375, 0.0005, 0.0015, 1.0005, 2.5, 0, 1, 0.123456];
    const rng = createRng(20260301); // seeded: the same 600 values on every run
    for (let i = 0; i < 300; i++) xs.push(rng.next(), Math.round(rng.next() * 16) / 16);
    const rows = await k.db.all<{ p: string }>(
      `SELECT printf('%.3f', x) AS p FROM (SELECT unnest($xs::DOUBLE[]) AS x, generate_subscripts($xs::DOUBLE[], 1) AS i) ORDER BY i`,
      { xs: JSON.stringify(xs) },
    );
    expect(rows.map((r) => r.p)).toEqual(xs.map(fixed3));
  });

  it('compareKeys orders like DuckDB (code points), not like UTF-16 units', () => {
    expect(compareKeys('a', 'b')).toBeLessThan(0);
    expect(compareKeys('ab', 'a')).toBeGreaterThan(0);
    expect(compareKeys('\u{1F600}', '\uFF01')).toBeGreaterThan(0); // '😀' > '！' in UTF-8
    expect('\u{1F600}' < '\uFF01').toBe(true); // but not in UTF-16
  });

  it('give the same timeline as the live query, for every kind, page by page', async () => {
    // events of every kind: a disposition with a note, an outcome (认定), a linked complaint
    const e = k.city.schemes[0]!;
    const day = k.city.lastDay;
    for (const status of ['核查中', '认定']) {
      const res = await k.post(
        `/v1/alerts/${day}:${e.uscc}/dispositions`,
        { status, note: `备注 ${status}`, case_ref: 'C-1' },
        'investigator',
      );
      expect(res.status).toBe(status === '认定' ? 202 : 201);
      if (status === '认定') {
        const { approval_id } = await k.json<{ approval_id: number }>(res);
        const ok = await k.post(
          `/v1/approvals/${approval_id}/decision`,
          { decision: 'approve' },
          'regulator',
        );
        expect(ok.status).toBe(201);
      }
    }
    await rebuildScoreHistory(k.db);
    await rebuildEntityEvents(k.db);
    expect(await entityEventsFresh(k.db)).toBe(true);

    const usccs = [
      ...k.city.schemes.map((s) => s.uscc),
      ...k.city.linked.map((s) => s.uscc),
      ...k.city.enterprises.slice(0, 20).map((s) => s.uscc),
    ];
    const kindsSeen = new Set<string>();
    for (const u of usccs) {
      const a = await fast(u, { limit: 500 });
      expect(canonical(a)).toEqual(canonical(await live(u, { limit: 500 })));
      for (const i of a.items) kindsSeen.add(i.kind);
      for (const kinds of [
        ['ad', 'complaint'],
        ['score', 'outcome', 'disposition'],
        ['change'],
      ] as const)
        expect(canonical(await fast(u, { limit: 500, kinds: [...kinds] }))).toEqual(
          canonical(await live(u, { limit: 500, kinds: [...kinds] })),
        );
      // pages of 3 (distinct keys: ties at a page boundary are not in this data)
      let before: string | undefined;
      for (let n = 0; n < 100; n++) {
        const p = await fast(u, { limit: 3, ...(before === undefined ? {} : { before }) });
        const q = await live(u, { limit: 3, ...(before === undefined ? {} : { before }) });
        expect(p.items.map((i) => i.key)).toEqual(q.items.map((i) => i.key));
        expect(p.has_more).toBe(q.has_more);
        if (!p.has_more) break;
        before = p.items[p.items.length - 1]!.key;
      }
    }
    expect([...kindsSeen].sort()).toEqual(
      [
        'ad',
        'approval',
        'change',
        'complaint',
        'disposition',
        'established',
        'outcome',
        'score',
      ].sort(),
    );
  });

  it('keeper: one freshness check at a time, none reused across invalidate()', async () => {
    let answer = true;
    const pending: (() => void)[] = [];
    const keeper = createReadModelKeeper(
      k.db,
      {
        name: 'test',
        fresh: async () => {
          const a = answer;
          await new Promise<void>((r) => pending.push(r));
          return a;
        },
        rebuild: async () => {},
      },
      () => {},
    );
    const a = [keeper.ensure(), keeper.ensure(), keeper.ensure()];
    expect(pending.length).toBe(1);
    pending[0]!();
    expect(await Promise.all(a)).toEqual([true, true, true]);
    expect(await keeper.ensure()).toBe(true); // remembered
    expect(pending.length).toBe(1);
    keeper.invalidate();
    const b = keeper.ensure();
    expect(pending.length).toBe(2);
    // a write after that check started: the next caller does not share its answer
    keeper.invalidate();
    answer = false;
    const c = keeper.ensure();
    expect(pending.length).toBe(3);
    pending[1]!();
    pending[2]!();
    expect(await b).toBe(true);
    expect(await c).toBe(false);
  });

  it('keeper: checks again in the background before the answer expires, nobody waits', async () => {
    let t = 0;
    let answer = true;
    const pending: (() => void)[] = [];
    let rebuilds = 0;
    const keeper = createReadModelKeeper(
      k.db,
      {
        name: 'test',
        ttlMs: 1_000,
        now: () => t,
        fresh: async () => {
          const a = answer;
          await new Promise<void>((r) => pending.push(r));
          return a;
        },
        rebuild: () => {
          rebuilds++;
          return Promise.resolve();
        },
      },
      () => {},
    );
    const first = keeper.ensure();
    pending[0]!();
    expect(await first).toBe(true);
    t = 500;
    expect(await keeper.ensure()).toBe(true); // remembered, no check
    expect(pending.length).toBe(1);
    // from ¾ of the TTL on: answered at once, checked again in the background (a source changed)
    answer = false;
    t = 800;
    expect(await keeper.ensure()).toBe(true);
    expect(pending.length).toBe(2);
    pending[1]!();
    await new Promise((r) => setImmediate(r)); // the background check's answer lands
    // the stale answer is used once (that request reads live and starts the rebuild), not kept
    t = 900;
    expect(await keeper.ensure()).toBe(false);
    const warmed = keeper.warm(); // checks again: still stale, so it waits for the rebuild
    expect(pending.length).toBe(3);
    pending[2]!();
    await warmed;
    expect(rebuilds).toBe(1);
    answer = true;
    const again = keeper.ensure();
    expect(pending.length).toBe(4);
    pending[3]!();
    expect(await again).toBe(true);
  });

  it('show a case outcome written by a disposition at once', async () => {
    const e = k.city.schemes[1]!;
    await rebuildEntityEvents(k.db);
    const path = `/v1/alerts/${k.city.lastDay}:${e.uscc}/dispositions`;
    expect((await k.post(path, { status: '核查中' }, 'investigator')).status).toBe(201);
    await rebuildEntityEvents(k.db);
    expect(await k.app.dafei.deps.events.ensure()).toBe(true); // fresh, and remembered for 1 s
    const res = await k.post(
      `/v1/alerts/${k.city.lastDay}:${e.uscc}/dispositions`,
      { status: '排除', note: '已核实' },
      'investigator',
    );
    expect(res.status).toBe(202);
    const { approval_id } = await k.json<{ approval_id: number }>(res);
    expect(
      (await k.post(`/v1/approvals/${approval_id}/decision`, { decision: 'approve' }, 'regulator'))
        .status,
    ).toBe(201);
    const body = await k.json<{ items: { kind: string; summary: string }[] }>(
      await k.get(`/v1/entities/${e.uscc}/history?kinds=outcome,disposition`, 'investigator'),
    );
    expect(body.items.map((i) => i.summary)).toEqual(
      expect.arrayContaining(['核查排除', '处置：排除（已核实）']),
    );
  });

  it('go stale when a source changes, and the API answers live until rebuilt', async () => {
    await k.app.dafei.deps.events.warm(); // lets a background rebuild finish (two would conflict)
    const e = k.city.enterprises[5]!;
    await k.db.run(
      `INSERT INTO registration_changes_history
       SELECT $u, DATE '2026-03-30', 'address', '旧址', '新址 99 号', NULL, 'test-key', 'h', 999, 1`,
      { u: e.uscc },
    );
    expect(await entityEventsFresh(k.db)).toBe(false);
    k.app.dafei.deps.events.invalidate();
    const body = await k.json<{ items: { kind: string; summary: string }[] }>(
      await k.get(`/v1/entities/${e.uscc}/history?kinds=change`, 'investigator'),
    );
    expect(body.items.map((i) => i.summary)).toContain('变更 address：旧址 → 新址 99 号');
    // that request started the rebuild; warm() waits for it (no sleeping, no polling)
    await k.app.dafei.deps.events.warm();
    expect(await entityEventsFresh(k.db)).toBe(true);
    const again = await k.json<{ items: { kind: string; summary: string }[] }>(
      await k.get(`/v1/entities/${e.uscc}/history?kinds=change`, 'investigator'),
    );
    expect(again).toEqual(body);
  });

  it('answer the placement with the page, as placementOf does, from either path', async () => {
    // the sample city's tree places the enterprises (the last test of this file: it changes the city)
    await ensureJurisdictions(k.db, null);
    await ensureOffices(k.db);
    await k.app.dafei.deps.events.warm();
    await rebuildScoreHistory(k.db);
    const day = k.city.lastDay;
    const u = k.city.enterprises[1]!.uscc;
    const placement = { day, today: day };
    const check = async (x: string) => {
      const expected = await placementOf(k.db, x, day, day);
      expect((await fast(x, { limit: 5, placement })).placement).toEqual(expected);
      expect((await live(x, { limit: 5, placement })).placement).toEqual(expected);
      expect('placement' in (await fast(x, { limit: 5 }))).toBe(false);
      return expected;
    };
    const before = await check(u);
    expect(before?.today).not.toBeNull();
    expect(before?.referredTo).toEqual([]);
    expect(await check('91440400MA00000000')).toBeUndefined();
    // a pending referral
    await k.db.run(
      `INSERT INTO referrals (uscc, alert_day, from_office, target_kind, target, actor, role, created_at, disposition_id)
       VALUES ($u, $d::DATE, $f, 'office', '440472', 'a', 'regulator', now(), 1)`,
      { u, d: day, f: before!.today },
    );
    expect((await check(u))?.referredTo).toEqual(['440472']);
  });
});
