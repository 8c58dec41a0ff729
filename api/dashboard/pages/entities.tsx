/** 企业查询 (search) and 企业档案 (profile, timeline, network). */
import type { Child } from 'hono/jsx';
import {
  HISTORY_KINDS,
  type EntityHit as QueryEntityHit,
  type EntityProfile,
  type HistoryEvent,
} from '../../../pipeline/queries/index.ts';
import type { Redacted } from '../../redact.ts';
import type { ScopedNetwork } from '../../scope.ts';
import { NetworkGraph, NetworkLegend } from '../charts.tsx';
import { alertHref, BASE, entityHref, LevelBadge, Problem, StatusBadge } from '../layout.tsx';
import {
  CHANNEL_ZH,
  FIELD_ZH,
  fmtInt,
  fmtScore,
  fmtTime,
  HISTORY_KIND_ZH,
  SHARED_KIND_ZH,
  text,
  zh,
} from '../labels.ts';
import type { ApiResult } from '../api-call.ts';
import { problemText, str, type DashboardKit } from '../kit.tsx';

export type EntityHit = Redacted<QueryEntityHit>;

const MATCH_ZH: Record<string, string> = {
  uscc: '信用代码',
  phone: '电话',
  name: '名称',
  legal_rep: '法定代表人',
  address: '地址',
  name_fuzzy: '名称相近',
};

export function SearchForm(p: { q: string }): Child {
  return (
    <form class="filters" method="get" action={`${BASE}/entities`}>
      <label>
        企业名称、曾用名、统一社会信用代码、法定代表人、电话或地址
        <input
          type="search"
          name="q"
          value={p.q}
          maxlength={100}
          style="width:420px"
          required
          autofocus
        />
      </label>
      <button type="submit">查询</button>
    </form>
  );
}

