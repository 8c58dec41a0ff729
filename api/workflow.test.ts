/**
 * Two-person decisions, serialised workflow changes, reopening and referrals between offices,
 * through the API (and, for the database's own guard, two connections racing directly).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../pipeline/auth/index.ts';
import { changeWorkflow, WorkflowConflict } from '../pipeline/workflow/index.ts';
import { officeOf } from '../pipeline/jurisdictions/index.ts';
import { problem } from './_test-kit.ts';
import { createOfficeKit, OFFICE_A, OFFICE_B, type OfficeKit } from './_offices.ts';

let k: OfficeKit;
/** Listed on the last day, of district A today (not the mover). */
let inA: string[];
let inB: string[];

/** The day each enterprise was last listed (its alert id). */
const listedOn = new Map<string, string>();

beforeAll(async () => {
  k = await createOfficeKit({ enterprises: 120 });
  for (const r of await k.db.all<{ uscc: string; day: string }>(
    `SELECT uscc, max(day)::VARCHAR AS day FROM list_entries WHERE level IS NOT NULL GROUP BY uscc`,
  ))
    listedOn.set(r.uscc, r.day);
  // enterprises without a case outcome yet (the fixture confirms one)
  const decided = new Set(
    (await k.db.all<{ uscc: string }>(`SELECT DISTINCT uscc FROM case_outcomes`)).map(
      (r) => r.uscc,
    ),
  );
  const of = (office: string) =>
    k.city.enterprises
      .filter(
        (e) =>
          listedOn.has(e.uscc) &&
          !decided.has(e.uscc) &&
          e.uscc !== k.mover.uscc &&
          k.officeOf(e.uscc, k.today) === office,
      )
      .map((e) => e.uscc);
  inA = of(OFFICE_A);
  inB = of(OFFICE_B);
  expect(inA.length).toBeGreaterThanOrEqual(5);
  expect(inB.length).toBeGreaterThanOrEqual(2);
});
afterAll(() => k.close());

const id = (u: string) => `${listedOn.get(u)!}:${u}`;

