/**
 * Offices in headless Chromium (Debian's chromium via playwright-core) against the real server on
 * 127.0.0.1, over the small synthetic city under a tree of offices (api/_offices.ts): a referral
 * round trip — 香洲区 refers an enterprise to 斗门区, 斗门区 finds it in its inbox and accepts it,
 * then sees the enterprise while 香洲区 no longer does; and one returned with a reason — plus the
 * city's jurisdiction switcher and a two-person 认定 through the approval queue. Screenshots go
 * to a temporary folder (DAFEI_SCREENSHOTS to keep them). Skips (with a message) when
 * /usr/bin/chromium is absent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser, Page } from 'playwright-core';
import { createUser } from '../../pipeline/auth/index.ts';
import { createOfficeKit, OFFICE_A, OFFICE_B, CITY, type OfficeKit } from '../_offices.ts';
import { HAVE_CHROMIUM, launchBrowser, newContext, screenshot, skipMessage } from './_browser.ts';

const PASSWORD = 'offices-e2e-pass';

skipMessage('offices e2e');

describe.skipIf(!HAVE_CHROMIUM)('offices in the dashboard (headless Chromium)', () => {
  let k: OfficeKit;
  let server: ServerType;
  let base: string;
  let browser: Browser;
  /** Enterprises of district A and B listed on the last day (not the mover). */
  let a: { uscc: string; name: string }[];
  let b: { uscc: string; name: string }[];

  beforeAll(async () => {
    k = await createOfficeKit();
    const listed = new Set(
      (
        await k.db.all<{ uscc: string }>(
          `SELECT uscc FROM list_entries WHERE day = $d::DATE AND level IS NOT NULL`,
          { d: k.city.lastDay },
        )
      ).map((r) => r.uscc),
    );
    const of = (office: string) =>
      k.city.enterprises.filter(
        (e) =>
          listed.has(e.uscc) && e.uscc !== k.mover.uscc && k.officeOf(e.uscc, k.today) === office,
      );
    a = of(OFFICE_A);
    b = of(OFFICE_B);
    expect(a.length).toBeGreaterThanOrEqual(2);
    expect(b.length).toBeGreaterThanOrEqual(1);
    for (const [username, jurisdiction] of [
      ['xz1', OFFICE_A],
      ['xz2', OFFICE_A],
      ['dm1', OFFICE_B],
      ['city', CITY],
    ] as const)
      await createUser(k.db, { username, password: PASSWORD, role: 'regulator', jurisdiction });
    const port = await new Promise<number>((resolve, reject) => {
      server = serve({ fetch: k.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
        resolve(info.port),
      );
      server.once('error', reject);
    });
    base = `http://127.0.0.1:${port}`;
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (server) {
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    k?.close();
  });

  /** A fresh browser session logged in as `username`. */
  async function as(username: string): Promise<Page> {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await page.goto(`${base}/ui/login`);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/ui/'),
      page.click('button[type=submit]'),
    ]);
    return page;
  }

  const alertPath = (uscc: string) => `${base}/ui/alerts/${k.city.lastDay}:${uscc}`;

  async function dispose(
    page: Page,
    status: string,
    fill: { refer_to?: string; note?: string } = {},
  ) {
    await page.selectOption('#disposition-form select[name=status]', status);
    if (fill.refer_to)
      await page.selectOption('#disposition-form select[name=refer_to]', fill.refer_to);
    if (fill.note) await page.fill('#disposition-form textarea[name=note]', fill.note);
    await Promise.all([
      page.waitForLoadState('load'),
      page.click('#disposition-form button[type=submit]'),
    ]);
  }

  it('a district sees its own list only', async () => {
    const page = await as('xz1');
    const usccs = await page
      .locator('#alerts tbody tr')
      .evaluateAll((rs) => rs.map((r) => r.getAttribute('data-uscc')));
    expect(usccs.length).toBe(a.length);
    expect(usccs.sort()).toEqual(a.map((e) => e.uscc).sort());
    const ranks = await page.locator('#alerts tbody tr td:first-child').allTextContents();
    expect(ranks.map((r) => Number(r.trim()))).toEqual(a.map((_, i) => i + 1));
    expect(await page.locator('#jurisdiction-switcher').count()).toBe(0);
    await screenshot(page, 'offices-district-list');
    await page.context().close();
  });

  it('a referral round trip: 移交 → inbox → accept → the target sees it, the source does not', async () => {
    const target = a[0]!;
    const src = await as('xz1');
    await src.goto(alertPath(target.uscc));
    await dispose(src, '核查中');
    await dispose(src, '移交', { refer_to: OFFICE_B, note: '实际经营地在斗门区' });
    await expect(src.locator('.flash.ok').textContent()).resolves.toContain('移交');
    await expect(src.locator('#pending-referral').textContent()).resolves.toContain('斗门区');
    await screenshot(src, 'offices-referred');
    await src.context().close();

    const dst = await as('dm1');
    await Promise.all([dst.waitForLoadState('load'), dst.click('nav a[href="/ui/referrals"]')]);
    const row = dst.locator(`#referrals tr[data-referral]`, { hasText: target.name });
    await expect(row.count()).resolves.toBe(1);
    await expect(row.textContent()).resolves.toContain('香洲区');
    await screenshot(dst, 'offices-inbox');
    await Promise.all([
      dst.waitForLoadState('load'),
      row.locator('button[data-answer=accept]').click(),
    ]);
    await expect(dst.locator('.flash.ok').textContent()).resolves.toContain('已接收');
    const res = await dst.goto(`${base}/ui/entities/${target.uscc}`);
    expect(res?.status()).toBe(200);
    await expect(dst.locator('h1').first().textContent()).resolves.toContain(target.name);
    await expect(dst.locator('#timeline').textContent()).resolves.toContain('移交已被接收');
    await screenshot(dst, 'offices-accepted');
    await dst.context().close();

    const back = await as('xz1');
    expect((await back.goto(`${base}/ui/entities/${target.uscc}`))?.status()).toBe(404);
    // the list of the last day is as it was that day (accepted the day after: still 香洲区's)
    await back.goto(`${base}/ui/`);
    const rows = await back
      .locator('#alerts tbody tr')
      .evaluateAll((rs) => rs.map((r) => r.getAttribute('data-uscc')));
    expect(rows).toContain(target.uscc);
    await back.context().close();
  });

  it('a referral returned with a reason stays with its office', async () => {
    const target = b[0]!;
    const src = await as('dm1');
    await src.goto(alertPath(target.uscc));
    await dispose(src, '核查中');
    await dispose(src, '移交', { refer_to: OFFICE_A });
    await src.context().close();
    const dst = await as('xz2');
    await dst.goto(`${base}/ui/referrals?box=inbox`);
    const row = dst.locator('#referrals tr[data-referral]', { hasText: target.name });
    await row.locator('input[name=reason]').fill('不属本辖区');
    await Promise.all([
      dst.waitForLoadState('load'),
      row.locator('button[data-answer=return]').click(),
    ]);
    await expect(dst.locator('.flash.ok').textContent()).resolves.toContain('已退回');
    expect((await dst.goto(alertPath(target.uscc)))?.status()).toBe(404);
    await dst.context().close();
    const again = await as('dm1');
    await again.goto(alertPath(target.uscc));
    await expect(again.locator('#disposition-history').textContent()).resolves.toContain(
      '移交被香洲区退回：不属本辖区',
    );
    await again.context().close();
  });

  it('the city switches between its districts, and 认定 needs a second person', async () => {
    const city = await as('city');
    await Promise.all([
      city.waitForURL((u) => u.searchParams.get('jurisdiction') === OFFICE_A),
      city.selectOption('#jurisdiction-switcher', OFFICE_A),
    ]);
    const usccs = await city
      .locator('#alerts tbody tr')
      .evaluateAll((rs) => rs.map((r) => r.getAttribute('data-uscc')));
    expect(usccs.sort()).toEqual(a.map((e) => e.uscc).sort());
    await screenshot(city, 'offices-switcher');
    await city.context().close();

    const target = a[1]!;
    const p1 = await as('xz1');
    await p1.goto(alertPath(target.uscc));
    await dispose(p1, '核查中');
    await dispose(p1, '认定', { note: '资金池' });
    await expect(p1.locator('.flash.ok').textContent()).resolves.toContain(
      '待同级或上级另一人批准',
    );
    // the proposer has no approve button
    expect(await p1.locator('#pending-approval button[data-decision=approve]').count()).toBe(0);
    await p1.context().close();
    const p2 = await as('xz2');
    await Promise.all([p2.waitForLoadState('load'), p2.click('nav a[href="/ui/approvals"]')]);
    const row = p2.locator('#approvals tr[data-approval]', { hasText: target.name });
    await Promise.all([
      p2.waitForLoadState('load'),
      row.locator('button[data-decision=approve]').click(),
    ]);
    await expect(p2.locator('.flash.ok').textContent()).resolves.toContain('已批准');
    await p2.goto(alertPath(target.uscc));
    await expect(p2.locator('#disposition').textContent()).resolves.toContain('该案已认定');
    await p2.context().close();
  });
});
