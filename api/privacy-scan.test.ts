/**
 * The personal-data scan: person names, phones and ID numbers planted where they really occur —
 * legal representatives and shareholders, a legal-representative change, a complainant who names
 * herself in her complaint, an ID number in an ad, a disposition note, raw quarantined lines — and
 * then every GET route the API declares, every export and every dashboard page, read as a
 * data_scientist and as a regulator: no body may contain what the role may not see
 * (pipeline/privacy). As an admin the same reads do contain them, so the scan can fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import type { Role } from '../pipeline/auth/index.ts';
import { createKit, type Kit } from './_test-kit.ts';

let k: Kit;
let scheme: string;
let alertId: string;

const COMPLAINANT = '刘晓梅';
const COMPLAINANT_PHONE = '13912345678';
const COMPLAINANT_ID = '110101199003074514';
const AD_ID_NUMBER = '440402198501011234';
const FORMER_REP = '赵德柱';
const QUARANTINE_PHONE = '13800138000';
const NOTE_PHONE = '13700001111';

let uploadId = 0;
beforeAll(async () => {
  k = await createKit({ enterprises: 40, days: 2 });
  scheme = k.city.schemes[0]!.uscc;
  alertId = `${k.city.lastDay}:${scheme}`;
  const db = k.db;
  // the complainant names herself, with her mobile and her ID number
  const c = await db.one<{ id: string }>(
    `SELECT complaint_id AS id FROM complaints_history WHERE target_uscc = $u ORDER BY received_day DESC LIMIT 1`,
    { u: scheme },
  );
  await db.run(
    `UPDATE complaints_history SET text = $t, complainant_ref = 'P424242' WHERE complaint_id = $id`,
    {
      id: c!.id,
      t: `我叫${COMPLAINANT}，身份证号${COMPLAINANT_ID}，手机${COMPLAINANT_PHONE}，投资5万元无法提现，客服失联`,
    },
  );
  // an ad that prints the legal representative's ID number
  const a = await db.one<{ id: string }>(
    `SELECT ad_id AS id FROM ads_history WHERE advertiser_uscc = $u ORDER BY seen_day DESC LIMIT 1`,
    { u: scheme },
  );
  await db.run(`UPDATE ads_history SET text = text || $t WHERE ad_id = $id`, {
    id: a!.id,
    t: `，法人身份证${AD_ID_NUMBER}，实力雄厚`,
  });
  // a change of legal representative: before / after are person names
  await db.run(
    `INSERT INTO registration_changes_history BY NAME
     SELECT $u AS uscc, ($d::DATE - 10) AS changed_on, 'legal_rep' AS field, $b AS "before", $a AS "after",
            'k-rep' AS _key, 'h-rep' AS _hash, 2 AS _batch, 99999 AS _line`,
    { u: scheme, d: k.city.lastDay, b: FORMER_REP, a: k.city.schemes[0]!.legal_rep },
  );
  // raw lines in the quarantine
  await db.run(
    `INSERT INTO quarantine VALUES
       (1, 'registrations', 'fixture/regs.ndjson', 9, $j, 'as_of: not a date', now()),
       (4, 'complaints', 'fixture/complaints.csv', 21, $csv, 'received_at: not a date', now())`,
    {
      j: JSON.stringify({
        uscc: scheme,
        name: '某某财富',
        legal_rep: FORMER_REP,
        phone: QUARANTINE_PHONE,
        as_of: '2026-13-01',
      }),
      csv: `C77,2026-02-30 10:00,hotline_12345,某某财富,,我叫${COMPLAINANT}电话${COMPLAINANT_PHONE},5000,P424242,香洲区`,
    },
  );
  // a reviewer's note with a person's name and phone
  const note = await k.post(
    `/v1/alerts/${alertId}/dispositions`,
    { status: '核查中', note: `已约谈${FORMER_REP}，电话${NOTE_PHONE}` },
    'investigator',
  );
  expect(note.status).toBe(201);
  // an office's own export, uploaded for import (数据导入): the ad text prints the complainant's
  // phone and ID number, and an unmapped column holds a person's ID number
  const csv = [
    '监测编号,发现时间,媒介类型,广告主,广告主统一社会信用代码,联系电话,落地页,广告标题,广告内容,联系人身份证',
    `AD-PII-1,2026/3/5 14:03,短信,某某财富,,${COMPLAINANT_PHONE},,高息理财,联系人${COMPLAINANT}电话${COMPLAINANT_PHONE}身份证${COMPLAINANT_ID}年化18%,${COMPLAINANT_ID}`,
  ].join('\n');
  const up = await k.app.request(`/v1/intake/uploads?name=${encodeURIComponent('广告线索.csv')}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${k.tokens.admin}`,
      'content-type': 'application/octet-stream',
    },
    body: new TextEncoder().encode(csv),
  });
  expect(up.status).toBe(201);
  uploadId = ((await up.json()) as { upload_id: number }).upload_id;
});
afterAll(() => k.close());

/** What a role must never receive. */
function forbidden(role: Role): string[] {
  const complainant = [COMPLAINANT, COMPLAINANT_PHONE, COMPLAINANT_ID, AD_ID_NUMBER, 'P424242'];
  if (role === 'regulator') return complainant;
  const ents = k.city.enterprises;
  return [
    ...complainant,
    FORMER_REP,
    QUARANTINE_PHONE,
    NOTE_PHONE,
    ...ents.map((e) => e.legal_rep),
    ...ents.map((e) => e.phone),
    ...ents.map((e) => e.phone.replace('-', '')),
  ];
}