describe('two-person decisions', () => {
  it('20 concurrent 认定 / 排除 on one enterprise: one proposal, the others 409', async () => {
    const u = inA[0]!;
    expect(
      (await k.postAs(`/v1/alerts/${id(u)}/dispositions`, { status: '核查中' }, 'regA')).status,
    ).toBe(201);
    // twenty regulators of district A, each with their own token
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        createToken(k.db, { name: `a-reg-${i}`, role: 'regulator', jurisdiction: OFFICE_A }),
      ),
    );
    const results = await Promise.all(
      tokens.map((t, i) =>
        Promise.resolve(
          k.app.request(`/v1/alerts/${id(u)}/dispositions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${t.token}` },
            body: JSON.stringify({ status: i % 2 === 0 ? '认定' : '排除', note: `提请 ${i}` }),
          }),
        ),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const r of results.filter((x) => x.status === 409))
      expect((await problem(r)).code).toBe('conflict');
    // exactly one consistent state: one pending proposal, no decision, no outcome, still 核查中
    const state = await k.db.one<{
      proposals: number;
      outcomes: number;
      last: string;
      head: number;
    }>(
      `SELECT (SELECT count(*) FROM approvals WHERE uscc = $u)::INTEGER AS proposals,
              (SELECT count(*) FROM case_outcomes WHERE uscc = $u)::INTEGER AS outcomes,
              (SELECT arg_max(status, disposition_id) FROM dispositions WHERE uscc = $u) AS last,
              (SELECT version FROM workflow_heads WHERE uscc = $u)::INTEGER AS head`,
      { u },
    );
    expect(state).toEqual({ proposals: 1, outcomes: 0, last: '核查中', head: 2 });
    const winner = results.findIndex((r) => r.status === 202);
    const proposal = (await results[winner]!.json()) as {
      approval_id: number;
      proposed: string;
      actor: string;
    };
    expect(proposal.actor).toBe(`a-reg-${winner}`);

    // the proposer cannot approve; an investigator cannot; another office's regulator does not see it
    const as = (token: string) => ({
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
    });
    const decide = (token: string, decision: string) =>
      k.app.request(`/v1/approvals/${proposal.approval_id}/decision`, {
        method: 'POST',
        headers: as(token),
        body: JSON.stringify({ decision }),
      });
    const self = await decide(tokens[winner]!.token, 'approve');
    expect(self.status).toBe(403);
    expect((await problem(self)).detail).toMatch(/own proposal/);
    expect(
      (
        await k.postAs(
          `/v1/approvals/${proposal.approval_id}/decision`,
          { decision: 'approve' },
          'invA',
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await k.postAs(
          `/v1/approvals/${proposal.approval_id}/decision`,
          { decision: 'approve' },
          'regB',
        )
      ).status,
    ).toBe(404);
    // the queue shows it, with who may decide
    const queue = (await (await k.getAs('/v1/approvals', 'regA2')).json()) as {
      items: { approval_id: number; can_decide: boolean }[];
    };
    expect(queue.items.find((i) => i.approval_id === proposal.approval_id)?.can_decide).toBe(true);
    const own = (await (
      await k.app.request('/v1/approvals', { headers: as(tokens[winner]!.token) })
    ).json()) as { items: { approval_id: number; can_decide: boolean }[] };
    expect(own.items.find((i) => i.approval_id === proposal.approval_id)?.can_decide).toBe(false);

    // two approvers at once (one of the office, one above it): one wins, the other 409
    const [x, y] = await Promise.all([
      k.postAs(`/v1/approvals/${proposal.approval_id}/decision`, { decision: 'approve' }, 'regA2'),
      k.postAs(
        `/v1/approvals/${proposal.approval_id}/decision`,
        { decision: 'approve' },
        'cityRegulator',
      ),
    ]);
    expect([x.status, y.status].sort()).toEqual([201, 409]);
    const after = await k.db.one<{ decisions: number; outcomes: number; last: string }>(
      `SELECT (SELECT count(*) FROM approval_decisions)::INTEGER AS decisions,
              (SELECT count(*) FROM case_outcomes WHERE uscc = $u)::INTEGER AS outcomes,
              (SELECT arg_max(status, disposition_id) FROM dispositions WHERE uscc = $u) AS last`,
      { u },
    );
    expect(after).toEqual({ decisions: 1, outcomes: 1, last: proposal.proposed });
  });

  it('a regulator of another district cannot approve; one of the city above can', async () => {
    const u = inA[1]!;
    await k.postAs(`/v1/alerts/${id(u)}/dispositions`, { status: '核查中' }, 'regA');
    const p = await k.postAs(
      `/v1/alerts/${id(u)}/dispositions`,
      { status: '排除', note: '正常经营' },
      'regA',
    );
    expect(p.status).toBe(202);
    const { approval_id } = (await p.json()) as { approval_id: number };
    // while it is pending, nothing else changes
    expect(
      (await k.postAs(`/v1/alerts/${id(u)}/dispositions`, { status: '核查中' }, 'regA2')).status,
    ).toBe(409);
    expect(
      (await k.postAs(`/v1/approvals/${approval_id}/decision`, { decision: 'approve' }, 'regB'))
        .status,
    ).toBe(404);
    const ok = await k.postAs(
      `/v1/approvals/${approval_id}/decision`,
      { decision: 'approve' },
      'cityRegulator',
    );
    expect(ok.status).toBe(201);
    expect(
      (await k.db.one<{ o: string }>(`SELECT outcome AS o FROM case_outcomes WHERE uscc = $u`, {
        u,
      }))!.o,
    ).toBe('cleared');
  });

  it('a rejected or withdrawn proposal changes nothing but its own record', async () => {
    const u = inA[2]!;
    await k.postAs(`/v1/alerts/${id(u)}/dispositions`, { status: '核查中' }, 'invA');
    const p1 = (await (
      await k.postAs(`/v1/alerts/${id(u)}/dispositions`, { status: '认定' }, 'invA')
    ).json()) as { approval_id: number };
    expect(
      (await k.postAs(`/v1/approvals/${p1.approval_id}/decision`, { decision: 'withdraw' }, 'regA'))
        .status,
    ).toBe(403);
    expect(
      (await k.postAs(`/v1/approvals/${p1.approval_id}/decision`, { decision: 'withdraw' }, 'invA'))
        .status,
    ).toBe(201);
    const p2 = (await (
      await k.postAs(`/v1/alerts/${id(u)}/dispositions`, { status: '认定' }, 'invA')
    ).json()) as { approval_id: number };
    expect(
      (
        await k.postAs(
          `/v1/approvals/${p2.approval_id}/decision`,
          { decision: 'reject', note: '证据不足' },
          'regA',
        )
      ).status,
    ).toBe(201);
    const s = await k.db.one<{ outcomes: number; last: string }>(
      `SELECT (SELECT count(*) FROM case_outcomes WHERE uscc = $u)::INTEGER AS outcomes,
              (SELECT arg_max(status, disposition_id) FROM dispositions WHERE uscc = $u) AS last`,
      { u },
    );
    expect(s).toEqual({ outcomes: 0, last: '核查中' });
    const h = (await (
      await k.getAs(`/v1/entities/${u}/history?kinds=approval`, 'regA')
    ).json()) as {
      items: { summary: string }[];
    };
    expect(h.items.map((i) => i.summary)).toEqual([
      '驳回认定（证据不足）',
      '提请认定，待第二人批准',
      '撤回认定',
      '提请认定，待第二人批准',
    ]);
  });

  it('reopen supersedes the earlier outcome (kept in history); training uses the latest', async () => {
    const u = inA[0]!; // confirmed by the first test
    const before = await k.db.one<{ o: string; b: number }>(
      `SELECT outcome AS o, _batch::INTEGER AS b FROM case_outcomes WHERE uscc = $u`,
      { u },
    );
    expect(before?.o).toMatch(/confirmed|cleared/);
    // a district regulator is not a supervisor of its own district's case; the city's is
    expect(
      (await k.postAs(`/v1/alerts/${id(u)}/reopen`, { reason: '新证据' }, 'regA')).status,
    ).toBe(403);
    expect(
      (await k.postAs(`/v1/alerts/${id(u)}/reopen`, { reason: '  ' }, 'cityRegulator')).status,
    ).toBe(400);
    const r = await k.postAs(
      `/v1/alerts/${id(u)}/reopen`,
      { reason: '新证据：资金流水' },
      'cityRegulator',
    );
    expect(r.status).toBe(201);
    const { superseded_batch } = (await r.json()) as { superseded_batch: number };
    expect(superseded_batch).toBeGreaterThan(before!.b);
    // no longer a label, still in the history
    expect(
      (await k.db.one<{ n: number }>(
        `SELECT count(*)::INTEGER AS n FROM case_outcomes WHERE uscc = $u`,
        { u },
      ))!.n,
    ).toBe(0);
    expect(
      (await k.db.one<{ n: number }>(
        `SELECT count(*)::INTEGER AS n FROM case_outcomes_history WHERE uscc = $u`,
        { u },
      ))!.n,
    ).toBe(1);
    const ledger = await k.db.one<{ read: number; accepted: number; source: string }>(
      `SELECT read::INTEGER AS read, accepted::INTEGER AS accepted, source FROM ingest_batches WHERE batch_id = $b`,
      { b: superseded_batch },
    );
    expect(ledger).toEqual({ read: 0, accepted: 0, source: 'reopen' });
    // reopened twice is refused (not closed any more)
    expect(
      (await k.postAs(`/v1/alerts/${id(u)}/reopen`, { reason: '再次' }, 'cityRegulator')).status,
    ).toBe(409);
    // a new decision: the latest outcome is the only label
    const p = (await (
      await k.postAs(
        `/v1/alerts/${id(u)}/dispositions`,
        { status: '排除', note: '复核后排除' },
        'regA',
      )
    ).json()) as { approval_id: number };
    expect(
      (await k.postAs(`/v1/approvals/${p.approval_id}/decision`, { decision: 'approve' }, 'regA2'))
        .status,
    ).toBe(201);
    const labels = await k.db.all<{ outcome: string }>(
      `SELECT outcome FROM case_outcomes WHERE uscc = $u`,
      { u },
    );
    expect(labels).toEqual([{ outcome: 'cleared' }]);
    const h = (await (
      await k.getAs(`/v1/entities/${u}/history?kinds=disposition`, 'regA')
    ).json()) as {
      items: { summary: string }[];
    };
    expect(h.items.map((i) => i.summary)).toContain('处置：核查中（重新打开：新证据：资金流水）');
  });
});

