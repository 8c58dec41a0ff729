/**
 * What leaves the system: notifications as the push channels carry them (webhook JSON, 企业微信 /
 * 钉钉 markdown, the digest e-mail in plain text and HTML).
 *
 * Push channels carry **no personal data, whatever the recipient's role**: an e-mail box or a
 * group chat is outside the system's access control, audit and jurisdiction checks. A pushed
 * notification says what happened to which enterprise and why it concerns the recipient (the
 * watchlist and the kind of entry), and links to the evidence in the dashboard, where the
 * recipient's role and jurisdiction apply. The entry's value (a person's name, a phone number),
 * complaint texts, complainant references and legal representatives stay in the inbox, which the
 * API serves redacted by role.
 */
import { ENTRY_KIND_ZH, EVENT_KIND_ZH, SUBSCRIPTION_KIND_ZH, type EntryKind } from './kinds.ts';

/** A notification as it may be pushed. */
export interface PushItem {
  notification_id: number;
  event_key: string;
  kind: string;
  kind_zh: string;
  title: string;
  uscc: string | null;
  day: string | null;
  /** Absolute URL of the evidence (when the deployment's public URL is configured), else a path. */
  link: string | null;
  why: string[];
}

export interface StoredNotification {
  notification_id: number;
  event_key: string;
  kind: string;
  title: string;
  uscc: string | null;
  day: string | null;
  link: string | null;
  reasons: string;
}

/** Why, in words, without the entry's value. */
const str = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';

function whyOf(reasons: Record<string, unknown>[]): string[] {
  const out = new Set<string>();
  for (const r of reasons) {
    const kind = str(r['kind']);
    if (kind === 'watch_hits') {
      const list = typeof r['watchlist'] === 'string' ? `「${r['watchlist']}」` : '';
      const entry = ENTRY_KIND_ZH[str(r['entry_kind']) as EntryKind] ?? '条目';
      const via = str(r['via']);
      const how = via.startsWith('network_')
        ? `与关注${entry}共用${via === 'network_phone' ? '电话' : '地址'}`
        : `命中关注${entry}`;
      out.add(`关注名单${list}：${how}（条目 #${str(r['entry_id'])}）`);
    } else if (kind === 'my_cases') out.add('分配给您的案件');
    else out.add(SUBSCRIPTION_KIND_ZH[kind as keyof typeof SUBSCRIPTION_KIND_ZH] ?? kind);
  }
  return [...out];
}

export function toPushItem(n: StoredNotification, publicUrl: string | null): PushItem {
  return {
    notification_id: Number(n.notification_id),
    event_key: n.event_key,
    kind: n.kind,
    kind_zh: EVENT_KIND_ZH[n.kind] ?? n.kind,
    title: n.title,
    uscc: n.uscc,
    day: n.day,
    link: n.link === null ? null : publicUrl ? new URL(n.link, publicUrl).toString() : n.link,
    why: whyOf(JSON.parse(n.reasons) as Record<string, unknown>[]),
  };
}

/** Our own webhook body (signed, see webhook.ts). */
export function jsonBody(deliveryId: number, attempt: number, at: Date, items: PushItem[]): string {
  return JSON.stringify({
    id: `dafei-delivery-${deliveryId}`,
    type: 'dafei.notifications',
    sent_at: at.toISOString(),
    attempt,
    notifications: items,
  });
}

function markdownLines(items: PushItem[]): string[] {
  return items.map(
    (i) =>
      `- **${i.kind_zh}** ${i.link ? `[${i.title}](${i.link})` : i.title}${i.why.length ? `\n  > ${i.why.join('；')}` : ''}`,
  );
}

/** 企业微信 group robot: markdown message (content at most 4,096 bytes). */
export function wecomBody(items: PushItem[]): string {
  let content = `### 打非云通知（${items.length} 条）\n${markdownLines(items).join('\n')}`;
  while (Buffer.byteLength(content) > 4000) content = `${content.slice(0, -200)}…`;
  return JSON.stringify({ msgtype: 'markdown', markdown: { content } });
}

/** 钉钉 group robot: markdown message. */
export function dingtalkBody(items: PushItem[]): string {
  return JSON.stringify({
    msgtype: 'markdown',
    markdown: {
      title: `打非云通知：${items[0]?.title ?? ''}`,
      text: `### 打非云通知（${items.length} 条）\n\n${markdownLines(items).join('\n')}`,
    },
  });
}

// ---- the daily digest ---------------------------------------------------------------------------

export interface Digest {
  subject: string;
  text: string;
  html: string;
}

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

export function digest(day: string, items: PushItem[], inboxUrl: string | null): Digest {
  const subject = `打非云 · 每日通知摘要 ${day}（${items.length} 条）`;
  const groups = new Map<string, PushItem[]>();
  for (const i of items) groups.set(i.kind_zh, [...(groups.get(i.kind_zh) ?? []), i]);
  const text = [
    `${day} 的通知摘要，共 ${items.length} 条。`,
    '',
    ...[...groups].flatMap(([k, list]) => [
      `【${k}】${list.length} 条`,
      ...list.map(
        (i) =>
          `  · ${i.title}${i.why.length ? `\n    ${i.why.join('；')}` : ''}${i.link ? `\n    ${i.link}` : ''}`,
      ),
      '',
    ]),
    inboxUrl ? `全部通知：${inboxUrl}` : '全部通知见打非云看板“通知”页。',
    '本邮件不含个人信息；证据和个人信息请登录看板查看。',
  ].join('\n');
  const html = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(subject)}</title></head>
<body style="font-family: 'Microsoft YaHei', 'PingFang SC', sans-serif; color: #1f2937">
<h2 style="font-size: 18px">${esc(day)} 的通知摘要，共 ${items.length} 条</h2>
${[...groups]
  .map(
    ([k, list]) => `<h3 style="font-size: 15px">${esc(k)}（${list.length} 条）</h3>
<table cellpadding="6" style="border-collapse: collapse; font-size: 14px">
${list
  .map(
    (i) =>
      `<tr style="border-bottom: 1px solid #e5e7eb"><td>${i.link ? `<a href="${esc(i.link)}">${esc(i.title)}</a>` : esc(i.title)}</td><td style="color: #6b7280">${esc(i.why.join('；'))}</td></tr>`,
  )
  .join('\n')}
</table>`,
  )
  .join('\n')}
<p>${inboxUrl ? `<a href="${esc(inboxUrl)}">查看全部通知</a>` : '全部通知见打非云看板“通知”页。'}</p>
<p style="color: #6b7280; font-size: 12px">本邮件不含个人信息；证据和个人信息请登录看板查看。</p>
</body></html>`;
  return { subject, text, html };
}
