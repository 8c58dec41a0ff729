/** 通知: the inbox (mark read, open the evidence) and the subscription settings. */
import type { Child } from 'hono/jsx';
import {
  ENTRY_KIND_ZH,
  EVENT_KIND_ZH,
  SUBSCRIPTION_KIND_ZH,
  SUBSCRIPTION_KINDS,
  SUBSCRIPTION_ROLES,
  type EntryKind,
  type InboxItem,
  type Subscription,
  type Watchlist,
} from '../../../pipeline/notify/index.ts';
import { problemText, str, type DashboardKit, type PageCtx } from '../kit.tsx';
import { BASE, Flash } from '../layout.tsx';
import { fmtTime, LEVEL_ZH } from '../labels.ts';

/** Why a notification reached me, in words (the entry's value shows only when the API returned it). */
function Why(p: { reasons: Record<string, unknown>[] }): Child {
  const s = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  return (
    <ul class="reasons small">
      {p.reasons.map((r) => {
        const kind = s(r['kind']);
        if (kind !== 'watch_hits')
          return (
            <li>
              {SUBSCRIPTION_KIND_ZH[kind as keyof typeof SUBSCRIPTION_KIND_ZH] ?? kind}
              <span />
            </li>
          );
        const entry = ENTRY_KIND_ZH[s(r['entry_kind']) as EntryKind] ?? '条目';
        const value = s(r['value']) || s(r['legal_rep']) || s(r['phone']);
        const via = s(r['via']);
        const how = via.startsWith('network_')
          ? `共用${via === 'network_phone' ? '电话' : '地址'}`
          : via === 'legal_rep_name_only'
            ? '仅姓名相同'
            : via === 'legal_rep_linked'
              ? '同一人（与关联企业共用电话/地址/网站）'
              : '命中';
        return (
          <li>
            <span>
              名单「<a href={`${BASE}/watchlists/${s(r['watchlist_id'])}`}>{s(r['watchlist'])}</a>
              」· {entry}
              {value ? ` ${value}` : ''}
            </span>
            <span class="muted">{how}</span>
          </li>
        );
      })}
    </ul>
  );
}

function Detail(p: { n: InboxItem }): Child {
  const d = p.n.data;
  const s = (k: string) =>
    typeof d[k] === 'string' || typeof d[k] === 'number' ? String(d[k]) : '';
  if (p.n.kind === 'complaint' || p.n.kind === 'ad')
    return <div class="muted small">{s('excerpt')}</div>;
  if (p.n.kind === 'level' || p.n.kind === 'alert')
    return (
      <div class="muted small">
        排名 {s('rank')} · 评分 {Number(d['score'] ?? 0).toFixed(3)}
        {d['level'] ? ` · ${LEVEL_ZH[s('level')] ?? ''}色` : ''}
      </div>
    );
  if (p.n.kind === 'new_enterprise')
    return (
      <div class="muted small">
        成立 {s('established_on')} · {s('district')}
        {d['legal_rep'] ? ` · 法定代表人 ${s('legal_rep')}` : ''}
      </div>
    );
  return null;
}