describe('one writer per enterprise in the database', () => {
  it('two connections that both start from the same version: the second to write fails cleanly', async () => {
    const u = inB[0]!;
    const a = await k.db.fork();
    const b = await k.db.fork();
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const read = { a: false, b: false };
      const both = new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (read.a && read.b) {
            clearInterval(check);
            resolve();
          }
        }, 1);
      });
      const write = (db: typeof a, who: 'a' | 'b') =>
        changeWorkflow(db, u, async (tx) => {
          await tx.one(`SELECT count(*) FROM dispositions WHERE uscc = $u`, { u });
          read[who] = true;
          await gate;
          await tx.run(
            `INSERT INTO dispositions (alert_day, uscc, status, actor, role, acted_at) VALUES ($d::DATE, $u, '核查中', $w, 'regulator', now())`,
            { d: k.city.lastDay, u, w: who },
          );
          return who;
        });
      const pa = write(a, 'a');
      const pb = write(b, 'b');
      await both;
      release();
      const settled = await Promise.allSettled([pa, pb]);
      const ok = settled.filter((s) => s.status === 'fulfilled');
      const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
      expect(ok).toHaveLength(1);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.reason).toBeInstanceOf(WorkflowConflict);
      const rows = await k.db.all(`SELECT actor FROM dispositions WHERE uscc = $u`, { u });
      expect(rows).toHaveLength(1);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('referrals between offices', () => {
  it('propose → inbox → accept: the target owns it, the source no longer sees it', async () => {
    const u = inA[3]!;
    const path = `/v1/alerts/${id(u)}/dispositions`;
    expect((await k.postAs(path, { status: '核查中' }, 'regA')).status).toBe(201);
    // 移交 needs a target; an unknown one is refused
    expect((await k.postAs(path, { status: '移交' }, 'regA')).status).toBe(400);
    expect((await k.postAs(path, { status: '移交', refer_to: '999999' }, 'regA')).status).toBe(400);
    const sent = await k.postAs(
      path,
      { status: '移交', refer_to: OFFICE_B, note: '实际经营地在斗门' },
      'regA',
    );
    expect(sent.status).toBe(201);
    const { referral } = (await sent.json()) as { referral: { referral_id: number } };
    // B's inbox has it; B's investigator may read it to decide, not answer
    const inbox = (await (
      await k.getAs('/v1/referrals?box=inbox&state=pending', 'invB')
    ).json()) as {
      items: { referral_id: number; uscc: string; can_answer: boolean }[];
    };
    expect(inbox.items.map((i) => i.uscc)).toContain(u);
    expect(inbox.items.find((i) => i.uscc === u)!.can_answer).toBe(false);
    expect((await k.getAs(`/v1/alerts/${id(u)}`, 'invB')).status).toBe(200);
    expect(
      (await k.postAs(`/v1/referrals/${referral.referral_id}/answer`, { answer: 'accept' }, 'invB'))
        .status,
    ).toBe(403);
    // another city's regulator cannot answer (404: not to its area)
    expect(
      (
        await k.postAs(
          `/v1/referrals/${referral.referral_id}/answer`,
          { answer: 'accept' },
          'otherCity',
        )
      ).status,
    ).toBe(404);
    // the source's outbox shows it pending; nothing else changes meanwhile
    const outbox = (await (await k.getAs('/v1/referrals?box=outbox', 'regA')).json()) as {
      items: { uscc: string; state: string }[];
    };
    expect(outbox.items.find((i) => i.uscc === u)?.state).toBe('pending');
    expect((await k.postAs(path, { status: '认定' }, 'regA')).status).toBe(409);
    const accepted = await k.postAs(
      `/v1/referrals/${referral.referral_id}/answer`,
      { answer: 'accept', reason: '已接收' },
      'regB',
    );
    expect(accepted.status).toBe(201);
    expect(
      (
        await k.postAs(
          `/v1/referrals/${referral.referral_id}/answer`,
          { answer: 'return', reason: 'x' },
          'regB',
        )
      ).status,
    ).toBe(409);
    expect(await officeOf(k.db, u, k.today)).toBe(OFFICE_B);
    // the target now sees the enterprise; the source does not
    expect((await k.getAs(`/v1/entities/${u}`, 'regB')).status).toBe(200);
    expect((await k.getAs(`/v1/entities/${u}`, 'regA')).status).toBe(404);
    const search = (await (await k.getAs(`/v1/entities?q=${u}`, 'regA')).json()) as {
      items: unknown[];
    };
    expect(search.items).toEqual([]);
    // B works the case from 核查中
    const state = (await (await k.getAs(`/v1/entities/${u}`, 'regB')).json()) as {
      disposition: { status: string };
    };
    expect(state.disposition.status).toBe('核查中');
    // the whole trail is in the timeline and the audit log
    const h = (await (
      await k.getAs(`/v1/entities/${u}/history?kinds=referral,disposition`, 'regB')
    ).json()) as {
      items: { kind: string; summary: string }[];
    };
    expect(h.items.map((i) => i.summary)).toEqual(
      expect.arrayContaining(['移交至斗门区（实际经营地在斗门）', '移交已被接收']),
    );
    const audit = await k.db.all<{ action: string }>(
      `SELECT action FROM audit_log WHERE target = $t AND (action LIKE 'referral.%' OR action = 'disposition.create') ORDER BY audit_id`,
      { t: id(u) },
    );
    expect(audit.map((a) => a.action)).toEqual([
      'disposition.create',
      'disposition.create',
      'referral.accepted',
    ]);
  });

  it('return with a reason: the source keeps it, back to 核查中', async () => {
    const u = inB[0]!;
    const path = `/v1/alerts/${id(u)}/dispositions`;
    await k.postAs(path, { status: '核查中' }, 'regB');
    const sent = await k.postAs(path, { status: '移交', refer_to: OFFICE_A }, 'regB');
    expect(sent.status).toBe(201);
    const { referral } = (await sent.json()) as { referral: { referral_id: number } };
    expect(
      (await k.postAs(`/v1/referrals/${referral.referral_id}/answer`, { answer: 'return' }, 'regA'))
        .status,
    ).toBe(400);
    const r = await k.postAs(
      `/v1/referrals/${referral.referral_id}/answer`,
      { answer: 'return', reason: '不属本辖区' },
      'regA',
    );
    expect(r.status).toBe(201);
    expect(await officeOf(k.db, u, k.today)).toBe(OFFICE_B);
    expect((await k.getAs(`/v1/alerts/${id(u)}`, 'regA')).status).toBe(404);
    const p = (await (await k.getAs(`/v1/entities/${u}`, 'regB')).json()) as {
      disposition: { status: string };
    };
    expect(p.disposition.status).toBe('核查中');
    const h = (await (
      await k.getAs(`/v1/entities/${u}/history?kinds=referral`, 'regB')
    ).json()) as { items: { summary: string }[] };
    expect(h.items[0]!.summary).toBe('移交被退回：不属本辖区');
  });

  it('to an outside agency: recorded, no inbox; then a two-person decision', async () => {
    const u = inA[1]!; // cleared earlier
    const other =
      inA.find((x) => x !== u && x !== inA[0] && x !== inA[2] && x !== inA[3]) ?? inB[1];
    if (!other) return;
    const path = `/v1/alerts/${id(other)}/dispositions`;
    await k.postAs(path, { status: '核查中' }, 'cityAdmin');
    const sent = await k.postAs(path, { status: '移交', refer_to: 'psb-ecid' }, 'cityAdmin');
    expect(sent.status).toBe(201);
    const out = (await (
      await k.getAs('/v1/referrals?box=outbox&state=sent', 'cityAdmin')
    ).json()) as { items: { uscc: string; target_name: string }[] };
    expect(out.items.find((i) => i.uscc === other)?.target_name).toBe('公安经侦');
    expect((await k.postAs(path, { status: '认定' }, 'cityAdmin')).status).toBe(202);
  });
});
