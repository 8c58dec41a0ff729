/** 预警详情: the score and its reasons, the evidence, a chart over time, the disposition form and history. */
import type { Child } from 'hono/jsx';
import { TRANSITIONS } from '../../../pipeline/queries/index.ts';
import { benchmarkOn, PRIVATE_LENDING_CAP_MULTIPLE } from '../../../pipeline/features/index.ts';
import { ChartLegend, ScoreChart, type SeriesPoint } from '../charts.tsx';
import { Highlighted, type MarkSpan } from '../highlight.tsx';
import { alertHref, BASE, entityHref, Flash, LevelBadge, StatusBadge } from '../layout.tsx';
import {
  CHANGE_ZH,
  CHANNEL_ZH,
  FIELD_ZH,
  fmtCny,
  fmtScore,
  fmtTime,
  LEVEL_ZH,
  LINK_METHOD_ZH,
  ROLE_ZH,
  SCORER_ZH,
  SHARED_KIND_ZH,
  zh,
} from '../labels.ts';
import type { Can } from '../permissions.ts';
import { OTHER_JURISDICTION } from './entities.tsx';
import { jurisdictionsOf, ReferToField, WorkflowPanel } from './workflow.tsx';
import { problemText, str, type DashboardKit, type PageCtx } from '../kit.tsx';
import { entitySeries } from '../queries.ts';
import type { AlertDetail as AlertDetailBody } from '../../routes/alerts.ts';
import type { Redacted } from '../../redact.ts';

interface Span extends MarkSpan {
  annual_rate_pct?: number | undefined;
}

/** GET /v1/alerts/{id} as the caller's role reads it. */
export type AlertDetail = Redacted<AlertDetailBody>;

export interface DetailProps {
  d: AlertDetail;
  series: SeriesPoint[];
  can: Can;
  csrf: string;
  flashOk?: string | undefined;
  flashErr?: string | undefined;
  form?: { status?: string; note?: string; assignee?: string; case_ref?: string } | undefined;
  /** Pending proposal / referral and reopening (pages/workflow.tsx). */
  workflow?: Child;
  /** A proposal or a referral awaits an answer: no other change until then. */
  pending?: boolean;
  /** The 移交 target field (pages/workflow.tsx). */
  referTo?: Child;
}

function YieldBesideBenchmark(p: { spans: Span[]; day: string }): Child {
  const ys = p.spans.filter((s) => s.kind === 'yield' && typeof s.annual_rate_pct === 'number');
  if (ys.length === 0) return null;
  let bench;
  try {
    bench = benchmarkOn(p.day);
  } catch {
    return null;
  }
  const kind = bench.kind === 'lpr_1y' ? '一年期 LPR' : '一年期贷款基准利率';
  return (
    <div>
      {ys.map((y) => {
        const ratio = y.annual_rate_pct! / bench.ratePct;
        return (
          <span class="yieldcmp">
            承诺收益「{y.term}」≈ 年化 <b>{y.annual_rate_pct!.toFixed(1)}%</b>，为 {p.day} {kind}{' '}
            {bench.ratePct.toFixed(2)}% 的 <b>{ratio.toFixed(1)} 倍</b>
            {ratio >= PRIVATE_LENDING_CAP_MULTIPLE
              ? `（超过民间借贷司法保护上限 ${PRIVATE_LENDING_CAP_MULTIPLE} 倍）`
              : ''}
          </span>
        );
      })}
    </div>
  );
}

