/**
 * The inbox, subscriptions, the digest address, push endpoints and the dead-letter list:
 * /v1/notifications …, /v1/subscriptions …, /v1/endpoints …, /v1/deliveries … (api/README.md,
 * "Watchlists and notifications").
 */
import { z } from 'zod';
import {
  createEndpoint,
  DeliveryPage,
  disableEndpoint,
  Endpoint,
  ENDPOINT_FORMATS,
  getContact,
  InboxPage,
  listDeliveries,
  listEndpoints,
  listInbox,
  listSubscriptions,
  markRead,
  retryDelivery,
  setContact,
  subscribe,
  Subscription,
  SUBSCRIPTION_KINDS,
  SUBSCRIPTION_ROLES,
  unreadCount,
  unsubscribe,
} from '../../pipeline/notify/index.ts';
import { audit } from '../audit.ts';
import { ApiError } from '../errors.ts';
import { redact } from '../redact.ts';
import type { Router } from '../route.ts';
import { Level, Limit } from '../schemas.ts';
import { actorOf, callerScope } from '../scope.ts';
import { Removed } from './watchlists.ts';

const ALL = ['regulator', 'investigator', 'data_scientist', 'admin'] as const;
const Id = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const UnreadCount = z.object({ unread: z.number().int() }).meta({ id: 'UnreadCount' });
const Marked = z
  .object({ marked: z.number().int(), unread: z.number().int() })
  .meta({ id: 'Marked' });
const Contact = z
  .object({ email: z.string().nullable().meta({ description: 'the digest address; null: none' }) })
  .meta({ id: 'Contact' });
const SubscriptionList = z
  .object({ items: z.array(Subscription), email: Contact.shape.email })
  .meta({ id: 'SubscriptionList' });
/** Administrators see whole endpoints; everyone else their names and formats, to subscribe. */
const EndpointList = z
  .object({
    items: z.array(
      z.union([Endpoint, Endpoint.pick({ endpoint_id: true, name: true, format: true })]),
    ),
  })
  .meta({ id: 'EndpointList' });
const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');

