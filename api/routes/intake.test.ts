/**
 * The intake routes over HTTP (app.request, real DuckDB): roles, the streamed upload and its cap,
 * .xls refused, infer, preview, the background ingest with its counts and quarantine, the audit log.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../pipeline/config.ts';
import { openMigratedDb, type Db } from '../../pipeline/db/index.ts';
import { withUsccCheckChar } from '../../pipeline/feeds/index.ts';
import type { Role } from '../../pipeline/auth/index.ts';
import { createApp } from '../app.ts';
import { checkResponses } from '../_contract.ts';
import { roleTokens } from '../_fixtures.ts';

const USCC_1 = withUsccCheckChar('91440400MA4UABC12');
const USCC_2 = withUsccCheckChar('91440402MA5XYW001');

/** A register extract as an office gets it: GBK, Chinese headers, 万元, Chinese dates. */
const REGISTER = iconv.encode(
  [
    '统一社会信用代码,企业名称,法定代表人,成立日期,注册资本,实缴资本（元）,登记状态,企业类型,国民经济行业代码,经营范围,住所,所属区县,联系电话,网址,核准日期,登记机关,股东及出资比例',
    `${USCC_1},珠海鑫盛财富管理有限公司,王建国,2019年5月17日,1000万人民币,500000,存续（在营、开业、在册）,有限责任公司,L7212,财富管理咨询,珠海市香洲区人民东路1号,香洲区,０７５６－２２２３３４４,,2026/3/1,珠海市市场监督管理局,王建国(100%)`,
    `${USCC_2},珠海华泰餐饮有限公司,李梅,2021年11月2日,50万人民币,,注销,有限责任公司,H6210,餐饮服务,珠海市金湾区红旗镇,金湾区,,,2026/3/1,珠海市市场监督管理局,`,
    `${USCC_2.slice(0, 17)}0,坏代码公司,李梅,2021年11月2日,50万人民币,,存续,有限责任公司,H6210,餐饮服务,珠海市金湾区,金湾区,,,2026/3/1,,`,
  ].join('\r\n') + '\r\n',
  'gb18030',
);

let db: Db;
let app: ReturnType<typeof createApp>;
let tokens: Record<Role, string>;
let uploadDir: string;

beforeAll(async () => {
  db = await openMigratedDb(':memory:');
  tokens = await roleTokens(db);
  uploadDir = mkdtempSync(join(tmpdir(), 'dafei-uploads-'));
  const base = loadConfig({});
  app = createApp({
    db,
    config: { ...base, intake: { upload_dir: uploadDir, max_upload_mb: 0.05 } },
    log: () => {},
    dashboard: false,
  });
  checkResponses(app);
});

afterAll(() => app.dafei.deps.db.close());

const auth = (role: Role) => ({ authorization: `Bearer ${tokens[role]}` });

