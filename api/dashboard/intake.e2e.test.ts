/**
 * 数据导入 end to end in headless Chromium (Debian's chromium via playwright-core) against the real
 * server on 127.0.0.1: a data scientist uploads a small 12345-style workbook (title row, merged
 * two-row header, an Excel date, a serial number, two bad rows), picks the template, previews,
 * confirms, and sees the counts and the quarantine naming the source columns; a GBK register
 * extract goes through an inferred mapping; a regulator has no such page. Small fixtures built
 * here (no city is needed); screenshots go to a temporary folder, or to $DAFEI_SCREENSHOTS
 * (`npm run screenshots` refreshes docs/screenshots/intake-*.png on purpose).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  HAVE_CHROMIUM,
  launchBrowser,
  newContext,
  screenshotDir,
  skipMessage,
} from './_browser.ts';
import { createApp } from '../app.ts';
import { createUser } from '../../pipeline/auth/index.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { openMigratedDb, type Db } from '../../pipeline/db/index.ts';
import { withUsccCheckChar } from '../../pipeline/feeds/index.ts';

const PASSWORD = 'intake-e2e-password';

skipMessage('intake e2e');

const USCC = withUsccCheckChar('91440400MA4UABC12');

/**
 * A 12345 export as the template expects it: 12 rows, of which 2 break the contract (an impossible
 * date, a USCC with a wrong check character); an unknown channel word (传真) becomes 'other'.
 */
async function hotlineWorkbook(path: string): Promise<void> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('2026年第1季度');
  ws.addRow(['珠海市12345政务服务便民热线 工单导出']);
  ws.addRow([
    '工单编号',
    '来电信息',
    null,
    '被反映对象信息',
    null,
    '诉求内容',
    '涉及金额（万元）',
    '所属区县',
    '诉求人编号',
    '办理状态',
  ]);
  ws.addRow([
    null,
    '来电时间',
    '来源渠道',
    '名称',
    '统一社会信用代码',
    null,
    null,
    null,
    null,
    null,
  ]);
  ws.mergeCells('A1:J1');
  ws.mergeCells('A2:A3');
  ws.mergeCells('B2:C2');
  ws.mergeCells('D2:E2');
  for (const c of ['F', 'G', 'H', 'I', 'J']) ws.mergeCells(`${c}2:${c}3`);
  const texts = [
    '市民反映鑫盛财富承诺保本保息，年化收益18%，现无法提现，请求依法查处。',
    '市民投诉某理财公司以养老项目为名吸收资金，推荐好友再返利2%。',
    '来电人在该公司投资5万元，对方承诺月息3分，现已失联。',
  ];
  for (let i = 0; i < 12; i++) {
    const when = new Date(Date.UTC(2026, 2, 1 + i, 9 + (i % 8), 15, 0));
    const row = ws.addRow([
      `GD2026030${String(i).padStart(4, '0')}`,
      i === 4 ? '2026年3月35日 10:00' : i % 4 === 1 ? when.getTime() / 86_400_000 + 25569 : when,
      i === 7 ? '传真' : ['12345热线', '网站', '来信', '上级交办'][i % 4],
      i % 3 === 0 ? '珠海鑫盛财富管理有限公司' : '某理财公司',
      i === 9 ? `${USCC.slice(0, 17)}${USCC.endsWith('0') ? '1' : '0'}` : i % 3 === 0 ? USCC : null,
      texts[i % 3],
      i % 2 === 0 ? 5 + i : null,
      ['香洲区', '金湾区', '斗门区'][i % 3],
      `C${1000 + i}`,
      '已办结',
    ]);
    if (row.getCell(2).value instanceof Date) row.getCell(2).numFmt = 'yyyy/m/d h:mm';
  }
  await wb.xlsx.writeFile(path);
}

function registerCsv(path: string): void {
  const lines = [
    '统一社会信用代码,企业名称,法定代表人,成立日期,注册资本（万元）,登记状态,住所,所属区县,联系电话,核准日期',
    `${USCC},珠海鑫盛财富管理有限公司,王建国,2019年5月17日,1000,存续（在营、开业、在册）,珠海市香洲区人民东路1号,香洲区,０７５６－２２２３３４４,2026/3/1`,
    `${withUsccCheckChar('91440402MA5XYW001')},珠海华泰餐饮有限公司,李梅,2021年11月2日,50,注销,珠海市金湾区红旗镇,金湾区,,2026/3/1`,
  ];
  writeFileSync(path, iconv.encode(lines.join('\r\n') + '\r\n', 'gb18030'));
}