async function bodyText(res: Response): Promise<string> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('spreadsheetml')) {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    const cells: string[] = [];
    wb.eachSheet((ws) => ws.eachRow((row) => row.eachCell((cell) => cells.push(cell.text))));
    return cells.join('\n');
  }
  if (type.includes('arrow') || type.includes('parquet')) {
    return Buffer.from(await res.arrayBuffer()).toString('latin1');
  }
  return res.text();
}

/** Every GET route the app declares, with its parameters filled, plus the dashboard pages. */
function paths(): string[] {
  const day = k.city.lastDay;
  const legalRep = k.city.schemes[0]!.legal_rep;
  const fill: Record<string, string[]> = {
    '/v1/alerts': [
      '/v1/alerts?limit=200',
      `/v1/alerts?limit=200&q=${encodeURIComponent(legalRep)}`,
    ],
    '/v1/alerts/:id': k.city.schemes.map((s) => `/v1/alerts/${day}:${s.uscc}`),
    '/v1/entities': [
      `/v1/entities?q=${encodeURIComponent(legalRep)}`,
      `/v1/entities?q=${encodeURIComponent('珠海')}&limit=200`,
    ],
    '/v1/entities/:uscc': [`/v1/entities/${scheme}`],
    '/v1/entities/:uscc/history': [`/v1/entities/${scheme}/history?limit=200`],
    '/v1/entities/:uscc/network': [`/v1/entities/${scheme}/network?limit=200`],
    '/v1/quarantine': ['/v1/quarantine?limit=200'],
    '/v1/audit': ['/v1/audit?limit=200'],
    '/v1/audit/export.ndjson': ['/v1/audit/export.ndjson'],
    '/v1/watchlists/:watchlist': ['/v1/watchlists/1?all=true'],
    '/v1/intake/templates/:template': ['/v1/intake/templates/ad-monitor-csv'],
    '/v1/intake/uploads/:upload': [`/v1/intake/uploads/${uploadId}`],
  };
  const out: string[] = [];
  for (const r of k.app.dafei.routes) {
    if (r.method !== 'get') continue;
    const p = r.path;
    if (fill[p]) out.push(...fill[p]);
    else if (p.startsWith('/v1/exports/')) out.push(`${p}?date=${day}`);
    else if (!p.includes(':')) out.push(p);
    else throw new Error(`the scan does not know how to fill ${p}: add it`);
  }
  out.push(
    '/ui/',
    `/ui/alerts/${alertId}`,
    `/ui/entities?q=${encodeURIComponent(legalRep)}`,
    `/ui/entities/${scheme}`,
    '/ui/runs?feed=registrations',
    '/ui/runs?feed=complaints',
    '/ui/models',
    '/ui/inbox',
    '/ui/inbox/settings',
    '/ui/watchlists',
  );
  return out;
}

async function read(path: string, role: Role): Promise<{ status: number; text: string }> {
  const res = path.startsWith('/ui/')
    ? await k.app.request(path, { headers: { cookie: `dafei_session=${k.tokens[role]}` } })
    : await k.get(path, role);
  return { status: res.status, text: await bodyText(res) };
}