function upload(
  name: string,
  body: Uint8Array | ReadableStream,
  role: Role = 'data_scientist',
  headers: Record<string, string> = {},
) {
  return app.request(`/v1/intake/uploads?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { ...auth(role), 'content-type': 'application/octet-stream', ...headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
}

function post(path: string, body: unknown, role: Role = 'data_scientist') {
  return app.request(path, {
    method: 'POST',
    headers: { ...auth(role), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function json<T = Record<string, unknown>>(r: Response): Promise<T> {
  return (await r.json()) as T;
}

/** Waits (without a clock) until the background ingest of `id` is no longer running. */
async function settled(id: number): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100_000; i++) {
    const u = await json(await app.request(`/v1/intake/uploads/${id}`, { headers: auth('admin') }));
    if (u['status'] !== 'ingesting') return u;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('the ingest did not finish');
}

describe('intake routes', () => {
  it('are for data scientists and admins only (and refusals are audited)', async () => {
    for (const role of ['regulator', 'investigator'] as const) {
      expect((await app.request('/v1/intake/templates', { headers: auth(role) })).status).toBe(403);
      expect((await upload('a.csv', new Uint8Array([49]), role)).status).toBe(403);
    }
    expect((await app.request('/v1/intake/templates')).status).toBe(401);
    const denied = await db.all<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM audit_log WHERE action = 'auth.denied' AND target LIKE '% /v1/intake/%'`,
    );
    expect(denied[0]!.n).toBe(4);
  });

  it('lists the templates', async () => {
    const r = await json<{ items: { id: string; feed: string }[] }>(
      await app.request('/v1/intake/templates', { headers: auth('admin') }),
    );
    expect(r.items.map((t) => `${t.id}:${t.feed}`)).toEqual([
      'ad-monitor-csv:ads',
      'hotline-12345-xlsx:complaints',
      'market-register-csv:registrations',
    ]);
  });

  it('upload → infer → preview → ingest → counts and quarantine naming the source column; all audited', async () => {
    const up = await upload('企业登记信息.csv', REGISTER);
    expect(up.status).toBe(201);
    const u = await json<{
      upload_id: number;
      status: string;
      bytes: number;
      stored_path?: string;
    }>(up);
    expect(u).toMatchObject({ status: 'uploaded', bytes: REGISTER.length });
    expect(u.stored_path).toBeUndefined();

    const inf = await json<{ feed: string; columns: { header: string; field: string | null }[] }>(
      await post(`/v1/intake/uploads/${u.upload_id}/infer`, {}),
    );
    expect(inf.feed).toBe('registrations');
    expect(inf.columns.find((c) => c.header === '实缴资本（元）')?.field).toBe(
      'paid_in_capital_wan',
    );

    const pv = await post(`/v1/intake/uploads/${u.upload_id}/preview`, {
      template: 'market-register-csv',
    });
    expect(pv.status).toBe(200);
    const report = await json<{
      read: number;
      mapped: number;
      quarantined: number;
      sample: Record<string, unknown>[];
    }>(pv);
    expect(report).toMatchObject({ read: 3, mapped: 2, quarantined: 1 });
    expect(report.sample[0]).toMatchObject({ uscc: USCC_1, paid_in_capital_wan: '50' });
    // the rows as they would land carry personal data by the catalogue: a data scientist (this
    // caller) gets no phone or legal representative
    expect(report.sample[0]).not.toHaveProperty('phone');
    expect(report.sample[0]).not.toHaveProperty('legal_rep');

    const ing = await post(`/v1/intake/uploads/${u.upload_id}/ingest`, {
      template: 'market-register-csv',
    });
    expect(ing.status).toBe(202);
    const done = await settled(u.upload_id);
    expect(done['status']).toBe('done');
    const counts = (done['ingest'] as { counts: Record<string, unknown> }).counts;
    expect(counts).toMatchObject({
      read: 3,
      accepted: 2,
      duplicate: 0,
      corrected: 0,
      quarantined: 1,
    });
    const batch = (counts['batch_ids'] as number[])[0]!;
    const q = await json<{ items: { reason: string; line_no: number }[] }>(
      await app.request(`/v1/quarantine?batch=${batch}`, { headers: auth('admin') }),
    );
    expect(q.items).toEqual([
      expect.objectContaining({
        line_no: 4,
        reason: expect.stringMatching(/^「统一社会信用代码」 → uscc .*check/) as string,
      }),
    ]);
    const names = await db.all<{ name: string }>(`SELECT name FROM registrations ORDER BY name`);
    expect(names.map((n) => n.name)).toEqual(['珠海华泰餐饮有限公司', '珠海鑫盛财富管理有限公司']);
    // the run is in the ledger beside the scheduled pulls
    const runs = await json<{ items: { job: string; status: string; target: string }[] }>(
      await app.request('/v1/runs?job=intake', { headers: auth('admin') }),
    );
    expect(runs.items[0]).toMatchObject({
      job: 'intake',
      status: 'ok',
      target: '企业登记信息.csv',
    });
    const actions = await db.all<{ action: string; target: string }>(
      `SELECT action, target FROM audit_log WHERE action LIKE 'intake.%' ORDER BY audit_id`,
    );
    expect(actions.map((a) => a.action)).toEqual([
      'intake.upload',
      'intake.infer',
      'intake.preview',
      'intake.ingest',
      'intake.ingested',
    ]);
    expect(new Set(actions.map((a) => a.target))).toEqual(new Set([`upload:${u.upload_id}`]));
  });

  it('says why a mapping does not fit the file (422), listing its header', async () => {
    const u = await json<{ upload_id: number }>(await upload('register.csv', REGISTER));
    const pv = await post(`/v1/intake/uploads/${u.upload_id}/preview`, {
      template: 'ad-monitor-csv',
    });
    expect(pv.status).toBe(422);
    expect((await json<{ detail: string }>(pv)).detail).toMatch(
      /lacks the column\(s\) 「监测编号」.*its header is: 「统一社会信用代码」/,
    );
    const bad = await post(`/v1/intake/uploads/${u.upload_id}/preview`, {
      mapping: { name: 'x', feed: 'ads', fields: {} },
    });
    expect(bad.status).toBe(422);
    expect((await json<{ detail: string }>(bad)).detail).toMatch(
      /fields\.ad_id: required by ads but not mapped/,
    );
  });

  it('refuses a file larger than intake.max_upload_mb, by its length or while streaming it, keeping nothing', async () => {
    const big = new Uint8Array(60 * 1024).fill(65);
    const r1 = await upload('big.csv', big);
    expect(r1.status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 8; i++) c.enqueue(new Uint8Array(16 * 1024).fill(66));
        c.close();
      },
    });
    const r2 = await upload('big2.csv', stream);
    expect(r2.status).toBe(413);
    expect((await json<{ detail: string }>(r2)).detail).toMatch(
      /larger than the 0 MB|intake\.max_upload_mb/,
    );
    expect(readdirSync(uploadDir).filter((f) => f.startsWith('.partial'))).toEqual([]);
    const n = await db.all<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM intake_uploads WHERE file_name LIKE 'big%'`,
    );
    expect(n[0]!.n).toBe(0);
  });

  it('refuses an old .xls and a renamed file with what to do (415)', async () => {
    const xls = await upload('工单.xls', new Uint8Array(Buffer.from('d0cf11e0a1b11ae1', 'hex')));
    expect(xls.status).toBe(415);
    expect((await json<{ detail: string }>(xls)).detail).toMatch(/save it as \.xlsx/);
    const fake = await upload('工单.xlsx', new Uint8Array(Buffer.from('工单编号,时间\n')));
    expect(fake.status).toBe(415);
    const exe = await upload('run.exe', new Uint8Array([77, 90]));
    expect(exe.status).toBe(415);
  });

  it('documents the upload body as a binary file in OpenAPI', async () => {
    const doc = await json<{
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
    }>(await app.request('/openapi.json', { headers: auth('admin') }));
    expect(Object.keys(doc.paths['/v1/intake/uploads']!['post']!.requestBody!.content)).toContain(
      'application/octet-stream',
    );
  });
});
