import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableFromIPC } from 'apache-arrow';
import ExcelJS from 'exceljs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { literal } from '../pipeline/db/index.ts';
import { FEATURE_NAMES } from '../pipeline/features/index.ts';
import { createKit, problem, type Kit } from './_test-kit.ts';

let k: Kit;
const runs: string[] = [];
beforeAll(async () => {
  k = await createKit({ triggerRun: (day) => (runs.push(day), Promise.resolve()) });
});
afterAll(() => k.close());

interface AlertItem {
  id: string;
  rank: number;
  uscc: string;
  name: string;
  level: string;
  district: string;
  status: string;
  reasons: { text: string }[];
}
interface AlertPage {
  date: string;
  revision: number;
  items: AlertItem[];
  has_more: boolean;
  next_cursor: string | null;
}

describe('GET /v1/alerts', () => {
  it('lists the latest day in rank order with reasons in words', async () => {
    const res = await k.get('/v1/alerts?limit=5');
    expect(res.status).toBe(200);
    const page = await k.json<AlertPage>(res);
    expect(page.date).toBe(k.city.lastDay);
    expect(page.revision).toBe(1);
    expect(page.items.map((i) => i.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(page.items[0]!.id).toBe(`${k.city.lastDay}:${page.items[0]!.uscc}`);
    expect(page.items[0]!.level).toBe('red');
    expect(page.items[0]!.reasons[0]!.text).toMatch(/[\u4e00-\u9fff]/);
    expect(page.items[0]!.status).toBe('待核查');
    expect(page.has_more).toBe(true);
  });

  it('pages with a keyset cursor: every listed entry once, in order', async () => {
    const all = await k.json<AlertPage>(await k.get(`/v1/alerts?date=${k.city.lastDay}&limit=200`));
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: AlertPage = await k.json<AlertPage>(
        await k.get(
          `/v1/alerts?date=${k.city.lastDay}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        ),
      );
      seen.push(...page.items.map((i) => i.rank));
      cursor = page.next_cursor;
      expect(page.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(seen).toEqual(all.items.map((i) => i.rank));
    expect(all.has_more).toBe(false);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('a cursor pins the revision even when a new one is published', async () => {
    const day = k.city.days[0]!;
    const p1 = await k.json<AlertPage>(await k.get(`/v1/alerts?date=${day}&limit=2`));
    await k.db.run(
      `INSERT INTO list_revisions SELECT day, 2, now(), scorer, model_version, 'x', enterprises, listed, red, orange, yellow FROM list_revisions WHERE day = $d::DATE`,
      { d: day },
    );
    await k.db.run(
      `INSERT INTO list_entries SELECT day, 2, uscc, rank, score, level, rule_score, reasons, contributions, features FROM list_entries WHERE day = $d::DATE AND revision = 1`,
      { d: day },
    );
    const p2 = await k.json<AlertPage>(
      await k.get(`/v1/alerts?date=${day}&limit=2&cursor=${p1.next_cursor}`),
    );
    expect(p2.revision).toBe(1);
    expect(p2.items[0]!.rank).toBe(3);
    const fresh = await k.json<AlertPage>(await k.get(`/v1/alerts?date=${day}&limit=2`));
    expect(fresh.revision).toBe(2);
  });

  it('filters by level, district, status and q', async () => {
    const red = await k.json<AlertPage>(await k.get('/v1/alerts?level=red&limit=200'));
    expect(red.items.length).toBeGreaterThan(0);
    expect(red.items.every((i) => i.level === 'red')).toBe(true);
    const any = red.items[0]!;
    const byDistrict = await k.json<AlertPage>(
      await k.get(`/v1/alerts?district=${encodeURIComponent(any.district)}&limit=200`),
    );
    expect(byDistrict.items.every((i) => i.district === any.district)).toBe(true);
    const byQ = await k.json<AlertPage>(
      await k.get(`/v1/alerts?q=${encodeURIComponent(any.name.slice(2, 6))}`),
    );
    expect(byQ.items.map((i) => i.uscc)).toContain(any.uscc);
    const byUscc = await k.json<AlertPage>(await k.get(`/v1/alerts?q=${any.uscc}`));
    expect(byUscc.items.map((i) => i.uscc)).toEqual([any.uscc]);
    const inReview = await k.json<AlertPage>(
      await k.get(`/v1/alerts?status=${encodeURIComponent('核查中')}`),
    );
    expect(inReview.items).toEqual([]);
  });

  it('answers 404 problem for a day without a list', async () => {
    const res = await k.get('/v1/alerts?date=2020-01-01');
    expect(res.status).toBe(404);
    expect((await problem(res)).code).toBe('not_found');
  });
});

describe('GET /v1/alerts/{id}', () => {
  it('explains the score and marks red flags and yields in the ad evidence', async () => {
    const top = (await k.json<AlertPage>(await k.get('/v1/alerts?limit=1'))).items[0]!;
    const res = await k.get(`/v1/alerts/${top.id}`, 'investigator');
    expect(res.status).toBe(200);
    const d = await k.json<{
      alert: { uscc: string; score: number; model_version: number };
      explanation: string[];
      evidence: {
        ads: {
          total: number;
          items: {
            text: string;
            spans: { start: number; end: number; kind: string; term: string }[];
          }[];
        };
        complaints: {
          items: { complainant_ref: string; spans: { kind: string; family: string }[] }[];
        };
        register: { changes: unknown[]; anomalies: { text: string }[] };
        network: { neighbours: unknown[] };
      };
      dispositions: unknown[];
    }>(res);
    expect(d.alert.uscc).toBe(top.uscc);
    expect(d.explanation.length).toBeGreaterThan(0);
    expect(d.evidence.ads.total).toBeGreaterThan(0);
    const ad = d.evidence.ads.items[0]!;
    const flags = ad.spans.filter((s) => s.kind === 'red_flag');
    expect(flags.length).toBeGreaterThan(0);
    for (const s of ad.spans) expect(s.end).toBeGreaterThan(s.start);
    // the span text is in the original ad text
    expect(ad.text.slice(flags[0]!.start, flags[0]!.end).length).toBe(
      flags[0]!.end - flags[0]!.start,
    );
    const withYield = d.evidence.ads.items.find((a) => a.spans.some((s) => s.kind === 'yield'));
    if (withYield) expect(withYield.spans.find((s) => s.kind === 'yield')!.term).toMatch(/\d/);
    expect(d.evidence.complaints.items[0]!.complainant_ref).toMatch(/^P\d+/);
    expect(d.evidence.complaints.items[0]!.spans.some((s) => s.family === 'trouble')).toBe(true);
    expect(d.evidence.register.anomalies.length).toBeGreaterThan(0);
  });

  it('shows the network of the first scheme, with the confirmed case', async () => {
    const s = k.city.schemes[0]!;
    const entry = await k.db.one<{ day: string }>(
      `SELECT day::VARCHAR AS day FROM list_entries WHERE uscc = $u AND level IS NOT NULL ORDER BY day DESC LIMIT 1`,
      { u: s.uscc },
    );
    const d = await k.json<{
      evidence: {
        network: {
          neighbours: { uscc: string; confirmed: boolean; kinds: string[] }[];
          confirmed_neighbours: number;
        };
      };
    }>(await k.get(`/v1/alerts/${entry!.day}:${s.uscc}`));
    const usccs = d.evidence.network.neighbours.map((n) => n.uscc);
    for (const l of k.city.linked) expect(usccs).toContain(l.uscc);
    expect(d.evidence.network.confirmed_neighbours).toBe(1);
  });

  it('404 for an enterprise not on that list', async () => {
    const unlisted = await k.db.one<{ uscc: string }>(
      `SELECT uscc FROM list_entries WHERE day = $d::DATE AND level IS NULL LIMIT 1`,
      { d: k.city.lastDay },
    );
    const res = await k.get(`/v1/alerts/${k.city.lastDay}:${unlisted!.uscc}`);
    expect(res.status).toBe(404);
    await problem(res);
  });
});

describe('dispositions', () => {
  it('walk the workflow, write case outcomes that add up, and are audited', async () => {
    const top = (await k.json<AlertPage>(await k.get('/v1/alerts?limit=1'))).items[0]!;
    const path = `/v1/alerts/${top.id}/dispositions`;
    const r1 = await k.post(
      path,
      { status: '核查中', assignee: '李明', note: '调取银行流水' },
      'regulator',
    );
    expect(r1.status).toBe(201);
    const e1 = await k.json<{
      status: string;
      assignee: string;
      actor: string;
      role: string;
      at: string;
    }>(r1);
    expect(e1).toMatchObject({
      status: '核查中',
      assignee: '李明',
      actor: 'test-regulator',
      role: 'regulator',
    });
    expect(e1.at).toMatch(/\+08:00$/);
    // reassign keeps the state
    const r2 = await k.post(path, { status: '核查中', assignee: '王芳' }, 'investigator');
    expect(r2.status).toBe(201);
    // the list shows the state
    const list = await k.json<AlertPage>(
      await k.get(`/v1/alerts?status=${encodeURIComponent('核查中')}`),
    );
    expect(list.items.map((i) => i.uscc)).toEqual([top.uscc]);
    // skipping back is refused and changes nothing
    const before = await k.snapshot();
    const bad = await k.post(path, { status: '待核查' }, 'regulator');
    expect(bad.status).toBe(409);
    expect((await problem(bad)).code).toBe('conflict');
    expect(await k.snapshot()).toEqual(before);
    // 认定 is a proposal: nothing is decided until a second person approves it
    const r3p = await k.post(
      path,
      { status: '认定', note: '移送公安', case_ref: '珠公经〔2026〕12号' },
      'investigator',
    );
    expect(r3p.status).toBe(202);
    const proposal = await k.json<{ approval_id: number; state: string }>(r3p);
    expect(proposal.state).toBe('pending');
    expect(
      (await k.db.one<{ n: number }>(
        `SELECT count(*)::INTEGER AS n FROM case_outcomes WHERE uscc = $u`,
        {
          u: top.uscc,
        },
      ))!.n,
    ).toBe(0);
    // 认定 writes a confirmed outcome in its own batch when approved
    const r3 = await k.post(
      `/v1/approvals/${proposal.approval_id}/decision`,
      { decision: 'approve' },
      'regulator',
    );
    expect(r3.status).toBe(201);
    const e3 = (await k.json<{ disposition: { outcome_batch: number; assignee: string } }>(r3))
      .disposition;
    expect(e3.assignee).toBe('王芳');
    const outcome = await k.db.one<{ outcome: string; decided_on: string; case_ref: string }>(
      `SELECT outcome, decided_on::VARCHAR AS decided_on, case_ref FROM case_outcomes WHERE uscc = $u AND _batch = $b`,
      { u: top.uscc, b: e3.outcome_batch },
    );
    expect(outcome).toEqual({
      outcome: 'confirmed',
      decided_on: '2026-04-01',
      case_ref: '珠公经〔2026〕12号',
    });
    const batch = await k.db.one<{
      source: string;
      read: number;
      accepted: number;
      duplicate: number;
      corrected: number;
      quarantined: number;
    }>(
      `SELECT source, read::INTEGER AS read, accepted::INTEGER AS accepted, duplicate::INTEGER AS duplicate,
              corrected::INTEGER AS corrected, quarantined::INTEGER AS quarantined FROM ingest_batches WHERE batch_id = $b`,
      { b: e3.outcome_batch },
    );
    expect(batch).toMatchObject({ source: 'dispositions', read: 1, accepted: 1 });
    expect(batch!.read).toBe(
      batch!.accepted + batch!.duplicate + batch!.corrected + batch!.quarantined,
    );
    // closed: nothing more
    expect((await k.post(path, { status: '排除' }, 'admin')).status).toBe(409);
    // audit
    const audit = await k.db.all<{ actor: string; action: string; target: string }>(
      `SELECT actor, action, target FROM audit_log WHERE target = $t AND action LIKE 'disposition.%' ORDER BY audit_id`,
      { t: top.id },
    );
    expect(audit.map((a) => a.action)).toEqual([
      'disposition.create',
      'disposition.create',
      'disposition.rejected',
      'disposition.rejected',
    ]);
    const approvals = await k.db.all<{ action: string }>(
      `SELECT action FROM audit_log WHERE target = $t AND action LIKE 'approval.%' ORDER BY audit_id`,
      { t: top.id },
    );
    expect(approvals.map((a) => a.action)).toEqual(['approval.propose', 'approval.approved']);
    // the timeline has it
    const h = await k.json<{ items: { kind: string; summary: string }[] }>(
      await k.get(`/v1/entities/${top.uscc}/history?kinds=disposition,outcome`, 'investigator'),
    );
    expect(h.items.map((i) => i.kind).sort()).toEqual([
      'disposition',
      'disposition',
      'disposition',
      'outcome',
    ]);
    const h2 = await k.json<{ items: { kind: string; summary: string }[] }>(
      await k.get(`/v1/entities/${top.uscc}/history?kinds=approval`, 'investigator'),
    );
    expect(h2.items.map((i) => i.summary)).toEqual([
      '批准认定',
      '提请认定，待第二人批准（移送公安）',
    ]);
  });

  it('排除 writes a cleared outcome', async () => {
    const alerts = (await k.json<AlertPage>(await k.get('/v1/alerts?limit=5'))).items;
    const a = alerts.find((x) => x.status === '待核查')!;
    const path = `/v1/alerts/${a.id}/dispositions`;
    expect((await k.post(path, { status: '核查中' }, 'regulator')).status).toBe(201);
    const r = await k.post(path, { status: '排除', note: '正常经营' }, 'regulator');
    expect(r.status).toBe(202);
    const { approval_id } = await k.json<{ approval_id: number }>(r);
    expect(
      (await k.post(`/v1/approvals/${approval_id}/decision`, { decision: 'approve' }, 'admin'))
        .status,
    ).toBe(201);
    const o = await k.db.one<{ outcome: string }>(
      `SELECT outcome FROM case_outcomes WHERE uscc = $u`,
      { u: a.uscc },
    );
    expect(o!.outcome).toBe('cleared');
  });
});

describe('entities', () => {
  it('finds by name fragment, fuzzy name, former name, USCC, legal rep, phone and address', async () => {
    const e = k.city.schemes[0]!;
    const search = async (q: string) =>
      (
        await k.json<{ items: { uscc: string; match: string }[] }>(
          await k.get(`/v1/entities?q=${encodeURIComponent(q)}`, 'investigator'),
        )
      ).items;
    expect((await search(e.name.slice(2, 6))).map((i) => i.uscc)).toContain(e.uscc);
    expect((await search(e.uscc))[0]).toMatchObject({ uscc: e.uscc, match: 'uscc' });
    expect((await search(e.uscc.toLowerCase()))[0]!.uscc).toBe(e.uscc);
    expect((await search(e.legal_rep)).map((i) => i.uscc)).toContain(e.uscc);
    expect((await search(e.phone)).map((i) => i.uscc)).toContain(e.uscc);
    expect((await search(e.phone.replace('-', ''))).map((i) => i.uscc)).toContain(e.uscc);
    expect((await search(e.address.slice(3, 12))).map((i) => i.uscc)).toContain(e.uscc);
    // full-width and spaces are normalised; one wrong character in a 6-character core (3 of its 5
    // bigrams intact) still finds it
    const long = k.city.schemes.find((s) => s.name.slice(2, -4).length >= 6)!;
    const core = long.name.slice(2, -4);
    const typo = core.slice(0, 1) + (core[1] === '汇' ? '鑫' : '汇') + core.slice(2);
    expect((await search(` ${typo} `)).map((i) => i.uscc)).toContain(long.uscc);
    // former name (the fixture renamed even-indexed schemes)
    const former = await k.db.one<{ before: string }>(
      `SELECT "before" FROM registration_changes WHERE uscc = $u AND field = 'name'`,
      { u: e.uscc },
    );
    expect((await search(former!.before)).map((i) => i.uscc)).toContain(e.uscc);
  });

  it('profile, history (paged, newest first) and network', async () => {
    const e = k.city.schemes[0]!;
    const p = await k.json<{
      uscc: string;
      name: string;
      former_names: string[];
      counts: { ads: number; complaints: number };
    }>(await k.get(`/v1/entities/${e.uscc}`, 'investigator'));
    expect(p).toMatchObject({ uscc: e.uscc, name: e.name });
    expect(p.counts.ads).toBeGreaterThan(0);
    expect(p.former_names.length).toBe(1);

    const keys: string[] = [];
    const kinds = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: {
        items: { key: string; kind: string; at: string }[];
        next_cursor: string | null;
      } = await k.json(
        await k.get(
          `/v1/entities/${e.uscc}/history?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
          'investigator',
        ),
      );
      for (const i of page.items) {
        keys.push(i.key);
        kinds.add(i.kind);
        expect(i.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
      }
      cursor = page.next_cursor;
    } while (cursor);
    expect([...keys].sort().reverse()).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
    for (const kind of ['established', 'change', 'ad', 'complaint', 'score'])
      expect(kinds).toContain(kind);

    const net = await k.json<{ neighbours: { uscc: string; shared: Record<string, string> }[] }>(
      await k.get(`/v1/entities/${e.uscc}/network`, 'investigator'),
    );
    const n = net.neighbours.find((x) => x.uscc === k.city.linked[0]!.uscc)!;
    expect(n.shared).toMatchObject({ legal_rep: e.legal_rep, phone: e.phone });
  });

  it('404 problem for an unknown but valid USCC', async () => {
    const res = await k.get('/v1/entities/91350100M000100Y43', 'investigator');
    expect(res.status).toBe(404);
    await problem(res);
  });

  it('every entity read is in the audit log', async () => {
    const e = k.city.schemes[1]!;
    const before = (await k.db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM audit_log WHERE target = $u`,
      { u: e.uscc },
    ))!.n;
    await k.get(`/v1/entities/${e.uscc}`, 'regulator');
    await k.get(`/v1/entities/${e.uscc}/history`, 'regulator');
    await k.get(`/v1/entities/${e.uscc}/network`, 'regulator');
    const rows = await k.db.all<{ actor: string; role: string; action: string }>(
      `SELECT actor, role, action FROM audit_log WHERE target = $u ORDER BY audit_id`,
      { u: e.uscc },
    );
    expect(rows.length - before).toBe(3);
    expect(rows.slice(-3)).toEqual([
      { actor: 'test-regulator', role: 'regulator', action: 'entity.read' },
      { actor: 'test-regulator', role: 'regulator', action: 'entity.history' },
      { actor: 'test-regulator', role: 'regulator', action: 'entity.network' },
    ]);
  });
});

describe('models and runs', () => {
  it('lists versions, activates and rolls back', async () => {
    const list = await k.json<{
      active_version: number;
      items: { version: number; metrics: unknown }[];
    }>(await k.get('/v1/models'));
    expect(list.active_version).toBe(2);
    expect(list.items.map((m) => m.version)).toEqual([1, 2]);
    const a = await k.post('/v1/models/1/activate', { note: 'v2 drifts' }, 'data_scientist');
    expect(a.status).toBe(200);
    expect(await k.json(a)).toEqual({ active_version: 1 });
    const rb = await k.post('/v1/models/rollback', {}, 'data_scientist');
    expect(await k.json(rb)).toEqual({ active_version: 2 });
    const missing = await k.post('/v1/models/99/activate', {}, 'admin');
    expect(missing.status).toBe(404);
    await problem(missing);
    const log = await k.db.all<{ action: string; actor: string }>(
      `SELECT action, actor FROM model_activations WHERE actor = 'test-data_scientist' ORDER BY seq`,
    );
    expect(log).toEqual([
      { action: 'activate', actor: 'test-data_scientist' },
      { action: 'rollback', actor: 'test-data_scientist' },
    ]);
  });

  it('run ledger pages; a run can be triggered', async () => {
    const p = await k.json<{ items: { run_id: number; status: string }[]; next_cursor: string }>(
      await k.get('/v1/runs?limit=2'),
    );
    expect(p.items.length).toBe(2);
    const p2 = await k.json<{ items: { run_id: number }[] }>(
      await k.get(`/v1/runs?limit=2&cursor=${p.next_cursor}`),
    );
    expect(p2.items[0]!.run_id).toBeLessThan(p.items[1]!.run_id);
    const failed = await k.json<{ items: { status: string }[] }>(
      await k.get('/v1/runs?status=failed'),
    );
    expect(failed.items.every((r) => r.status === 'failed')).toBe(true);
    const t = await k.post('/v1/runs', { date: '2026-04-01' }, 'admin');
    expect(t.status).toBe(202);
    expect(runs).toEqual(['2026-04-01']);
  });

  it('POST /v1/runs is 503 without a scheduler', async () => {
    const k2 = await createKit({ enterprises: 10, days: 1 });
    try {
      const res = await k2.post('/v1/runs', { date: '2026-04-01' }, 'admin');
      expect(res.status).toBe(503);
      expect((await problem(res)).code).toBe('unavailable');
    } finally {
      k2.close();
    }
  });

  it('quarantine browse', async () => {
    const q = await k.json<{ items: { feed: string; reason: string; line_no: number }[] }>(
      await k.get('/v1/quarantine?feed=complaints', 'data_scientist'),
    );
    expect(q.items).toEqual([
      expect.objectContaining({
        feed: 'complaints',
        line_no: 17,
        reason: expect.stringContaining('not a date') as unknown,
      }),
    ]);
  });
});

describe('exports', () => {
  it('CSV is UTF-8 with BOM, one row per listed entry, reasons in words', async () => {
    const res = await k.get(`/v1/exports/alerts.csv?date=${k.city.lastDay}`, 'regulator');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain(`alerts-${k.city.lastDay}.csv`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes.slice(3)).trim().split('\n');
    expect(lines[0]).toBe(
      'date,revision,rank,uscc,name,district,legal_rep,score,level,rule_score,change,status,reasons,office,overall_rank',
    );
    const listed = (await k.db.one<{ n: number }>(
      `SELECT listed AS n FROM list_revisions WHERE day = $d::DATE`,
      { d: k.city.lastDay },
    ))!.n;
    expect(lines.length - 1).toBe(listed);
    expect(lines[1]).toMatch(/^2026-03-31,1,1,/);
    expect(lines[1]).toMatch(/承诺年化收益/);
  });

  it('NDJSON and XLSX carry the same rows', async () => {
    const nd = await (
      await k.get(`/v1/exports/alerts.ndjson?date=${k.city.lastDay}`, 'regulator')
    ).text();
    const rows = nd
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rank: number; uscc: string; reasons: string[] });
    expect(rows[0]!.rank).toBe(1);
    expect(Array.isArray(rows[0]!.reasons)).toBe(true);
    const x = await k.get(`/v1/exports/alerts.xlsx?date=${k.city.lastDay}`, 'regulator');
    const buf = Buffer.from(await x.arrayBuffer());
    expect(buf.subarray(0, 2).toString()).toBe('PK');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect(ws.rowCount).toBe(rows.length + 1);
    expect(ws.getRow(2).getCell(4).value).toBe(rows[0]!.uscc);
  });

  it('features as Arrow IPC stream and Parquet', async () => {
    const arrow = await k.get(
      `/v1/exports/features.arrow?date=${k.city.lastDay}`,
      'data_scientist',
    );
    expect(arrow.status).toBe(200);
    const table = tableFromIPC(new Uint8Array(await arrow.arrayBuffer()));
    expect(table.numRows).toBe(k.city.enterprises.length);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['as_of', 'uscc', ...FEATURE_NAMES]);
    const pq = await k.get(`/v1/exports/features.parquet?date=${k.city.lastDay}`, 'data_scientist');
    const dir = mkdtempSync(join(tmpdir(), 'dafei-pq-'));
    try {
      const path = join(dir, 'f.parquet');
      writeFileSync(path, Buffer.from(await pq.arrayBuffer()));
      const n = await k.db.one<{ n: number; cols: number }>(
        `SELECT count(*)::INTEGER AS n, (SELECT count(*) FROM parquet_schema(${literal(path)}))::INTEGER AS cols FROM read_parquet(${literal(path)})`,
      );
      expect(n!.n).toBe(k.city.enterprises.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('404 when there is nothing to export', async () => {
    expect((await k.get('/v1/exports/alerts.csv?date=2020-01-01', 'regulator')).status).toBe(404);
    expect((await k.get('/v1/exports/features.parquet?date=2020-01-01', 'admin')).status).toBe(404);
  });

  it('exports are audited', async () => {
    const rows = await k.db.all<{ action: string }>(
      `SELECT DISTINCT action FROM audit_log WHERE action LIKE 'export.%' ORDER BY action`,
    );
    expect(rows.map((r) => r.action)).toEqual(
      expect.arrayContaining([
        'export.alerts.csv',
        'export.alerts.ndjson',
        'export.alerts.xlsx',
        'export.features.arrow',
        'export.features.parquet',
      ]),
    );
  });
});

describe('system', () => {
  it('/healthz needs no token', async () => {
    const res = await k.get('/healthz', null);
    expect(res.status).toBe(200);
    expect(await k.json(res)).toMatchObject({ status: 'ok', latest_list: k.city.lastDay });
  });

  it('/openapi.json is OpenAPI 3.1 covering every route, with schemas from zod', async () => {
    const doc = await k.json<{
      openapi: string;
      paths: Record<
        string,
        Record<string, { parameters: { name: string; in: string }[]; requestBody?: unknown }>
      >;
    }>(await k.get('/openapi.json', 'regulator'));
    expect(doc.openapi).toBe('3.1.0');
    for (const r of k.app.dafei.routes) {
      const p = r.path.replace(/:([a-z_]+)/gi, '{$1}');
      expect(doc.paths[p]?.[r.method], `${r.method} ${p}`).toBeDefined();
    }
    const list = doc.paths['/v1/alerts']!['get']!;
    expect(list.parameters.map((p) => p.name)).toEqual([
      'date',
      'level',
      'district',
      'status',
      'q',
      'jurisdiction',
      'limit',
      'cursor',
    ]);
    expect(doc.paths['/v1/alerts/{id}/dispositions']!['post']!.requestBody).toBeDefined();
  });

  it('/docs is a self-contained page', async () => {
    const res = await k.get('/docs', null);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('打非云 Dafei API');
    expect(html).toContain('/v1/alerts/{id}/dispositions');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=["']https?:/);
  });

  it('/metrics exposes per-route counts, latency histograms and memory', async () => {
    const text = await (await k.get('/metrics', 'admin')).text();
    expect(text).toMatch(
      /dafei_http_requests_total\{method="GET",route="\/v1\/alerts",status="200"\} \d+/,
    );
    expect(text).toMatch(
      /dafei_http_request_duration_seconds_bucket\{method="GET",route="\/v1\/alerts\/\{id\}",le="0\.05"\} \d+/,
    );
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
    expect(text).toMatch(/process_cpu_seconds_total \d+\.\d+/);
  });

  it('login with a dashboard user gives a session token', async () => {
    const { createUser } = await import('../pipeline/auth/index.ts');
    await createUser(k.db, {
      username: 'zhang.wei',
      password: 'correct horse battery',
      role: 'regulator',
    });
    const bad = await k.post(
      '/v1/auth/login',
      { username: 'zhang.wei', password: 'wrong password!' },
      null,
    );
    expect(bad.status).toBe(401);
    await problem(bad);
    const ok = await k.post(
      '/v1/auth/login',
      { username: 'zhang.wei', password: 'correct horse battery' },
      null,
    );
    expect(ok.status).toBe(200);
    const s = await k.json<{ token: string; role: string }>(ok);
    expect(s.role).toBe('regulator');
    const me = await k.app.request('/v1/alerts?limit=1', {
      headers: { authorization: `Bearer ${s.token}` },
    });
    expect(me.status).toBe(200);
    const stored = await k.db.one<{ password_hash: string }>(
      `SELECT password_hash FROM api_users WHERE username = 'zhang.wei'`,
    );
    expect(stored!.password_hash).toMatch(/^scrypt\$/);
    expect(stored!.password_hash).not.toContain('correct horse');
  });
});

describe('score read model (0006)', () => {
  it('gives the same score timeline as list_entries, and goes stale when a revision is published', async () => {
    const { rebuildScoreHistory, scoreHistoryFresh, entityHistory } =
      await import('../pipeline/queries/index.ts');
    await rebuildScoreHistory(k.db);
    expect(await scoreHistoryFresh(k.db)).toBe(true);
    for (const e of [k.city.schemes[0]!, k.city.enterprises[40]!]) {
      const fast = await entityHistory(k.db, e.uscc, {
        kinds: ['score'],
        limit: 200,
        freshScores: true,
      });
      const slow = await entityHistory(k.db, e.uscc, {
        kinds: ['score'],
        limit: 200,
        freshScores: false,
      });
      expect(fast.items.length).toBe(k.city.days.length);
      expect(fast).toEqual(slow);
    }
    await k.db.run(
      `INSERT INTO list_revisions SELECT day, revision + 10, now(), scorer, model_version, 'y', enterprises, listed, red, orange, yellow
       FROM list_revisions WHERE day = $d::DATE AND revision = 1`,
      { d: k.city.lastDay },
    );
    expect(await scoreHistoryFresh(k.db)).toBe(false);
    // the API rebuilds it in the background and answers from list_entries meanwhile (a fresh
    // answer is reused for 1 s: forget it, as if that second had passed)
    k.app.dafei.deps.scores.invalidate();
    const res = await k.get(
      `/v1/entities/${k.city.schemes[0]!.uscc}/history?kinds=score`,
      'investigator',
    );
    expect(res.status).toBe(200);
    // that request started the rebuild; warm() waits for it (no sleeping, no polling)
    await k.app.dafei.deps.scores.warm();
    expect(await scoreHistoryFresh(k.db)).toBe(true);
  });
});

describe('alert reader state cache', () => {
  it('reuses the list state for its TTL; invalidate() forgets it', async () => {
    const { createAlertReader } = await import('../pipeline/queries/index.ts');
    let t = 0;
    const reader = createAlertReader({ stateTtlMs: 1000, now: () => t });
    const day = k.city.days[1]!;
    const before = await reader.list(k.db, { day, limit: 1 });
    await k.db.run(
      `INSERT INTO list_revisions SELECT day, revision + 1, now(), scorer, model_version, 'z', enterprises, listed, red, orange, yellow
       FROM list_revisions WHERE day = $d::DATE ORDER BY revision DESC LIMIT 1`,
      { d: day },
    );
    await k.db.run(
      `INSERT INTO list_entries SELECT day, $r, uscc, rank, score, level, rule_score, reasons, contributions, features
       FROM list_entries WHERE day = $d::DATE AND revision = $p`,
      { d: day, r: before.revision! + 1, p: before.revision! },
    );
    t = 999;
    expect((await reader.list(k.db, { day, limit: 1 })).revision).toBe(before.revision);
    t = 1000;
    expect((await reader.list(k.db, { day, limit: 1 })).revision).toBe(before.revision! + 1);
    reader.invalidate();
    expect((await reader.list(k.db, { day, limit: 1 })).revision).toBe(before.revision! + 1);
  });
});
