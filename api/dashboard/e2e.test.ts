/**
 * End to end in headless Chromium (Debian's chromium, driven by playwright-core) against the real
 * server on 127.0.0.1 with the dashboard mounted, over the small simulated city of `_browser.ts`
 * (built once through the real pipeline): log in, today's list, filter, an alert with a
 * highlighted phrase, a disposition, the entity timeline, the CSV and XLSX exports, role rules,
 * models and runs, logout. Screenshots go to a temporary folder (`npm run screenshots` refreshes
 * docs/screenshots). Skips (with a message) when /usr/bin/chromium is absent.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  HAVE_CHROMIUM,
  launchBrowser,
  login,
  loginWithToken,
  newContext,
  PASSWORD,
  screenshot,
  skipMessage,
  startDashboard,
  type RunningDashboard,
} from './_browser.ts';

skipMessage('dashboard e2e');

describe.skipIf(!HAVE_CHROMIUM)('dashboard e2e (headless Chromium, small city)', () => {
  let d: RunningDashboard;
  let base: string;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    d = await startDashboard({
      dbPath: process.env['DAFEI_E2E_DB'],
      city: process.env['DAFEI_E2E_CITY'] === 'sample' ? 'sample' : 'small',
    });
    base = d.base;
    browser = await launchBrowser();
    ctx = await newContext(browser);
    page = await ctx.newPage();
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await d?.close();
  });

  it('sends a visitor to the login page and logs in with a user name and password', async () => {
    await page.goto(`${base}/ui/`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await screenshot(page, 'login');
    await page.fill('input[name=username]', 'investigator');
    await page.fill('input[name=password]', 'wrong-password');
    await page.click('button[type=submit]');
    await expect(page.locator('.flash.err').textContent()).resolves.toContain('用户名或密码错误');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/ui/`), page.click('button[type=submit]')]);
    expect(new URL(page.url()).pathname).toBe('/ui/');
    const cookie = (await ctx.cookies()).find((c) => c.name === 'dafei_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Strict');
  });

  it("opens today's list with every listed enterprise and its level", async () => {
    await page.goto(`${base}/ui/`);
    await expect(page.locator('h1').first().textContent()).resolves.toContain(d.day);
    const listed = await d.db.all<{ level: string }>(
      `SELECT level FROM list_entries WHERE day = $d::DATE AND level IS NOT NULL
         AND revision = (SELECT max(revision) FROM list_revisions WHERE day = $d::DATE)`,
      { d: d.day },
    );
    expect(listed.length).toBeGreaterThan(0);
    const rows = page.locator('#alerts tbody tr');
    expect(await rows.count()).toBe(Math.min(50, listed.length));
    const zh: Record<string, string> = { red: '红', orange: '橙', yellow: '黄' };
    const badges = await page.locator('#alerts tbody tr td:nth-child(2) .badge').allTextContents();
    expect(badges.sort()).toEqual(
      listed
        .map((r) => zh[r.level]!)
        .sort()
        .slice(0, badges.length),
    );
    await screenshot(page, 'alerts');
  });

  it('filters by level and by keyword', async () => {
    // the select submits its form on change
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('level') === 'red'),
      page.selectOption('select[name=level]', 'red'),
    ]);
    const reds = (await d.db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM list_entries WHERE day = $d::DATE AND level = 'red'
         AND revision = (SELECT max(revision) FROM list_revisions WHERE day = $d::DATE)`,
      { d: d.day },
    ))!.n;
    const levels = await page.locator('#alerts tbody tr td:nth-child(2) .badge').allTextContents();
    expect(levels).toEqual(Array.from({ length: Math.min(50, reds) }, () => '红'));
    const name = (await page.locator('#alerts tbody a.alert-link').first().textContent())!.trim();
    await page.fill('input[name=q]', name);
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('q') === name),
      page.click('form.filters button[type=submit]'),
    ]);
    const names = await page.locator('#alerts tbody a.alert-link').allTextContents();
    expect(names.map((n) => n.trim())).toContain(name);
    expect(names.every((n) => n.includes(name))).toBe(true);
  });

  let alertPath = '';

  it('opens an alert and shows red-flag phrases highlighted in the evidence', async () => {
    await page.goto(`${base}/ui/?date=${d.day}&level=red`);
    const hrefs = await page
      .locator('#alerts tbody a.alert-link')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    for (const href of hrefs.slice(0, 10)) {
      await page.goto(base + href);
      if ((await page.locator('#ads mark.rf, #complaints mark.rf').count()) > 0) {
        alertPath = href;
        break;
      }
    }
    expect(
      alertPath,
      'one of the first red alerts has a red-flag phrase in its ads or complaints',
    ).not.toBe('');
    const mark = page.locator('#ads mark.rf, #complaints mark.rf').first();
    await expect(mark.isVisible()).resolves.toBe(true);
    expect((await mark.textContent())!.length).toBeGreaterThan(0);
    expect(await page.locator('#reasons li').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.chart').count()).toBeGreaterThan(0);
    await screenshot(page, 'alert-detail');
  });

  it('records a disposition and finds it in the entity timeline', async () => {
    await page.goto(base + alertPath);
    await page.selectOption('#disposition-form select[name=status]', '核查中');
    await page.fill('#disposition-form input[name=assignee]', '王调查');
    await page.fill('#disposition-form textarea[name=note]', 'E2E 已约谈法定代表人');
    await Promise.all([
      page.waitForURL(/saved=/),
      page.click('#disposition-form button[type=submit]'),
    ]);
    await expect(page.locator('.flash.ok').textContent()).resolves.toContain('处置已记录：核查中');
    await expect(page.locator('#disposition-history').textContent()).resolves.toContain(
      'E2E 已约谈法定代表人',
    );
    await Promise.all([page.waitForURL(/\/ui\/entities\//), page.click('#entity-link')]);
    expect(new URL(page.url()).pathname).toMatch(/^\/ui\/entities\/[0-9A-Z]{18}$/);
    const disposition = page.locator('#timeline li[data-kind=disposition]').first();
    await expect(disposition.textContent()).resolves.toContain('E2E 已约谈法定代表人');
    await expect(disposition.textContent()).resolves.toContain('核查中');
    expect(await page.locator('#network').count()).toBe(1);
    await screenshot(page, 'entity');
  });

  it('searches enterprises by a name fragment', async () => {
    const hit = (await d.db.one<{ name: string; uscc: string }>(
      `SELECT name, uscc FROM registrations ORDER BY uscc LIMIT 1`,
    ))!;
    const fragment = hit.name.slice(2, 6);
    await page.goto(`${base}/ui/entities?q=${encodeURIComponent(fragment)}`);
    const links = await page
      .locator('#search-results tbody a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    expect(links).toContain(`/ui/entities/${hit.uscc}`);
  });

  it('exports the list as CSV (UTF-8 with BOM) and XLSX', async () => {
    await page.goto(`${base}/ui/?date=${d.day}`);
    const listed = (await d.db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM list_entries WHERE day = $d::DATE AND level IS NOT NULL
         AND revision = (SELECT max(revision) FROM list_revisions WHERE day = $d::DATE)`,
      { d: d.day },
    ))!.n;
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    expect(csv.suggestedFilename()).toBe(`alerts-${d.day}.csv`);
    const bytes = readFileSync(await csv.path());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').trim().split('\n');
    expect(lines[0]).toContain('uscc');
    expect(lines.length - 1).toBe(listed);
    expect(lines.slice(1).join('\n')).toContain('核查中');
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('#export-xlsx')]);
    expect(xlsx.suggestedFilename()).toBe(`alerts-${d.day}.xlsx`);
    expect(
      readFileSync(await xlsx.path())
        .subarray(0, 2)
        .toString('latin1'),
    ).toBe('PK');
  });

  it('applies the API role rules: complainant references only for investigators', async () => {
    // an alert whose evidence includes a complaint with a complainant reference (asked of the API)
    const api = async <T>(path: string): Promise<T> =>
      (await (
        await fetch(base + path, { headers: { authorization: `Bearer ${d.adminToken}` } })
      ).json()) as T;
    const list = await api<{ items: { id: string }[] }>(`/v1/alerts?date=${d.day}&limit=200`);
    let withComplaint = '';
    for (const a of list.items) {
      const detail = await api<{
        evidence: { complaints: { items: { complainant_ref: string | null }[] } };
      }>(`/v1/alerts/${a.id}`);
      if (detail.evidence.complaints.items.some((c) => c.complainant_ref)) {
        withComplaint = a.id;
        break;
      }
    }
    expect(withComplaint, 'an alert of the day has a complaint in its evidence').not.toBe('');
    const path = `/ui/alerts/${withComplaint}`;
    const inv = await page.goto(base + path);
    expect(inv?.ok()).toBe(true);
    await expect(page.locator('#complaints').textContent()).resolves.toContain('投诉人编号');
    const reg = await newContext(browser);
    const rp = await reg.newPage();
    await login(rp, base, 'regulator');
    const r = await rp.goto(base + path);
    expect(r?.ok()).toBe(true);
    expect(await rp.locator('#complaints .ev').count()).toBeGreaterThan(0);
    await expect(rp.locator('#complaints').textContent()).resolves.not.toContain('投诉人编号');
    await reg.close();
  });

  it('logs in with an API token and shows models and runs to an admin', async () => {
    const admin = await newContext(browser);
    const ap = await admin.newPage();
    await loginWithToken(ap, base, d.adminToken);
    await ap.goto(`${base}/ui/models`);
    expect(await ap.locator('#models tbody tr').count()).toBe(1);
    await expect(ap.locator('#models').textContent()).resolves.toContain('启用中');
    await screenshot(ap, 'models');
    // roll back to the rule index and activate the model again (both ask for confirmation first)
    ap.on('dialog', (dlg) => void dlg.accept());
    await Promise.all([ap.waitForURL(/\/ui\/models\?ok=rules/), ap.click('#rollback')]);
    await expect(ap.locator('.flash.ok').textContent()).resolves.toContain('规则指数');
    await expect(ap.locator('#models').textContent()).resolves.not.toContain('启用中');
    await Promise.all([
      ap.waitForURL(/\/ui\/models\?ok=1$/),
      ap.locator('#models button', { hasText: '启用' }).first().click(),
    ]);
    await expect(ap.locator('.flash.ok').textContent()).resolves.toContain('已启用模型 v1');
    await expect(ap.locator('#models').textContent()).resolves.toContain('启用中');
    await ap.goto(`${base}/ui/runs`);
    const runs = (await d.db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM job_runs`))!.n;
    expect(await ap.locator('#runs tbody tr').count()).toBe(Math.min(50, runs));
    const quarantined = (await d.db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM quarantine`,
    ))!.n;
    expect(quarantined).toBeGreaterThan(0);
    expect(await ap.locator('#quarantine tbody tr').count()).toBe(Math.min(30, quarantined));
    await screenshot(ap, 'runs');
    await admin.close();
  });

  it('logs out and the session no longer works', async () => {
    await page.goto(`${base}/ui/`);
    await Promise.all([page.waitForURL(/\/ui\/login/), page.click('header .who button')]);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await page.goto(`${base}/ui/`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
  });
});
