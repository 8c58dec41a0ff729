/** 运行: the run ledger and the quarantine browser. */
import type { Child } from 'hono/jsx';
import type { QuarantineRow, RunRow } from '../../../pipeline/queries/index.ts';
import { BASE, Flash } from '../layout.tsx';
import { FEED_ZH, RUN_STATUS_ZH, SCORER_ZH, text, zh } from '../labels.ts';
import { OperationsPanel, type OperationsData } from './operations.tsx';
import { FEED_NAMES } from '../../../pipeline/feeds/index.ts';
import type { ApiResult } from '../api-call.ts';
import { problemText, str, type DashboardKit } from '../kit.tsx';
import { listDays } from '../queries.ts';

/** A ledger row as GET /v1/runs returns it. */
export type RunItem = RunRow;

/** A quarantined record as GET /v1/quarantine returns it. */
export type QuarantineItem = QuarantineRow;

const short = (s: string | null) =>
  s
    ? s
        .replace(/\.\d+/, '')
        .replace(/([+-]\d{2})(:?\d{2})?$/, '')
        .slice(0, 19)
    : '—';

function duration(a: string, b: string | null): string {
  if (!b) return '—';
  const iso = (s: string) => s.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00');
  const ms = new Date(iso(b)).getTime() - new Date(iso(a)).getTime();
  if (!Number.isFinite(ms)) return '—';
  return ms < 1000
    ? `${ms} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${(ms / 60_000).toFixed(1)} min`;
}

const COUNT_KEY_ZH: Record<string, string> = {
  revision: '版本',
  published: '已发布',
  listed: '入单',
  scorer: '评分方式',
  modelVersion: '模型版本',
  enterprises: '评分企业',
  read: '读取',
  accepted: '接收',
  duplicate: '重复',
  corrected: '更正',
  quarantined: '隔离',
};

function countsText(c: unknown): string {
  if (c === null || c === undefined) return '';
  if (typeof c !== 'object') return text(c);
  return Object.entries(c as Record<string, unknown>)
    .filter(([k, v]) => (typeof v !== 'object' || v === null) && k !== 'seconds' && k !== 'day')
    .map(([k, v]) => {
      const shown =
        v === null
          ? '—'
          : typeof v === 'boolean'
            ? v
              ? '是'
              : '否'
            : k === 'scorer'
              ? zh(SCORER_ZH, text(v))
              : typeof v === 'number' && !Number.isInteger(v)
                ? v.toFixed(2)
                : text(v);
      return `${COUNT_KEY_ZH[k] ?? k} ${shown}`;
    })
    .join(' · ');
}

