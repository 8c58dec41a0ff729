/**
 * The account pages in headless Chromium (Debian's chromium via playwright-core) against a real
 * server on 127.0.0.1, over a small synthetic city: an admin's first login leads to TOTP
 * enrolment (the secret read off the page, the code computed as an authenticator app would), the
 * recovery codes, a second login with a code, then the admin page creates a user whose one-time
 * password must be changed at the first login. Skips when /usr/bin/chromium is absent.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser, Page } from 'playwright-core';
import { createApp } from '../app.ts';
import { createUser, totpCode } from '../../pipeline/auth/index.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { openMigratedDb, type Db } from '../../pipeline/db/index.ts';
import { seedCity } from '../_fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const COST = { N: 1024, r: 8, p: 1 };
const PASSWORD = 'admin passphrase 2026';

describe.skipIf(!existsSync(CHROMIUM))('account pages (headless Chromium)', () => {
  let dir: string;
  let db: Db;
  let server: ServerType;
  let base: string;
  let browser: Browser;
  let page: Page;
  let secret = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dafei-accounts-e2e-'));
    db = await openMigratedDb(':memory:');
    await seedCity(db, { enterprises: 30, days: 2 });
    await createUser(db, { username: 'chief', password: PASSWORD, role: 'admin', cost: COST });
    const c = loadConfig({});
    const app = createApp({
      db,
      config: { ...c, security: { ...c.security, scrypt: COST } },
      log: () => undefined,
    });
    const port = await new Promise<number>((resolve, reject) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (i) => resolve(i.port));
      server.once('error', reject);
    });
    base = `http://127.0.0.1:${port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    page = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (server) {
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function login(user: string, password: string, code?: string): Promise<void> {
    await page.goto(`${base}/ui/login`);
    await page.fill('input[name=username]', user);
    await page.fill('input[name=password]', password);
    if (code) await page.fill('input[name=totp]', code);
    await page.click('form.stack button[type=submit]');
    await page.waitForLoadState('load');
  }

  it("an admin's first login leads to TOTP enrolment, with recovery codes", async () => {
    await login('chief', PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/ui/account/totp');
    await page.goto(`${base}/ui/`); // anything else sends it back
    expect(new URL(page.url()).pathname).toBe('/ui/account/totp');
    await page.click('text=开始绑定');
    await page.waitForLoadState('load');
    secret = (await page.textContent('#totp-secret'))!.replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.fill('input[name=code]', totpCode(secret, new Date()));
    await page.click('text=确认绑定');
    await page.waitForLoadState('load');
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
  });

  it('then logs in with a code and creates a user with a one-time password', async () => {
    await login('chief', PASSWORD);
    expect(await page.textContent('.flash.err')).toContain('动态验证码');
    // the next 30-s step's code (the enrolment used this step's)
    await login('chief', PASSWORD, totpCode(secret, new Date(Date.now() + 30_000)));
    expect(new URL(page.url()).pathname).toBe('/ui/');
    await page.click('header nav >> text=用户与令牌');
    await page.waitForLoadState('load');
    await page.fill('input[name=username]', 'new.reviewer');
    await page.selectOption('select[name=role]', 'regulator');
    await page.click('text=新建（发放一次性密码）');
    await page.waitForLoadState('load');
    const otp = (await page.textContent('#secret'))!.trim();
    expect(otp).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expect(await page.textContent('#users')).toContain('new.reviewer');

    await page.click('header .who button'); // log out
    await page.waitForLoadState('load');
    await login('new.reviewer', otp);
    expect(new URL(page.url()).pathname).toBe('/ui/account/password');
    await page.fill('input[name=current]', otp);
    await page.fill('input[name=new]', 'reviewer passphrase 1');
    await page.fill('input[name=again]', 'reviewer passphrase 1');
    await page.click('form.stack button[type=submit]');
    await page.waitForLoadState('load');
    expect(await page.textContent('.flash.ok')).toContain('密码已修改');
    await login('new.reviewer', 'reviewer passphrase 1');
    expect(new URL(page.url()).pathname).toBe('/ui/');
  });
});
