/**
 * Offices and the workflow between them, in the dashboard:
 *   - the jurisdiction switcher (offices above a district choose whose list to see);
 *   - 审批 (/ui/approvals): proposals of 认定 / 排除 awaiting a second person, approve / reject;
 *   - 移交 (/ui/referrals): the inbox of referrals to the caller's offices (accept / return with a
 *     reason) and the outbox;
 *   - on an alert: the pending proposal or referral, the 移交 target, reopening a closed case.
 * Every read and write goes through the API (its scoping, roles and audit apply unchanged).
 * `mountWorkflowPages(app, kit)` adds the routes.
 */
import type { Child } from 'hono/jsx';
import type { ApiClient } from '../api-call.ts';
import { alertHref, BASE, Flash, StatusBadge } from '../layout.tsx';
import { ROLE_ZH, zh } from '../labels.ts';
import { problemText, safeNext, str, type DashboardKit, type PageCtx } from '../kit.tsx';
import type { Redacted } from '../../redact.ts';
import type { AlertDetail } from '../../routes/alerts.ts';
import type { ApprovalEntry, Jurisdictions, ReferralEntry } from '../../routes/workflow.ts';

type Ctx = PageCtx;

/** GET /v1/jurisdictions. */
export type JurisdictionList = Jurisdictions;

/** The tree as the caller sees it (GET /v1/jurisdictions); undefined when the API refuses. */
export async function jurisdictionsOf(api: ApiClient): Promise<JurisdictionList | undefined> {
  const r = await api.get<JurisdictionList>('/v1/jurisdictions');
  return r.ok ? r.data : undefined;
}

const indent = (depth: number, base: number) => '\u3000'.repeat(Math.max(0, depth - base));