describe.skipIf(!HAVE_CHROMIUM)('数据导入 e2e (headless Chromium)', () => {
  let dir: string;
  let shots: string;
  let db: Db;
  let server: ServerType;
  let base: string;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;

  const shot = (name: string) =>
    page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  async function login(p: Page, user: string): Promise<void> {
    await p.goto(`${base}/ui/login`);
    await p.fill('input[name=username]', user);
    await p.fill('input[name=password]', PASSWORD);
    await Promise.all([p.waitForURL((u) => u.pathname === '/ui/'), p.click('button[type=submit]')]);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dafei-intake-e2e-'));
    shots = screenshotDir();
    await hotlineWorkbook(join(dir, '12345工单导出.xlsx'));
    registerCsv(join(dir, '企业登记信息.csv'));
    db = await openMigratedDb(join(dir, 'e2e.duckdb'));
    await createUser(db, { username: 'e2e-analyst', password: PASSWORD, role: 'data_scientist' });
    await createUser(db, { username: 'e2e-regulator', password: PASSWORD, role: 'regulator' });
    const config = {
      ...loadConfig({}),
      intake: { upload_dir: join(dir, 'uploads'), max_upload_mb: 5 },
    };
    const app = createApp({ db, config, log: () => {} });
    const port = await new Promise<number>((resolve, reject) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
        resolve(info.port),
      );
      server.once('error', reject);
    });
    base = `http://127.0.0.1:${port}`;
    browser = await launchBrowser();
    ctx = await newContext(browser);
    page = await ctx.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (server) {
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('upload → preview → confirm → counts and quarantine, with a template', async () => {
    await login(page, 'e2e-analyst');
    await page.click('header nav a:has-text("数据导入")');
    await page.waitForURL((u) => u.pathname === '/ui/intake');
    await page.setInputFiles('#intake-upload input[type=file]', join(dir, '12345工单导出.xlsx'));
    await page.selectOption('#intake-upload select[name=mapping]', 'hotline-12345-xlsx');
    await shot('intake-upload');
    await Promise.all([
      page.waitForURL((u) => /^\/ui\/intake\/\d+$/.test(u.pathname)),
      page.click('#intake-upload button[type=submit]'),
    ]);
    await expect(page.locator('#preview-mapped').textContent()).resolves.toBe('10');
    await expect(page.locator('#preview-quarantined').textContent()).resolves.toBe('2');
    const reasons = (await page.locator('#preview-reasons').textContent()) ?? '';
    expect(reasons).toContain('「来电信息/来电时间」 → received_at');
    expect(reasons).toContain('「被反映对象信息/统一社会信用代码」 → target_uscc');
    // the merged two-row header is read as its levels
    await expect(page.locator('#preview-columns').textContent()).resolves.toContain(
      '被反映对象信息/名称',
    );
    // the first rows as they would land: a serial number became a time, 万元 became 元
    const sample = (await page.locator('#preview-sample').textContent()) ?? '';
    expect(sample).toContain('2026-03-02T10:15:00+08:00');
    expect(sample).toContain('50000');
    await shot('intake-preview');
    await Promise.all([
      page.waitForURL((u) => /^\/ui\/intake\/\d+$/.test(u.pathname) && u.search === ''),
      page.click('#confirm-ingest'),
    ]);
    // the page follows the progress until the ingest is done
    await page.locator('#intake-counts').waitFor({ timeout: 30_000 });
    const counts: Record<string, string> = Object.fromEntries(
      await page
        .locator('#intake-counts [data-count]')
        .evaluateAll((els) =>
          els.map((e): [string, string] => [
            e.getAttribute('data-count') ?? '',
            e.querySelector('b')?.textContent ?? '',
          ]),
        ),
    );
    expect(counts).toEqual({ 读取: '12', 接收: '10', 重复: '0', 更正: '0', 隔离: '2' });
    const q = (await page.locator('#intake-quarantine').textContent()) ?? '';
    expect(q).toContain('「来电信息/来电时间」 → received_at "2026年3月35日 10:00"');
    expect(q).toMatch(/「被反映对象信息\/统一社会信用代码」 → target_uscc \w+: check/);
    // the ledger keeps which template was used (the mapping was not edited)
    await expect(page.locator('main').textContent()).resolves.toContain('模板 hotline-12345-xlsx');
    await shot('intake-done');
    const landed = await db.all<{ n: number; amount: number }>(
      `SELECT count(*)::INTEGER AS n, sum(amount_cny)::DOUBLE AS amount FROM complaints`,
    );
    expect(landed[0]).toEqual({ n: 10, amount: (5 + 7 + 11 + 13 + 15) * 10_000 });
  });

  it('an inferred mapping for a GBK register extract with Chinese headers', async () => {
    await page.goto(`${base}/ui/intake`);
    await page.setInputFiles('#intake-upload input[type=file]', join(dir, '企业登记信息.csv'));
    await Promise.all([
      page.waitForURL((u) => /^\/ui\/intake\/\d+$/.test(u.pathname)),
      page.click('#intake-upload button[type=submit]'),
    ]);
    await expect(page.locator('#preview-summary h2').textContent()).resolves.toContain('工商登记');
    await expect(page.locator('#preview-mapped').textContent()).resolves.toBe('2');
    const columns = (await page.locator('#preview-columns').textContent()) ?? '';
    expect(columns).toContain('注册资本（万元）');
    expect(columns).toContain('registered_capital_wan');
    const sample = (await page.locator('#preview-sample').textContent()) ?? '';
    expect(sample).toContain('91440400MA4UABC12D');
    // the analyst maps the file but may not read its phones or legal representatives (the
    // personal-data catalogue applies to the dry run as to every other response)
    expect(sample).not.toContain('0756-2223344');
    expect(sample).not.toContain('王建国');
    await shot('intake-infer');
    await Promise.all([page.waitForURL((u) => u.search === ''), page.click('#confirm-ingest')]);
    await page.locator('#intake-counts').waitFor({ timeout: 30_000 });
    await expect(page.locator('#intake-counts [data-count="接收"] b').textContent()).resolves.toBe(
      '2',
    );
    // the uploads list shows both, newest first
    await page.goto(`${base}/ui/intake`);
    const files = await page.locator('#uploads tbody tr td:nth-child(2)').allTextContents();
    expect(files.map((f) => f.trim())).toEqual(['企业登记信息.csv', '12345工单导出.xlsx']);
  });

  it('is not offered to a regulator, and refused if asked for', async () => {
    const other = await newContext(browser);
    const p = await other.newPage();
    await login(p, 'e2e-regulator');
    expect(await p.locator('header nav a:has-text("数据导入")').count()).toBe(0);
    const res = await p.goto(`${base}/ui/intake`);
    expect(res?.status()).toBe(403);
    await other.close();
  });
});
