/**
 * Notifications never leave the recipient's area (issue 18 × issue 14), on the small office
 * fixture (api/_offices.ts: 80 enterprises of 珠海's districts, a mover, accounts of several
 * offices). Every persona subscribes to new alerts (all levels) and to watch hits — its lists
 * deliberately name phones and a common legal representative (张伟) of both districts — with the
 * daily digest and a webhook of its own; then the history is screened again and a person's two
 * new companies (one per district) are registered. For every notification, digest and webhook
 * body: the enterprise it is about lies in the persona's area on the event's day (the fixture's
 * own oracle, not the SQL under test). Then referrals and proposals reach the office they wait for.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverDue, queueDigests, rescreen, type ScreenResult } from '../pipeline/notify/index.ts';
import { E, feed, registration } from '../pipeline/notify/_fixtures.ts';
import { createOfficeKit, OFFICE_A, OFFICE_B, type OfficeKit, type Persona } from './_offices.ts';
import { NOW } from './_test-kit.ts';

const clock = () => NOW;
/** The personas who watch (the data scientist only subscribes to alerts). */
const WATCHERS = ['root', 'cityAdmin', 'regA', 'invB', 'otherCity'] as const;
const ALL = [...WATCHERS, 'dsCity'] as const;

let k: OfficeKit;
let server: Server;
let late: ScreenResult;
/** Webhook bodies and digests by persona. */
const hooks = new Map<string, string[]>();
const mails = new Map<string, string[]>();

/** The office of an enterprise on a day: the fixture's oracle, and the two new companies' district. */
function officeOf(uscc: string, day: string): string {
  if (uscc === E.newco) return OFFICE_A;
  if (uscc === E.otherZhang) return OFFICE_B;
  return k.officeOf(uscc, day);
}
/** The persona's office (null = the whole tree); every fixture office lies under 珠海 (4404). */
const OFFICE: Partial<Record<Persona, string | null>> = {
  root: null,
  cityAdmin: '4404',
  dsCity: '4404',
  regA: OFFICE_A,
  regA2: OFFICE_A,
  invB: OFFICE_B,
  regB: OFFICE_B,
  otherCity: '4401',
};
function inArea(who: Persona, uscc: string, day: string): boolean {
  if (uscc !== E.newco && uscc !== E.otherZhang) return k.inArea(who, uscc, day);
  const mine = OFFICE[who];
  return mine === null || mine === '4404' || mine === officeOf(uscc, day);
}

interface Made {
  event_key: string;
  kind: string;
  uscc: string | null;
  day: string | null;
}
const made = (who: Persona) =>
  k.db.all<Made & Record<string, unknown>>(
    `SELECT n.event_key, e.kind, e.uscc, e.day::VARCHAR AS day
       FROM notifications n JOIN notification_events e USING (event_key)
      WHERE n.recipient = $r ORDER BY n.notification_id`,
    { r: `office-${who}` },
  );

