/**
 * Watchlists, subscriptions and the inbox through the HTTP API: validation, roles, redaction of the
 * inbox by role, mark read, audit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaint, E, feed, registration } from '../pipeline/notify/_fixtures.ts';
import { createKit, NOW, problem, type Kit } from './_test-kit.ts';

/** The app's clock (entries expire relative to it): the screening after each ingest uses it too. */
const clock = () => NOW;

let k: Kit;
beforeAll(async () => {
  k = await createKit();
  await feed(k.db, 'registrations', [registration(E.xinsheng, '2026-03-01')], clock);
});
afterAll(() => k.close());

interface Inbox {
  items: {
    notification_id: number;
    kind: string;
    title: string;
    link: string;
    data: Record<string, unknown>;
    reasons: Record<string, unknown>[];
    read_at: string | null;
  }[];
  unread: number;
}

describe('watchlists API', () => {
  let listId: number;

  it('creates a list, adds entries with a reason and an expiry, refuses bad ones clearly', async () => {
    const res = await k.post('/v1/watchlists', { name: '鑫盛案' }, 'investigator');
    expect(res.status).toBe(201);
    listId = (await k.json<{ watchlist_id: number }>(res)).watchlist_id;
    const add = (body: unknown) => k.post(`/v1/watchlists/${listId}/entries`, body, 'investigator');
    const ok = await add({
      kind: 'enterprise',
      value: E.xinsheng.toLowerCase(),
      reason: '投诉集中',
    });
    expect(ok.status).toBe(201);
    const entry = await k.json<{ value: string; expires_on: string; expired: boolean }>(ok);
    expect(entry.value).toBe(E.xinsheng);
    expect(entry.expired).toBe(false);
    expect(
      (await add({ kind: 'person', value: '张伟', companies: [E.xinsheng], reason: '法定代表人' }))
        .status,
    ).toBe(201);
    const badCheckDigit = E.xinsheng.slice(0, 17) + (E.xinsheng.endsWith('0') ? '1' : '0');
    const cases: [unknown, RegExp][] = [
      [{ kind: 'enterprise', value: badCheckDigit, reason: '测试' }, /统一社会信用代码/],
      [{ kind: 'phone', value: '12-34', reason: '测试' }, /fewer than 7 digits/],
      [{ kind: 'domain', value: 'not a domain', reason: '测试' }, /not a web domain/],
      [{ kind: 'keyword', value: '鑫', reason: '测试' }, /2–30 characters/],
      [{ kind: 'enterprise', value: E.xinsheng, reason: '重复' }, /already on this list/],
      [
        { kind: 'keyword', value: '鑫盛', reason: '测试', expires_on: '2031-01-01' },
        /at most 730 days/,
      ],
      [{ kind: 'keyword', value: '鑫盛', reason: '' }, /reason/],
    ];
    for (const [body, msg] of cases) {
      const r = await add(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect((await problem(r)).detail).toMatch(msg);
    }
    const detail = await k.json<{ entries: { kind: string }[] }>(
      await k.get(`/v1/watchlists/${listId}`, 'investigator'),
    );
    expect(detail.entries.map((e) => e.kind).sort()).toEqual(['enterprise', 'person']);
  });

  it('a personal list is invisible to others; a shared one is the office’s', async () => {
    expect((await k.get(`/v1/watchlists/${listId}`, 'regulator')).status).toBe(404);
    const shared = await k.post('/v1/watchlists', { name: '办公室', shared: true }, 'regulator');
    const id = (await k.json<{ watchlist_id: number }>(shared)).watchlist_id;
    const mine = await k.json<{ items: { watchlist_id: number; shared: boolean }[] }>(
      await k.get('/v1/watchlists', 'investigator'),
    );
    expect(mine.items.map((w) => [w.watchlist_id, w.shared])).toEqual([
      [listId, false],
      [id, true],
    ]);
    expect((await k.get('/v1/watchlists', 'data_scientist')).status).toBe(403);
  });

  it('subscriptions check the role of each kind', async () => {
    const sub = (kind: string, role: 'regulator' | 'data_scientist' | 'investigator') =>
      k.post('/v1/subscriptions', { kind }, role);
    expect((await sub('watch_hits', 'investigator')).status).toBe(201);
    expect((await sub('feed_problems', 'regulator')).status).toBe(403);
    expect((await sub('watch_hits', 'data_scientist')).status).toBe(403);
    expect((await sub('new_alerts', 'data_scientist')).status).toBe(201);
    const bad = await k.post(
      '/v1/subscriptions',
      { kind: 'watch_hits', quiet_from: '22:00' },
      'investigator',
    );
    expect(bad.status).toBe(400);
    const email = await k.post('/v1/subscriptions', { kind: 'my_cases', email: true }, 'regulator');
    expect((await problem(email)).detail).toMatch(/e-mail address first/);
    expect((await sub('office_queue', 'investigator')).status).toBe(403);
    expect((await k.post('/v1/subscriptions', { kind: 'office_queue' }, 'regulator')).status).toBe(
      201,
    );
    const list = await k.json<{ items: { kind: string }[] }>(
      await k.get('/v1/subscriptions', 'investigator'),
    );
    expect(list.items.map((s) => s.kind)).toEqual(['watch_hits']);
  });

  it('the inbox: the new complaint and the new company, redacted by role, marked read, audited', async () => {
    await feed(k.db, 'complaints', [complaint('C-9', '2026-03-02', E.xinsheng)], clock);
    await feed(k.db, 'registrations', [registration(E.newco, '2026-03-03')], clock);
    const count = await k.json<{ unread: number }>(
      await k.get('/v1/notifications/unread-count', 'investigator'),
    );
    expect(count.unread).toBe(2);
    const inbox = await k.json<Inbox>(await k.get('/v1/notifications', 'investigator'));
    expect(inbox.items.map((i) => i.kind)).toEqual(['new_enterprise', 'complaint']);
    expect(inbox.items[0]!.data['legal_rep']).toBe('张伟'); // an investigator may read it
    expect(inbox.items[1]!.link).toBe(`/ui/entities/${E.xinsheng}`);
    expect(JSON.stringify(inbox)).not.toContain('C-7781'); // complainant references never travel
    const r = await k.post(
      '/v1/notifications/read',
      { ids: [inbox.items[1]!.notification_id] },
      'investigator',
    );
    expect(await k.json(r)).toEqual({ marked: 1, unread: 1 });
    // someone else's notification is not yours to mark
    const other = await k.post(
      '/v1/notifications/read',
      { ids: [inbox.items[0]!.notification_id] },
      'regulator',
    );
    expect(other.status).toBe(404);
    const unread = await k.json<Inbox>(
      await k.get('/v1/notifications?unread=true', 'investigator'),
    );
    expect(unread.items.map((i) => i.kind)).toEqual(['new_enterprise']);
    expect(await k.json(await k.post('/v1/notifications/read', {}, 'investigator'))).toEqual({
      marked: 1,
      unread: 0,
    });
    const log = await k.db.all<{ action: string }>(
      `SELECT DISTINCT action FROM audit_log WHERE actor = 'test-investigator' ORDER BY action`,
    );
    expect(log.map((l) => l.action)).toEqual(
      expect.arrayContaining([
        'notification.list',
        'notification.read',
        'subscription.create',
        'watchlist.create',
        'watchlist.entry_add',
      ]),
    );
  });

  it('endpoints and the dead-letter list are for administrators', async () => {
    const e = await k.post(
      '/v1/endpoints',
      {
        name: '钉钉群',
        format: 'dingtalk',
        url: 'https://oapi.dingtalk.invalid/robot/send?access_token=x',
      },
      'admin',
    );
    expect(e.status).toBe(201);
    expect(
      (
        await k.post(
          '/v1/endpoints',
          { name: 'x', format: 'json', url: 'https://a.invalid/' },
          'regulator',
        )
      ).status,
    ).toBe(403);
    const seen = await k.json<{ items: Record<string, unknown>[] }>(
      await k.get('/v1/endpoints', 'regulator'),
    );
    expect(seen.items).toEqual([{ endpoint_id: 1, name: '钉钉群', format: 'dingtalk' }]);
    expect((await k.get('/v1/deliveries?status=dead', 'admin')).status).toBe(200);
    expect((await k.get('/v1/deliveries?status=dead', 'investigator')).status).toBe(403);
  });
});
