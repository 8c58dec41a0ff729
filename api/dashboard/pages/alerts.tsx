/** 今日预警: one day's list with filters, the day's counts, paging and exports. */
import type { Child } from 'hono/jsx';
import { DISPOSITION_STATUSES, type AlertRow } from '../../../pipeline/queries/index.ts';
import type { Redacted } from '../../redact.ts';
import { alertHref, BASE, LevelBadge, Problem, StatusBadge } from '../layout.tsx';
import { CHANGE_ZH, fmtScore, LEVEL_ZH, SCORER_ZH, zh } from '../labels.ts';
import type { Can } from '../permissions.ts';
import { withQuery } from '../api-call.ts';
import { DAY_RE, str, type DashboardKit } from '../kit.tsx';
import { listDays, listDistricts, type DaySummary } from '../queries.ts';
import { jurisdictionsOf, switcherFor } from './workflow.tsx';

/** A listed row as GET /v1/alerts returns it (personal fields depend on the role). */
export type AlertItem = Redacted<AlertRow>;

export interface AlertFilters {
  date?: string | undefined;
  level?: string | undefined;
  district?: string | undefined;
  status?: string | undefined;
  q?: string | undefined;
  /** An office below the caller's (the jurisdiction switcher). */
  jurisdiction?: string | undefined;
}

export interface AlertsPageProps {
  day: string | null;
  filters: AlertFilters;
  items: AlertItem[];
  nextCursor: string | null;
  paged: boolean;
  summary: DaySummary | undefined;
  days: string[];
  districts: string[];
  can: Can;
  /** The jurisdiction switcher (offices above a district); null for one office. */
  switcher?: Child;
  /** A message above the table (e.g. no list that day). */
  notice?: string | undefined;
}

