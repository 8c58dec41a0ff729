/**
 * Push deliveries: webhook calls (our signed JSON, 企业微信 and 钉钉 group robots) and the daily
 * digest e-mail. Each is a row of `deliveries`: pending until it is sent, retried with back-off
 * (the configured delays), dead after the last retry — the dead-letter list, from which an
 * administrator can queue it again. Every send, failure and death is audited.
 *
 * Time comes from `now()`: the scheduler passes the clock, tests a fake one (no sleeps).
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { writeAudit } from '../queries/audit.ts';
import { shanghaiDay } from '../modeling/days.ts';
import { nextPushTime } from './quiet.ts';
import { RECIPIENTS_SQL } from './recipients.ts';
import {
  digest,
  dingtalkBody,
  jsonBody,
  toPushItem,
  wecomBody,
  type PushItem,
  type StoredNotification,
} from './render.ts';

/** Delays before each retry (seconds): 30 s, 2 min, 10 min, 1 h, 6 h; then dead. */
export const DEFAULT_RETRY_SECONDS: readonly number[] = [30, 120, 600, 3600, 21600];

/** What sends mail: a nodemailer transport (or anything with its sendMail). */
export interface Mailer {
  sendMail(message: {
    from: string;
    to: string;
    subject: string;
    text: string;
    html: string;
    headers?: Record<string, string>;
  }): Promise<unknown>;
}

export interface DeliverOptions {
  now?: () => Date;
  fetch?: typeof fetch;
  mailer?: Mailer | undefined;
  /** The From: of digests, e.g. "打非云 <dafei@example.gov.cn>". */
  from?: string;
  /** The dashboard's public URL, for absolute links (https://dafei.example.gov.cn/). */
  publicUrl?: string | null;
  retrySeconds?: readonly number[];
  /** Per webhook call. */
  timeoutMs?: number;
  /** At most this many deliveries per call. */
  limit?: number;
}

export interface DeliverResult {
  sent: number;
  failed: number;
  dead: number;
}

export const SIGNATURE_HEADER = 'x-dafei-signature';
export const TIMESTAMP_HEADER = 'x-dafei-timestamp';

/** HMAC-SHA256 over `${timestamp}.${body}`, as the receiver recomputes it: `sha256=<hex>`. */
export function signBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** 钉钉 加签: the URL gets timestamp (ms) and sign = base64(HMAC-SHA256(secret, `${timestamp}\n${secret}`)). */
export function dingtalkUrl(url: string, secret: string | null, at: Date): string {
  if (!secret) return url;
  const ts = String(at.getTime());
  const sign = createHmac('sha256', secret).update(`${ts}\n${secret}`, 'utf8').digest('base64');
  const u = new URL(url);
  u.searchParams.set('timestamp', ts);
  u.searchParams.set('sign', sign);
  return u.toString();
}

const NOTIFICATIONS_SQL = `
  SELECT n.notification_id::INTEGER AS notification_id, n.event_key, e.kind, e.title, e.uscc,
         e.day::VARCHAR AS day, e.link, n.reasons::VARCHAR AS reasons
    FROM notifications n JOIN notification_events e USING (event_key)
   WHERE list_contains(from_json($ids::VARCHAR, '["BIGINT"]'), n.notification_id)
   ORDER BY n.notification_id`;

async function pushItems(
  db: Db,
  ids: readonly number[],
  publicUrl: string | null,
): Promise<PushItem[]> {
  const rows = await db.all<StoredNotification & Record<string, unknown>>(NOTIFICATIONS_SQL, {
    ids: JSON.stringify(ids),
  });
  return rows.map((r) => toPushItem(r, publicUrl));
}

/**
 * Queues today's digest for every subscriber with an e-mail address and notifications subscribed
 * by e-mail that no digest carried yet: one e-mail per subscriber and day, sent when the
 * subscriber's quiet period (if any) ends. Returns how many were queued.
 */
