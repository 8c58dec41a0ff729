/**
 * End to end in headless Chromium (Debian's chromium, driven by playwright-core) against the real
 * server on 127.0.0.1 with the dashboard mounted, over a database built from the committed sample
 * city: log in, today's list, filter, an alert with a highlighted phrase, a disposition, the
 * entity timeline, the CSV and XLSX exports, role rules; screenshots to docs/screenshots/.
 * Skips (with a message) when /usr/bin/chromium is absent.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createApp } from '../app.ts';
import { createToken, createUser } from '../../pipeline/auth/index.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { openMigratedDb, type Db } from '../../pipeline/db/index.ts';
import { mountDashboard } from './index.ts';
import { isMounted } from './mount-check.ts';
import { sampleCityPresent, sampleDbCopy } from './fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(ROOT, 'docs', 'screenshots');
const PASSWORD = 'e2e-password-123';
/** Every page must be served and drawn within this (the issue: < 1 s with the sample city). */
const PAGE_BUDGET_MS = 1000;

if (!HAVE_CHROMIUM) {
  process.stderr.write(
    `[dashboard e2e] skipped: ${CHROMIUM} is absent — install Debian's chromium (apt-get install -y chromium fonts-wqy-microhei) to run it\n`,
  );
}

describe.skipIf(!HAVE_CHROMIUM)('dashboard e2e (headless Chromium, sample city)', () => {
  let dir: string;
  let db: Db;
  let server: ServerType;
  let base: string;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let day: string;
  let adminToken: string;
  /** First (cold) load times, and the page each name ended on. */
  const timings: Record<string, number> = {};
  const urls: Record<string, string> = {};

  /** Navigates and returns the time until the load event (server + parse + render). */
  async function timed(p: Page, name: string, go: () => Promise<unknown>): Promise<void> {
    const t0 = performance.now();
    await go();
    await p.waitForLoadState('load');
    timings[name] = Math.round(performance.now() - t0);
    urls[name] = p.url();
  }

  async function shot(p: Page, name: string): Promise<void> {
    await p.screenshot({ path: join(SHOTS, `${name}.png`) });
  }

  beforeAll(async () => {
    if (!sampleCityPresent())
      throw new Error(
        'data-samples/city/ is missing: run `npm run simulate` (see data-samples/README.md)',
      );
    dir = mkdtempSync(join(tmpdir(), 'dafei-dashboard-e2e-'));
    const prebuilt = process.env['DAFEI_E2E_DB'];
    if (prebuilt) {
      // a database that already holds lists (e.g. built by api/dashboard/fixture.ts)
      copyFileSync(prebuilt, join(dir, 'e2e.duckdb'));
    } else {
      await sampleDbCopy(join(dir, 'e2e.duckdb'), {
        cacheDir: join(ROOT, 'var', 'dashboard-e2e'),
        days: 14,
        evalDays: 30,
        rebuild: process.env['DAFEI_E2E_REBUILD'] === '1',
      });
    }
    db = await openMigratedDb(join(dir, 'e2e.duckdb'));
    day =
      (await db.one<{ d: string | null }>(`SELECT max(day)::VARCHAR AS d FROM list_revisions`))
        ?.d ?? '';
    if (!day) throw new Error('[dashboard e2e] the database holds no published list');
    for (const role of ['investigator', 'regulator'] as const) {
      await createUser(db, { username: `e2e-${role}`, password: PASSWORD, role });
    }
    adminToken = (await createToken(db, { name: 'e2e-admin', role: 'admin' })).token;
    const app = createApp({ db, config: loadConfig({}), log: () => {} });
    if (!isMounted(app)) mountDashboard(app, app.dafei.deps);
    const port = await new Promise<number>((resolve, reject) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
        resolve(info.port),
      );
      server.once('error', reject);
    });
    base = `http://127.0.0.1:${port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    ctx = await browser.newContext({
      viewport: { width: 1366, height: 768 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      acceptDownloads: true,
    });
    page = await ctx.newPage();
    mkdirSync(SHOTS, { recursive: true });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    if (server) {
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (Object.keys(timings).length)
      process.stdout.write(
        `[dashboard e2e] first (cold) page load times (ms): ${JSON.stringify(timings)}\n`,
      );
  });

  it('sends a visitor to the login page and logs in with a user name and password', async () => {
    await page.goto(`${base}/ui/`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await shot(page, 'login');
    await page.fill('input[name=username]', 'e2e-investigator');
    await page.fill('input[name=password]', 'wrong-password');
    await page.click('button[type=submit]');
    await expect(page.locator('.flash.err').textContent()).resolves.toContain('用户名或密码错误');
    await page.fill('input[name=password]', PASSWORD);
    await timed(page, 'login→list', () => page.click('button[type=submit]'));
    expect(new URL(page.url()).pathname).toBe('/ui/');
    const cookie = (await ctx.cookies()).find((c) => c.name === 'dafei_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Strict');
  });

  it("opens today's list with levels, scores and changes", async () => {
    await timed(page, 'list', () => page.goto(`${base}/ui/`));
    await expect(page.locator('h1').first().textContent()).resolves.toContain(day);
    const rows = page.locator('#alerts tbody tr');
    expect(await rows.count()).toBeGreaterThan(5);
    expect(
      await page
        .locator(
          '#alerts tbody .badge.lv-red, #alerts tbody .badge.lv-orange, #alerts tbody .badge.lv-yellow',
        )
        .count(),
    ).toBeGreaterThan(0);
    await shot(page, 'alerts');
  });

  it('filters by level and by keyword', async () => {
    // the select submits its form on change
    await timed(page, 'list filtered', () =>
      Promise.all([
        page.waitForURL((u) => u.searchParams.get('level') === 'red'),
        page.selectOption('select[name=level]', 'red'),
      ]),
    );
    expect(new URL(page.url()).searchParams.get('level')).toBe('red');
    const levels = await page.locator('#alerts tbody tr td:nth-child(2) .badge').allTextContents();
    expect(levels.length).toBeGreaterThan(0);
    expect(new Set(levels)).toEqual(new Set(['红']));
    const name = (await page.locator('#alerts tbody a.alert-link').first().textContent())!.trim();
    await page.fill('input[name=q]', name);
    await timed(page, 'list keyword', () => page.click('form.filters button[type=submit]'));
    const names = await page.locator('#alerts tbody a.alert-link').allTextContents();
    expect(names.map((n) => n.trim())).toContain(name);
    expect(names.every((n) => n.includes(name))).toBe(true);
  });

  let alertPath = '';

  it('opens an alert and shows red-flag phrases highlighted in the evidence', async () => {
    await page.goto(`${base}/ui/?date=${day}&level=red`);
    const hrefs = await page
      .locator('#alerts tbody a.alert-link')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    for (const href of hrefs.slice(0, 10)) {
      await timed(page, 'detail', () => page.goto(base + href));
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
    await shot(page, 'alert-detail');
  });

  it('records a disposition and finds it in the entity timeline', async () => {
    await page.goto(base + alertPath);
    await page.selectOption('#disposition-form select[name=status]', '核查中');
    await page.fill('#disposition-form input[name=assignee]', '王调查');
    await page.fill('#disposition-form textarea[name=note]', 'E2E 已约谈法定代表人');
    await timed(page, 'disposition', () => page.click('#disposition-form button[type=submit]'));
    await expect(page.locator('.flash.ok').textContent()).resolves.toContain('处置已记录：核查中');
    await expect(page.locator('#disposition-history').textContent()).resolves.toContain(
      'E2E 已约谈法定代表人',
    );
    await timed(page, 'entity', () => page.click('#entity-link'));
    expect(new URL(page.url()).pathname).toMatch(/^\/ui\/entities\/[0-9A-Z]{18}$/);
    const disposition = page.locator('#timeline li[data-kind=disposition]').first();
    await expect(disposition.textContent()).resolves.toContain('E2E 已约谈法定代表人');
    await expect(disposition.textContent()).resolves.toContain('核查中');
    expect(await page.locator('#network').count()).toBe(1);
    await shot(page, 'entity');
  });

  it('searches enterprises', async () => {
    await timed(page, 'search', () =>
      page.goto(`${base}/ui/entities?q=${encodeURIComponent('投资')}`),
    );
    expect(await page.locator('#search-results tbody tr').count()).toBeGreaterThan(0);
  });

  it('exports the list as CSV (UTF-8 with BOM) and XLSX', async () => {
    await page.goto(`${base}/ui/?date=${day}`);
    const listed = (await db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM list_entries WHERE day = $d::DATE AND level IS NOT NULL
         AND revision = (SELECT max(revision) FROM list_revisions WHERE day = $d::DATE)`,
      { d: day },
    ))!.n;
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    expect(csv.suggestedFilename()).toBe(`alerts-${day}.csv`);
    const bytes = readFileSync(await csv.path());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').trim().split('\n');
    expect(lines[0]).toContain('uscc');
    expect(lines.length - 1).toBe(listed);
    expect(lines.slice(1).join('\n')).toContain('核查中');
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('#export-xlsx')]);
    expect(xlsx.suggestedFilename()).toBe(`alerts-${day}.xlsx`);
    expect(
      readFileSync(await xlsx.path())
        .subarray(0, 2)
        .toString('latin1'),
    ).toBe('PK');
  });

  it('applies the API role rules: complainant references only for investigators', async () => {
    const inv = await page.goto(base + alertPath);
    expect(inv?.ok()).toBe(true);
    const invHasRef = (await page.locator('#complaints').textContent())!.includes('投诉人编号');
    const reg = await browser.newContext({
      viewport: { width: 1366, height: 768 },
      locale: 'zh-CN',
    });
    const rp = await reg.newPage();
    await rp.goto(`${base}/ui/login`);
    await rp.fill('input[name=username]', 'e2e-regulator');
    await rp.fill('input[name=password]', PASSWORD);
    await rp.click('button[type=submit]');
    await rp.goto(base + alertPath);
    expect((await rp.locator('#complaints').textContent())!.includes('投诉人编号')).toBe(false);
    if ((await page.locator('#complaints .ev').count()) > 0) expect(invHasRef).toBe(true);
    await reg.close();
  });

  it('logs in with an API token and shows models and runs to an admin', async () => {
    const admin = await browser.newContext({
      viewport: { width: 1366, height: 768 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    const ap = await admin.newPage();
    await ap.goto(`${base}/ui/login?mode=token`);
    await ap.fill('input[name=token]', adminToken);
    await ap.click('button[type=submit]');
    expect(new URL(ap.url()).pathname).toBe('/ui/');
    await timed(ap, 'models', () => ap.goto(`${base}/ui/models`));
    expect(await ap.locator('#models tbody tr').count()).toBeGreaterThan(0);
    await expect(ap.locator('#models').textContent()).resolves.toContain('启用中');
    await shot(ap, 'models');
    // roll back to the rule index and activate the model again (both ask for confirmation first)
    ap.on('dialog', (d) => void d.accept());
    await Promise.all([ap.waitForURL(/\/ui\/models\?ok=rules/), ap.click('#rollback')]);
    await expect(ap.locator('.flash.ok').textContent()).resolves.toContain('规则指数');
    await expect(ap.locator('#models').textContent()).resolves.not.toContain('启用中');
    await Promise.all([
      ap.waitForURL(/\/ui\/models\?ok=\d+/),
      ap.locator('#models button', { hasText: '启用' }).first().click(),
    ]);
    await expect(ap.locator('.flash.ok').textContent()).resolves.toContain('已启用模型');
    await expect(ap.locator('#models').textContent()).resolves.toContain('启用中');
    await timed(ap, 'runs', () => ap.goto(`${base}/ui/runs`));
    expect(await ap.locator('#runs tbody tr').count()).toBeGreaterThan(0);
    expect(await ap.locator('#quarantine tbody tr').count()).toBeGreaterThan(0);
    await shot(ap, 'runs');
    await admin.close();
  });

  it('serves every page in under a second', async () => {
    // first loads above ran against a cold database (and a busy machine); each page again, warm
    const warm: Record<string, number> = {};
    const admin = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    await admin.addCookies([{ name: 'dafei_session', value: adminToken, url: base }]);
    const ap = await admin.newPage();
    for (const [name, url] of Object.entries(urls)) {
      const t0 = performance.now();
      await ap.goto(url, { waitUntil: 'load' });
      warm[name] = Math.round(performance.now() - t0);
    }
    await admin.close();
    process.stdout.write(`[dashboard e2e] warm page load times (ms): ${JSON.stringify(warm)}\n`);
    for (const [name, ms] of Object.entries(warm)) expect(ms, name).toBeLessThan(PAGE_BUDGET_MS);
  });

  it('logs out and the session no longer works', async () => {
    await page.goto(`${base}/ui/`);
    await page.click('header .who button');
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await page.goto(`${base}/ui/`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
  });
});
