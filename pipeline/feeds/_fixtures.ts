/** Test fixtures: valid records of every feed, and writers for every file form the contract allows. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import type { FeedName } from './specs.ts';
import { withUsccCheckChar } from './uscc.ts';

export const USCC_A = withUsccCheckChar('91440400MA4UABC12');
export const USCC_B = withUsccCheckChar('91440402MA5XYW001');
export const USCC_C = withUsccCheckChar('92440400L12345678');

export type Rec = Record<string, unknown>;

export const GOOD: Record<FeedName, Rec[]> = {
  registrations: [
    {
      uscc: USCC_A,
      name: '珠海鑫盛财富管理有限公司',
      as_of: '2026-01-05',
      established_on: '2025-11-20',
      legal_rep: '张伟',
      registered_capital_wan: 5000,
      paid_in_capital_wan: 0,
      status: '存续',
      enterprise_type: '有限责任公司(自然人独资)',
      industry_code: 'L7212',
      business_scope: '投资咨询；资产管理（不含金融业务）',
      address: '珠海市横琴新区宝华路6号105室-1234',
      district: '横琴粤澳深度合作区',
      phone: '0756-1234567',
      website: 'xinsheng-wealth.cn',
    },
    {
      uscc: USCC_B,
      name: '珠海市香洲区美味餐饮店',
      as_of: '2026-01-05',
      status: '在业',
      industry_code: 'H6210',
      district: '香洲区',
    },
  ],
  registration_changes: [
    {
      uscc: USCC_A,
      changed_on: '2026-01-10',
      field: 'name',
      before: '珠海鑫盛科技有限公司',
      after: '珠海鑫盛财富管理有限公司',
    },
    {
      uscc: USCC_B,
      changed_on: '2026-02-01',
      field: 'address',
      before: '旧址',
      after: '香洲区凤凰路88号',
    },
  ],
  ads: [
    {
      ad_id: 'AD-1',
      seen_at: '2026-03-01T09:30:00+08:00',
      channel: 'wechat',
      advertiser_name: '鑫盛财富',
      phone: '13800138000',
      text: '保本保息，年化收益18%，推荐好友再返现金，名额有限！',
    },
    {
      ad_id: 'AD-2',
      seen_at: '2026-03-02 10:00:00',
      channel: 'web',
      advertiser_uscc: USCC_B,
      text: '新店开业，全场八折, "欢迎" 光临\n地址：凤凰路',
    },
  ],
  complaints: [
    {
      complaint_id: 'C-1',
      received_at: '2026-04-01T08:00:00+08:00',
      channel: 'hotline_12345',
      target_name: '鑫盛财富',
      text: '投资5万元到期无法提现，客服失联',
      amount_cny: 50000,
      complainant_ref: 'P-77',
      district: '香洲区',
    },
    {
      complaint_id: 'C-2',
      received_at: '2026-04-02T09:00:00Z',
      channel: 'portal',
      target_name: '美味餐饮',
      target_uscc: USCC_B,
      text: '预付卡退费难',
    },
  ],
  case_outcomes: [
    { uscc: USCC_A, decided_on: '2026-06-30', outcome: 'confirmed', case_ref: '珠公经(2026)12号' },
    { uscc: USCC_C, decided_on: '2026-05-01', outcome: 'cleared', note: '核查排除' },
  ],
};

export function tmpDir(prefix = 'dafei-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function toNdjson(records: Rec[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(records: Rec[], columns?: string[]): string {
  const cols = columns ?? [...new Set(records.flatMap((r) => Object.keys(r)))];
  const lines = [cols.join(','), ...records.map((r) => cols.map((c) => csvCell(r[c])).join(','))];
  return lines.join('\r\n') + '\r\n';
}

export interface WriteOptions {
  gzip?: boolean;
  bom?: boolean;
  gbk?: boolean;
}

/** Writes text as a file in `dir`; returns its path. */
export function writeFeedFile(
  dir: string,
  name: string,
  text: string,
  o: WriteOptions = {},
): string {
  let bytes: Buffer = o.gbk ? iconv.encode(text, 'gb18030') : Buffer.from(text, 'utf8');
  if (o.bom) bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
  if (o.gzip) bytes = gzipSync(bytes);
  const path = join(dir, o.gzip ? `${name}.gz` : name);
  writeFileSync(path, bytes);
  return path;
}
