/**
 * Shared kit for browser tests of the dashboard (each page's test in its own file):
 *
 * - `HAVE_CHROMIUM` / `skipMessage(name)`: Debian's /usr/bin/chromium or a skip with a reason.
 * - `smallCityDb()`: a database built from a small simulated city through the real pipeline
 *   (ingest, 14 days of lists, a model with a 30-day walk-forward evaluation): built once per
 *   change of the pipeline's sources, under a lock shared by parallel test files
 *   (pipeline/_build-once.ts), in the OS temp folder. Every caller gets its own copy.
 * - `startDashboard()`: that database served by the real app with the dashboard mounted, on
 *   127.0.0.1 and a free port, with a user per role (password `PASSWORD`) and an admin token.
 * - `launchBrowser()`, `newContext()`, `login()`, `loginWithToken()`: playwright-core driving
 *   Debian's Chromium with the flags this machine needs (no background networking).
 * - `screenshot(page, name)`: into a temporary folder, or into `DAFEI_SCREENSHOTS` when set
 *   (`npm run screenshots` sets it to docs/screenshots, and DAFEI_E2E_CITY=sample to take the
 *   README's pictures over the sample city).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createApp } from '../app.ts';
import { createToken, createUser, type Role } from '../../pipeline/auth/index.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { openMigratedDb, type Db } from '../../pipeline/db/index.ts';
import { buildOnce, hashSources } from '../../pipeline/_build-once.ts';
import { sampleCity, testCity } from '../../pipeline/_test-city.ts';
import { buildSampleDb } from './fixture.ts';
import { mountDashboard } from './index.ts';
import { isMounted } from './mount-check.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
/** Every fixture user's password. */
export const PASSWORD = 'browser-test-password';
/** The fixture users: `${role}` logs in as that role. */
export const USER_ROLES: readonly Role[] = ['regulator', 'investigator', 'data_scientist', 'admin'];

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The small city: 500 enterprises over 150 days, 3 % schemes (about 15), seed 7. */
const CITY = { enterprises: 500, days: 150, seed: 7, schemeRate: 0.03 } as const;

/** Writes the reason a browser test is skipped (call at module level). */
export function skipMessage(name: string): void {
  if (!HAVE_CHROMIUM)
    process.stderr.write(
      `[${name}] skipped: ${CHROMIUM} is absent — install Debian's chromium (apt-get install -y chromium fonts-wqy-microhei) to run it\n`,
    );
}

/**
 * A private copy of the small-city database at `target`; returns the last list day. The built
 * database is keyed by the city and every source that builds it (fixture.ts and what it imports,
 * the migrations and SQL files), so a change to the pipeline rebuilds it once.
 */
export async function smallCityDb(target: string): Promise<void> {
  const city = testCity(CITY.enterprises, CITY.days, CITY.seed, CITY.schemeRate);
  await cityDb(city.dir, target);
}

/**
 * The same over the committed 20,000-enterprise sample city: for `npm run screenshots` (the
 * README's pictures), never for tests.
 */
export async function sampleCityDb(target: string): Promise<void> {
  await cityDb(sampleCity().dir, target);
}

async function cityDb(cityDir: string, target: string): Promise<void> {
  const key = hashSources(
    [fileURLToPath(new URL('./fixture.ts', import.meta.url))],
    [join(ROOT, 'pipeline/sql/migrations'), join(ROOT, 'pipeline/sql/queries')],
  );
  const built = await buildOnce(`${cityDir}-dashboard-${key}.duckdb`, async (tmp) => {
    const db = await openMigratedDb(tmp);
    try {
      await buildSampleDb(db, { dir: `${cityDir}/`, days: 14, evalDays: 30 });
    } finally {
      db.close();
    }
  });
  copyFileSync(built, target);
}

export interface RunningDashboard {
  base: string;
  db: Db;
  /** The latest list day. */
  day: string;
  adminToken: string;
  close(): Promise<void>;
}

/**
 * The small city served on 127.0.0.1; `city: 'sample'` serves the sample city instead (only for
 * `npm run screenshots`); `dbPath` serves a copy of a prepared database.
 */
export async function startDashboard(
  o: { dbPath?: string | undefined; city?: 'small' | 'sample' } = {},
): Promise<RunningDashboard> {
  const dir = mkdtempSync(join(tmpdir(), 'dafei-browser-'));
  const path = join(dir, 'dashboard.duckdb');
  if (o.dbPath) copyFileSync(o.dbPath, path);
  else if (o.city === 'sample') await sampleCityDb(path);
  else await smallCityDb(path);
  const db = await openMigratedDb(path);
  const day =
    (await db.one<{ d: string | null }>(`SELECT max(day)::VARCHAR AS d FROM list_revisions`))?.d ??
    '';
  if (!day) throw new Error('[browser] the database holds no published list');
  for (const role of USER_ROLES) await createUser(db, { username: role, password: PASSWORD, role });
  const adminToken = (await createToken(db, { name: 'browser-admin', role: 'admin' })).token;
  const app = createApp({ db, config: loadConfig({}), log: () => {} });
  if (!isMounted(app)) mountDashboard(app, app.dafei.deps);
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve(info.port),
    );
    server.once('error', reject);
  });
  return {
    base: `http://127.0.0.1:${port}`,
    db,
    day,
    adminToken,
    close: async () => {
      if (server) {
        if ('closeAllConnections' in server) server.closeAllConnections();
        await new Promise<void>((r) => server!.close(() => r()));
      }
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, without the background connections this closed network refuses. */
export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A zh-CN, Asia/Shanghai, 1366×768 browser context (the screenshots' size). */
export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
  });
}

/** Logs in through the login form as the fixture user of `role`; the page ends on the list. */
export async function login(page: Page, base: string, role: Role): Promise<void> {
  await page.goto(`${base}/ui/login`);
  await page.fill('input[name=username]', role);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForURL(`${base}/ui/`), page.click('button[type=submit]')]);
}

/** Logs in with a pasted API token. */
export async function loginWithToken(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/ui/login?mode=token`);
  await page.fill('input[name=token]', token);
  await Promise.all([page.waitForURL(`${base}/ui/`), page.click('button[type=submit]')]);
}

let shotDir: string | undefined;
/** Where screenshots go: DAFEI_SCREENSHOTS, else one temporary folder per test process. */
export function screenshotDir(): string {
  if (!shotDir) {
    const wanted = process.env['DAFEI_SCREENSHOTS'];
    shotDir = wanted ? resolve(ROOT, wanted) : mkdtempSync(join(tmpdir(), 'dafei-shots-'));
    mkdirSync(shotDir, { recursive: true });
  }
  return shotDir;
}

/** A screenshot of the viewport as `<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(screenshotDir(), `${name}.png`);
  await page.screenshot({ path });
  return path;
}