export async function queueDigests(db: Db, o: { now?: () => Date } = {}): Promise<number> {
  const now = (o.now ?? (() => new Date()))();
  const day = shanghaiDay(now);
  const rows = await db.all<{
    recipient: string;
    email: string;
    ids: number[];
    quiet: [string, string][] | null;
  }>(
    `WITH carried AS (SELECT DISTINCT unnest(notification_ids) AS id FROM deliveries WHERE channel = 'email')
     SELECT n.recipient, c.email, list(n.notification_id::BIGINT ORDER BY n.notification_id) AS ids,
            (SELECT list([s.quiet_from, s.quiet_to]) FROM subscriptions s
              WHERE s.subscriber = n.recipient AND s.email AND s.removed_at IS NULL AND s.quiet_from IS NOT NULL) AS quiet
       FROM notifications n JOIN notify_contacts c ON c.subscriber = n.recipient
      WHERE n.email AND n.notification_id NOT IN (SELECT id FROM carried)
        AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.channel = 'email' AND d.recipient = n.recipient
                                                     AND d.digest_day = $day::DATE)
      GROUP BY n.recipient, c.email`,
    { day },
  );
  for (const r of rows) {
    await db.run(
      `INSERT INTO deliveries (channel, recipient, address, digest_day, notification_ids, status, attempts, next_attempt_at, created_at)
       VALUES ('email', $r, $a, $day::DATE, from_json($ids::VARCHAR, '["BIGINT"]'), 'pending', 0, $at::TIMESTAMPTZ, $now::TIMESTAMPTZ)`,
      {
        r: r.recipient,
        a: r.email,
        day,
        ids: JSON.stringify(r.ids.map(Number)),
        at: nextPushTime(now, r.quiet ?? []).toISOString(),
        now: now.toISOString(),
      },
    );
  }
  return rows.length;
}

interface DueRow {
  delivery_id: number;
  channel: 'webhook' | 'email';
  recipient: string;
  address: string | null;
  digest_day: string | null;
  ids: number[];
  attempts: number;
  format: string | null;
  url: string | null;
  secret: string | null;
  endpoint_active: boolean | null;
  recipient_active: boolean;
}

