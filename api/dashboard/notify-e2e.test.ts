/**
 * The inbox and the watchlist pages in headless Chromium (Debian's chromium via playwright-core)
 * against the real server on 127.0.0.1, over a small scene (notify-scene.ts): the unread badge in
 * the header, the inbox, opening a notification (marked read, on to the evidence), a watchlist,
 * adding a person with the companies that disambiguate them, a refused entry, removing one.
 * Screenshots go to a temporary folder; `npm run screenshots` writes them to docs/screenshots.
 * Skips (with a message) when /usr/bin/chromium is absent.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E } from '../../pipeline/notify/_fixtures.ts';
import { HAVE_CHROMIUM, launchBrowser, newContext, screenshot, skipMessage } from './_browser.ts';
import { SCENE_PASSWORD, SCENE_USER, startNotifyScene, type NotifyScene } from './notify-scene.ts';

skipMessage('notify e2e');

describe.skipIf(!HAVE_CHROMIUM)('inbox and watchlists in headless Chromium', () => {
  let dir: string;
  let scene: NotifyScene;
  let browser: Browser;
  let page: Page;
  const shots: string[] = [];
  const shot = async (name: string) => shots.push(await screenshot(page, name));
  const badge = async () => (await page.locator('#nav-inbox .unread').textContent())?.trim();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dafei-notify-e2e-'));
    scene = await startNotifyScene(dir);
    browser = await launchBrowser();
    page = await (await newContext(browser)).newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await scene?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs in and shows the unread count in the header', async () => {
    await page.goto(`${scene.base}/ui/login?next=/ui/inbox`);
    await page.fill('input[name=username]', SCENE_USER);
    await page.fill('input[name=password]', SCENE_PASSWORD);
    await page.click('form button[type=submit]');
    await page.waitForURL(/\/ui\/inbox$/);
    const unread = await scene.db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM notifications n
        WHERE recipient = 'user:${SCENE_USER}'
          AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.notification_id)`,
    );
    expect(unread!.n).toBeGreaterThanOrEqual(4);
    expect(await badge()).toBe(String(unread!.n));
    expect(await page.locator('h1').textContent()).toBe(`通知（未读 ${unread!.n}）`);
  });

  it('the inbox lists what changed, and why it concerns me', async () => {
    const rows = page.locator('#inbox tbody tr');
    const titles = await rows.locator('td:nth-child(2) > .t').allTextContents();
    expect(titles.sort()).toEqual(
      [
        '新设企业：珠海鑫盛养老服务有限公司', // 张伟 with 鑫盛's phone, the day it is registered
        '鑫盛财富：新广告', // the watched phone, domain and keyword in an ad
        '珠海恒泰投资管理有限公司：新投诉', // the office's shared list
        '新投诉（未关联到企业）', // the keyword 鑫盛 in an unlinked complaint
        '珠海鑫盛财富管理有限公司：新投诉',
      ].sort(),
    );
    // the other 张伟 (no tie to 鑫盛) is not here; nor the office's own list (not subscribed by it)
    expect(titles.join()).not.toContain('伟业建材');
    expect(await page.locator('#inbox').textContent()).toContain('名单「鑫盛系列案」');
    expect(await page.locator('#inbox tr.read').count()).toBe(1);
    await shot('inbox');
  });

  it('opening a notification marks it read and goes to its evidence', async () => {
    const before = Number(await badge());
    await page.locator('#inbox tbody tr td:nth-child(2) a', { hasText: '新设企业' }).click();
    await page.waitForURL(new RegExp(`/ui/entities/${E.newco}$`));
    expect(await page.locator('h1').first().textContent()).toContain('珠海鑫盛养老服务有限公司');
    expect(Number(await badge())).toBe(before - 1);
    await page.goto(`${scene.base}/ui/inbox?unread=1`);
    expect(await page.locator('#inbox').textContent()).not.toContain('新设企业');
    await page.click('text=全部标为已读');
    await page.waitForURL(/\/ui\/inbox$/);
    expect(await page.locator('#nav-inbox .unread').count()).toBe(0);
  });

  it('a watchlist: entries of every kind, a person disambiguated by companies, a refusal, a removal', async () => {
    await page.click('#nav-inbox ~ a, header nav a:has-text("关注名单")');
    await page.waitForURL(/\/ui\/watchlists$/);
    expect(await page.locator('main table').textContent()).toContain('香洲区重点关注');
    await page.click('text=鑫盛系列案');
    await page.waitForURL(/\/ui\/watchlists\/\d+$/);
    const kinds = await page.locator('main table tbody tr td:first-child').allTextContents();
    expect(kinds.sort()).toEqual(['人员', '企业', '品牌关键词', '地址', '电话', '网站域名'].sort());
    // add a person with the company that tells them apart
    await page.selectOption('select[name=kind]', 'person');
    await page.fill('input[name=value]', '王强');
    await page.fill('textarea[name=companies]', E.hengtai);
    await page.fill('input[name=reason]', '恒泰实际控制人');
    await page.click('#add-entry button[type=submit]');
    await page.waitForURL(/ok=/);
    expect(await page.locator('.flash.ok').textContent()).toBe('已添加关注。');
    expect(await page.locator('main table').textContent()).toContain('王强');
    // a wrong USCC is refused with the reason, the form keeps what was typed
    await page.selectOption('select[name=kind]', 'enterprise');
    await page.fill('input[name=value]', '91440400MA4UXXXX3X');
    await page.fill('input[name=reason]', '测试');
    await page.click('#add-entry button[type=submit]');
    expect(await page.locator('.flash.err').textContent()).toContain('统一社会信用代码');
    expect(await page.inputValue('input[name=value]')).toBe('91440400MA4UXXXX3X');
    await shot('watchlist');
    // remove the phone entry
    const phoneRow = page.locator('main table tbody tr', { hasText: '13800138000' });
    await phoneRow.locator('button', { hasText: '移除' }).click();
    await page.waitForURL(/ok=/);
    expect(await page.locator('main table').textContent()).not.toContain('13800138000');
    expect(shots).toHaveLength(2);
    for (const s of shots) expect(existsSync(s)).toBe(true);
  });
});
