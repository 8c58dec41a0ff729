/**
 * Push channels against real servers on 127.0.0.1: a webhook receiver that verifies the HMAC
 * signature, fails twice and sees the retry succeed (a fake clock drives the back-off, nothing
 * sleeps); the dead-letter list; the 企业微信 / 钉钉 robot formats; the daily digest through a real
 * SMTP server (smtp-server) with its Chinese subject decoded by a real parser (mailparser).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedDb, type Db } from '../db/index.ts';
import { tmpDir } from '../feeds/_fixtures.ts';
import { accounts, complaint, E, feed, registration, XINSHENG_PHONE } from './_fixtures.ts';
import { deliverDue, listDeliveries, queueDigests, retryDelivery } from './deliver.ts';
import { createEndpoint, setContact, subscribe, unsubscribe } from './subscriptions.ts';
import { addEntry, createWatchlist, type Actor } from './watchlists.ts';

const SECRET = 'whsec-0123456789abcdef';
const ADMIN: Actor = { name: 'ops', role: 'admin', office: null };
const INV: Actor = { name: 'inv-a', role: 'investigator', office: null };

interface Received {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver on 127.0.0.1 answering with `respond(n)` for the n-th request (0-based). */
async function receiver(
  respond: (n: number, r: Received) => { status: number; body?: string },
): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const a = respond(got.length, r);
      got.push(r);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body ?? '{}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** What the receiver does: recompute the HMAC over `${timestamp}.${body}` and compare. */
function verified(r: Received): boolean {
  const ts = String(r.headers['x-dafei-timestamp']);
  const sig = String(r.headers['x-dafei-signature']);
  const want = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${r.body}`).digest('hex')}`;
  return sig.length === want.length && timingSafeEqual(Buffer.from(sig), Buffer.from(want));
}

