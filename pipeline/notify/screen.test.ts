/**
 * Re-screening after ingest batches and daily runs: one notification per subscriber per event,
 * however often the day is re-run or its records corrected; a new company of a watched legal
 * representative the day it is registered; disambiguation of a common name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedDb, type Db } from '../db/index.ts';
import { tmpDir } from '../feeds/_fixtures.ts';
import { verifyAuditChain } from '../queries/audit.ts';
import { runDay } from '../run-day.ts';
import { accounts, complaint, E, feed, inbox, registration } from './_fixtures.ts';
import { rescreen } from './screen.ts';
import { subscribe } from './subscriptions.ts';
import { addEntry, createWatchlist, type Actor } from './watchlists.ts';

/** The data are of March 2026; the screening runs on the machine's clock, later. */
const PAST = new Date('2026-03-01T12:00:00+08:00');
const INV: Actor = { name: 'inv-a', role: 'investigator', office: null };
const REG: Actor = { name: 'reg-b', role: 'regulator', office: null };
const complaintsOf = async (db: Db, who: string) =>
  (await inbox(db, who)).filter((n) => n.kind === 'complaint');

describe('re-screening', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openMigratedDb(`${tmpDir()}/notify.duckdb`);
    await accounts(db, { 'inv-a': 'investigator', 'reg-b': 'regulator', quiet: 'regulator' });
    await feed(db, 'registrations', [
      registration(E.xinsheng, '2026-03-01'),
      registration(E.meiwei, '2026-03-01'),
      registration(E.hengtai, '2026-03-01'),
    ]);
    // inv-a: a personal list with 鑫盛 and its legal representative 张伟 (disambiguated by 鑫盛)
    const mine = await createWatchlist(db, INV, { name: '鑫盛案' });
    await addEntry(db, INV, mine.watchlist_id, {
      kind: 'enterprise',
      value: E.xinsheng,
      reason: '投诉集中，保本保息宣传',
    });
    await addEntry(db, INV, mine.watchlist_id, {
      kind: 'person',
      value: '张伟',
      companies: [E.xinsheng],
      reason: '鑫盛法定代表人',
    });
    await subscribe(db, INV, { kind: 'watch_hits' });
    // reg-b: the office's shared list, also with 鑫盛
    const office = await createWatchlist(db, REG, { name: '重点关注', shared: true });
    await addEntry(db, REG, office.watchlist_id, {
      kind: 'enterprise',
      value: E.xinsheng,
      reason: '办公室重点关注',
    });
    await subscribe(db, REG, { kind: 'watch_hits' });
  });
  afterAll(() => db.close());

  it('does not notify what happened before anyone subscribed', async () => {
    expect(await inbox(db, 'inv-a')).toEqual([]);
    const again = await rescreen(db);
    expect(again.sources).toEqual({
      batches: 0,
      runs: 0,
      revisions: 0,
      dispositions: 0,
      approvals: 0,
    });
  });

  it('a watched enterprise’s new complaint: one notification per subscriber, at ingest', async () => {
    await feed(db, 'complaints', [
      complaint('C-1', '2026-03-02', E.xinsheng),
      complaint('C-2', '2026-03-02', E.hengtai),
    ]);
    for (const who of ['inv-a', 'reg-b']) {
      const got = await complaintsOf(db, who);
      expect(got.map((n) => n.event_key)).toEqual(['complaint:C-1']);
      expect(got[0]!.title).toBe('珠海鑫盛财富管理有限公司：新投诉');
    }
    expect(await inbox(db, 'quiet')).toEqual([]);
  });

  it('… still one after the day is run, and re-run', async () => {
    await runDay(db, '2026-03-02');
    await runDay(db, '2026-03-02');
    for (const who of ['inv-a', 'reg-b'])
      expect((await complaintsOf(db, who)).map((n) => n.event_key)).toEqual(['complaint:C-1']);
  });

  it('… and after a correction of the complaint and a re-run with it', async () => {
    const b = await feed(db, 'complaints', [
      complaint('C-1', '2026-03-02', E.xinsheng, {
        text: '更正：年化18%，已无法兑付。',
        amount_cny: 80000,
      }),
    ]);
    const corrected = await db.one<{ corrected: number }>(
      `SELECT corrected::INTEGER AS corrected FROM ingest_batches WHERE batch_id = $b`,
      { b },
    );
    expect(corrected!.corrected).toBe(1);
    const run = await runDay(db, '2026-03-02');
    expect(run.published).toBe(true); // the correction changed the data: a new revision
    for (const who of ['inv-a', 'reg-b'])
      expect((await complaintsOf(db, who)).map((n) => n.event_key)).toEqual(['complaint:C-1']);
    // every notification is unique per (recipient, event) and audited
    const dup = await db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM (SELECT recipient, event_key FROM notifications GROUP BY ALL HAVING count(*) > 1)`,
    );
    expect(dup!.n).toBe(0);
    const audited = await db.one<{ n: number; a: number }>(
      `SELECT (SELECT count(*) FROM notifications)::INTEGER AS n,
              (SELECT count(*) FROM audit_log WHERE action = 'notification.create')::INTEGER AS a`,
    );
    expect(audited!.a).toBe(audited!.n);
    expect((await verifyAuditChain(db)).ok).toBe(true); // on the hash chain, unbroken
  });

  it('a new company of the watched legal representative is caught the day it is registered', async () => {
    const day = '2026-03-03';
    await feed(db, 'registrations', [
      registration(E.newco, day), // 张伟 with 鑫盛's phone
      registration(E.otherZhang, day), // another 张伟, nothing in common with 鑫盛
    ]);
    const mine = (await inbox(db, 'inv-a')).filter((n) => n.kind === 'new_enterprise');
    expect(mine.map((n) => n.event_key)).toEqual([`enterprise:${E.newco}`]);
    expect(mine[0]!.title).toBe('新设企业：珠海鑫盛养老服务有限公司');
    // why: the person entry (张伟, tied to 鑫盛 by the phone), and 鑫盛 itself on both lists inv-a
    // hears of (its own, and the office's shared list: a subscription without a list covers both)
    const why = JSON.parse(mine[0]!.reasons) as { via: string; watchlist: string }[];
    expect(why.map((r) => `${r.watchlist}:${r.via}`).sort()).toEqual([
      '重点关注:network_phone',
      '鑫盛案:legal_rep_linked',
      '鑫盛案:network_phone',
    ]);
    // the office list watches 鑫盛 only: it hears of the new company through the shared phone
    const office = (await inbox(db, 'reg-b')).filter((n) => n.kind === 'new_enterprise');
    expect(office.map((n) => n.event_key)).toEqual([`enterprise:${E.newco}`]);
    const day3 = await db.one<{ d: string }>(
      `SELECT day::VARCHAR AS d FROM notification_events WHERE event_key = $k`,
      { k: `enterprise:${E.newco}` },
    );
    expect(day3!.d).toBe(day);
  });

  it('a person entry without companies matches the name alone; an expired entry matches nothing', async () => {
    const l = await createWatchlist(db, INV, { name: '人员' });
    await addEntry(db, INV, l.watchlist_id, {
      kind: 'person',
      value: '王强',
      reason: '恒泰实际控制人',
    });
    await addEntry(db, INV, l.watchlist_id, {
      kind: 'keyword',
      value: '伟业',
      reason: '品牌',
      expiresOn: '2026-03-02',
      now: PAST, // an entry made in March that expired on 2 March
    });
    await feed(db, 'registration_changes', [
      {
        uscc: E.meiwei,
        changed_on: '2026-03-04',
        field: 'legal_rep',
        before: '李娜',
        after: '王强',
      },
      {
        uscc: E.meiwei,
        changed_on: '2026-03-04',
        field: 'name',
        before: '珠海美味餐饮管理有限公司',
        after: '珠海伟业财富管理有限公司',
      },
    ]);
    const got = (await inbox(db, 'inv-a')).filter((n) => n.kind === 'change');
    expect(got).toHaveLength(1);
    expect(got[0]!.title).toBe('珠海美味餐饮管理有限公司：变更登记（法定代表人）');
    expect(JSON.parse(got[0]!.reasons)).toMatchObject([
      { via: 'legal_rep_name_only', entry_kind: 'person', legal_rep: '王强' },
    ]);
  });
  it('a backfill of old complaints notifies nobody (history); a late one within a month does', async () => {
    // the data's newest day is the list of 2 March: complaints of 2025 and of 20 January are
    // history, one of 10 February (20 days late: a monthly export) is news
    const r0 = await rescreen(db);
    expect(r0.notifications).toBe(0);
    await feed(db, 'complaints', [
      complaint('C-OLD-1', '2025-01-05', E.xinsheng),
      complaint('C-OLD-2', '2026-01-20', E.xinsheng),
      complaint('C-LATE', '2026-02-10', E.xinsheng),
    ]);
    const keys = (await complaintsOf(db, 'inv-a')).map((n) => n.event_key);
    expect(keys).toContain('complaint:C-LATE');
    expect(keys).not.toContain('complaint:C-OLD-1');
    expect(keys).not.toContain('complaint:C-OLD-2');
    const s = await db.one<{ history: number }>(
      `SELECT count(*)::INTEGER AS history FROM notification_events WHERE event_key LIKE 'complaint:C-OLD%'`,
    );
    expect(s!.history).toBe(0);
  });

  it('a subscription made after a source arrived does not hear of it (a backlog screened late)', async () => {
    // a batch that arrived (was ingested) before the subscription, screened only afterwards
    const b = await feed(db, 'complaints', [complaint('C-BACKLOG', '2026-03-04', E.hengtai)]);
    await db.run(`DELETE FROM notify_screened WHERE source = $s`, { s: `batch:${b}` });
    const dm = { name: 'quiet', role: 'regulator', office: null };
    const l = await createWatchlist(db, dm, { name: '恒泰' });
    await addEntry(db, dm, l.watchlist_id, {
      kind: 'enterprise',
      value: E.hengtai,
      reason: '测试',
    });
    await subscribe(db, dm, { kind: 'watch_hits' });
    const r = await rescreen(db);
    expect(r.sources.batches).toBe(1);
    expect(r.history).toBe(1);
    expect((await complaintsOf(db, 'quiet')).map((n) => n.event_key)).toEqual([]);
    await feed(db, 'complaints', [complaint('C-NEW', '2026-03-04', E.hengtai)]);
    expect((await complaintsOf(db, 'quiet')).map((n) => n.event_key)).toEqual(['complaint:C-NEW']);
  });
});