/** Sends the deliveries that are due, in order; each failure is retried later or declared dead. */
export async function deliverDue(db: Db, o: DeliverOptions = {}): Promise<DeliverResult> {
  const now = (o.now ?? (() => new Date()))();
  const retry = o.retrySeconds ?? DEFAULT_RETRY_SECONDS;
  const doFetch = o.fetch ?? fetch;
  const publicUrl = o.publicUrl ?? null;
  const due = await db.all<DueRow & Record<string, unknown>>(
    `SELECT d.delivery_id::INTEGER AS delivery_id, d.channel, d.recipient, d.address, d.digest_day::VARCHAR AS digest_day,
            d.notification_ids AS ids, d.attempts, e.format, e.url, e.secret, e.disabled_at IS NULL AS endpoint_active,
            d.recipient IN (SELECT subscriber FROM (${RECIPIENTS_SQL})) AS recipient_active
       FROM deliveries d LEFT JOIN notify_endpoints e USING (endpoint_id)
      WHERE d.status = 'pending' AND d.next_attempt_at <= $now::TIMESTAMPTZ
      ORDER BY d.next_attempt_at, d.delivery_id
      LIMIT $lim`,
    { now: now.toISOString(), lim: o.limit ?? 100 },
  );
  const result: DeliverResult = { sent: 0, failed: 0, dead: 0 };
  for (const d of due) {
    const attempt = d.attempts + 1;
    let error: string | null = null;
    let final = false;
    try {
      if (!d.recipient_active) {
        error = 'the recipient is disabled or has no active token';
        final = true;
      } else if (d.channel === 'webhook' && !d.endpoint_active) {
        error = 'the endpoint is disabled';
        final = true;
      } else {
        const items = await pushItems(db, d.ids.map(Number), publicUrl);
        if (d.channel === 'webhook')
          await sendWebhook(doFetch, d, attempt, now, items, o.timeoutMs);
        else await sendDigest(o, d, items, publicUrl);
      }
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const dead = error !== null && (final || attempt > retry.length);
    const next =
      error === null || dead ? null : new Date(now.getTime() + retry[attempt - 1]! * 1000);
    await db.run(
      `UPDATE deliveries SET status = $s, attempts = $a, last_error = $e, next_attempt_at = $next::TIMESTAMPTZ,
              sent_at = CASE WHEN $s = 'sent' THEN $now::TIMESTAMPTZ END
        WHERE delivery_id = $id`,
      {
        id: d.delivery_id,
        s: error === null ? 'sent' : dead ? 'dead' : 'pending',
        a: attempt,
        e: error,
        next: next?.toISOString() ?? null,
        now: now.toISOString(),
      },
    );
    await writeAudit(db, {
      actor: 'system:notify',
      role: null,
      action: `notification.${d.channel}`,
      target: d.recipient,
      status: error === null ? 200 : dead ? 410 : 503,
      detail: {
        delivery_id: d.delivery_id,
        attempt,
        outcome: error === null ? 'sent' : dead ? 'dead' : 'retry',
        ...(d.channel === 'email' ? { address: d.address } : { endpoint: d.url }),
        notifications: d.ids.map(Number),
        ...(error === null ? {} : { error }),
      },
      at: now,
    });
    if (error === null) result.sent++;
    else if (dead) result.dead++;
    else result.failed++;
  }
  return result;
}

async function sendWebhook(
  doFetch: typeof fetch,
  d: DueRow,
  attempt: number,
  now: Date,
  items: PushItem[],
  timeoutMs = 10_000,
): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  let url = d.url!;
  let body: string;
  if (d.format === 'wecom') body = wecomBody(items);
  else if (d.format === 'dingtalk') {
    body = dingtalkBody(items);
    url = dingtalkUrl(url, d.secret, now);
  } else {
    body = jsonBody(d.delivery_id, attempt, now, items);
    const ts = String(Math.floor(now.getTime() / 1000));
    headers[TIMESTAMP_HEADER] = ts;
    headers[SIGNATURE_HEADER] = signBody(d.secret ?? '', ts, body);
    headers['x-dafei-delivery'] = String(d.delivery_id);
  }
  const res = await doFetch(url, {
    method: 'POST',
    headers,
    body,
    redirect: 'error',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status} from the endpoint`);
  if (d.format === 'wecom' || d.format === 'dingtalk') {
    // the robots answer 200 with {"errcode": N, "errmsg": "…"}; 0 = delivered
    let code: unknown;
    try {
      code = (JSON.parse(text) as { errcode?: unknown }).errcode;
    } catch {
      code = undefined;
    }
    if (code !== 0) throw new Error(`the robot refused the message: ${text.slice(0, 200)}`);
  }
}

async function sendDigest(
  o: DeliverOptions,
  d: DueRow,
  items: PushItem[],
  publicUrl: string | null,
): Promise<void> {
  if (!o.mailer) throw new Error('no SMTP server is configured (notifications.smtp)');
  const inboxUrl = publicUrl ? new URL('/ui/inbox', publicUrl).toString() : null;
  const m = digest(d.digest_day ?? '', items, inboxUrl);
  await o.mailer.sendMail({
    from: o.from ?? '打非云 <dafei@localhost>',
    to: d.address!,
    subject: m.subject,
    text: m.text,
    html: m.html,
    headers: { 'x-dafei-delivery': String(d.delivery_id) },
  });
}

// ---- the dead-letter list -------------------------------------------------------------------------

export const DeliveryRow = z
  .object({
    delivery_id: z.number().int(),
    channel: z.string(),
    recipient: z.string(),
    endpoint_id: z.number().int().nullable(),
    address: z.string().nullable(),
    digest_day: z.string().nullable(),
    notification_ids: z.array(z.number().int()),
    status: z.enum(['pending', 'sent', 'dead']),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    sent_at: z.string().nullable(),
  })
  .meta({ id: 'Delivery' });
export type DeliveryRow = z.output<typeof DeliveryRow>;

export const DeliveryPage = z
  .object({ items: z.array(DeliveryRow), next_cursor: z.string().nullable() })
  .meta({ id: 'DeliveryPage' });
export type DeliveryPage = z.output<typeof DeliveryPage>;

const TS = (c: string) => `strftime(${c} AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%dT%H:%M:%S+08:00')`;

export async function listDeliveries(
  db: Db,
  o: { status?: string; limit?: number; cursor?: string } = {},
): Promise<DeliveryPage> {
  const limit = Math.min(Math.max(o.limit ?? 50, 1), 200);
  const before = o.cursor === undefined ? null : Number(o.cursor);
  const rows = await db.all<DeliveryRow & Record<string, unknown>>(
    `SELECT delivery_id::INTEGER AS delivery_id, channel, recipient, endpoint_id::INTEGER AS endpoint_id, address,
            digest_day::VARCHAR AS digest_day, notification_ids, status, attempts,
            ${TS('next_attempt_at')} AS next_attempt_at, last_error, ${TS('created_at')} AS created_at,
            ${TS('sent_at')} AS sent_at
       FROM deliveries
      WHERE ($status::VARCHAR IS NULL OR status = $status::VARCHAR)
        AND ($before::BIGINT IS NULL OR delivery_id < $before::BIGINT)
      ORDER BY delivery_id DESC LIMIT $lim`,
    { status: o.status ?? null, before, lim: limit + 1 },
  );
  const items = rows.slice(0, limit).map((r) => ({
    ...r,
    notification_ids: r.notification_ids.map(Number),
  }));
  return {
    items,
    next_cursor: rows.length > limit ? String(items[items.length - 1]!.delivery_id) : null,
  };
}

/** Queues a dead delivery again (attempts start over). */
export async function retryDelivery(db: Db, id: number, now = new Date()): Promise<void> {
  const row = await db.one(
    `SELECT 1 AS x FROM deliveries WHERE delivery_id = $id AND status = 'dead'`,
    {
      id,
    },
  );
  if (!row) throw new AppError('not_found', `no dead delivery ${id}`);
  await db.run(
    `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $now::TIMESTAMPTZ WHERE delivery_id = $id`,
    { id, now: now.toISOString() },
  );
}