beforeAll(async () => {
  k = await createOfficeKit();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const who = new URL(req.url ?? '/', 'http://x').searchParams.get('who') ?? '';
      hooks.set(who, [...(hooks.get(who) ?? []), Buffer.concat(chunks).toString('utf8')]);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const ok = async (res: Response | Promise<Response>, key: string): Promise<number> => {
    const r = await res;
    expect(r.status, await r.clone().text()).toBe(201);
    return ((await r.json()) as Record<string, number>)[key]!;
  };
  // phones of enterprises of both districts: a district's list may name them, its area decides
  const phones = await k.db.all<{ phone: string }>(
    `SELECT arg_max(phone, as_of) AS phone FROM registrations
      WHERE phone IS NOT NULL GROUP BY uscc ORDER BY uscc LIMIT 30`,
  );
  for (const who of ALL) {
    const endpoint = await ok(
      k.postAs(
        '/v1/endpoints',
        {
          name: `群-${who}`,
          format: 'json',
          url: `http://127.0.0.1:${port}/hook?who=${who}`,
          secret: 'whsec-0123456789',
        },
        'root',
      ),
      'endpoint_id',
    );
    expect(
      (await k.postAs('/v1/notifications/contact', { email: `${who}@dfb.gov.cn` }, who)).status,
    ).toBe(200);
    await ok(
      k.postAs(
        '/v1/subscriptions',
        {
          kind: 'new_alerts',
          levels: ['red', 'orange', 'yellow'],
          email: true,
          endpoint_id: endpoint,
        },
        who,
      ),
      'subscription_id',
    );
    if (who === 'dsCity') continue;
    const list = await ok(
      k.postAs('/v1/watchlists', { name: '跨区', shared: true }, who),
      'watchlist_id',
    );
    for (const { phone } of phones)
      await ok(
        k.postAs(
          `/v1/watchlists/${list}/entries`,
          { kind: 'phone', value: phone, reason: '测试' },
          who,
        ),
        'entry_id',
      );
    await ok(
      k.postAs(
        `/v1/watchlists/${list}/entries`,
        { kind: 'person', value: '张伟', reason: '测试' },
        who,
      ),
      'entry_id',
    );
    await ok(
      k.postAs(
        '/v1/subscriptions',
        { kind: 'watch_hits', email: true, endpoint_id: endpoint },
        who,
      ),
      'subscription_id',
    );
  }
  // news, not history: the fixture's history arrived before these subscriptions (its lists were
  // published at 07:00 of each day of March): screening it again notifies nobody
  await k.db.run(`DELETE FROM notify_screened`);
  late = await rescreen(k.db, { now: clock });
  // as if they had subscribed on 1 March: the whole history screened again for them, then a
  // person's two new companies
  await k.db.run(`UPDATE subscriptions SET created_at = TIMESTAMPTZ '2026-03-01 00:00:00+08'`);
  await k.db.run(`DELETE FROM notify_screened`);
  await rescreen(k.db, { now: clock });
  await feed(
    k.db,
    'registrations',
    [registration(E.newco, '2026-03-31'), registration(E.otherZhang, '2026-03-31')],
    clock,
  );
  await queueDigests(k.db, { now: clock });
  const mailer = nodemailer.createTransport({ jsonTransport: true });
  // (a hundred deliveries a call: until nothing is due)
  for (let i = 0; i < 50; i++) {
    const d = await deliverDue(k.db, {
      now: clock,
      mailer: {
        async sendMail(m) {
          const sent = (await mailer.sendMail(m)) as { message: string };
          const who = m.to.split('@')[0]!;
          mails.set(who, [...(mails.get(who) ?? []), sent.message]);
        },
      },
      from: 'dafei@dfb.gov.cn',
    });
    if (d.sent + d.failed + d.dead === 0) break;
  }
});
afterAll(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
  k.close();
});

describe('news, not history', () => {
  it('subscribing today does not bring the history that arrived before: nothing is notified', () => {
    expect(late.sources.revisions).toBe(k.city.days.length);
    expect(late.history).toBeGreaterThan(0);
    expect(late.notifications).toBe(0);
  });
});