export function SearchPage(p: { q: string; items: EntityHit[] | null }): Child {
  return (
    <>
      <h1>企业查询</h1>
      <div class="card">
        <SearchForm q={p.q} />
      </div>
      {p.items === null ? null : (
        <div class="card" style="padding:0">
          {p.items.length === 0 ? (
            <div class="empty">没有找到匹配的企业。</div>
          ) : (
            <table id="search-results">
              <thead>
                <tr>
                  <th>企业名称</th>
                  <th>统一社会信用代码</th>
                  <th>法定代表人</th>
                  <th>区县</th>
                  <th>地址</th>
                  <th>登记状态</th>
                  <th>最新预警</th>
                  <th>匹配</th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((h) => (
                  <tr>
                    <td>
                      <a href={entityHref(h.uscc)}>{h.name}</a>
                    </td>
                    <td class="mono">{h.uscc}</td>
                    <td>
                      {h.legal_rep === undefined ? (
                        <span class="muted">（不可见）</span>
                      ) : (
                        (h.legal_rep ?? '—')
                      )}
                    </td>
                    <td>{h.district ?? '—'}</td>
                    <td class="small">{h.address ?? '—'}</td>
                    <td>{h.status ?? '—'}</td>
                    <td>
                      <LevelBadge level={h.latest_level} />
                    </td>
                    <td class="small muted">
                      {MATCH_ZH[h.match] ?? h.match} {h.score < 1 ? `(${h.score.toFixed(2)})` : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </>
  );
}

export type Profile = Redacted<EntityProfile>;

/** A timeline event as GET /v1/entities/{uscc}/history returns it. */
export type HistoryItem = Redacted<HistoryEvent>;

/** How a network neighbour outside the caller's area is named. */
export const OTHER_JURISDICTION = '另一辖区的企业';

/**
 * The network as GET /v1/entities/{uscc}/network returns it: a neighbour outside the caller's
 * area has no USCC, name or shared value (other_jurisdiction).
 */
export type NetworkData = Redacted<ScopedNetwork>;

/** The value a neighbour shares of one kind (legal_rep, address, phone, shareholder). */
function sharedValue(n: NetworkData['neighbours'][number], kind: string): string | undefined {
  return (n.shared as Readonly<Record<string, string | undefined>>)[kind];
}

function shareholdersText(v: unknown): string {
  if (!Array.isArray(v) || v.length === 0) return '—';
  return v
    .map((s: unknown) => {
      const o = (s ?? {}) as { name?: unknown; share_pct?: unknown };
      return `${text(o.name) || '?'}${typeof o.share_pct === 'number' ? ` ${o.share_pct}%` : ''}`;
    })
    .join('、');
}

function historyHref(uscc: string, kinds: string | undefined, cursor?: string): string {
  const p = new URLSearchParams();
  if (kinds) p.set('kinds', kinds);
  if (cursor) p.set('cursor', cursor);
  const s = p.toString();
  return `${entityHref(uscc)}${s ? `?${s}` : ''}#timeline`;
}

function TimelineDetail(p: { item: HistoryItem; uscc: string }): Child {
  const e = p.item;
  if (e.kind === 'score' && e.data.level) {
    return <a href={alertHref(e.data.day, p.uscc)}>{e.summary}</a>;
  }
  if (e.kind === 'disposition') {
    const d = e.data;
    return (
      <span>
        <StatusBadge status={d.status} /> {text(d.note)}
        <span class="muted small">
          {' '}
          · {d.actor.replace(/^user:/, '')}
          {text(d.assignee) ? ` · 承办：${text(d.assignee)}` : ''} ·{' '}
          <a href={alertHref(d.alert_day, p.uscc)}>{d.alert_day} 预警</a>
        </span>
      </span>
    );
  }
  if (e.kind === 'change') {
    const d = e.data;
    return (
      <span>
        变更{zh(FIELD_ZH, d.field)}：{text(d.before) || '—'} → {text(d.after) || '—'}
      </span>
    );
  }
  if (e.kind === 'ad' || e.kind === 'complaint') {
    const d = e.data;
    const ref = 'complainant_ref' in d ? text(d.complainant_ref) : '';
    return (
      <details>
        <summary>
          {e.kind === 'ad' ? '广告' : '投诉'}（{zh(CHANNEL_ZH, d.channel)}）
          {('title' in d ? text(d.title) : '') || [...d.text].slice(0, 40).join('')}
        </summary>
        <div class="small">{d.text}</div>
        {ref ? <div class="small muted">投诉人编号：{ref}</div> : null}
      </details>
    );
  }
  return <span>{e.summary}</span>;
}

export interface EntityPageProps {
  profile: Profile;
  history: { items: HistoryItem[]; has_more: boolean; next_cursor: string | null } | null;
  historyError?: string | undefined;
  kinds: string | undefined;
  network: NetworkData | null;
}

export function EntityPage(p: EntityPageProps): Child {
  const pr = p.profile;
  const la = pr.latest_alert;
  return (
    <>
      <div class="row" style="justify-content:space-between">
        <h1 class="row">
          {la?.level ? <LevelBadge level={la.level} /> : null}
          <span>{pr.name}</span>
          <span class="mono muted" style="font-weight:400">
            {pr.uscc}
          </span>
        </h1>
        <div class="row">
          {la?.level ? (
            <a class="btn ghost" href={alertHref(la.day, pr.uscc)}>
              最新预警（{la.day}）
            </a>
          ) : null}
          <a class="btn ghost" href={`${BASE}/entities`}>
            企业查询
          </a>
        </div>
      </div>
      <div class="grid-detail">
        <div>
          <div class="card">
            <h2>
              登记信息 <span class="muted small">截至 {pr.as_of}</span>
            </h2>
            <dl class="kv">
              <dt>登记状态</dt>
              <dd>{pr.status ?? '—'}</dd>
              <dt>成立日期</dt>
              <dd>{pr.established_on ?? '—'}</dd>
              {pr.legal_rep !== undefined ? (
                <>
                  <dt>法定代表人</dt>
                  <dd>{pr.legal_rep ?? '—'}</dd>
                </>
              ) : null}
              <dt>注册 / 实缴资本</dt>
              <dd>
                {pr.registered_capital_wan ?? '—'} 万元 / {pr.paid_in_capital_wan ?? '—'} 万元
              </dd>
              <dt>企业类型</dt>
              <dd>{pr.enterprise_type ?? '—'}</dd>
              <dt>行业代码</dt>
              <dd>{pr.industry_code ?? '—'}</dd>
              <dt>地址</dt>
              <dd>
                {pr.address ?? '—'}（{pr.district ?? '—'}）
              </dd>
              {pr.phone !== undefined ? (
                <>
                  <dt>电话</dt>
                  <dd>{pr.phone ?? '—'}</dd>
                </>
              ) : null}
              <dt>网站</dt>
              <dd>{pr.website ?? '—'}</dd>
              <dt>股东</dt>
              <dd>{shareholdersText(pr.shareholders)}</dd>
              <dt>曾用名</dt>
              <dd>{pr.former_names.length ? pr.former_names.join('、') : '—'}</dd>
              <dt>经营范围</dt>
              <dd class="small">{pr.business_scope ?? '—'}</dd>
            </dl>
          </div>
          <div class="card" id="timeline">
            <div class="row" style="justify-content:space-between">
              <h2>时间线</h2>
              <div class="row small">
                <a href={historyHref(pr.uscc, undefined)} class={p.kinds ? '' : 'badge st'}>
                  全部
                </a>
                {HISTORY_KINDS.map((k) => (
                  <a href={historyHref(pr.uscc, k)} class={p.kinds === k ? 'badge st' : ''}>
                    {zh(HISTORY_KIND_ZH, k)}
                  </a>
                ))}
              </div>
            </div>
            {p.history === null ? (
              <p class="muted">{p.historyError ?? '时间线不可用。'}</p>
            ) : p.history.items.length === 0 ? (
              <div class="empty">无记录</div>
            ) : (
              <ul class="timeline">
                {p.history.items.map((it) => (
                  <li data-kind={it.kind}>
                    <span class="small nowrap">{fmtTime(it.at)}</span>
                    <span class={`tk tk-${it.kind}`}>{zh(HISTORY_KIND_ZH, it.kind)}</span>
                    <span>
                      <TimelineDetail item={it} uscc={pr.uscc} />
                    </span>
                  </li>
                ))}
              </ul>
            )}
            {p.history?.next_cursor ? (
              <div class="pager">
                <span />
                <a class="btn ghost" href={historyHref(pr.uscc, p.kinds, p.history.next_cursor)}>
                  更早 →
                </a>
              </div>
            ) : null}
          </div>
        </div>
        <div>
          <div class="card">
            <h2>概况</h2>
            <dl class="kv">
              <dt>最新评分</dt>
              <dd>
                {la ? (
                  <>
                    {fmtScore(la.score)}（{la.day} 第 {la.rank} 名）
                  </>
                ) : (
                  '—'
                )}
              </dd>
              <dt>处置状态</dt>
              <dd>
                <StatusBadge status={pr.disposition.status} />
                {pr.disposition.assignee ? ` 承办：${pr.disposition.assignee}` : ''}
              </dd>
              <dt>广告 / 投诉</dt>
              <dd>
                {fmtInt(pr.counts.ads)} 条 / {fmtInt(pr.counts.complaints)} 件
              </dd>
              <dt>工商变更</dt>
              <dd>{fmtInt(pr.counts.changes)} 次</dd>
              <dt>案件结论</dt>
              <dd>
                {pr.outcomes.length === 0
                  ? '—'
                  : pr.outcomes
                      .map(
                        (o) =>
                          `${o.decided_on} ${o.outcome === 'confirmed' ? '认定' : '排除'}${o.case_ref ? `（${o.case_ref}）` : ''}`,
                      )
                      .join('；')}
              </dd>
            </dl>
          </div>
          <div class="card" id="network">
            <h2>
              关联网络{' '}
              {p.network ? (
                <span class="muted small">
                  {p.network.neighbours.length} 家关联企业
                  {p.network.confirmed_neighbours > 0
                    ? `，已认定 ${p.network.confirmed_neighbours} 家`
                    : ''}
                  {p.network.confirmed_distance !== null && p.network.confirmed_distance < 3
                    ? `，距已认定案件 ${p.network.confirmed_distance} 跳`
                    : ''}
                </span>
              ) : null}
            </h2>
            {p.network === null ? (
              <p class="muted">关联网络不可用。</p>
            ) : p.network.neighbours.length === 0 ? (
              <p class="muted small">未发现共享法定代表人、地址、电话或股东的企业。</p>
            ) : (
              <>
                <NetworkGraph
                  center={{ label: pr.name, level: la?.level ?? null }}
                  nodes={p.network.neighbours.map((n, i) => ({
                    id: n.uscc ?? `other-${i}`,
                    label: n.uscc === null ? OTHER_JURISDICTION : (n.name ?? n.uscc),
                    href: n.uscc === null ? undefined : entityHref(n.uscc),
                    kinds: n.kinds,
                    confirmed: n.confirmed,
                    level: n.latest_level,
                  }))}
                />
                <NetworkLegend />
                <table class="small" style="margin-top:6px">
                  <thead>
                    <tr>
                      <th>企业</th>
                      <th>预警</th>
                      <th>关联</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.network.neighbours.map((n) => (
                      <tr>
                        <td>
                          {n.uscc === null ? (
                            <span class="muted other-jurisdiction">{OTHER_JURISDICTION}</span>
                          ) : (
                            <a href={entityHref(n.uscc)}>{n.name ?? n.uscc}</a>
                          )}
                          {n.confirmed ? (
                            <span class="badge lv-red" style="margin-left:4px">
                              已认定
                            </span>
                          ) : null}
                          <div class="muted">{n.district ?? ''}</div>
                        </td>
                        <td>
                          <LevelBadge level={n.latest_level} />
                        </td>
                        <td>
                          {n.kinds.map((k) => (
                            <div>
                              {zh(SHARED_KIND_ZH, k)}
                              {sharedValue(n, k) ? (
                                <span class="muted">：{sharedValue(n, k)}</span>
                              ) : null}
                            </div>
                          ))}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </div>
        </div>
      </div>
    </>
  );
}

/** GET /ui/entities (search) and GET /ui/entities/:uscc (profile, timeline, network). */
export function mountEntities(kit: DashboardKit): void {
  const { app, render, page, fail } = kit;

  app.get(
    `${BASE}/entities`,
    page(async (x) => {
      const q = str(x.c.req.query('q'));
      if (!q) {
        if (!x.can('searchEntities'))
          return render(
            x.c,
            '企业查询',
            'entities',
            <Problem status={403} detail="searchEntities" />,
            x,
            403,
          );
        return render(x.c, '企业查询', 'entities', <SearchPage q="" items={null} />, x);
      }
      const r = await x.api.get<{ items: EntityHit[] }>('/v1/entities', { q, limit: 30 });
      if (!r.ok) return fail(x, '企业查询', 'entities', r);
      return render(x.c, `查询：${q}`, 'entities', <SearchPage q={q} items={r.data.items} />, x);
    }),
  );

  app.get(
    `${BASE}/entities/:uscc`,
    page(async (x) => {
      const uscc = x.c.req.param('uscc') ?? '';
      const kinds = str(x.c.req.query('kinds'));
      const cursor = str(x.c.req.query('cursor'));
      const prof = await x.api.get<Profile>(`/v1/entities/${encodeURIComponent(uscc)}`);
      if (!prof.ok) return fail(x, '企业档案', 'entities', prof);
      const hist: ApiResult<{
        items: HistoryItem[];
        has_more: boolean;
        next_cursor: string | null;
      }> = await x.api.get(`/v1/entities/${encodeURIComponent(uscc)}/history`, {
        kinds,
        cursor,
        limit: 60,
      });
      const net: ApiResult<NetworkData> = await x.api.get(
        `/v1/entities/${encodeURIComponent(uscc)}/network`,
        { limit: 30 },
      );
      return render(
        x.c,
        `${prof.data.name} · 企业档案`,
        'entities',
        <EntityPage
          profile={prof.data}
          history={hist.ok ? hist.data : null}
          historyError={hist.ok ? undefined : problemText(hist)}
          kinds={kinds}
          network={net.ok ? net.data : null}
        />,
        x,
      );
    }),
  );
}
