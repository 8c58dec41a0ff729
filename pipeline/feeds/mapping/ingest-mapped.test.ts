/**
 * Ingestion through a mapping, with real DuckDB: GBK CSV with Chinese headers, quarantine reasons
 * naming the source column, counts that add up, an .xlsx in contract shape, an .xls refused; and
 * end to end, a simulated city written in the office layouts (12345 XLSX, register GBK CSV,
 * ad-monitoring CSV) lands exactly as its contract files do.
 */
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { withDb, type Db } from '../../db/index.ts';
import { testCity } from '../../_test-city.ts';
import { writeLayouts, LAYOUT_FILES } from '../../../data-samples/sim/layouts.ts';
import { tmpDir, USCC_A, USCC_B, writeFeedFile } from '../_fixtures.ts';
import { formatCounts, ingest } from '../ingest.ts';
import { parseMapping } from './compile.ts';
import { loadTemplate } from './templates.ts';

const registerMapping = parseMapping({
  name: 'register extract',
  feed: 'registrations',
  source: { encoding: 'gbk', header_row: 2 },
  fields: {
    uscc: { column: '统一社会信用代码', transforms: ['trim', 'halfwidth', 'upper'] },
    name: { column: '企业名称' },
    as_of: { const: '2024-03-31' },
    established_on: { column: '成立日期', transforms: [{ date: {} }] },
    registered_capital_wan: {
      column: '注册资本（万元）',
      transforms: [{ unit: { from: '万元', to: '万元' } }],
    },
    status: {
      column: '登记状态',
      transforms: [
        { map: { values: { '存续（在营、开业、在册）': '存续', 存续: '存续', 注销: '注销' } } },
      ],
    },
    phone: { column: '联系电话', transforms: ['halfwidth'] },
  },
});