function qs(f: AlertFilters, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function AlertsPage(p: AlertsPageProps): Child {
  const day = p.day;
  const f = p.filters;
  const idx = day ? p.days.indexOf(day) : -1;
  const prevDay = idx >= 0 ? p.days[idx + 1] : undefined;
  const nextDay = idx > 0 ? p.days[idx - 1] : undefined;
  const latest = p.days[0];
  const filtered = Boolean(f.level || f.district || f.status || f.q);
  const s = p.summary;
  return (
    <>
      <div class="row" style="justify-content:space-between">
        <h1>
          {day === latest ? '今日预警' : '历史预警'}
          {day ? (
            <span class="muted" style="font-weight:400;margin-left:8px">
              {day}
            </span>
          ) : null}
        </h1>
        {day && (p.can('exportAlertsXlsx') || p.can('exportAlertsCsv')) ? (
          <div class="row">
            {p.can('exportAlertsXlsx') ? (
              <a
                class="btn ghost"
                id="export-xlsx"
                href={`${BASE}/exports/alerts.xlsx${qs({ date: day, jurisdiction: f.jurisdiction })}`}
              >
                导出 Excel
              </a>
            ) : null}
            {p.can('exportAlertsCsv') ? (
              <a
                class="btn ghost"
                id="export-csv"
                href={`${BASE}/exports/alerts.csv${qs({ date: day, jurisdiction: f.jurisdiction })}`}
              >
                导出 CSV
              </a>
            ) : null}
          </div>
        ) : null}
      </div>
      <div class="card">
        <form class="filters" method="get" action={`${BASE}/`}>
          {p.switcher ?? null}
          <label>
            日期
            <span class="row" style="gap:4px">
              {prevDay ? (
                <a class="btn ghost" href={`${BASE}/${qs({ ...f, date: prevDay })}`} title="前一天">
                  ‹
                </a>
              ) : null}
              <input
                type="date"
                name="date"
                value={day ?? ''}
                min={p.days[p.days.length - 1] ?? ''}
                max={latest ?? ''}
                data-autosubmit
              />
              {nextDay ? (
                <a class="btn ghost" href={`${BASE}/${qs({ ...f, date: nextDay })}`} title="后一天">
                  ›
                </a>
              ) : null}
            </span>
          </label>
          <label>
            等级
            <select name="level" data-autosubmit>
              <option value="">全部</option>
              {(['red', 'orange', 'yellow'] as const).map((l) => (
                <option value={l} selected={f.level === l}>
                  {LEVEL_ZH[l]}
                </option>
              ))}
            </select>
          </label>
          <label>
            区县
            <select name="district" data-autosubmit>
              <option value="">全部</option>
              {p.districts.map((d) => (
                <option value={d} selected={f.district === d}>
                  {d}
                </option>
              ))}
            </select>
          </label>
          <label>
            处置状态
            <select name="status" data-autosubmit>
              <option value="">全部</option>
              {DISPOSITION_STATUSES.map((st) => (
                <option value={st} selected={f.status === st}>
                  {st}
                </option>
              ))}
            </select>
          </label>
          <label>
            关键词
            <input
              type="search"
              name="q"
              value={f.q ?? ''}
              placeholder="企业名称 / 信用代码 / 法定代表人"
              maxlength={100}
              style="width:240px"
            />
          </label>
          <button type="submit">筛选</button>
          {filtered ? (
            <a
              class="btn ghost"
              href={`${BASE}/${qs({ date: day ?? undefined, jurisdiction: f.jurisdiction })}`}
            >
              清除筛选
            </a>
          ) : null}
        </form>
        {s ? (
          <div class="chips">
            <span class="chip">
              入单 <b>{s.listed}</b> / 评分 {s.enterprises} 家
            </span>
            <span class="chip">
              <span class="badge lv-red">红</span> {s.red}
            </span>
            <span class="chip">
              <span class="badge lv-orange">橙</span> {s.orange}
            </span>
            <span class="chip">
              <span class="badge lv-yellow">黄</span> {s.yellow}
            </span>
            <span class="chip">
              较昨日：新增 {s.new} · 升级 {s.level_up} · 降级 {s.level_down} · 移出 {s.dropped}
            </span>
            <span class="chip muted">
              {zh(SCORER_ZH, s.scorer)}
              {s.model_version ? ` v${s.model_version}` : ''} · 第 {s.revision} 版 · 发布于{' '}
              {s.published_at}
            </span>
            {s.fallback ? (
              <span class="chip" id="scorer-fallback">
                <span class="badge fail">模型故障</span> 本版改由规则指数排序：{s.fallback}
              </span>
            ) : null}
          </div>
        ) : null}
      </div>
      <div class="card" style="padding:0">
        {p.items.length === 0 ? (
          <div class="empty">
            {p.notice ?? (day ? '没有符合条件的预警。' : '尚未发布任何预警名单。')}
          </div>
        ) : (
          <table id="alerts">
            <thead>
              <tr>
                <th class="num">排名</th>
                <th>等级</th>
                <th>企业名称</th>
                <th>统一社会信用代码</th>
                <th>区县</th>
                <th class="num">评分</th>
                <th>较昨日</th>
                <th>主要原因</th>
                <th>处置状态</th>
                <th>承办人</th>
              </tr>
            </thead>
            <tbody>
              {p.items.map((a) => (
                <tr data-uscc={a.uscc}>
                  <td class="num">{a.rank}</td>
                  <td>
                    <LevelBadge level={a.level} />
                  </td>
                  <td>
                    <a href={alertHref(a.day, a.uscc)} class="alert-link">
                      {a.name ?? a.uscc}
                    </a>
                  </td>
                  <td class="mono muted nowrap">{a.uscc}</td>
                  <td class="nowrap">{a.district ?? '—'}</td>
                  <td class="num nowrap">
                    {fmtScore(a.score)}
                    <span class="scorebar">
                      <i style={`width:${Math.round(Math.max(0, Math.min(1, a.score)) * 100)}%`} />
                    </span>
                  </td>
                  <td>
                    {a.change ? (
                      <span
                        class={`badge ch-${a.change}`}
                        title={a.prev_level ? `昨日：${zh(LEVEL_ZH, a.prev_level)}` : '昨日未入单'}
                      >
                        {zh(CHANGE_ZH, a.change)}
                      </span>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  <td class="small">
                    {a.reasons
                      .slice(0, 2)
                      .map((r) => r.text)
                      .join('；') || '—'}
                  </td>
                  <td>
                    <StatusBadge status={a.status} />
                  </td>
                  <td class="small">{a.assignee ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div class="pager">
        <span class="muted small">
          本页 {p.items.length} 条{p.paged ? '（非第一页）' : ''}
        </span>
        <span class="row">
          {p.paged ? (
            <a class="btn ghost" href={`${BASE}/${qs({ ...f, date: day ?? undefined })}`}>
              回到第一页
            </a>
          ) : null}
          {p.nextCursor ? (
            <a
              class="btn ghost"
              href={`${BASE}/${qs({ ...f, date: day ?? undefined }, { cursor: p.nextCursor })}`}
            >
              下一页 →
            </a>
          ) : null}
        </span>
      </div>
    </>
  );
}

/** GET /ui/ (the day's list) and GET /ui/exports/alerts.{csv,xlsx} (the API's export, streamed). */
export function mountAlerts(kit: DashboardKit): void {
  const { app, db, render, page, fail } = kit;

  app.get(
    `${BASE}/`,
    page(async (x) => {
      const q = x.c.req.query();
      const filters: AlertFilters = {
        date: DAY_RE.test(q['date'] ?? '') ? q['date'] : undefined,
        level: str(q['level']),
        district: str(q['district']),
        status: str(q['status']),
        q: str(q['q']),
        jurisdiction: str(q['jurisdiction']),
      };
      const cursor = str(q['cursor']);
      const switcher = switcherFor(await jurisdictionsOf(x.api), filters.jurisdiction);
      const r = await x.api.get<{
        date: string | null;
        items: AlertItem[];
        next_cursor: string | null;
      }>('/v1/alerts', {
        ...filters,
        limit: 50,
        cursor,
      });
      if (!r.ok && r.status === 404 && filters.date) {
        // a day without a list: keep the page (and its date picker) and say so
        return render(
          x.c,
          `预警名单 ${filters.date}`,
          'alerts',
          <AlertsPage
            day={filters.date}
            filters={filters}
            items={[]}
            nextCursor={null}
            paged={false}
            summary={undefined}
            days={await listDays(db)}
            districts={await listDistricts(db)}
            can={x.can}
            switcher={switcher}
            notice={`${filters.date} 未发布预警名单。`}
          />,
          x,
          404,
        );
      }
      if (!r.ok) return fail(x, '今日预警', 'alerts', r);
      const day = r.data.date;
      // the day's counts for the caller's area (and the switcher's office)
      const sum = day
        ? await x.api.get<DaySummary>('/v1/summary', {
            date: day,
            jurisdiction: filters.jurisdiction,
          })
        : undefined;
      const [summary, days, districts] = [
        sum?.ok ? sum.data : undefined,
        await listDays(db),
        await listDistricts(db),
      ];
      return render(
        x.c,
        day ? `预警名单 ${day}` : '今日预警',
        'alerts',
        <AlertsPage
          day={day}
          filters={filters}
          items={r.data.items}
          nextCursor={r.data.next_cursor}
          paged={cursor !== undefined}
          summary={summary}
          days={days}
          districts={districts}
          can={x.can}
          switcher={switcher}
        />,
        x,
      );
    }),
  );

  app.get(
    `${BASE}/exports/:file{alerts\\.(?:csv|xlsx)}`,
    page(async (x) => {
      const date = x.c.req.query('date') ?? '';
      const res = await x.api.raw(
        'GET',
        withQuery(`/v1/exports/${x.c.req.param('file') ?? ''}`, {
          date,
          jurisdiction: x.c.req.query('jurisdiction'),
        }),
      );
      if (!res.ok) {
        const text = await res.text();
        let detail = text.slice(0, 300);
        try {
          detail = (JSON.parse(text) as { detail?: string }).detail ?? detail;
        } catch {
          /* not JSON */
        }
        return render(
          x.c,
          '导出',
          'alerts',
          <Problem status={res.status} detail={detail} />,
          x,
          res.status,
        );
      }
      return res;
    }),
  );
}