describe('push channels', () => {
  let db: Db;
  let t0: Date;
  const at = (seconds: number) => () => new Date(t0.getTime() + seconds * 1000);

  beforeAll(async () => {
    db = await openMigratedDb(`${tmpDir()}/channels.duckdb`);
    await accounts(db, { 'inv-a': 'investigator', ops: 'admin' });
    await feed(db, 'registrations', [registration(E.xinsheng, '2026-03-01')]);
    const l = await createWatchlist(db, INV, { name: '鑫盛案' });
    await addEntry(db, INV, l.watchlist_id, {
      kind: 'enterprise',
      value: E.xinsheng,
      reason: '投诉集中',
    });
    await addEntry(db, INV, l.watchlist_id, {
      kind: 'person',
      value: '张伟',
      companies: [E.xinsheng],
      reason: '法定代表人',
    });
    t0 = new Date();
  });
  afterAll(() => db.close());
  /** Each test's subscriptions end with it. */
  const subs: { subscription_id: number }[] = [];
  afterEach(async () => {
    for (const s of subs.splice(0)) await unsubscribe(db, 'inv-a', s.subscription_id);
  });

  it('a signed webhook: fails twice, the retries follow the back-off, the third attempt succeeds', async () => {
    const hook = await receiver((n, r) => ({ status: verified(r) ? (n < 2 ? 500 : 200) : 401 }));
    try {
      const ep = await createEndpoint(db, ADMIN, {
        name: '案件系统',
        format: 'json',
        url: hook.url,
        secret: SECRET,
      });
      subs.push(
        await subscribe(db, INV, { kind: 'watch_hits', endpointId: ep.endpoint_id, now: t0 }),
      );
      await feed(db, 'complaints', [complaint('C-1', '2026-03-02', E.xinsheng)], at(0));
      const retry = [30, 120, 600];
      const run = (s: number) => deliverDue(db, { now: at(s), retrySeconds: retry });
      expect(await run(0)).toEqual({ sent: 0, failed: 1, dead: 0 });
      expect(await run(29)).toEqual({ sent: 0, failed: 0, dead: 0 }); // not due yet
      expect(await run(30)).toEqual({ sent: 0, failed: 1, dead: 0 });
      expect(await run(30 + 119)).toEqual({ sent: 0, failed: 0, dead: 0 });
      expect(await run(30 + 120)).toEqual({ sent: 1, failed: 0, dead: 0 });
      expect(await run(10_000)).toEqual({ sent: 0, failed: 0, dead: 0 }); // sent once
      expect(hook.got).toHaveLength(3);
      expect(hook.got.every(verified)).toBe(true);
      const bodies = hook.got.map(
        (r) =>
          JSON.parse(r.body) as {
            id: string;
            attempt: number;
            notifications: { title: string; event_key: string }[];
          },
      );
      expect(new Set(bodies.map((b) => b.id)).size).toBe(1); // one delivery id: the receiver can dedupe
      expect(bodies.map((b) => b.attempt)).toEqual([1, 2, 3]);
      expect(bodies[2]!.notifications).toMatchObject([
        { event_key: 'complaint:C-1', title: '珠海鑫盛财富管理有限公司：新投诉' },
      ]);
      // nothing personal leaves the system: no complainant, no phone, no person's name, no complaint text
      for (const r of hook.got)
        for (const s of ['C-7781', '13800138000', XINSHENG_PHONE, '张伟', '提现困难'])
          expect(r.body).not.toContain(s);
      const audit = await db.all<{ n: number }>(
        `SELECT count(*)::INTEGER AS n FROM audit_log WHERE action = 'notification.webhook'`,
      );
      expect(audit[0]!.n).toBe(3);
    } finally {
      await hook.close();
    }
  });

  it('a receiver that never answers well ends in the dead-letter list, and can be queued again', async () => {
    const hook = await receiver(() => ({ status: 503 }));
    try {
      const ep = await createEndpoint(db, ADMIN, {
        name: '坏的',
        format: 'json',
        url: hook.url,
        secret: SECRET,
      });
      subs.push(
        await subscribe(db, INV, { kind: 'watch_hits', endpointId: ep.endpoint_id, now: t0 }),
      );
      await feed(db, 'complaints', [complaint('C-2', '2026-03-02', E.xinsheng)], at(20_000));
      const run = (s: number) => deliverDue(db, { now: at(s), retrySeconds: [10, 10] });
      await run(20_000);
      await run(20_010);
      expect(await run(20_020)).toEqual({ sent: 0, failed: 0, dead: 1 });
      const dead = await listDeliveries(db, { status: 'dead' });
      expect(dead.items).toHaveLength(1);
      expect(dead.items[0]).toMatchObject({
        attempts: 3,
        last_error: 'HTTP 503 from the endpoint',
      });
      await retryDelivery(db, dead.items[0]!.delivery_id, at(20_030)());
      expect(await run(20_030)).toEqual({ sent: 0, failed: 1, dead: 0 });
      expect(hook.got).toHaveLength(4);
    } finally {
      await hook.close();
    }
  });

  it('企业微信 and 钉钉 robots get their markdown format; 钉钉 is signed in the URL; errcode ≠ 0 is a failure', async () => {
    const wecom = await receiver((n) => ({
      status: 200,
      body:
        n === 0
          ? '{"errcode":93000,"errmsg":"invalid webhook url"}'
          : '{"errcode":0,"errmsg":"ok"}',
    }));
    const ding = await receiver(() => ({ status: 200, body: '{"errcode":0,"errmsg":"ok"}' }));
    try {
      const dingSecret = 'SEC0123456789abcdef';
      const w = await createEndpoint(db, ADMIN, {
        name: '企业微信群',
        format: 'wecom',
        url: `${wecom.url}?key=abc`,
      });
      const d = await createEndpoint(db, ADMIN, {
        name: '钉钉群',
        format: 'dingtalk',
        url: `${ding.url}?access_token=xyz`,
        secret: dingSecret,
      });
      subs.push(
        await subscribe(db, INV, { kind: 'watch_hits', endpointId: w.endpoint_id, now: t0 }),
      );
      subs.push(
        await subscribe(db, INV, { kind: 'watch_hits', endpointId: d.endpoint_id, now: t0 }),
      );
      await feed(db, 'complaints', [complaint('C-3', '2026-03-03', E.xinsheng)], at(30_000));
      const r1 = await deliverDue(db, { now: at(30_000), retrySeconds: [5] });
      expect(r1.failed).toBe(1); // the first 企业微信 answer had errcode 93000
      expect((await deliverDue(db, { now: at(30_005), retrySeconds: [5] })).sent).toBe(1);
      const wm = JSON.parse(wecom.got[1]!.body) as {
        msgtype: string;
        markdown: { content: string };
      };
      expect(wm.msgtype).toBe('markdown');
      expect(wm.markdown.content).toContain('珠海鑫盛财富管理有限公司：新投诉');
      const dr = ding.got[0]!;
      const u = new URL(dr.url, 'http://x');
      const ts = u.searchParams.get('timestamp')!;
      const want = createHmac('sha256', dingSecret).update(`${ts}\n${dingSecret}`).digest('base64');
      expect(u.searchParams.get('sign')).toBe(want);
      expect(u.searchParams.get('access_token')).toBe('xyz');
      const dm = JSON.parse(dr.body) as {
        msgtype: string;
        markdown: { title: string; text: string };
      };
      expect(dm.msgtype).toBe('markdown');
      expect(dm.markdown.text).toContain('新投诉');
    } finally {
      await wecom.close();
      await ding.close();
    }
  });

  it('the daily digest reaches a real SMTP server on 127.0.0.1, Chinese subject and body intact', async () => {
    const raw: string[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, done) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          raw.push(Buffer.concat(chunks).toString('latin1'));
          done();
        });
      },
    });
    await new Promise<void>((ok) => smtp.listen(0, '127.0.0.1', ok));
    const port = (smtp.server.address() as AddressInfo).port;
    const mailer = nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: true,
    });
    try {
      await setContact(db, 'inv-a', 'inv-a@dfb.zhuhai.gov.cn');
      subs.push(await subscribe(db, INV, { kind: 'watch_hits', email: true, now: t0 }));
      await feed(db, 'complaints', [complaint('C-4', '2026-03-04', E.xinsheng)], at(40_000));
      expect(await queueDigests(db, { now: at(40_000) })).toBe(1);
      expect(await queueDigests(db, { now: at(40_001) })).toBe(0); // one digest a day
      const r = await deliverDue(db, {
        now: at(40_000),
        mailer,
        from: '打非云 <dafei@dfb.zhuhai.gov.cn>',
        publicUrl: 'https://dafei.zhuhai.gov.cn/',
      });
      expect(r.sent).toBeGreaterThanOrEqual(1);
      expect(raw).toHaveLength(1);
      const head = raw[0]!.split('\r\n\r\n')[0]!;
      // the header is 7-bit: the subject is RFC 2047 encoded, not raw UTF-8
      expect(head).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/im);
      expect([...head].every((ch) => ch.charCodeAt(0) < 0x80)).toBe(true);
      const mail = await simpleParser(raw[0]!);
      const day = new Date(t0.getTime() + 40_000_000 + 8 * 3600_000).toISOString().slice(0, 10);
      expect(mail.subject).toBe(`打非云 · 每日通知摘要 ${day}（1 条）`);
      expect(mail.from?.text).toContain('打非云');
      expect(mail.text).toContain('珠海鑫盛财富管理有限公司：新投诉');
      expect(mail.text).toContain('https://dafei.zhuhai.gov.cn/ui/entities/');
      expect(mail.html).toContain('<a href="https://dafei.zhuhai.gov.cn/ui/entities/');
      for (const s of ['C-7781', XINSHENG_PHONE, '张伟', '提现困难']) {
        expect(mail.text).not.toContain(s);
        expect(String(mail.html)).not.toContain(s);
      }
    } finally {
      mailer.close();
      await new Promise<void>((ok) => smtp.close(() => ok()));
    }
  });
});