describe('personal data scan', () => {
  it('an admin does receive the planted data (the scan can fail)', async () => {
    const all: string[] = [];
    for (const p of paths()) all.push((await read(p, 'admin')).text);
    const text = all.join('\n');
    for (const s of [COMPLAINANT, COMPLAINANT_PHONE, COMPLAINANT_ID, AD_ID_NUMBER, FORMER_REP]) {
      expect(text, s).toContain(s);
    }
    expect(text).toContain(QUARANTINE_PHONE);
    expect(text).toContain(NOTE_PHONE);
  });

  it('an uploaded export (数据导入): infer and the dry run hide it from a data_scientist, not an admin', async () => {
    const body = { template: 'ad-monitor-csv' };
    const reads = async (role: Role) => {
      const texts: string[] = [];
      for (const [path, b] of [
        [`/v1/intake/uploads/${uploadId}/infer`, {}],
        [`/v1/intake/uploads/${uploadId}/preview`, body],
      ] as const) {
        const res = await k.post(path, b, role);
        expect(res.status, path).toBe(200);
        texts.push(await res.text());
      }
      return texts.join('\n');
    };
    const admin = await reads('admin');
    for (const s of [COMPLAINANT_PHONE, COMPLAINANT_ID]) expect(admin).toContain(s);
    const ds = await reads('data_scientist');
    for (const s of [COMPLAINANT_PHONE, COMPLAINANT_ID]) expect(ds).not.toContain(s);
    expect(ds).toContain('年化18%');
  });

  for (const role of ['data_scientist', 'regulator'] as const) {
    it(`a ${role} never receives what the catalogue hides from the role`, async () => {
      const banned = forbidden(role);
      let allowed = 0;
      for (const p of paths()) {
        const { status, text } = await read(p, role);
        expect(status, p).toBeLessThan(500);
        if (status === 200) allowed++;
        for (const s of banned) {
          if (text.includes(s)) {
            const at = text.indexOf(s);
            throw new Error(
              `${role} got "${s}" from ${p}: …${text.slice(Math.max(0, at - 60), at + 60)}…`,
            );
          }
        }
      }
      expect(allowed).toBeGreaterThan(role === 'regulator' ? 15 : 8);
    });
  }

  it('a regulator still sees legal representatives, and complaint texts with the person masked', async () => {
    const d = (await (await k.get(`/v1/alerts/${alertId}`, 'regulator')).json()) as {
      alert: { legal_rep: string };
      evidence: {
        complaints: { items: { text: string }[] };
        register: { changes: { field: string; before: string }[] };
      };
    };
    expect(d.alert.legal_rep).toBe(k.city.schemes[0]!.legal_rep);
    expect(d.evidence.register.changes.find((c) => c.field === 'legal_rep')!.before).toBe(
      FORMER_REP,
    );
    const masked = d.evidence.complaints.items.find((c) => c.text.includes('无法提现，客服失联'))!;
    expect(masked.text).toMatch(/^我叫\*{3}，身份证号\*{18}，手机\*{11}，/);
  });

  it('searching by a person is a permission: a regulator finds no enterprise by its legal representative', async () => {
    const rep = k.city.schemes[0]!.legal_rep;
    const asRegulator = (await (
      await k.get(`/v1/entities?q=${encodeURIComponent(rep)}`, 'regulator')
    ).json()) as { items: { match: string }[] };
    expect(asRegulator.items.some((i) => i.match === 'legal_rep')).toBe(false);
    const asInvestigator = (await (
      await k.get(`/v1/entities?q=${encodeURIComponent(rep)}`, 'investigator')
    ).json()) as { items: { match: string }[] };
    expect(asInvestigator.items.some((i) => i.match === 'legal_rep')).toBe(true);
    expect((await k.get('/v1/entities?q=0756-2000000', 'regulator')).status).toBe(400);
    const list = (await (
      await k.get(`/v1/alerts?limit=200&q=${encodeURIComponent(rep)}`, 'regulator')
    ).json()) as { items: unknown[] };
    const listInv = (await (
      await k.get(`/v1/alerts?limit=200&q=${encodeURIComponent(rep)}`, 'investigator')
    ).json()) as { items: unknown[] };
    expect(list.items.length).toBeLessThan(listInv.items.length);
    const audited = await k.db.all<{ detail: string }>(
      `SELECT detail::VARCHAR AS detail FROM audit_log WHERE action = 'entity.search' AND actor = 'test-investigator'`,
    );
    expect(audited.some((a) => a.detail.includes('"matched_person":true'))).toBe(true);
  });

  it('list pages with personal data are audited with client, agent and request id; a data scientist’s are not', async () => {
    const before = await k.db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM audit_log WHERE action = 'alert.list'`,
    );
    const res = await k.app.request('/v1/alerts?limit=5', {
      headers: { authorization: `Bearer ${k.tokens.regulator}`, 'user-agent': 'scan-agent/1' },
    });
    expect(res.status).toBe(200);
    const rid = res.headers.get('x-request-id');
    const row = await k.db.one<{ user_agent: string; request_id: string; detail: string }>(
      `SELECT user_agent, request_id, detail::VARCHAR AS detail FROM audit_log WHERE action = 'alert.list' ORDER BY audit_id DESC LIMIT 1`,
    );
    expect(row).toMatchObject({ user_agent: 'scan-agent/1', request_id: rid });
    expect(JSON.parse(row!.detail)).toMatchObject({ rows: 5, first_rank: 1 });
    await k.get('/v1/alerts?limit=5', 'data_scientist');
    const after = await k.db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM audit_log WHERE action = 'alert.list'`,
    );
    expect(after!.n).toBe(before!.n + 1);
  });
});