const fullWidth = (s: string) =>
  s.replace(/[0-9A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

async function rows<T extends object>(db: Db, sql: string): Promise<T[]> {
  return db.all<T>(sql);
}

describe('ingest with a mapping', () => {
  it('GBK CSV with Chinese headers, a title row, full-width digits, Chinese dates and 万元', async () => {
    await withDb(async (db) => {
      const dir = tmpDir();
      const csv = [
        '企业登记信息导出（2024年3月）,,,,,,',
        '统一社会信用代码,企业名称,成立日期,注册资本（万元）,登记状态,联系电话,登记机关',
        `${fullWidth(USCC_A)},珠海鑫盛财富管理有限公司,2019年5月17日,"1,000",存续（在营、开业、在册）,０７５６－２２２３３４４,珠海市市场监督管理局`,
        `${USCC_B.toLowerCase()},珠海华泰餐饮有限公司,2021/11/2,50万人民币,注销,,`,
        `${USCC_B.slice(0, 17)}0,坏信用代码公司,2020-01-01,10,存续,,`,
        `${USCC_A},坏日期公司,2024年2月30日,10,存续,,`,
        `${USCC_A},坏状态公司,2020-01-01,10,撤销,,`,
        ',,,,,,',
      ].join('\r\n');
      const path = writeFeedFile(dir, 'register.csv', csv, { gbk: true });
      const r = await ingest(db, { feed: 'registrations', source: path, mapping: registerMapping });
      expect(formatCounts(r)).toBe('read 5, accepted 2, duplicate 0, corrected 0, quarantined 3');
      expect(
        await rows(
          db,
          `SELECT uscc, name, established_on::VARCHAR AS est, registered_capital_wan AS cap, status, phone,
                  extra->>'登记机关' AS office FROM registrations ORDER BY name`,
        ),
      ).toEqual([
        {
          uscc: USCC_B,
          name: '珠海华泰餐饮有限公司',
          est: '2021-11-02',
          cap: 50,
          status: '注销',
          phone: null,
          office: null,
        },
        {
          uscc: USCC_A,
          name: '珠海鑫盛财富管理有限公司',
          est: '2019-05-17',
          cap: 1000,
          status: '存续',
          phone: '0756-2223344',
          office: '珠海市市场监督管理局',
        },
      ]);
      const q = await rows<{ line_no: number; reason: string }>(
        db,
        `SELECT line_no::INTEGER AS line_no, reason FROM quarantine ORDER BY line_no`,
      );
      expect(q.map((x) => x.line_no)).toEqual([5, 6, 7]);
      expect(q[0]!.reason).toMatch(/^「统一社会信用代码」 → uscc .*check/);
      expect(q[1]!.reason).toMatch(/^「成立日期」 → established_on "2024年2月30日": not a date/);
      expect(q[2]!.reason).toMatch(/^「登记状态」 → status "撤销": not in the code list/);
    });
  });

  it('refuses a file that lacks a mapped column before writing anything, and says so in the ledger', async () => {
    await withDb(async (db) => {
      const dir = tmpDir();
      const path = writeFeedFile(dir, 'other.csv', '登记信息\n编号,名称\n1,2\n', { gbk: true });
      await expect(
        ingest(db, { feed: 'registrations', source: path, mapping: registerMapping }),
      ).rejects.toThrow(
        /lacks the column\(s\) 「统一社会信用代码」.*its header is: 「编号」, 「名称」/,
      );
      expect(
        await rows(db, `SELECT status, error IS NOT NULL AS has_error FROM ingest_batches`),
      ).toEqual([{ status: 'failed', has_error: true }]);
      expect(
        (await rows(db, `SELECT count(*)::INTEGER AS n FROM registrations_history`))[0],
      ).toEqual({ n: 0 });
    });
  });

  it('an .xlsx with the contract column names needs no mapping', async () => {
    await withDb(async (db) => {
      const dir = tmpDir();
      const path = join(dir, 'outcomes.xlsx');
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('认定');
      ws.addRow(['uscc', 'decided_on', 'outcome', 'case_ref']);
      ws.addRow([USCC_A, '2026-06-30', 'confirmed', '珠公经(2026)12号']);
      ws.addRow([USCC_B, '2026-13-01', 'cleared', null]);
      await wb.xlsx.writeFile(path);
      const r = await ingest(db, { feed: 'case_outcomes', source: path });
      expect(formatCounts(r)).toBe('read 2, accepted 1, duplicate 0, corrected 0, quarantined 1');
      const q = await rows<{ reason: string; raw: string }>(
        db,
        `SELECT reason, raw FROM quarantine`,
      );
      expect(q[0]!.reason).toMatch(/^「decided_on」 → decided_on 2026-13-01: not a date/);
      expect(JSON.parse(q[0]!.raw.replace(/^\[认定\] /, ''))).toMatchObject({
        uscc: USCC_B,
        decided_on: '2026-13-01',
      });
    });
  });

  it('refuses an old .xls by name, saying how to convert it', async () => {
    await withDb(async (db) => {
      const dir = tmpDir();
      const path = join(dir, '工单.xls');
      writeFileSync(path, Buffer.from('d0cf11e0a1b11ae1', 'hex'));
      await expect(ingest(db, { feed: 'complaints', source: path })).rejects.toThrow(
        /工单\.xls is an old Excel 97-2003 workbook.*save it as \.xlsx/,
      );
    });
  });
});

describe('a simulated city in the office layouts lands as its contract files do', () => {
  const city = testCity();
  let layouts: string;
  let skipped: Record<string, number>;
  beforeAll(async () => {
    layouts = tmpDir('dafei-layouts-');
    const written = await writeLayouts(city.dir, layouts);
    skipped = Object.fromEntries(written.map((w) => [basename(w.file), w.skipped]));
  }, 120_000);

  interface Case {
    feed: 'complaints' | 'registrations' | 'ads';
    contract: string;
    encoding?: string;
    layout: string;
    template: string;
    key: string;
    keyColumn: string;
    keyColumn2?: string;
    columns: string;
  }
  const cases: Case[] = [
    {
      feed: 'complaints',
      contract: 'complaints.csv',
      encoding: 'gbk',
      layout: LAYOUT_FILES.complaints,
      template: 'hotline-12345-xlsx',
      key: 'complaint_id',
      keyColumn: 'complaint_id',
      columns: `complaint_id, received_at::VARCHAR AS received_at, received_day::VARCHAR AS day, channel, target_name,
                target_uscc, text, amount_cny, complainant_ref, district`,
    },
    {
      feed: 'registrations',
      contract: 'registrations.ndjson',
      layout: LAYOUT_FILES.registrations,
      template: 'market-register-csv',
      key: `uscc, as_of`,
      keyColumn: 'uscc',
      keyColumn2: 'as_of',
      columns: `uscc, name, as_of::VARCHAR AS as_of, established_on::VARCHAR AS est, legal_rep,
                registered_capital_wan, paid_in_capital_wan, status, enterprise_type, industry_code,
                business_scope, address, district, phone, website`,
    },
    {
      feed: 'ads',
      contract: 'ads.ndjson',
      layout: LAYOUT_FILES.ads,
      template: 'ad-monitor-csv',
      key: 'ad_id',
      keyColumn: 'ad_id',
      // the ad-monitoring layout writes times to the minute
      columns: `ad_id, strftime(date_trunc('minute', seen_at), '%Y-%m-%d %H:%M') AS seen_minute, seen_day::VARCHAR AS day,
                channel, advertiser_name, advertiser_uscc, phone, url, title, text`,
    },
  ];

  for (const c of cases) {
    it(`${c.feed}: ${c.layout} through ${c.template}`, async () => {
      const read = async (source: string, mapping: boolean) =>
        withDb(async (db) => {
          await db.run(`SET TimeZone = 'Asia/Shanghai'`);
          const r = await ingest(db, {
            feed: c.feed,
            source,
            ...(c.encoding ? { encoding: c.encoding } : {}),
            ...(mapping ? { mapping: loadTemplate(c.template) } : {}),
          });
          const data = await db.all<Record<string, unknown>>(
            `SELECT ${c.columns} FROM ${c.feed} ORDER BY ${c.key}`,
          );
          const quarantine = await db.all<{ reason: string; raw: string }>(
            `SELECT reason, raw FROM quarantine ORDER BY line_no`,
          );
          return { r, data, quarantine };
        });
      const contract = await read(join(city.dir, c.contract), false);
      const layout = await read(join(layouts, c.layout), true);
      expect(contract.data.length).toBeGreaterThan(20);
      // the layouts' mappings accept the other date styles the simulator writes as malformed
      // (20260315, 2026/3/15): those rows land from the layout and are quarantined from the
      // contract file; every other row is the same
      const keyOf = (r: Record<string, unknown>) =>
        `${String(r[c.keyColumn])}|${String(r[c.keyColumn2 ?? c.keyColumn])}`;
      const fromContract = new Set(contract.data.map(keyOf));
      const onlyLayout = layout.data.filter((r) => !fromContract.has(keyOf(r)));
      expect(layout.data.filter((r) => fromContract.has(keyOf(r)))).toEqual(contract.data);
      for (const r of onlyLayout) {
        const q = contract.quarantine.find((x) => x.raw.includes(String(r[c.keyColumn])));
        expect(q?.reason).toMatch(/not a date/);
      }
      expect(onlyLayout.length).toBeLessThanOrEqual(3);
      // lines of the contract file that are not records at all (broken JSON) are not written
      const notRecords = skipped[c.layout]!;
      expect(layout.r.read).toBe(contract.r.read - notRecords);
      // what else the contract file quarantines, the layout quarantines too, naming a source column
      expect(layout.r.quarantined).toBe(contract.r.quarantined - onlyLayout.length - notRecords);
      for (const q of layout.quarantine) expect(q.reason).toMatch(/^「[^」]+」 → [a-z_]+|^row has/);
    }, 120_000);
  }
});
