/**
 * Refreshes docs/screenshots/inbox.png and docs/screenshots/watchlist.png from the notify scene
 * (the same scene as notify-e2e.test.ts), in headless Chromium at 1366×768:
 *
 *   node --import tsx api/dashboard/notify-screenshots.ts
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { SCENE_PASSWORD, SCENE_USER, startNotifyScene } from './notify-scene.ts';

const SHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dafei-notify-shots-'));
const scene = await startNotifyScene(dir);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
try {
  const page = await (
    await browser.newContext({
      viewport: { width: 1366, height: 768 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    })
  ).newPage();
  await page.goto(`${scene.base}/ui/login?next=/ui/inbox`);
  await page.fill('input[name=username]', SCENE_USER);
  await page.fill('input[name=password]', SCENE_PASSWORD);
  await page.click('form button[type=submit]');
  await page.waitForURL(/\/ui\/inbox$/);
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, 'inbox.png') });
  await page.click('header nav a:has-text("关注名单")');
  await page.click('text=鑫盛系列案');
  await page.waitForURL(/\/ui\/watchlists\/\d+$/);
  await page.screenshot({ path: join(SHOTS, 'watchlist.png') });
  process.stdout.write(`wrote ${join(SHOTS, 'inbox.png')} and ${join(SHOTS, 'watchlist.png')}\n`);
} finally {
  await browser.close();
  await scene.close();
  rmSync(dir, { recursive: true, force: true });
}