export function notificationRoutes(r: Router): void {
  r.add(
    {
      method: 'get',
      path: '/v1/notifications',
      operationId: 'listNotifications',
      summary: 'My inbox',
      description:
        'Newest first, with the unread count. Personal fields are removed for roles that may not read them, as everywhere in the API.',
      tag: 'notifications',
      roles: ALL,
      query: z.strictObject({
        unread: z.enum(['true', 'false']).default('false'),
        kind: z.string().max(30).optional(),
        limit: Limit(50),
        cursor: z
          .string()
          .regex(/^\d{1,15}$/)
          .optional(),
      }),
      responses: {
        200: {
          description: 'notifications',
          schema: InboxPage,
        },
      },
    },
    async (c, { query }) => {
      const p = c.get('principal')!;
      const page = await listInbox(c.get('deps').db, p.name, {
        unread: query.unread === 'true',
        ...(query.kind === undefined ? {} : { kind: query.kind }),
        limit: query.limit,
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      });
      await audit(c, 'notification.list', p.name, { rows: page.items.length });
      return c.json(redact(page, p.role));
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/notifications/unread-count',
      operationId: 'countUnreadNotifications',
      summary: 'How many notifications I have not read',
      tag: 'notifications',
      roles: ALL,
      responses: { 200: { description: 'the count', schema: UnreadCount } },
    },
    async (c) => c.json({ unread: await unreadCount(c.get('deps').db, c.get('principal')!.name) }),
  );

  r.add(
    {
      method: 'post',
      path: '/v1/notifications/read',
      operationId: 'markNotificationsRead',
      summary: 'Mark notifications read',
      description: '`ids` = those notifications; no `ids` = everything unread.',
      tag: 'notifications',
      roles: ALL,
      body: z
        .strictObject({ ids: z.array(z.number().int().min(1)).min(1).max(500).optional() })
        .meta({ id: 'MarkReadInput' }),
      responses: { 200: { description: 'marked', schema: Marked } },
    },
    async (c, { body }) => {
      const { db, now } = c.get('deps');
      const me = c.get('principal')!.name;
      const marked = await markRead(db, me, body.ids, now());
      await audit(c, 'notification.read', me, { marked });
      return c.json({ marked, unread: await unreadCount(db, me) });
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/notifications/contact',
      operationId: 'setNotificationContact',
      summary: 'Set the address of my daily digest',
      tag: 'notifications',
      roles: ALL,
      body: z.strictObject({ email: z.string().min(3).max(254) }).meta({ id: 'ContactInput' }),
      responses: { 200: { description: 'saved', schema: Contact } },
    },
    async (c, { body }) => {
      const { db, now } = c.get('deps');
      const me = c.get('principal')!.name;
      await setContact(db, me, body.email, now());
      await audit(c, 'notification.contact', me, { status: 200 });
      return c.json({ email: await getContact(db, me) });
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/subscriptions',
      operationId: 'listSubscriptions',
      summary: 'My subscriptions',
      tag: 'notifications',
      roles: ALL,
      responses: {
        200: { description: 'subscriptions', schema: SubscriptionList },
      },
    },
    async (c) => {
      const { db } = c.get('deps');
      const me = c.get('principal')!.name;
      return c.json({ items: await listSubscriptions(db, me), email: await getContact(db, me) });
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/subscriptions',
      operationId: 'subscribe',
      summary: 'Subscribe to a kind of notification',
      description:
        'Kinds: watch_hits (one watchlist, or all of mine and my office’s), new_alerts (levels, default red and orange, in my jurisdiction), my_cases, office_queue, feed_problems. Every notification lands in the inbox; `email` adds it to the daily digest, `endpoint_id` pushes it to a webhook or group robot. Quiet period: pushes due between quiet_from and quiet_to (Asia/Shanghai) wait until quiet_to.',
      tag: 'notifications',
      roles: ALL,
      body: z
        .strictObject({
          kind: z.enum(SUBSCRIPTION_KINDS),
          watchlist_id: z.number().int().min(1).optional(),
          levels: z.array(Level).min(1).max(3).optional(),
          email: z.boolean().optional(),
          endpoint_id: z.number().int().min(1).optional(),
          quiet_from: Clock.optional(),
          quiet_to: Clock.optional(),
        })
        .meta({ id: 'SubscriptionInput' }),
      responses: {
        201: { description: 'subscribed', schema: Subscription },
      },
    },
    async (c, { body }) => {
      const actor = actorOf(c);
      if (!(SUBSCRIPTION_ROLES[body.kind] as readonly string[]).includes(actor.role))
        throw new ApiError('forbidden', `role ${actor.role} may not subscribe to ${body.kind}`);
      const s = await subscribe(c.get('deps').db, actor, {
        kind: body.kind,
        watchlistId: body.watchlist_id,
        levels: body.levels,
        email: body.email,
        endpointId: body.endpoint_id,
        quietFrom: body.quiet_from,
        quietTo: body.quiet_to,
        now: c.get('deps').now(),
      });
      await audit(c, 'subscription.create', `subscription:${s.subscription_id}`, {
        status: 201,
        kind: s.kind,
      });
      return c.json(s, 201);
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/subscriptions/:id/remove',
      operationId: 'unsubscribe',
      summary: 'End a subscription',
      tag: 'notifications',
      roles: ALL,
      params: z.strictObject({ id: Id }),
      responses: { 200: { description: 'ended', schema: Removed } },
    },
    async (c, { params }) => {
      await unsubscribe(c.get('deps').db, c.get('principal')!.name, params.id, c.get('deps').now());
      await audit(c, 'subscription.remove', `subscription:${params.id}`, { status: 200 });
      return c.json({ removed: params.id });
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/endpoints',
      operationId: 'listEndpoints',
      summary: 'Push endpoints (webhooks, group robots)',
      description:
        'Everyone sees their names and formats, to subscribe to them; only administrators of the whole tree see the URLs.',
      tag: 'notifications',
      roles: ALL,
      responses: { 200: { description: 'endpoints', schema: EndpointList } },
    },
    async (c) => {
      const admin = c.get('principal')!.role === 'admin' && (await callerScope(c)).offices === null;
      const items = (await listEndpoints(c.get('deps').db))
        .filter((e) => admin || e.disabled_at === null)
        .map((e) => (admin ? e : { endpoint_id: e.endpoint_id, name: e.name, format: e.format }));
      return c.json({ items });
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/endpoints',
      operationId: 'createEndpoint',
      summary: 'Add a push endpoint',
      description:
        'format json: our payload, signed `x-dafei-signature: sha256=HMAC-SHA256(secret, "${x-dafei-timestamp}.${body}")`; wecom: a 企业微信 group robot’s webhook URL; dingtalk: a 钉钉 group robot’s URL, with its 加签 secret.',
      tag: 'notifications',
      roles: ['admin'],
      wholeTree: true,
      body: z
        .strictObject({
          name: z.string().min(1).max(60),
          format: z.enum(ENDPOINT_FORMATS),
          url: z.string().min(8).max(2000),
          secret: z.string().min(8).max(200).optional(),
        })
        .meta({ id: 'EndpointInput' }),
      responses: { 201: { description: 'added', schema: Endpoint } },
    },
    async (c, { body }) => {
      const e = await createEndpoint(c.get('deps').db, actorOf(c), {
        ...body,
        now: c.get('deps').now(),
      });
      await audit(c, 'endpoint.create', `endpoint:${e.endpoint_id}`, {
        status: 201,
        format: e.format,
      });
      return c.json(e, 201);
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/endpoints/:id/disable',
      operationId: 'disableEndpoint',
      summary: 'Disable a push endpoint',
      tag: 'notifications',
      roles: ['admin'],
      wholeTree: true,
      params: z.strictObject({ id: Id }),
      responses: {
        200: {
          description: 'disabled',
          schema: z.object({ disabled: z.number().int() }).meta({ id: 'Disabled' }),
        },
      },
    },
    async (c, { params }) => {
      await disableEndpoint(c.get('deps').db, params.id, c.get('deps').now());
      await audit(c, 'endpoint.disable', `endpoint:${params.id}`, { status: 200 });
      return c.json({ disabled: params.id });
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/deliveries',
      operationId: 'listDeliveries',
      summary: 'Pushes and their state; status=dead is the dead-letter list',
      tag: 'notifications',
      roles: ['admin'],
      wholeTree: true,
      query: z.strictObject({
        status: z.enum(['pending', 'sent', 'dead']).optional(),
        limit: Limit(50),
        cursor: z
          .string()
          .regex(/^\d{1,15}$/)
          .optional(),
      }),
      responses: {
        200: { description: 'deliveries', schema: DeliveryPage },
      },
    },
    async (c, { query }) =>
      c.json(
        await listDeliveries(c.get('deps').db, {
          ...(query.status === undefined ? {} : { status: query.status }),
          limit: query.limit,
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        }),
      ),
  );

  r.add(
    {
      method: 'post',
      path: '/v1/deliveries/:id/retry',
      operationId: 'retryDelivery',
      summary: 'Queue a dead delivery again',
      tag: 'notifications',
      roles: ['admin'],
      wholeTree: true,
      params: z.strictObject({ id: Id }),
      responses: {
        200: {
          description: 'queued',
          schema: z.object({ queued: z.number().int() }).meta({ id: 'Queued' }),
        },
      },
    },
    async (c, { params }) => {
      await retryDelivery(c.get('deps').db, params.id, c.get('deps').now());
      await audit(c, 'delivery.retry', `delivery:${params.id}`, { status: 200 });
      return c.json({ queued: params.id });
    },
  );
}
