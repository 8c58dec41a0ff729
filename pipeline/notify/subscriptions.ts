/**
 * Subscriptions (what a subscriber wants to hear of, and through which channels), the e-mail
 * address of a subscriber's digest, and the push endpoints (webhooks, 企业微信 / 钉钉 robots) that an
 * administrator sets up.
 */
import { z } from 'zod';
import { LEVELS } from '../queries/alerts.ts';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { isClock } from './quiet.ts';
import { SUBSCRIPTION_KINDS, SUBSCRIPTION_ROLES, type SubscriptionKind } from './kinds.ts';
import { getWatchlist, type Actor } from './watchlists.ts';

export const Subscription = z
  .object({
    subscription_id: z.number().int(),
    subscriber: z.string(),
    kind: z.enum(SUBSCRIPTION_KINDS),
    watchlist_id: z.number().int().nullable(),
    levels: z.array(z.enum(LEVELS)).nullable(),
    email: z.boolean(),
    endpoint_id: z.number().int().nullable(),
    quiet_from: z.string().nullable(),
    quiet_to: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'Subscription' });
export type Subscription = z.output<typeof Subscription>;

const COLUMNS = `subscription_id::INTEGER AS subscription_id, subscriber, kind, watchlist_id::INTEGER AS watchlist_id,
  levels, email, endpoint_id::INTEGER AS endpoint_id, quiet_from, quiet_to,
  strftime(created_at AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%dT%H:%M:%S+08:00') AS created_at`;