export function DetailPage(p: DetailProps): Child {
  const { alert: a, evidence: ev, dispositions } = p.d;
  const maxContrib = Math.max(1e-9, ...a.reasons.map((r) => Math.abs(r.contribution)));
  const current = a.status;
  const next = TRANSITIONS[current] ?? [];
  const closed = next.length === 0;
  const options: string[] = closed ? [] : [current, ...next.filter((s) => s !== current)];
  const form = p.form ?? {};
  return (
    <>
      <div class="row" style="justify-content:space-between">
        <h1 class="row">
          <LevelBadge level={a.level} />
          <span>{a.name ?? a.uscc}</span>
          <span class="mono muted" style="font-weight:400">
            {a.uscc}
          </span>
        </h1>
        <div class="row">
          <a class="btn ghost" href={`${BASE}/?date=${a.day}`}>
            ← 返回 {a.day} 名单
          </a>
          {p.can('getEntity') ? (
            <a class="btn ghost" href={entityHref(a.uscc)} id="entity-link">
              企业档案
            </a>
          ) : null}
        </div>
      </div>
      <Flash ok={p.flashOk} err={p.flashErr} />
      <div class="chips">
        <span class="chip">
          名单日期 <b>{a.day}</b>（第 {a.revision} 版）
        </span>
        <span class="chip">
          排名 <b>{a.rank}</b>
        </span>
        <span class="chip">
          评分 <b>{fmtScore(a.score)}</b> · 规则指数 {fmtScore(a.rule_score)}
        </span>
        <span class="chip">
          较昨日{' '}
          {a.change ? (
            <span class={`badge ch-${a.change}`}>{zh(CHANGE_ZH, a.change)}</span>
          ) : (
            '无变化'
          )}
          {a.prev_level ? `（昨日${zh(LEVEL_ZH, a.prev_level)}）` : ''}
        </span>
        <span class="chip">区县 {a.district ?? '—'}</span>
        {a.legal_rep !== undefined ? (
          <span class="chip">法定代表人 {a.legal_rep ?? '—'}</span>
        ) : null}
        <span class="chip">
          处置 <StatusBadge status={a.status} />
          {a.assignee ? ` · 承办：${a.assignee}` : ''}
        </span>
        {a.scorer ? (
          <span class="chip muted">
            {zh(SCORER_ZH, a.scorer)}
            {a.model_version ? ` v${a.model_version}` : ''}
          </span>
        ) : null}
      </div>
      <div class="grid-detail">
        <div>
          <div class="card">
            <h2>预警原因</h2>
            <ul class="reasons" id="reasons">
              {a.reasons.map((r) => (
                <li>
                  <span>{r.text}</span>
                  <span title={`贡献 ${r.contribution.toFixed(3)}`}>
                    <div class="contrib">
                      <i
                        style={`width:${Math.round((Math.abs(r.contribution) / maxContrib) * 100)}%`}
                      />
                    </div>
                  </span>
                </li>
              ))}
            </ul>
          </div>
          <div class="card">
            <div class="row" style="justify-content:space-between">
              <h2>近 90 天：评分、广告与投诉</h2>
              <ChartLegend />
            </div>
            <ScoreChart points={p.series} marker={a.day} />
          </div>
          <div class="card" id="ads">
            <h2>
              广告证据{' '}
              <span class="muted small">
                近 90 天 {ev.ads.total} 条
                {ev.ads.total > ev.ads.items.length ? `，显示最新 ${ev.ads.items.length} 条` : ''}
              </span>
            </h2>
            {ev.ads.items.length === 0 ? <div class="empty">无广告记录</div> : null}
            {ev.ads.items.map((ad) => (
              <div class="ev">
                <div class="meta">
                  <span>{fmtTime(ad.seen_at)}</span>
                  <span>{zh(CHANNEL_ZH, ad.channel)}</span>
                  {ad.advertiser_name ? <span>广告主：{ad.advertiser_name}</span> : null}
                  {ad.phone ? <span>电话：{ad.phone}</span> : null}
                  {ad.url ? <span class="mono">{ad.url}</span> : null}
                  <span>关联方式：{zh(LINK_METHOD_ZH, ad.link_method)}</span>
                </div>
                {ad.title ? (
                  <div>
                    <b>{ad.title}</b>
                  </div>
                ) : null}
                <div class="text">
                  <Highlighted text={ad.text} spans={ad.spans} />
                </div>
                <YieldBesideBenchmark spans={ad.spans} day={ad.seen_at.slice(0, 10)} />
              </div>
            ))}
          </div>
          <div class="card" id="complaints">
            <h2>
              投诉证据{' '}
              <span class="muted small">
                近 90 天 {ev.complaints.total} 件
                {ev.complaints.total > ev.complaints.items.length
                  ? `，显示最新 ${ev.complaints.items.length} 件`
                  : ''}
              </span>
            </h2>
            {ev.complaints.items.length === 0 ? <div class="empty">无投诉记录</div> : null}
            {ev.complaints.items.map((cp) => (
              <div class="ev">
                <div class="meta">
                  <span>{fmtTime(cp.received_at)}</span>
                  <span>{zh(CHANNEL_ZH, cp.channel)}</span>
                  <span>被投诉：{cp.target_name}</span>
                  {cp.amount_cny !== null ? <span>涉及金额：{fmtCny(cp.amount_cny)}</span> : null}
                  {cp.district ? <span>{cp.district}</span> : null}
                  {cp.complainant_ref !== undefined ? (
                    <span>投诉人编号：{cp.complainant_ref ?? '—'}</span>
                  ) : null}
                  <span>关联方式：{zh(LINK_METHOD_ZH, cp.link_method)}</span>
                </div>
                <div class="text">
                  <Highlighted text={cp.text} spans={cp.spans} />
                </div>
              </div>
            ))}
          </div>
        </div>
        <div>
          <div class="card" id="disposition">
            <h2>处置</h2>
            {p.workflow ?? null}
            {p.can('createDisposition') ? (
              closed ? (
                <p class="muted">该案已{a.status}，流程结束。</p>
              ) : p.pending ? null : (
                <form
                  class="stack"
                  method="post"
                  enctype="multipart/form-data"
                  action={`${alertHref(a.day, a.uscc)}/disposition`}
                  id="disposition-form"
                >
                  <input type="hidden" name="_csrf" value={p.csrf} />
                  <div class="muted small">
                    流程：待核查 → 核查中 → 排除 / 移交 / 认定（移交 → 排除 /
                    认定）。认定、排除须同级或上级另一名监管人员批准后生效，写入案件结论，用于下次训练。
                  </div>
                  <label>
                    新状态
                    <select name="status" required>
                      {options.map((s) => (
                        <option
                          value={s}
                          selected={form.status ? form.status === s : s === next[0]}
                        >
                          {s === current ? `${s}（不变，仅改承办人或备注）` : s}
                        </option>
                      ))}
                    </select>
                  </label>
                  {p.referTo ?? null}
                  <label>
                    承办人
                    <input
                      type="text"
                      name="assignee"
                      maxlength={100}
                      value={form.assignee ?? a.assignee ?? ''}
                      placeholder="留空则不变"
                    />
                  </label>
                  <label>
                    案件编号（认定 / 排除时）
                    <input
                      type="text"
                      name="case_ref"
                      maxlength={100}
                      value={form.case_ref ?? ''}
                    />
                  </label>
                  <label>
                    备注
                    <textarea name="note" maxlength={2000}>
                      {form.note ?? ''}
                    </textarea>
                  </label>
                  <div>
                    <button type="submit">提交处置</button>
                  </div>
                </form>
              )
            ) : (
              <p class="muted small">您的角色只能查看处置记录。</p>
            )}
            <h3>处置记录</h3>
            {dispositions.length === 0 ? (
              <p class="muted small">尚无处置记录（待核查）。</p>
            ) : (
              <table class="small" id="disposition-history">
                <thead>
                  <tr>
                    <th>时间</th>
                    <th>状态</th>
                    <th>经办</th>
                    <th>承办人</th>
                    <th>备注</th>
                  </tr>
                </thead>
                <tbody>
                  {[...dispositions].reverse().map((x) => (
                    <tr>
                      <td class="nowrap">{fmtTime(x.at)}</td>
                      <td>
                        <StatusBadge status={x.status} />
                      </td>
                      <td>
                        {x.actor.replace(/^user:/, '')}
                        <div class="muted">{zh(ROLE_ZH, x.role)}</div>
                      </td>
                      <td>{x.assignee ?? '—'}</td>
                      <td>{x.note ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
          <div class="card">
            <h2>工商异常</h2>
            {ev.register.anomalies.length === 0 ? (
              <p class="muted small">无</p>
            ) : (
              <ul class="reasons">
                {ev.register.anomalies.map((x) => (
                  <li style="grid-template-columns:1fr">
                    <span>
                      <b>{x.label}</b>：{x.text}
                    </span>
                  </li>
                ))}
              </ul>
            )}
            <h3>近一年工商变更</h3>
            {ev.register.changes.length === 0 ? (
              <p class="muted small">无</p>
            ) : (
              <table class="small">
                <tbody>
                  {ev.register.changes.map((ch) => (
                    <tr>
                      <td class="nowrap">{ch.changed_on}</td>
                      <td class="nowrap">{zh(FIELD_ZH, ch.field)}</td>
                      <td>
                        {ch.before ?? '—'} → {ch.after ?? '—'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
          <div class="card">
            <h2>
              关联企业{' '}
              <span class="muted small">
                {ev.network.neighbours.length} 家
                {ev.network.confirmed_neighbours > 0
                  ? `，其中已认定 ${ev.network.confirmed_neighbours} 家`
                  : ''}
              </span>
            </h2>
            {ev.network.neighbours.length === 0 ? (
              <p class="muted small">未发现共享法定代表人、地址、电话或股东的企业。</p>
            ) : (
              <table class="small">
                <tbody>
                  {ev.network.neighbours.map((n) => (
                    <tr>
                      <td>
                        {n.uscc === null ? (
                          <span class="muted other-jurisdiction">{OTHER_JURISDICTION}</span>
                        ) : p.can('getEntity') ? (
                          <a href={entityHref(n.uscc)}>{n.name ?? n.uscc}</a>
                        ) : (
                          (n.name ?? n.uscc)
                        )}
                        {n.confirmed ? (
                          <span class="badge lv-red" style="margin-left:4px">
                            已认定
                          </span>
                        ) : null}
                      </td>
                      <td>
                        <LevelBadge level={n.latest_level} />
                      </td>
                      <td>{n.kinds.map((k) => zh(SHARED_KIND_ZH, k)).join('、')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </div>
      </div>
    </>
  );
}

/** GET /ui/alerts/:id (the detail page) and POST /ui/alerts/:id/disposition. */
export function mountDetail(kit: DashboardKit): void {
  const { app, db, render, page, formOf, fail } = kit;

  const renderDetail = async (
    x: PageCtx,
    id: string,
    flash: { ok?: string; err?: string },
    form?: Record<string, string>,
    status = 200,
  ) => {
    const r = await x.api.get<AlertDetail>(`/v1/alerts/${encodeURIComponent(id)}`);
    if (!r.ok) return fail(x, '预警详情', 'alerts', r);
    const a = r.data.alert;
    const series = await entitySeries(db, a.uscc, a.day, 90);
    const jurisdictions = x.can('createDisposition') ? await jurisdictionsOf(x.api) : undefined;
    const closed = a.status === '认定' || a.status === '排除';
    return render(
      x.c,
      `${a.name ?? a.uscc} · 预警详情`,
      'alerts',
      <DetailPage
        d={r.data}
        series={series}
        can={x.can}
        csrf={x.session.csrf}
        flashOk={flash.ok}
        flashErr={flash.err}
        form={form}
        workflow={
          <WorkflowPanel
            w={r.data.workflow}
            x={x}
            alertPath={alertHref(a.day, a.uscc)}
            closed={closed && x.can('reopenEnterprise')}
          />
        }
        pending={Boolean(r.data.workflow?.pending_approval ?? r.data.workflow?.pending_referral)}
        referTo={<ReferToField j={jurisdictions} office={r.data.workflow?.office ?? null} />}
      />,
      x,
      status,
    );
  };

  app.get(
    `${BASE}/alerts/:id`,
    page(async (x) => {
      const saved = x.c.req.query('saved');
      return renderDetail(
        x,
        x.c.req.param('id') ?? '',
        saved ? { ok: `处置已记录：${saved}` } : {},
      );
    }),
  );

  app.post(
    `${BASE}/alerts/:id/disposition`,
    page(async (x) => {
      const id = x.c.req.param('id') ?? '';
      const f = formOf(x.c);
      const status = str(f['status']) ?? '';
      const note = str(f['note']);
      const assignee = str(f['assignee']);
      const caseRef = str(f['case_ref']);
      const referTo = status === '移交' ? str(f['refer_to']) : undefined;
      const body = {
        status,
        ...(note ? { note } : {}),
        ...(assignee ? { assignee } : {}),
        ...(caseRef ? { case_ref: caseRef } : {}),
        ...(referTo ? { refer_to: referTo } : {}),
      };
      const r = await x.api.post<{ status?: string; proposed?: string }>(
        `/v1/alerts/${encodeURIComponent(id)}/dispositions`,
        body,
      );
      if (r.ok)
        return x.c.redirect(
          `${BASE}/alerts/${id}?saved=${encodeURIComponent(
            r.status === 202
              ? `已提请${r.data.proposed ?? status}，待同级或上级另一人批准`
              : (r.data.status ?? status),
          )}#disposition`,
          303,
        );
      const msg =
        r.status === 409
          ? `不允许的状态变更：${r.problem.detail}`
          : r.status === 403
            ? '您的角色无权记录处置。'
            : r.status === 400
              ? `输入有误：${r.problem.detail}`
              : `处置未能记录：${problemText(r)}`;
      const keep: Record<string, string> = {
        status,
        note: note ?? '',
        assignee: assignee ?? '',
        case_ref: caseRef ?? '',
      };
      return renderDetail(
        x,
        id,
        { err: msg },
        keep,
        r.status === 403 ? 403 : r.status >= 500 ? 500 : 400,
      );
    }),
  );
}
