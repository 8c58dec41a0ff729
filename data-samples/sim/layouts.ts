/**
 * Writes a simulated city's feeds again in the layouts offices actually receive, so that the intake
 * path (mapping files, XLSX, GBK CSV) is exercised end to end on data whose contract form is known:
 *
 *   layouts/12345工单导出.xlsx     complaints as a 12345 hotline system exports them: one sheet per
 *                                  quarter, a merged title row, a two-row header with merged group
 *                                  cells, 来电时间 as Excel dates (some as bare serial numbers, some as
 *                                  text), channels as Chinese words, 涉及金额 in 万元, a notes sheet
 *   layouts/企业登记信息.csv        registrations as a market-regulation register extract: GBK,
 *                                  Chinese headers, 2026年1月5日 dates, 注册资本 "500万人民币",
 *                                  实缴资本 in 元, status code list, some phones in full-width digits
 *   layouts/广告监测线索.csv        ads as an ad-monitoring platform's CSV: UTF-8 with BOM,
 *                                  `2026/1/5 14:03` times, media types as Chinese words
 *
 * The matching mapping files are pipeline/feeds/mapping/templates/. This reads the contract files
 * the simulator wrote (it does not change what the simulator generates). Values that do not parse
 * (the simulator's deliberately malformed rows) are written unchanged, so they are quarantined on
 * intake as they are from the contract files; lines that are not even records are left out.
 */
import { createReadStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { csvRow } from './writer.ts';

export const LAYOUT_FILES = {
  complaints: '12345工单导出.xlsx',
  registrations: '企业登记信息.csv',
  ads: '广告监测线索.csv',
} as const;

export interface LayoutSummary {
  file: string;
  rows: number;
  /** Lines of the contract file that were not records (left out). */
  skipped: number;
}

function open(dir: string, base: string): Readable | undefined {
  for (const name of [base, `${base}.gz`]) {
    const p = join(dir, name);
    if (existsSync(p)) {
      const s = createReadStream(p);
      return name.endsWith('.gz') ? s.pipe(createGunzip()) : s;
    }
  }
  return undefined;
}

/** Lines of a text file; GB18030 is decoded as the pipeline decodes it (TextDecoder). */
async function* lines(stream: Readable, encoding: 'utf8' | 'gb18030'): AsyncIterable<string> {
  const decoder = new TextDecoder(encoding === 'utf8' ? 'utf-8' : 'gb18030');
  let rest = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    rest += decoder.decode(chunk, { stream: true });
    const parts = rest.split('\n');
    rest = parts.pop()!;
    for (const p of parts) yield p.endsWith('\r') ? p.slice(0, -1) : p;
  }
  rest += decoder.decode();
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/** RFC 4180 records from lines (a quoted cell may span lines). */
async function* csvRecords(input: AsyncIterable<string>): AsyncIterable<string[]> {
  let pending = '';
  for await (const line of input) {
    const text = pending ? `${pending}\n${line}` : line;
    const quotes = (text.match(/"/g) ?? []).length;
    if (quotes % 2 === 1 && pending.length < 1e6) {
      pending = text;
      continue;
    }
    pending = '';
    const cells: string[] = [];
    let cur = '';
    let inQ = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (inQ) {
        if (c === '"' && text[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (c === '"') inQ = false;
        else cur += c;
      } else if (c === '"') inQ = true;
      else if (c === ',') {
        cells.push(cur);
        cur = '';
      } else cur += c;
    }
    cells.push(cur);
    yield cells;
  }
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\+08:00$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function wallClock(iso: unknown): Date | undefined {
  const m = typeof iso === 'string' ? TS_RE.exec(iso) : null;
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

function slashMinutes(iso: unknown): string {
  const d = wallClock(iso);
  if (!d) return typeof iso === 'string' ? iso : '';
  return `${d.getUTCFullYear()}/${d.getUTCMonth() + 1}/${d.getUTCDate()} ${d.getUTCHours()}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

function chineseDate(v: unknown): string {
  const m = typeof v === 'string' ? DATE_RE.exec(v) : null;
  return m ? `${+m[1]!}年${+m[2]!}月${+m[3]!}日` : typeof v === 'string' ? v : '';
}

function slashDate(v: unknown): string {
  const m = typeof v === 'string' ? DATE_RE.exec(v) : null;
  return m ? `${+m[1]!}/${+m[2]!}/${+m[3]!}` : typeof v === 'string' ? v : '';
}

function fullWidthDigits(s: string): string {
  return s.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
}

const STATUS_WORDS: Record<string, string> = {
  存续: '存续（在营、开业、在册）',
  在业: '在业',
  吊销: '吊销，未注销',
  注销: '注销',
  迁出: '迁出',
  停业: '停业',
};

export const AD_CHANNEL_WORDS: Record<string, string> = {
  web: '网站',
  app: 'APP',
  wechat: '微信公众号',
  weibo: '微博',
  sms: '短信',
  video: '短视频',
  offline: '户外',
  other: '其他',
};

export const COMPLAINT_CHANNEL_WORDS: Record<string, string> = {
  hotline_12345: '12345热线',
  portal: '网站',
  letter: '来信',
  visit: '来访',
  referral: '上级交办',
  other: '其他',
};

const text = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);

async function writeRegister(dir: string, out: string): Promise<LayoutSummary> {
  const header = [
    '统一社会信用代码',
    '企业名称',
    '法定代表人',
    '成立日期',
    '注册资本',
    '实缴资本（元）',
    '登记状态',
    '企业类型',
    '国民经济行业代码',
    '经营范围',
    '住所',
    '所属区县',
    '联系电话',
    '网址',
    '核准日期',
    '登记机关',
    '股东及出资比例',
  ];
  const rows: string[] = [csvRow(header)];
  let skipped = 0;
  let n = 0;
  const input = open(dir, 'registrations.ndjson');
  if (input) {
    for await (const line of lines(input, 'utf8')) {
      if (line.trim() === '') continue;
      let r: Record<string, unknown>;
      try {
        r = JSON.parse(line) as Record<string, unknown>;
        if (typeof r !== 'object' || r === null || Array.isArray(r))
          throw new Error('not an object');
      } catch {
        skipped++;
        continue;
      }
      n++;
      const cap = r['registered_capital_wan'];
      const paid = r['paid_in_capital_wan'];
      const phone = text(r['phone']);
      const holders = Array.isArray(r['shareholders'])
        ? (r['shareholders'] as { name?: string; share_pct?: number }[])
            .map((s) => `${s.name ?? ''}${s.share_pct === undefined ? '' : `(${s.share_pct}%)`}`)
            .join('；')
        : '';
      rows.push(
        csvRow([
          text(r['uscc']),
          text(r['name']),
          text(r['legal_rep']),
          chineseDate(r['established_on']),
          typeof cap === 'number' ? `${cap}万人民币` : text(cap),
          typeof paid === 'number' ? String(Math.round(paid * 10000 * 100) / 100) : text(paid),
          STATUS_WORDS[text(r['status'])] ?? text(r['status']),
          text(r['enterprise_type']),
          text(r['industry_code']),
          text(r['business_scope']),
          text(r['address']),
          text(r['district']),
          n % 3 === 0 ? fullWidthDigits(phone) : phone,
          text(r['website']),
          slashDate(r['as_of']),
          '珠海市市场监督管理局',
          holders,
        ]),
      );
    }
  }
  writeFileSync(out, iconv.encode(`${rows.join('\r\n')}\r\n`, 'gb18030'));
  return { file: out, rows: n, skipped };
}

async function writeAds(dir: string, out: string): Promise<LayoutSummary> {
  const header = [
    '监测编号',
    '发现时间',
    '媒介类型',
    '广告主',
    '广告主统一社会信用代码',
    '联系电话',
    '落地页',
    '广告标题',
    '广告内容',
  ];
  const rows: string[] = [csvRow(header)];
  let skipped = 0;
  let n = 0;
  const input = open(dir, 'ads.ndjson');
  if (input) {
    for await (const line of lines(input, 'utf8')) {
      if (line.trim() === '') continue;
      let r: Record<string, unknown>;
      try {
        r = JSON.parse(line) as Record<string, unknown>;
        if (typeof r !== 'object' || r === null || Array.isArray(r))
          throw new Error('not an object');
      } catch {
        skipped++;
        continue;
      }
      n++;
      rows.push(
        csvRow([
          text(r['ad_id']),
          slashMinutes(r['seen_at']),
          AD_CHANNEL_WORDS[text(r['channel'])] ?? text(r['channel']),
          text(r['advertiser_name']),
          text(r['advertiser_uscc']),
          text(r['phone']),
          text(r['url']),
          text(r['title']),
          text(r['text']),
        ]),
      );
    }
  }
  writeFileSync(out, `\ufeff${rows.join('\r\n')}\r\n`, 'utf8');
  return { file: out, rows: n, skipped };
}

const COMPLAINT_HEADER_TOP = [
  '工单编号',
  '来电信息',
  '来电信息',
  '被反映对象信息',
  '被反映对象信息',
  '诉求内容',
  '涉及金额（万元）',
  '所属区县',
  '诉求人编号',
  '办理状态',
];
const COMPLAINT_HEADER_SUB = [
  '',
  '来电时间',
  '来源渠道',
  '名称',
  '统一社会信用代码',
  '',
  '',
  '',
  '',
  '',
];

function quarterOf(iso: string): string {
  const m = /^(\d{4})-(\d{2})/.exec(iso);
  if (!m) return '其他';
  return `${m[1]}年第${Math.ceil(+m[2]! / 3)}季度`;
}

async function writeComplaints(dir: string, out: string): Promise<LayoutSummary> {
  const input = open(dir, 'complaints.csv');
  const bySheet = new Map<string, string[][]>();
  let n = 0;
  let skipped = 0;
  if (input) {
    let header: string[] | undefined;
    for await (const cells of csvRecords(lines(input, 'gb18030'))) {
      if (!header) {
        header = cells.map((c) => c.replace(/^\uFEFF/, ''));
        continue;
      }
      if (cells.length !== header.length) {
        skipped++;
        continue;
      }
      const r: Record<string, string> = {};
      header.forEach((h, i) => (r[h] = cells[i]!));
      const sheet = quarterOf(r['received_at'] ?? '');
      let list = bySheet.get(sheet);
      if (!list) bySheet.set(sheet, (list = []));
      list.push(header.map((h) => r[h] ?? ''));
      n++;
    }
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
      filename: out,
      useSharedStrings: true,
      useStyles: true,
    });
    let seq = 0;
    for (const [sheet, rows] of [...bySheet.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const ws = wb.addWorksheet(sheet);
      ws.columns = [16, 20, 12, 28, 22, 60, 14, 16, 12, 10].map((width) => ({ width }));
      ws.addRow([`珠海市12345政务服务便民热线 工单导出（${sheet}）`]);
      ws.addRow(COMPLAINT_HEADER_TOP);
      ws.addRow(COMPLAINT_HEADER_SUB);
      // merged cells as the hotline system writes them (the streaming writer needs them before
      // the rows are committed)
      ws.mergeCells('A1:J1');
      ws.mergeCells('A2:A3');
      ws.mergeCells('B2:C2');
      ws.mergeCells('D2:E2');
      for (const c of ['F', 'G', 'H', 'I', 'J']) ws.mergeCells(`${c}2:${c}3`);
      ws.getRow(3).commit();
      for (const r of rows) {
        const [id, at, channel, target, targetUscc, body, amount, ref, district] = r;
        seq++;
        const when = wallClock(at);
        // most times as Excel dates; some as bare serial numbers, some as text
        let atCell: Date | number | string = at ?? '';
        if (when) {
          if (seq % 5 === 0) atCell = when.getTime() / 86_400_000 + 25569;
          else if (seq % 7 === 0)
            atCell = `${when.getUTCFullYear()}年${when.getUTCMonth() + 1}月${when.getUTCDate()}日 ${String(when.getUTCHours()).padStart(2, '0')}:${String(when.getUTCMinutes()).padStart(2, '0')}:${String(when.getUTCSeconds()).padStart(2, '0')}`;
          else atCell = when;
        }
        const amountNumber =
          amount !== undefined && /^\d+(\.\d+)?$/.test(amount) ? Number(amount) / 10000 : amount;
        const row = ws.addRow([
          id,
          atCell,
          COMPLAINT_CHANNEL_WORDS[channel ?? ''] ?? channel,
          target,
          targetUscc,
          body,
          amountNumber === '' ? null : amountNumber,
          district,
          ref,
          seq % 3 === 0 ? '办理中' : '已办结',
        ]);
        if (atCell instanceof Date) row.getCell(2).numFmt = 'yyyy/m/d h:mm:ss';
        row.commit();
      }
      ws.commit();
    }
    const notes = wb.addWorksheet('说明');
    notes.addRow(['本表由12345热线系统导出；涉及金额单位为万元；来电时间为北京时间。']).commit();
    notes.commit();
    await wb.commit();
  }
  return { file: out, rows: n, skipped };
}

/** Writes the three layouts into `outDir` (default DIR/layouts) from the contract files in `dir`. */
export async function writeLayouts(
  dir: string,
  outDir = join(dir, 'layouts'),
): Promise<LayoutSummary[]> {
  mkdirSync(outDir, { recursive: true });
  return [
    await writeComplaints(dir, join(outDir, LAYOUT_FILES.complaints)),
    await writeRegister(dir, join(outDir, LAYOUT_FILES.registrations)),
    await writeAds(dir, join(outDir, LAYOUT_FILES.ads)),
  ];
}