export function RunsPage(p: {
  runs: { items: RunItem[]; next_cursor: string | null } | null;
  runsError?: string | undefined;
  status: string | undefined;
  quarantine: { items: QuarantineItem[]; next_cursor: string | null } | null;
  quarantineError?: string | undefined;
  feed: string | undefined;
  feeds: readonly string[];
  /** Trigger form (data scientists, admins): the default day and the form token. */
  trigger?: { day: string; csrf: string } | undefined;
  flashOk?: string | undefined;
  flashErr?: string | undefined;
  /** Held batches, files moved aside, notices (from GET /v1/runs); the form token for admins. */
  operations?: { data: OperationsData; csrf?: string | undefined } | undefined;
}): Child {
  return (
    <>
      <div class="row" style="justify-content:space-between">
        <h1>运行</h1>
        {p.trigger ? (
          <form
            class="filters"
            method="post"
            action={`${BASE}/runs`}
            id="trigger-run"
            data-confirm="确定重新计算并发布该日的预警名单吗？"
          >
            <input type="hidden" name="_csrf" value={p.trigger.csrf} />
            <label>
              名单日期
              <input type="date" name="date" value={p.trigger.day} required />
            </label>
            <button type="submit">运行该日</button>
          </form>
        ) : null}
      </div>
      <Flash ok={p.flashOk} err={p.flashErr} />
      {p.operations ? <OperationsPanel {...p.operations} /> : null}
      <div class="card" id="runs">
        <div class="row" style="justify-content:space-between">
          <h2>运行记录</h2>
          <form class="filters" method="get" action={`${BASE}/runs`}>
            {p.feed ? <input type="hidden" name="feed" value={p.feed} /> : null}
            <label>
              状态
              <select name="status" data-autosubmit>
                <option value="">全部</option>
                {(['failed', 'held', 'warning', 'queued', 'running', 'ok'] as const).map((s) => (
                  <option value={s} selected={p.status === s}>
                    {RUN_STATUS_ZH[s]}
                  </option>
                ))}
              </select>
            </label>
          </form>
        </div>
        {p.runs === null ? (
          <p class="muted">{p.runsError}</p>
        ) : p.runs.items.length === 0 ? (
          <div class="empty">没有运行记录。</div>
        ) : (
          <div class="scroll" style="max-height:300px">
            <table class="small">
              <thead>
                <tr>
                  <th class="num">#</th>
                  <th>任务</th>
                  <th>对象</th>
                  <th>开始</th>
                  <th class="num">耗时</th>
                  <th>状态</th>
                  <th>计数 / 错误</th>
                </tr>
              </thead>
              <tbody>
                {p.runs.items.map((r) => (
                  <tr>
                    <td class="num">{r.run_id}</td>
                    <td class="mono">{r.job}</td>
                    <td>{r.target ?? '—'}</td>
                    <td class="nowrap">{short(r.started_at)}</td>
                    <td class="num">{duration(r.started_at, r.finished_at)}</td>
                    <td>
                      <span
                        class={`badge ${r.status === 'ok' ? 'ok' : r.status === 'failed' || r.status === 'held' || r.status === 'warning' ? 'fail' : 'run'}`}
                      >
                        {zh(RUN_STATUS_ZH, r.status)}
                      </span>
                    </td>
                    <td>
                      {r.error ? (
                        <span style="color:#b42318">{r.error}</span>
                      ) : (
                        <span class="muted">{countsText(r.counts)}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {p.runs?.next_cursor ? (
          <div class="pager">
            <span />
            <a
              class="btn ghost"
              href={`${BASE}/runs?${new URLSearchParams({ ...(p.status ? { status: p.status } : {}), run_cursor: p.runs.next_cursor }).toString()}`}
            >
              更早 →
            </a>
          </div>
        ) : null}
      </div>
      <div class="card" id="quarantine">
        <div class="row" style="justify-content:space-between">
          <h2>
            隔离区 <span class="muted small">不符合数据规范、未入库的记录</span>
          </h2>
          {p.quarantine ? (
            <form class="filters" method="get" action={`${BASE}/runs`}>
              {p.status ? <input type="hidden" name="status" value={p.status} /> : null}
              <label>
                数据源
                <select name="feed" data-autosubmit>
                  <option value="">全部</option>
                  {p.feeds.map((f) => (
                    <option value={f} selected={p.feed === f}>
                      {zh(FEED_ZH, f)}
                    </option>
                  ))}
                </select>
              </label>
            </form>
          ) : null}
        </div>
        {p.quarantine === null ? (
          <p class="muted">{p.quarantineError}</p>
        ) : p.quarantine.items.length === 0 ? (
          <div class="empty">隔离区为空。</div>
        ) : (
          <table class="small">
            <thead>
              <tr>
                <th>批次:行</th>
                <th>数据源</th>
                <th>文件</th>
                <th>原因</th>
                <th>原始内容</th>
                <th>时间</th>
              </tr>
            </thead>
            <tbody>
              {p.quarantine.items.map((q) => (
                <tr>
                  <td class="mono nowrap">{q.id}</td>
                  <td class="nowrap">{zh(FEED_ZH, q.feed)}</td>
                  <td class="small mono" style="max-width:180px;word-break:break-all">
                    {q.source.split('/').pop()}
                  </td>
                  <td style="max-width:300px">{q.reason}</td>
                  <td>
                    <details>
                      <summary>
                        {[...q.raw].slice(0, 40).join('')}
                        {[...q.raw].length > 40 ? '…' : ''}
                      </summary>
                      <pre class="raw">{q.raw}</pre>
                    </details>
                  </td>
                  <td class="nowrap">{short(q.quarantined_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {p.quarantine?.next_cursor ? (
          <div class="pager">
            <span />
            <a
              class="btn ghost"
              href={`${BASE}/runs?${new URLSearchParams({ ...(p.feed ? { feed: p.feed } : {}), q_cursor: p.quarantine.next_cursor }).toString()}#quarantine`}
            >
              更多 →
            </a>
          </div>
        ) : null}
      </div>
    </>
  );
}

/** GET /ui/runs (the ledger and the quarantine) and POST /ui/runs (trigger a day). */
export function mountRuns(kit: DashboardKit): void {
  const { app, db, render, page, formOf } = kit;

  app.post(
    `${BASE}/runs`,
    page(async (x) => {
      const date = str(formOf(x.c)['date']) ?? '';
      const r = await x.api.post<{ date: string; job_id: number | null }>('/v1/runs', { date });
      if (r.ok) {
        const started = `${r.data.date}${r.data.job_id ? `（任务 ${r.data.job_id}）` : ''}`;
        return x.c.redirect(`${BASE}/runs?started=${encodeURIComponent(started)}`, 303);
      }
      const msg =
        r.status === 503
          ? '本服务未启动调度器，不能在此触发运行（请用 dafei run --date）。'
          : r.status === 403
            ? '您的角色无权触发运行。'
            : r.status === 409
              ? `该日的运行已在排队或进行中：${problemText(r)}`
              : `未能触发运行：${problemText(r)}`;
      return x.c.redirect(`${BASE}/runs?err=${encodeURIComponent(msg)}`, 303);
    }),
  );

  // held batches, notices: the admin's buttons on the 运行 page
  app.post(
    `${BASE}/runs/ops`,
    page(async (x) => {
      const form = formOf(x.c);
      const id = Number(str(form['id']));
      const action = str(form['action']);
      const path =
        action === 'release' || action === 'discard'
          ? `/v1/held/${id}/${action}`
          : action === 'resolve'
            ? `/v1/notices/${id}/resolve`
            : null;
      if (path === null || !Number.isInteger(id)) return x.c.redirect(`${BASE}/runs`, 303);
      const r = await x.api.post(path, {});
      const done = { release: '已放行批次', discard: '已丢弃批次', resolve: '已处理事项' }[action!];
      return x.c.redirect(
        r.ok
          ? `${BASE}/runs?ok=${encodeURIComponent(`${done} ${id}`)}`
          : `${BASE}/runs?err=${encodeURIComponent(problemText(r))}`,
        303,
      );
    }),
  );

  app.get(
    `${BASE}/runs`,
    page(async (x) => {
      const q = x.c.req.query();
      const status = ['ok', 'failed', 'running', 'queued', 'held', 'warning'].includes(
        q['status'] ?? '',
      )
        ? q['status']
        : undefined;
      const feed = (FEED_NAMES as readonly string[]).includes(q['feed'] ?? '')
        ? q['feed']
        : undefined;
      const runs: ApiResult<{ items: RunItem[]; next_cursor: string | null } & OperationsData> =
        await x.api.get('/v1/runs', {
          status,
          limit: 50,
          cursor: str(q['run_cursor']),
        });
      const quarantine: ApiResult<{ items: QuarantineItem[]; next_cursor: string | null }> | null =
        x.can('listQuarantine')
          ? await x.api.get('/v1/quarantine', { feed, limit: 30, cursor: str(q['q_cursor']) })
          : null;
      return render(
        x.c,
        '运行',
        'runs',
        <RunsPage
          trigger={
            x.can('triggerRun')
              ? { day: (await listDays(db, 1))[0] ?? '', csrf: x.session.csrf }
              : undefined
          }
          flashOk={
            x.c.req.query('started')
              ? `已排队运行 ${x.c.req.query('started')}，完成后见运行记录。`
              : x.c.req.query('ok')
          }
          operations={
            runs.ok
              ? {
                  data: runs.data,
                  // the buttons for whom the API takes them (admins of the whole tree)
                  csrf: x.can('releaseHeldBatch') ? x.session.csrf : undefined,
                }
              : undefined
          }
          flashErr={x.c.req.query('err')}
          runs={runs.ok ? runs.data : null}
          runsError={runs.ok ? undefined : problemText(runs)}
          status={status}
          quarantine={quarantine?.ok ? quarantine.data : null}
          quarantineError={
            quarantine === null
              ? '隔离区仅对数据分析人员和管理员开放。'
              : quarantine.ok
                ? undefined
                : problemText(quarantine)
          }
          feed={feed}
          feeds={FEED_NAMES}
        />,
        x,
      );
    }),
  );
}
