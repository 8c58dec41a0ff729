/**
 * The 运行 page's "需要处理" panel in headless Chromium (Debian's chromium, playwright-core), over
 * the small simulated city of `_browser.ts`: a batch held because a source renamed a required
 * field, a drop-folder file moved aside, a notice; an admin releases the batch and resolves the
 * notice with the page's buttons (confirming the dialogs); a regulator sees the panel without
 * buttons. Skips (with a message) when /usr/bin/chromium is absent.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ingest } from '../../pipeline/feeds/index.ts';
import { ADS, renamedText, tmpDir, toNdjson } from '../_feed-lines.ts';
import { raiseNotice } from '../../pipeline/ops/index.ts';
import {
  HAVE_CHROMIUM,
  launchBrowser,
  login,
  loginWithToken,
  newContext,
  screenshot,
  skipMessage,
  startDashboard,
  type RunningDashboard,
} from './_browser.ts';

skipMessage('runs operations e2e');

describe.skipIf(!HAVE_CHROMIUM)('运行: held batches, files moved aside, notices', () => {
  let d: RunningDashboard;
  let browser: Browser;
  let heldBatch = 0;

  beforeAll(async () => {
    d = await startDashboard();
    const drop = tmpDir();
    writeFileSync(join(drop, 'a-renamed.ndjson'), toNdjson(renamedText(ADS, 'body', 'R-')));
    writeFileSync(join(drop, 'b-broken.ndjson.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]));
    const r = await ingest(d.db, { feed: 'ads', source: drop });
    expect([r.held.length, r.rejected.length]).toEqual([1, 1]);
    heldBatch = r.held[0]!.batchId;
    await raiseNotice(d.db, {
      level: 'error',
      kind: 'model_fallback',
      subject: d.day,
      message: `the list of ${d.day} (revision 2) was ranked by the rule index: model v9 could not be loaded`,
    });
    browser = await launchBrowser();
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await d?.close();
  });

  async function runsPage(role: 'admin' | 'regulator'): Promise<Page> {
    const page = await (await newContext(browser)).newPage();
    // admins enrol TOTP at their first password login: the admin comes in with an API token
    if (role === 'admin') await loginWithToken(page, d.base, d.adminToken);
    else await login(page, d.base, role);
    await page.goto(`${d.base}/ui/runs`);
    return page;
  }

  it('a regulator sees what needs an admin, without the buttons', async () => {
    const page = await runsPage('regulator');
    await expect(page.locator('#operations h2').textContent()).resolves.toContain('需要处理');
    await expect(page.locator('#notices tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('#held tbody tr td').nth(3).textContent()).resolves.toBe(
      'every line (2) lacks the required field text: did the source rename it?',
    );
    await expect(page.locator('#rejected tbody tr td').first().textContent()).resolves.toBe(
      'b-broken.ndjson.gz',
    );
    await expect(page.locator('#operations button').count()).resolves.toBe(0);
    await page.context().close();
  });

  it('an admin releases the held batch and resolves the notice', async () => {
    const page = await runsPage('admin');
    await screenshot(page, 'runs-operations');
    const confirms: string[] = [];
    page.on('dialog', (dialog) => {
      confirms.push(dialog.message());
      void dialog.accept();
    });
    await Promise.all([
      page.waitForURL(/\/ui\/runs\?ok=/),
      page.locator('#held button', { hasText: '放行' }).click(),
    ]);
    expect(confirms).toEqual(['放行后该批次按原样入库（不合规的行进入隔离区）。确定？']);
    await expect(page.locator('.flash.ok').textContent()).resolves.toContain(
      `已放行批次 ${heldBatch}`,
    );
    await expect(page.locator('#held').count()).resolves.toBe(0);
    expect(
      await d.db.all(`SELECT status, decided_by FROM held_batches WHERE batch_id = $b`, {
        b: heldBatch,
      }),
    ).toEqual([{ status: 'released', decided_by: 'browser-admin' }]);
    await Promise.all([
      page.waitForURL(/\/ui\/runs\?ok=/),
      page.locator('#notices button', { hasText: '已处理' }).click(),
    ]);
    await expect(page.locator('#notices').count()).resolves.toBe(0);
    // the file moved aside stays listed: it is a record, not a question
    await expect(page.locator('#rejected tbody tr').count()).resolves.toBe(1);
    await page.context().close();
  });
});