export async function listSubscriptions(db: Db, subscriber: string): Promise<Subscription[]> {
  return db.all<Subscription & Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM subscriptions WHERE subscriber = $s AND removed_at IS NULL ORDER BY subscription_id`,
    { s: subscriber },
  );
}

export interface SubscribeInput {
  kind: string;
  watchlistId?: number | null | undefined;
  levels?: string[] | undefined;
  email?: boolean | undefined;
  endpointId?: number | null | undefined;
  quietFrom?: string | null | undefined;
  quietTo?: string | null | undefined;
  now?: Date;
}

export async function subscribe(db: Db, actor: Actor, i: SubscribeInput): Promise<Subscription> {
  if (!(SUBSCRIPTION_KINDS as readonly string[]).includes(i.kind))
    throw new AppError('usage', `kind must be one of ${SUBSCRIPTION_KINDS.join(', ')}`);
  const kind = i.kind as SubscriptionKind;
  if (!(SUBSCRIPTION_ROLES[kind] as readonly string[]).includes(actor.role))
    throw new AppError('usage', `role ${actor.role} cannot subscribe to ${kind}`);
  if (i.watchlistId !== undefined && i.watchlistId !== null) {
    if (kind !== 'watch_hits') throw new AppError('usage', 'watchlist_id is for watch_hits only');
    await getWatchlist(db, actor, i.watchlistId);
  }
  let levels: string[] | null = null;
  if (i.levels !== undefined) {
    if (kind !== 'new_alerts') throw new AppError('usage', 'levels are for new_alerts only');
    const bad = i.levels.find((l) => !['red', 'orange', 'yellow'].includes(l));
    if (bad !== undefined || i.levels.length === 0)
      throw new AppError('usage', 'levels are one or more of red, orange, yellow');
    levels = [...new Set(i.levels)];
  }
  const quietFrom = i.quietFrom ?? null;
  const quietTo = i.quietTo ?? null;
  if ((quietFrom === null) !== (quietTo === null))
    throw new AppError('usage', 'a quiet period needs both quiet_from and quiet_to');
  if (quietFrom !== null && (!isClock(quietFrom) || !isClock(quietTo!) || quietFrom === quietTo))
    throw new AppError(
      'usage',
      'quiet_from and quiet_to are different HH:MM times (Asia/Shanghai)',
    );
  if (i.endpointId !== undefined && i.endpointId !== null) {
    const e = await db.one(
      `SELECT 1 AS x FROM notify_endpoints WHERE endpoint_id = $e AND disabled_at IS NULL`,
      { e: i.endpointId },
    );
    if (!e) throw new AppError('not_found', `no active endpoint ${i.endpointId}`);
  }
  if (i.email) {
    const c = await db.one(`SELECT 1 AS x FROM notify_contacts WHERE subscriber = $s`, {
      s: actor.name,
    });
    if (!c)
      throw new AppError('usage', 'set an e-mail address first (POST /v1/notifications/contact)');
  }
  const row = await db.one<Subscription & Record<string, unknown>>(
    `INSERT INTO subscriptions (subscriber, kind, watchlist_id, levels, email, endpoint_id, quiet_from, quiet_to, created_at)
     VALUES ($s, $k, $w, from_json($l::VARCHAR, '["VARCHAR"]'), $email, $e, $qf, $qt, $at::TIMESTAMPTZ)
     RETURNING ${COLUMNS}`,
    {
      s: actor.name,
      k: kind,
      w: i.watchlistId ?? null,
      l: levels ? JSON.stringify(levels) : null,
      email: i.email ?? false,
      e: i.endpointId ?? null,
      qf: quietFrom,
      qt: quietTo,
      at: (i.now ?? new Date()).toISOString(),
    },
  );
  return row!;
}

export async function unsubscribe(
  db: Db,
  subscriber: string,
  id: number,
  now = new Date(),
): Promise<void> {
  const row = await db.one(
    `SELECT 1 AS x FROM subscriptions WHERE subscription_id = $id AND subscriber = $s AND removed_at IS NULL`,
    { id, s: subscriber },
  );
  if (!row) throw new AppError('not_found', `no subscription ${id}`);
  await db.run(
    `UPDATE subscriptions SET removed_at = $at::TIMESTAMPTZ WHERE subscription_id = $id`,
    {
      id,
      at: now.toISOString(),
    },
  );
}

// ---- the digest's address ------------------------------------------------------------------------

const EMAIL_RE = /^[^\s@<>()[\],;:"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

export async function setContact(
  db: Db,
  subscriber: string,
  email: string,
  now = new Date(),
): Promise<void> {
  const e = email.trim();
  if (e.length > 254 || !EMAIL_RE.test(e))
    throw new AppError('usage', `${e} is not an e-mail address`);
  await db.run(`INSERT OR REPLACE INTO notify_contacts VALUES ($s, $e, $at::TIMESTAMPTZ)`, {
    s: subscriber,
    e,
    at: now.toISOString(),
  });
}

export async function getContact(db: Db, subscriber: string): Promise<string | null> {
  const r = await db.one<{ email: string }>(
    `SELECT email FROM notify_contacts WHERE subscriber = $s`,
    { s: subscriber },
  );
  return r?.email ?? null;
}

// ---- push endpoints ------------------------------------------------------------------------------

export const ENDPOINT_FORMATS = ['json', 'wecom', 'dingtalk'] as const;
export type EndpointFormat = (typeof ENDPOINT_FORMATS)[number];

export const Endpoint = z
  .object({
    endpoint_id: z.number().int(),
    name: z.string(),
    format: z.enum(ENDPOINT_FORMATS),
    url: z.string(),
    signed: z
      .boolean()
      .meta({ description: 'whether a secret is set (the secret itself is never read back)' }),
    created_by: z.string(),
    created_at: z.string(),
    disabled_at: z.string().nullable(),
  })
  .meta({ id: 'Endpoint' });
export type Endpoint = z.output<typeof Endpoint>;

const ENDPOINT_COLUMNS = `endpoint_id::INTEGER AS endpoint_id, name, format, url, secret IS NOT NULL AS signed, created_by,
  strftime(created_at AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%dT%H:%M:%S+08:00') AS created_at,
  strftime(disabled_at AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%dT%H:%M:%S+08:00') AS disabled_at`;

export async function listEndpoints(db: Db): Promise<Endpoint[]> {
  return db.all<Endpoint & Record<string, unknown>>(
    `SELECT ${ENDPOINT_COLUMNS} FROM notify_endpoints ORDER BY endpoint_id`,
  );
}

export interface CreateEndpointInput {
  name: string;
  format: string;
  url: string;
  secret?: string | undefined;
  now?: Date;
}

export async function createEndpoint(
  db: Db,
  actor: Actor,
  i: CreateEndpointInput,
): Promise<Endpoint> {
  if (!(ENDPOINT_FORMATS as readonly string[]).includes(i.format))
    throw new AppError('usage', `format must be one of ${ENDPOINT_FORMATS.join(', ')}`);
  let url: URL;
  try {
    url = new URL(i.url);
  } catch {
    throw new AppError('usage', `${i.url} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new AppError('usage', 'an endpoint URL is http(s)');
  if (url.username || url.password)
    throw new AppError('usage', 'put no credentials in the URL; use the secret');
  const name = i.name.trim();
  if (name.length < 1 || name.length > 60)
    throw new AppError('usage', 'an endpoint name is 1–60 characters');
  if (i.format === 'json' && (!i.secret || i.secret.length < 16))
    throw new AppError(
      'usage',
      'a json webhook needs a secret of at least 16 characters (HMAC key)',
    );
  const row = await db.one<Endpoint & Record<string, unknown>>(
    `INSERT INTO notify_endpoints (name, format, url, secret, created_by, created_at)
     VALUES ($n, $f, $u, $s, $by, $at::TIMESTAMPTZ) RETURNING ${ENDPOINT_COLUMNS}`,
    {
      n: name,
      f: i.format,
      u: url.toString(),
      s: i.secret ?? null,
      by: actor.name,
      at: (i.now ?? new Date()).toISOString(),
    },
  );
  return row!;
}

export async function disableEndpoint(db: Db, id: number, now = new Date()): Promise<void> {
  const row = await db.one(
    `SELECT 1 AS x FROM notify_endpoints WHERE endpoint_id = $id AND disabled_at IS NULL`,
    { id },
  );
  if (!row) throw new AppError('not_found', `no active endpoint ${id}`);
  await db.run(
    `UPDATE notify_endpoints SET disabled_at = $at::TIMESTAMPTZ WHERE endpoint_id = $id`,
    {
      id,
      at: now.toISOString(),
    },
  );
}