/** 辖区: offices of the caller's area, for those who see more than one (null otherwise). */
export function switcherFor(j: JurisdictionList | undefined, value: string | undefined): Child {
  if (!j || j.visible.length <= 1) return null;
  const shown = j.nodes.filter((n) => j.visible.includes(n.code) && n.code !== j.own.code);
  const base = Math.min(...shown.map((n) => n.depth));
  return (
    <label>
      辖区
      <select name="jurisdiction" data-autosubmit id="jurisdiction-switcher">
        <option value="">{j.own.code === null ? '全部辖区' : `${j.own.label}（全部）`}</option>
        {shown.map((n) => (
          <option value={n.code} selected={value === n.code}>
            {indent(n.depth, base)}
            {n.name}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The 移交 target of the disposition form: another office of the tree, or an outside agency. */
export function ReferToField(p: { j: JurisdictionList | undefined; office: string | null }): Child {
  if (!p.j) return null;
  const offices = p.j.nodes.filter((n) => n.code !== p.office);
  return (
    <label>
      移交至（仅移交时）
      <select name="refer_to" id="refer-to">
        <option value="">—</option>
        <optgroup label="其他辖区的打非办">
          {offices.map((n) => (
            <option value={n.code}>{n.label}</option>
          ))}
        </optgroup>
        <optgroup label="外部机关">
          {p.j.agencies.map((a) => (
            <option value={a.id}>{a.name}</option>
          ))}
        </optgroup>
      </select>
    </label>
  );
}

/** The workflow part of an alert (GET /v1/alerts/{id}). */
export type AlertWorkflow = AlertDetail['workflow'];

const who = (name: string) => name.replace(/^user:/, '');

/** On an alert: what awaits a decision, and reopening a closed case. */
export function WorkflowPanel(p: {
  w: AlertWorkflow | undefined;
  x: Ctx;
  alertPath: string;
  closed: boolean;
}): Child {
  const w = p.w;
  if (!w) return null;
  const me = p.x.principal;
  const csrf = p.x.session.csrf;
  const a = w.pending_approval;
  const r = w.pending_referral;
  const decider = me.role === 'regulator' || me.role === 'admin';
  return (
    <div id="workflow">
      {w.office_name ? <p class="muted small">所属辖区：{w.office_name}</p> : null}
      {a ? (
        <div class="flash" id="pending-approval">
          <b>待批准：</b>
          {who(a.actor)}（{zh(ROLE_ZH, a.role)}）提请<b>{a.proposed}</b>
          {a.note ? `：${a.note}` : ''}，须由同级或上级另一名监管人员批准后生效。
          <div class="row" style="margin-top:6px">
            {a.actor === me.name ? (
              <DecisionForm
                id={a.approval_id}
                decision="withdraw"
                label="撤回提请"
                csrf={csrf}
                next={p.alertPath}
              />
            ) : decider ? (
              <>
                <DecisionForm
                  id={a.approval_id}
                  decision="approve"
                  label={`批准${a.proposed}`}
                  csrf={csrf}
                  next={p.alertPath}
                />
                <DecisionForm
                  id={a.approval_id}
                  decision="reject"
                  label="驳回"
                  csrf={csrf}
                  next={p.alertPath}
                />
              </>
            ) : null}
          </div>
        </div>
      ) : null}
      {r ? (
        <div class="flash" id="pending-referral">
          <b>移交中：</b>已由 {who(r.actor)} 移交至 {r.target_name}
          {r.note ? `（${r.note}）` : ''}，待对方接收或退回。
        </div>
      ) : null}
      {p.closed && decider ? (
        <form class="stack" method="post" action={`${p.alertPath}/reopen`} id="reopen-form">
          <input type="hidden" name="_csrf" value={csrf} />
          <label>
            重新打开（上级或管理员；需说明新证据）
            <textarea name="reason" maxlength={2000} required />
          </label>
          <div>
            <button type="submit" class="ghost">
              重新打开
            </button>
          </div>
        </form>
      ) : null}
    </div>
  );
}

function DecisionForm(p: {
  id: number;
  decision: 'approve' | 'reject' | 'withdraw';
  label: string;
  csrf: string;
  next: string;
}): Child {
  return (
    <form method="post" action={`${BASE}/approvals/${p.id}/decision`} class="row">
      <input type="hidden" name="_csrf" value={p.csrf} />
      <input type="hidden" name="decision" value={p.decision} />
      <input type="hidden" name="next" value={p.next} />
      <button
        type="submit"
        class={p.decision === 'approve' ? '' : 'ghost'}
        data-decision={p.decision}
      >
        {p.label}
      </button>
    </form>
  );
}

type ApprovalItem = Redacted<ApprovalEntry>;

const APPROVAL_STATE_ZH: Record<string, string> = {
  pending: '待批准',
  approved: '已批准',
  rejected: '已驳回',
  withdrawn: '已撤回',
};

function ApprovalsPage(p: {
  items: ApprovalItem[];
  state: string;
  x: Ctx;
  flashOk?: string | undefined;
  flashErr?: string | undefined;
}): Child {
  return (
    <>
      <h1>审批（认定 / 排除 须两人）</h1>
      <Flash ok={p.flashOk} err={p.flashErr} />
      <div class="card">
        <form class="filters" method="get" action={`${BASE}/approvals`}>
          <label>
            状态
            <select name="state" data-autosubmit>
              {['pending', 'approved', 'rejected', 'withdrawn', 'all'].map((s) => (
                <option value={s} selected={p.state === s}>
                  {APPROVAL_STATE_ZH[s] ?? '全部'}
                </option>
              ))}
            </select>
          </label>
        </form>
      </div>
      <div class="card" style="padding:0">
        {p.items.length === 0 ? (
          <div class="empty">没有符合条件的提请。</div>
        ) : (
          <table id="approvals">
            <thead>
              <tr>
                <th>提请时间</th>
                <th>企业</th>
                <th>辖区</th>
                <th>提请</th>
                <th>提请人</th>
                <th>备注 / 案号</th>
                <th>状态</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {p.items.map((a) => (
                <tr data-approval={a.approval_id}>
                  <td class="nowrap">{a.proposed_at.slice(0, 16).replace('T', ' ')}</td>
                  <td>
                    <a href={alertHref(a.alert_day, a.uscc)}>{a.name ?? a.uscc}</a>
                  </td>
                  <td class="small">{a.office_name ?? '—'}</td>
                  <td>
                    <StatusBadge status={a.proposed} />
                  </td>
                  <td>
                    {who(a.proposer)}
                    <div class="muted small">
                      {zh(ROLE_ZH, a.proposer_role)} · {a.proposer_office_name}
                    </div>
                  </td>
                  <td class="small">
                    {a.note ?? ''}
                    {a.case_ref ? <div class="muted">{a.case_ref}</div> : null}
                  </td>
                  <td class="small">
                    {APPROVAL_STATE_ZH[a.state] ?? a.state}
                    {a.decided_by ? <div class="muted">{who(a.decided_by)}</div> : null}
                  </td>
                  <td class="nowrap">
                    {a.can_decide ? (
                      <div class="row">
                        <DecisionForm
                          id={a.approval_id}
                          decision="approve"
                          label="批准"
                          csrf={p.x.session.csrf}
                          next={`${BASE}/approvals`}
                        />
                        <DecisionForm
                          id={a.approval_id}
                          decision="reject"
                          label="驳回"
                          csrf={p.x.session.csrf}
                          next={`${BASE}/approvals`}
                        />
                      </div>
                    ) : a.state === 'pending' && a.proposer === p.x.principal.name ? (
                      <span class="muted small">待他人批准</span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}

type ReferralItem = Redacted<ReferralEntry>;

const REFERRAL_STATE_ZH: Record<string, string> = {
  pending: '待接收',
  accepted: '已接收',
  returned: '已退回',
  sent: '已移送外部机关',
};

function ReferralsPage(p: {
  box: 'inbox' | 'outbox';
  items: ReferralItem[];
  x: Ctx;
  flashOk?: string | undefined;
  flashErr?: string | undefined;
}): Child {
  return (
    <>
      <h1>移交</h1>
      <Flash ok={p.flashOk} err={p.flashErr} />
      <div class="row" style="margin-bottom:8px">
        <a
          class={`btn ${p.box === 'inbox' ? '' : 'ghost'}`}
          href={`${BASE}/referrals?box=inbox`}
          id="referral-inbox"
        >
          收到的移交
        </a>
        <a
          class={`btn ${p.box === 'outbox' ? '' : 'ghost'}`}
          href={`${BASE}/referrals?box=outbox`}
          id="referral-outbox"
        >
          发出的移交
        </a>
      </div>
      <div class="card" style="padding:0">
        {p.items.length === 0 ? (
          <div class="empty">
            {p.box === 'inbox' ? '没有移交给本辖区的案件。' : '本辖区尚未移交案件。'}
          </div>
        ) : (
          <table id="referrals">
            <thead>
              <tr>
                <th>移交时间</th>
                <th>企业</th>
                <th>{p.box === 'inbox' ? '来自' : '移交至'}</th>
                <th>移交人 / 说明</th>
                <th>状态</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {p.items.map((r) => (
                <tr data-referral={r.referral_id}>
                  <td class="nowrap">{r.referred_at.slice(0, 16).replace('T', ' ')}</td>
                  <td>
                    <a href={alertHref(r.alert_day, r.uscc)}>{r.name ?? r.uscc}</a>
                  </td>
                  <td class="small">
                    {p.box === 'inbox' ? (r.from_office_name ?? '—') : (r.target_name ?? '—')}
                  </td>
                  <td class="small">
                    {who(r.referred_by)}
                    {r.note ? <div class="muted">{r.note}</div> : null}
                  </td>
                  <td class="small">
                    {REFERRAL_STATE_ZH[r.state] ?? r.state}
                    {r.answered_by ? <div class="muted">{who(r.answered_by)}</div> : null}
                    {r.reason ? <div class="muted">理由：{r.reason}</div> : null}
                  </td>
                  <td>
                    {r.can_answer ? (
                      <div class="stack">
                        <form method="post" action={`${BASE}/referrals/${r.referral_id}/answer`}>
                          <input type="hidden" name="_csrf" value={p.x.session.csrf} />
                          <input type="hidden" name="answer" value="accept" />
                          <button type="submit" data-answer="accept">
                            接收
                          </button>
                        </form>
                        <form
                          method="post"
                          action={`${BASE}/referrals/${r.referral_id}/answer`}
                          class="row"
                        >
                          <input type="hidden" name="_csrf" value={p.x.session.csrf} />
                          <input type="hidden" name="answer" value="return" />
                          <input
                            type="text"
                            name="reason"
                            maxlength={2000}
                            placeholder="退回理由"
                            required
                          />
                          <button type="submit" class="ghost" data-answer="return">
                            退回
                          </button>
                        </form>
                      </div>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}

/** GET /ui/approvals, /ui/referrals; the decisions, answers and reopening they post. */
export function mountWorkflowPages(kit: DashboardKit): void {
  const { app, page, render, fail, formOf } = kit;

  app.get(
    `${BASE}/approvals`,
    page(async (x) => {
      const state = str(x.c.req.query('state')) ?? 'pending';
      const r = await x.api.get<{ items: ApprovalItem[] }>('/v1/approvals', { state, limit: 100 });
      if (!r.ok) return fail(x, '审批', 'approvals', r);
      return render(
        x.c,
        '审批',
        'approvals',
        <ApprovalsPage
          items={r.data.items}
          state={state}
          x={x}
          flashOk={x.c.req.query('ok')}
          flashErr={x.c.req.query('err')}
        />,
        x,
      );
    }),
  );

  app.post(
    `${BASE}/approvals/:id{[0-9]+}/decision`,
    page(async (x) => {
      const f = formOf(x.c);
      const decision = str(f['decision']) ?? '';
      const next = safeNext(f['next'] ?? `${BASE}/approvals`);
      const r = await x.api.post<{ decision: { decision: string } }>(
        `/v1/approvals/${x.c.req.param('id') ?? ''}/decision`,
        { decision, ...(str(f['note']) ? { note: str(f['note']) } : {}) },
      );
      const sep = next.includes('?') ? '&' : '?';
      if (r.ok) {
        const word = { approved: '已批准', rejected: '已驳回', withdrawn: '已撤回' }[
          r.data.decision.decision
        ];
        return x.c.redirect(`${next}${sep}ok=${encodeURIComponent(word ?? '已处理')}`, 303);
      }
      const msg =
        r.status === 403
          ? `不能这样处理：${r.problem.detail}`
          : r.status === 409
            ? `已被他人处理：${r.problem.detail}`
            : problemText(r);
      return x.c.redirect(`${next}${sep}err=${encodeURIComponent(msg)}`, 303);
    }),
  );

  app.get(
    `${BASE}/referrals`,
    page(async (x) => {
      const box = x.c.req.query('box') === 'outbox' ? 'outbox' : 'inbox';
      const r = await x.api.get<{ items: ReferralItem[] }>('/v1/referrals', { box, limit: 100 });
      if (!r.ok) return fail(x, '移交', 'referrals', r);
      return render(
        x.c,
        '移交',
        'referrals',
        <ReferralsPage
          box={box}
          items={r.data.items}
          x={x}
          flashOk={x.c.req.query('ok')}
          flashErr={x.c.req.query('err')}
        />,
        x,
      );
    }),
  );

  app.post(
    `${BASE}/referrals/:id{[0-9]+}/answer`,
    page(async (x) => {
      const f = formOf(x.c);
      const answer = str(f['answer']) ?? '';
      const reason = str(f['reason']);
      const r = await x.api.post<{ answer: { answer: string } }>(
        `/v1/referrals/${x.c.req.param('id') ?? ''}/answer`,
        { answer, ...(reason ? { reason } : {}) },
      );
      const back = `${BASE}/referrals?box=inbox`;
      if (r.ok)
        return x.c.redirect(
          `${back}&ok=${encodeURIComponent(r.data.answer.answer === 'accepted' ? '已接收，该企业现属本辖区。' : '已退回。')}`,
          303,
        );
      return x.c.redirect(`${back}&err=${encodeURIComponent(problemText(r))}`, 303);
    }),
  );

  app.post(
    `${BASE}/alerts/:id/reopen`,
    page(async (x) => {
      const id = x.c.req.param('id') ?? '';
      const reason = str(formOf(x.c)['reason']) ?? '';
      const r = await x.api.post(`/v1/alerts/${encodeURIComponent(id)}/reopen`, { reason });
      const path = `${BASE}/alerts/${id}`;
      if (r.ok)
        return x.c.redirect(`${path}?saved=${encodeURIComponent('重新打开')}#disposition`, 303);
      return render(
        x.c,
        '重新打开',
        'alerts',
        <Flash err={`未能重新打开：${problemText(r)}`} />,
        x,
        r.status >= 500 ? 500 : r.status,
      );
    }),
  );
}