export function InboxPage(p: {
  items: InboxItem[];
  unread: number;
  onlyUnread: boolean;
  nextCursor: string | null;
  csrf: string;
  flashOk?: string | undefined;
  flashErr?: string | undefined;
}): Child {
  return (
    <>
      <div class="row" style="justify-content:space-between">
        <h1>通知（未读 {p.unread}）</h1>
        <div class="row">
          <a class={`btn ${p.onlyUnread ? '' : 'ghost'}`} href={`${BASE}/inbox?unread=1`}>
            只看未读
          </a>
          <a class={`btn ${p.onlyUnread ? 'ghost' : ''}`} href={`${BASE}/inbox`}>
            全部
          </a>
          <form method="post" action={`${BASE}/inbox/read`}>
            <input type="hidden" name="_csrf" value={p.csrf} />
            <button type="submit" class="ghost" disabled={p.unread === 0}>
              全部标为已读
            </button>
          </form>
          <a class="btn ghost" href={`${BASE}/inbox/settings`}>
            通知设置
          </a>
        </div>
      </div>
      <Flash ok={p.flashOk} err={p.flashErr} />
      <div class="card">
        {p.items.length === 0 ? (
          <div class="empty">{p.onlyUnread ? '没有未读通知。' : '还没有通知。'}</div>
        ) : (
          <table id="inbox">
            <thead>
              <tr>
                <th>类型</th>
                <th>事件</th>
                <th>与您的关系</th>
                <th>时间</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {p.items.map((n) => (
                <tr class={n.read_at ? 'read' : 'unread'} data-id={String(n.notification_id)}>
                  <td class="nowrap">
                    <span class={`badge ${n.read_at ? 'st' : 'ch-level_up'}`}>
                      {EVENT_KIND_ZH[n.kind] ?? n.kind}
                    </span>
                  </td>
                  <td>
                    <span class="t">
                      {n.link ? (
                        <a href={`${BASE}/inbox/open/${n.notification_id}`}>
                          {n.read_at ? n.title : <b>{n.title}</b>}
                        </a>
                      ) : n.read_at ? (
                        n.title
                      ) : (
                        <b>{n.title}</b>
                      )}
                    </span>
                    <Detail n={n} />
                  </td>
                  <td>
                    <Why reasons={n.reasons} />
                  </td>
                  <td class="muted small nowrap">
                    {n.day ? `${n.day}` : ''}
                    <br />
                    {fmtTime(n.created_at)}
                  </td>
                  <td>
                    {n.read_at ? (
                      <span class="muted small">已读</span>
                    ) : (
                      <form method="post" action={`${BASE}/inbox/read`}>
                        <input type="hidden" name="_csrf" value={p.csrf} />
                        <input type="hidden" name="id" value={String(n.notification_id)} />
                        <button type="submit" class="ghost">
                          标为已读
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {p.nextCursor ? (
          <div class="pager">
            <span />
            <a href={`${BASE}/inbox?${p.onlyUnread ? 'unread=1&' : ''}cursor=${p.nextCursor}`}>
              更早的通知 ›
            </a>
          </div>
        ) : null}
      </div>
    </>
  );
}

export function SettingsPage(p: {
  subscriptions: Subscription[];
  email: string | null;
  watchlists: Watchlist[];
  endpoints: { endpoint_id: number; name: string; format: string }[];
  kinds: readonly string[];
  csrf: string;
  flashOk?: string | undefined;
  flashErr?: string | undefined;
}): Child {
  const listName = (id: number | null) =>
    id === null
      ? '我的和本单位的全部名单'
      : (p.watchlists.find((w) => w.watchlist_id === id)?.name ?? `名单 ${id}`);
  const endpointName = (id: number | null) =>
    id === null ? '—' : (p.endpoints.find((e) => e.endpoint_id === id)?.name ?? `推送 ${id}`);
  return (
    <>
      <p class="small">
        <a href={`${BASE}/inbox`}>通知</a> ›
      </p>
      <h1>通知设置</h1>
      <Flash ok={p.flashOk} err={p.flashErr} />
      <div class="grid-detail">
        <div class="card">
          <h2>我的订阅</h2>
          {p.subscriptions.length === 0 ? (
            <div class="empty">还没有订阅。</div>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>订阅</th>
                  <th>范围</th>
                  <th>邮件摘要</th>
                  <th>即时推送</th>
                  <th>免打扰</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {p.subscriptions.map((s) => (
                  <tr>
                    <td>{SUBSCRIPTION_KIND_ZH[s.kind]}</td>
                    <td class="small">
                      {s.kind === 'watch_hits'
                        ? listName(s.watchlist_id)
                        : s.kind === 'new_alerts'
                          ? (s.levels ?? ['red', 'orange']).map((l) => LEVEL_ZH[l]).join('、')
                          : '—'}
                    </td>
                    <td>{s.email ? '是' : '否'}</td>
                    <td class="small">{endpointName(s.endpoint_id)}</td>
                    <td class="small">{s.quiet_from ? `${s.quiet_from}–${s.quiet_to}` : '—'}</td>
                    <td>
                      <form
                        method="post"
                        action={`${BASE}/inbox/settings/${s.subscription_id}/remove`}
                      >
                        <input type="hidden" name="_csrf" value={p.csrf} />
                        <button type="submit" class="ghost">
                          取消
                        </button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p class="muted small">
            所有通知都进入站内“通知”。邮件摘要每天一封；即时推送发往 webhook
            或企业微信/钉钉群机器人。
            邮件和推送不含个人信息（人员姓名、电话、投诉人等），只含企业、事件和证据链接。
          </p>
        </div>
        <div class="card">
          <h2>新增订阅</h2>
          <form method="post" action={`${BASE}/inbox/settings`} class="stack">
            <input type="hidden" name="_csrf" value={p.csrf} />
            <label>
              订阅内容
              <select name="kind">
                {p.kinds.map((k) => (
                  <option value={k}>
                    {SUBSCRIPTION_KIND_ZH[k as keyof typeof SUBSCRIPTION_KIND_ZH]}
                  </option>
                ))}
              </select>
            </label>
            {p.watchlists.length > 0 ? (
              <label>
                名单（仅“关注名单命中”）
                <select name="watchlist_id">
                  <option value="">我的和本单位的全部名单</option>
                  {p.watchlists.map((w) => (
                    <option value={String(w.watchlist_id)}>{w.name}</option>
                  ))}
                </select>
              </label>
            ) : null}
            <label class="row">
              <input type="checkbox" name="email" value="1" disabled={!p.email} /> 加入每日邮件摘要
              {p.email ? '' : '（请先设置邮箱）'}
            </label>
            <label>
              即时推送
              <select name="endpoint_id">
                <option value="">不推送</option>
                {p.endpoints.map((e) => (
                  <option value={String(e.endpoint_id)}>
                    {e.name}（
                    {e.format === 'wecom'
                      ? '企业微信'
                      : e.format === 'dingtalk'
                        ? '钉钉'
                        : 'webhook'}
                    ）
                  </option>
                ))}
              </select>
            </label>
            <div class="row">
              <label>
                免打扰 从
                <input type="text" name="quiet_from" placeholder="22:00" size={5} />
              </label>
              <label>
                到
                <input type="text" name="quiet_to" placeholder="07:30" size={5} />
              </label>
            </div>
            <button type="submit">订阅</button>
          </form>
          <h2 style="margin-top:14px">邮件摘要地址</h2>
          <form method="post" action={`${BASE}/inbox/contact`} class="row">
            <input type="hidden" name="_csrf" value={p.csrf} />
            <input
              type="text"
              name="email"
              value={p.email ?? ''}
              placeholder="name@example.gov.cn"
            />
            <button type="submit">保存</button>
          </form>
        </div>
      </div>
    </>
  );
}

export function mountInbox(kit: DashboardKit): void {
  const { app, render, page, formOf, fail } = kit;

  app.get(
    `${BASE}/inbox`,
    page(async (x) => {
      const onlyUnread = x.c.req.query('unread') === '1';
      const cursor = str(x.c.req.query('cursor'));
      const r = await x.api.get<{ items: InboxItem[]; unread: number; next_cursor: string | null }>(
        '/v1/notifications',
        { unread: onlyUnread ? 'true' : undefined, cursor, limit: 50 },
      );
      if (!r.ok) return fail(x, '通知', 'inbox', r);
      return render(
        x.c,
        '通知',
        'inbox',
        <InboxPage
          items={r.data.items}
          unread={r.data.unread}
          onlyUnread={onlyUnread}
          nextCursor={r.data.next_cursor}
          csrf={x.session.csrf}
          flashErr={x.c.req.query('err')}
        />,
        x,
      );
    }),
  );

  // opening a notification marks it read and goes to its evidence
  app.get(
    `${BASE}/inbox/open/:id{[0-9]+}`,
    page(async (x) => {
      const id = Number(x.c.req.param('id'));
      const r = await x.api.get<{ items: InboxItem[] }>('/v1/notifications', {
        cursor: id + 1,
        limit: 1,
      });
      const n = r.ok ? r.data.items.find((i) => i.notification_id === id) : undefined;
      if (!n) return x.c.redirect(`${BASE}/inbox?err=${encodeURIComponent('没有这条通知。')}`, 303);
      if (!n.read_at) await x.api.post('/v1/notifications/read', { ids: [id] });
      return x.c.redirect(n.link?.startsWith(`${BASE}/`) ? n.link : `${BASE}/inbox`, 303);
    }),
  );

  app.post(
    `${BASE}/inbox/read`,
    page(async (x) => {
      const id = str(formOf(x.c)['id']);
      const r = await x.api.post('/v1/notifications/read', id ? { ids: [Number(id)] } : {});
      return x.c.redirect(
        r.ok ? `${BASE}/inbox` : `${BASE}/inbox?err=${encodeURIComponent(problemText(r))}`,
        303,
      );
    }),
  );

  const settings = async (x: PageCtx) => {
    const subs = await x.api.get<{ items: Subscription[]; email: string | null }>(
      '/v1/subscriptions',
    );
    if (!subs.ok) return fail(x, '通知设置', 'inbox', subs);
    const lists = await x.api.get<{ items: Watchlist[] }>('/v1/watchlists');
    const eps = await x.api.get<{ items: { endpoint_id: number; name: string; format: string }[] }>(
      '/v1/endpoints',
    );
    return render(
      x.c,
      '通知设置',
      'inbox',
      <SettingsPage
        subscriptions={subs.data.items}
        email={subs.data.email}
        watchlists={lists.ok ? lists.data.items : []}
        endpoints={eps.ok ? eps.data.items : []}
        kinds={SUBSCRIPTION_KINDS.filter((k) =>
          (SUBSCRIPTION_ROLES[k] as readonly string[]).includes(x.principal.role),
        )}
        csrf={x.session.csrf}
        flashOk={x.c.req.query('ok')}
        flashErr={x.c.req.query('err')}
      />,
      x,
    );
  };

  app.get(`${BASE}/inbox/settings`, page(settings));

  const back = (
    x: PageCtx,
    r: { ok: boolean } & Partial<{ status: number; problem: { code: string; detail: string } }>,
    ok: string,
  ) =>
    x.c.redirect(
      `${BASE}/inbox/settings?${r.ok ? `ok=${encodeURIComponent(ok)}` : `err=${encodeURIComponent(problemText(r as { status: number; problem: { code: string; detail: string } }))}`}`,
      303,
    );

  app.post(
    `${BASE}/inbox/settings`,
    page(async (x) => {
      const f = formOf(x.c);
      const num = (k: string) => (str(f[k]) ? Number(str(f[k])) : undefined);
      const body = {
        kind: str(f['kind']) ?? '',
        ...(f['kind'] === 'watch_hits' && num('watchlist_id')
          ? { watchlist_id: num('watchlist_id') }
          : {}),
        ...(f['email'] === '1' ? { email: true } : {}),
        ...(num('endpoint_id') ? { endpoint_id: num('endpoint_id') } : {}),
        ...(str(f['quiet_from']) ? { quiet_from: str(f['quiet_from']) } : {}),
        ...(str(f['quiet_to']) ? { quiet_to: str(f['quiet_to']) } : {}),
      };
      return back(x, await x.api.post('/v1/subscriptions', body), '已订阅。');
    }),
  );

  app.post(
    `${BASE}/inbox/settings/:id{[0-9]+}/remove`,
    page(async (x) =>
      back(
        x,
        await x.api.post(`/v1/subscriptions/${x.c.req.param('id') ?? ''}/remove`, {}),
        '已取消订阅。',
      ),
    ),
  );

  app.post(
    `${BASE}/inbox/contact`,
    page(async (x) =>
      back(
        x,
        await x.api.post('/v1/notifications/contact', { email: str(formOf(x.c)['email']) ?? '' }),
        '邮箱已保存。',
      ),
    ),
  );
}