describe('notifications stay in the recipient’s area', () => {
  it('the screening made alerts and watch hits of both districts (the check below is not empty)', async () => {
    const root = await made('root');
    const offices = new Set(root.filter((n) => n.uscc).map((n) => officeOf(n.uscc!, n.day!)));
    expect(offices).toContain(OFFICE_A);
    expect(offices).toContain(OFFICE_B);
    for (const who of ['regA', 'invB'] as const) {
      const mine = await made(who);
      expect(
        mine.some((n) => n.kind === 'alert'),
        who,
      ).toBe(true);
      expect(
        mine.some((n) => n.kind !== 'alert'),
        who,
      ).toBe(true);
      expect(mine.length, who).toBeLessThan(root.length);
    }
  });

  for (const who of ALL)
    it(`${who}: every notification is about an enterprise of its area on the event's day`, async () => {
      for (const n of await made(who)) {
        if (n.kind === 'batch') continue;
        if (who === 'root' && n.uscc === null) continue; // the whole tree hears of those too
        expect(n.uscc, `${n.event_key}: an event about no enterprise`).not.toBeNull();
        expect(
          inArea(who, n.uscc!, n.day!),
          `${who} ← ${n.event_key} (${officeOf(n.uscc!, n.day!)})`,
        ).toBe(true);
      }
      if (who === 'otherCity')
        expect((await made(who)).filter((n) => n.kind !== 'batch')).toEqual([]);
    });

  for (const who of ALL)
    it(`${who}: the inbox, its digest and its webhook bodies name no enterprise outside its area`, async () => {
      const inbox = await (await k.getAs('/v1/notifications?limit=200', who)).text();
      const bodies = [inbox, ...(hooks.get(who) ?? []), ...(mails.get(who) ?? [])];
      if (who === 'regA' || who === 'invB') {
        expect((hooks.get(who) ?? []).length, 'webhook bodies').toBeGreaterThan(0);
        expect((mails.get(who) ?? []).length, 'digests').toBe(1);
      }
      const outside = [
        ...k.neverInArea(who),
        ...(inArea(who, E.newco, k.today)
          ? []
          : [{ uscc: E.newco, name: '珠海鑫盛养老服务有限公司' }]),
        ...(inArea(who, E.otherZhang, k.today)
          ? []
          : [{ uscc: E.otherZhang, name: '珠海伟业建材有限公司' }]),
      ];
      for (const body of bodies)
        for (const e of outside) {
          expect(body, `${who}: ${e.uscc}`).not.toContain(e.uscc);
          expect(body, `${who}: ${e.name}`).not.toContain(e.name);
        }
    });

  it('push endpoints: names for everyone, URLs for administrators of the whole tree only', async () => {
    const urls = async (who: Persona) =>
      (await (await k.getAs('/v1/endpoints', who)).text()).includes('http://127.0.0.1');
    expect(await urls('root')).toBe(true);
    for (const who of ['cityAdmin', 'regA', 'dsCity'] as const)
      expect(await urls(who), who).toBe(false);
  });

  it('a person watched by a district matches only the companies in its area', async () => {
    const keys = async (who: Persona) =>
      (await made(who))
        .map((n) => n.event_key)
        .filter((key) => key.includes(E.newco) || key.includes(E.otherZhang));
    expect(await keys('regA')).toEqual([`enterprise:${E.newco}`]);
    expect(await keys('invB')).toEqual([`enterprise:${E.otherZhang}`]);
    expect((await keys('root')).sort()).toEqual(
      [`enterprise:${E.newco}`, `enterprise:${E.otherZhang}`].sort(),
    );
    expect(await keys('otherCity')).toEqual([]);
  });
});

describe('the office queue', () => {
  it('a referral reaches the target office (not the referring one); a proposal its office’s other deciders', async () => {
    for (const who of ['regA', 'regA2', 'regB', 'cityAdmin', 'otherCity'] as const)
      expect((await k.postAs('/v1/subscriptions', { kind: 'office_queue' }, who)).status).toBe(201);
    const listed = await k.db.all<{ uscc: string }>(
      `SELECT uscc FROM list_entries WHERE day = $d::DATE AND level IS NOT NULL ORDER BY uscc`,
      { d: k.city.lastDay },
    );
    const ofA = listed
      .map((r) => r.uscc)
      .filter((u) => u !== k.mover.uscc && officeOf(u, k.today) === OFFICE_A);
    expect(ofA.length).toBeGreaterThanOrEqual(2);
    const [referred, proposed] = ofA as [string, string];
    const alert = (u: string) => `/v1/alerts/${k.city.lastDay}:${u}/dispositions`;
    for (const u of [referred, proposed])
      expect((await k.postAs(alert(u), { status: '核查中' }, 'regA')).status).toBe(201);
    expect(
      (await k.postAs(alert(referred), { status: '移交', refer_to: OFFICE_B }, 'regA')).status,
    ).toBe(201);
    expect(
      (await k.postAs(alert(proposed), { status: '认定', note: '证据充分' }, 'regA')).status,
    ).toBe(202);
    const r = await rescreen(k.db, { now: clock });
    expect(r.sources.approvals).toBe(1);
    const queue = async (who: Persona) =>
      (await made(who))
        .filter((n) => n.kind === 'referral' || n.kind === 'approval')
        .map((n) => `${n.kind}:${n.uscc}`)
        .sort();
    expect(await queue('regB')).toEqual([`referral:${referred}`]);
    expect(await queue('regA2')).toEqual([`approval:${proposed}`]);
    expect(await queue('regA')).toEqual([]); // its own referral and proposal
    expect(await queue('cityAdmin')).toEqual(
      [`approval:${proposed}`, `referral:${referred}`].sort(),
    );
    expect(await queue('otherCity')).toEqual([]);
  });
});
