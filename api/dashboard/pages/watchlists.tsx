/** 关注名单: my watchlists and my office's, their entries, adding and removing entries. */
import type { Child } from 'hono/jsx';
import {
  DEFAULT_ENTRY_DAYS,
  ENTRY_KIND_ZH,
  ENTRY_KINDS,
  type WatchEntry,
  type Watchlist,
} from '../../../pipeline/notify/index.ts';
import { addDays, shanghaiDay } from '../../../pipeline/modeling/index.ts';
import { problemText, str, type DashboardKit } from '../kit.tsx';
import { BASE, Flash, entityHref } from '../layout.tsx';
import { fmtTime } from '../labels.ts';

const PLACEHOLDER: Record<string, string> = {
  enterprise: '统一社会信用代码，如 91440400MA4UXXXXXX',
  person: '法定代表人姓名，如 张伟',
  phone: '电话，如 0756-2288001 或 13800138000',
  address: '住所，如 珠海市香洲区情侣中路88号',
  domain: '网站域名，如 xinsheng-wealth.cn',
  keyword: '品牌或关键词，如 鑫盛',
};

function ListsTable(p: { items: Watchlist[] }): Child {
  if (p.items.length === 0) return <div class="empty">还没有关注名单。</div>;
  return (
    <table>
      <thead>
        <tr>
          <th>名单</th>
          <th>归属</th>
          <th class="num">有效条目</th>
          <th>创建</th>
        </tr>
      </thead>
      <tbody>
        {p.items.map((w) => (
          <tr>
            <td>
              <a href={`${BASE}/watchlists/${w.watchlist_id}`}>{w.name}</a>
              {w.archived_at ? <span class="badge st"> 已归档</span> : null}
            </td>
            <td>{w.shared ? <span class="badge ch-new">本单位共享</span> : '个人'}</td>
            <td class="num">{w.entries}</td>
            <td class="muted small">
              {w.created_by.replace(/^user:/, '')} · {fmtTime(w.created_at)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function WatchlistsPage(p: {
  items: Watchlist[];
  csrf: string;
  flashOk?: string | undefined;
  flashErr?: string | undefined;
}): Child {
  return (
    <>
      <h1>关注名单（重点关注）</h1>
      <Flash ok={p.flashOk} err={p.flashErr} />
      <div class="grid-detail">
        <div class="card">
          <h2>我的名单和本单位共享名单</h2>
          <ListsTable items={p.items} />
        </div>
        <div class="card">
          <h2>新建名单</h2>
          <form method="post" action={`${BASE}/watchlists`} class="stack">
            <input type="hidden" name="_csrf" value={p.csrf} />
            <label>
              名称
              <input type="text" name="name" maxlength={60} required placeholder="如：鑫盛系列案" />
            </label>
            <label class="row">
              <input type="checkbox" name="shared" value="1" /> 本单位共享（同单位账号可见）
            </label>
            <button type="submit">新建</button>
          </form>
          <p class="muted small">
            名单命中后，订阅了“关注名单命中”的账号会在“通知”里收到提醒，每个事件只提醒一次。
          </p>
        </div>
      </div>
    </>
  );
}

function EntryValue(p: { e: WatchEntry }): Child {
  if (p.e.kind === 'enterprise') return <a href={entityHref(p.e.value)}>{p.e.value}</a>;
  return (
    <span>
      {p.e.value}
      {p.e.companies && p.e.companies.length > 0 ? (
        <div class="muted small">
          关联企业：
          {p.e.companies.map((c, i) => (
            <>
              {i > 0 ? '、' : ''}
              <a href={entityHref(c)}>{c}</a>
            </>
          ))}
        </div>
      ) : p.e.kind === 'person' ? (
        <div class="muted small">未指定关联企业：仅按姓名匹配</div>
      ) : null}
    </span>
  );
}

export function WatchlistPage(p: {
  watchlist: Watchlist;
  entries: WatchEntry[];
  csrf: string;
  today: string;
  canEdit: boolean;
  form?: Record<string, string> | undefined;
  flashOk?: string | undefined;
  flashErr?: string | undefined;
}): Child {
  const w = p.watchlist;
  const f = p.form ?? {};
  const kind = f['kind'] ?? 'enterprise';
  return (
    <>
      <p class="small">
        <a href={`${BASE}/watchlists`}>关注名单</a> ›
      </p>
      <h1>
        {w.name} <span class="badge ch-new">{w.shared ? '本单位共享' : '个人'}</span>
        {w.archived_at ? <span class="badge st">已归档</span> : null}
      </h1>
      <Flash ok={p.flashOk} err={p.flashErr} />
      <div class="grid-detail">
        <div class="card">
          <h2>条目（{p.entries.length}）</h2>
          {p.entries.length === 0 ? (
            <div class="empty">名单为空。</div>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>类型</th>
                  <th>关注对象</th>
                  <th>原因</th>
                  <th>有效期至</th>
                  <th>添加</th>
                  {p.canEdit ? <th /> : null}
                </tr>
              </thead>
              <tbody>
                {p.entries.map((e) => (
                  <tr>
                    <td class="nowrap">
                      <span class="badge st">{ENTRY_KIND_ZH[e.kind]}</span>
                    </td>
                    <td>
                      <EntryValue e={e} />
                    </td>
                    <td>{e.reason}</td>
                    <td class={`nowrap ${e.expired ? 'muted' : ''}`}>
                      {e.expires_on}
                      {e.expired ? '（已过期）' : ''}
                    </td>
                    <td class="muted small nowrap">
                      {e.created_by.replace(/^user:/, '')}
                      <br />
                      {fmtTime(e.created_at)}
                    </td>
                    {p.canEdit ? (
                      <td>
                        <form
                          method="post"
                          action={`${BASE}/watchlists/${w.watchlist_id}/entries/${e.entry_id}/remove`}
                        >
                          <input type="hidden" name="_csrf" value={p.csrf} />
                          <button type="submit" class="ghost">
                            移除
                          </button>
                        </form>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        {p.canEdit ? (
          <div class="card">
            <h2>添加关注</h2>
            <form
              method="post"
              action={`${BASE}/watchlists/${w.watchlist_id}/entries`}
              class="stack"
              id="add-entry"
            >
              <input type="hidden" name="_csrf" value={p.csrf} />
              <label>
                类型
                <select name="kind">
                  {ENTRY_KINDS.map((k) => (
                    <option value={k} selected={k === kind}>
                      {ENTRY_KIND_ZH[k]}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                关注对象
                <input
                  type="text"
                  name="value"
                  maxlength={200}
                  required
                  value={f['value'] ?? ''}
                  placeholder={PLACEHOLDER[kind]}
                />
              </label>
              <label>
                关联企业（仅人员：其担任法定代表人的企业的统一社会信用代码，每行一个，用于区分同名者）
                <textarea name="companies" rows={2}>
                  {f['companies'] ?? ''}
                </textarea>
              </label>
              <label>
                原因
                <input
                  type="text"
                  name="reason"
                  maxlength={500}
                  required
                  value={f['reason'] ?? ''}
                  placeholder="为什么关注"
                />
              </label>
              <label>
                有效期至
                <input
                  type="date"
                  name="expires_on"
                  value={f['expires_on'] ?? addDays(p.today, DEFAULT_ENTRY_DAYS)}
                  min={p.today}
                  max={addDays(p.today, 730)}
                />
              </label>
              <button type="submit">添加</button>
            </form>
            <form
              method="post"
              action={`${BASE}/watchlists/${w.watchlist_id}/archive`}
              class="row"
              style="margin-top:12px"
            >
              <input type="hidden" name="_csrf" value={p.csrf} />
              <button type="submit" class="danger">
                归档名单（停止匹配）
              </button>
            </form>
          </div>
        ) : null}
      </div>
    </>
  );
}

export function mountWatchlists(kit: DashboardKit): void {
  const { app, render, page, formOf, fail, now } = kit;

  app.get(
    `${BASE}/watchlists`,
    page(async (x) => {
      const r = await x.api.get<{ items: Watchlist[] }>('/v1/watchlists');
      if (!r.ok) return fail(x, '关注名单', 'watchlists', r);
      return render(
        x.c,
        '关注名单',
        'watchlists',
        <WatchlistsPage
          items={r.data.items}
          csrf={x.session.csrf}
          flashErr={x.c.req.query('err')}
          flashOk={x.c.req.query('ok')}
        />,
        x,
      );
    }),
  );

  app.post(
    `${BASE}/watchlists`,
    page(async (x) => {
      const f = formOf(x.c);
      const r = await x.api.post<{ watchlist_id: number }>('/v1/watchlists', {
        name: str(f['name']) ?? '',
        shared: f['shared'] === '1',
      });
      return r.ok
        ? x.c.redirect(
            `${BASE}/watchlists/${r.data.watchlist_id}?ok=${encodeURIComponent('名单已建立。')}`,
            303,
          )
        : x.c.redirect(`${BASE}/watchlists?err=${encodeURIComponent(problemText(r))}`, 303);
    }),
  );

  const show = async (
    x: Parameters<Parameters<DashboardKit['page']>[0]>[0],
    id: string,
    flash: { ok?: string | undefined; err?: string | undefined },
    form?: Record<string, string>,
    status = 200,
  ) => {
    const r = await x.api.get<{ watchlist: Watchlist; entries: WatchEntry[] }>(
      `/v1/watchlists/${encodeURIComponent(id)}`,
    );
    if (!r.ok) return fail(x, '关注名单', 'watchlists', r);
    const w = r.data.watchlist;
    return render(
      x.c,
      `${w.name} · 关注名单`,
      'watchlists',
      <WatchlistPage
        watchlist={w}
        entries={r.data.entries}
        csrf={x.session.csrf}
        today={shanghaiDay(now())}
        canEdit={!w.archived_at && (w.shared || w.owner === x.principal.name)}
        form={form}
        flashOk={flash.ok}
        flashErr={flash.err}
      />,
      x,
      status,
    );
  };

  app.get(
    `${BASE}/watchlists/:id{[0-9]+}`,
    page((x) =>
      show(x, x.c.req.param('id') ?? '', { ok: x.c.req.query('ok'), err: x.c.req.query('err') }),
    ),
  );

  app.post(
    `${BASE}/watchlists/:id{[0-9]+}/entries`,
    page(async (x) => {
      const id = x.c.req.param('id') ?? '';
      const f = formOf(x.c);
      const kind = str(f['kind']) ?? '';
      const companies = (str(f['companies']) ?? '').split(/[\s,，、;；]+/).filter((s) => s !== '');
      const body = {
        kind,
        value: str(f['value']) ?? '',
        reason: str(f['reason']) ?? '',
        ...(kind === 'person' && companies.length > 0 ? { companies } : {}),
        ...(str(f['expires_on']) ? { expires_on: str(f['expires_on']) } : {}),
      };
      const r = await x.api.post(`/v1/watchlists/${encodeURIComponent(id)}/entries`, body);
      if (r.ok)
        return x.c.redirect(
          `${BASE}/watchlists/${id}?ok=${encodeURIComponent('已添加关注。')}`,
          303,
        );
      const keep: Record<string, string> = {
        kind,
        value: str(f['value']) ?? '',
        reason: str(f['reason']) ?? '',
        companies: str(f['companies']) ?? '',
        expires_on: str(f['expires_on']) ?? '',
      };
      return show(
        x,
        id,
        { err: `未能添加：${problemText(r)}` },
        keep,
        r.status === 403 ? 403 : 400,
      );
    }),
  );

  app.post(
    `${BASE}/watchlists/:id{[0-9]+}/entries/:entry{[0-9]+}/remove`,
    page(async (x) => {
      const id = x.c.req.param('id') ?? '';
      const r = await x.api.post(
        `/v1/watchlists/${id}/entries/${x.c.req.param('entry') ?? ''}/remove`,
        {},
      );
      return x.c.redirect(
        `${BASE}/watchlists/${id}?${r.ok ? `ok=${encodeURIComponent('已移除。')}` : `err=${encodeURIComponent(problemText(r))}`}`,
        303,
      );
    }),
  );

  app.post(
    `${BASE}/watchlists/:id{[0-9]+}/archive`,
    page(async (x) => {
      const id = x.c.req.param('id') ?? '';
      const r = await x.api.post(`/v1/watchlists/${id}/archive`, {});
      return r.ok
        ? x.c.redirect(`${BASE}/watchlists?ok=${encodeURIComponent('名单已归档。')}`, 303)
        : x.c.redirect(`${BASE}/watchlists/${id}?err=${encodeURIComponent(problemText(r))}`, 303);
    }),
  );
}
