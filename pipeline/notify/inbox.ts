/** The in-app inbox: a recipient's notifications, newest first, with read marks. */
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';

export const InboxItem = z
  .object({
    notification_id: z.number().int(),
    event_key: z.string(),
    kind: z.string(),
    uscc: z.string().nullable(),
    day: z.string().nullable(),
    title: z.string(),
    data: z
      .record(z.string(), z.unknown())
      .meta({ description: "the event's own fields (each kind of event names its own)" }),
    link: z.string().nullable(),
    reasons: z
      .array(z.record(z.string(), z.unknown()))
      .meta({ description: 'why it reached the recipient: one per matching subscription' }),
    created_at: z.string(),
    read_at: z.string().nullable(),
  })
  .meta({ id: 'Notification' });
export type InboxItem = z.output<typeof InboxItem>;

export const InboxPage = z
  .object({
    items: z.array(InboxItem),
    unread: z.number().int(),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
  })
  .meta({ id: 'InboxPage' });
export type InboxPage = z.output<typeof InboxPage>;

const TS = (c: string) => `strftime(${c} AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%dT%H:%M:%S+08:00')`;

export async function unreadCount(db: Db, recipient: string): Promise<number> {
  const r = await db.one<{ n: number }>(
    `SELECT count(*)::INTEGER AS n FROM notifications n
      WHERE n.recipient = $r
        AND NOT EXISTS (SELECT 1 FROM notification_reads x WHERE x.notification_id = n.notification_id)`,
    { r: recipient },
  );
  return r?.n ?? 0;
}

export async function listInbox(
  db: Db,
  recipient: string,
  o: { unread?: boolean; kind?: string; limit?: number; cursor?: string } = {},
): Promise<InboxPage> {
  const limit = Math.min(Math.max(o.limit ?? 50, 1), 200);
  const before = o.cursor === undefined ? null : Number(o.cursor);
  if (before !== null && !Number.isSafeInteger(before))
    throw new AppError('usage', 'cursor is the next_cursor of the previous page');
  const rows = await db.all<
    Omit<InboxItem, 'data' | 'reasons'> & { data: string; reasons: string } & Record<
        string,
        unknown
      >
  >(
    `SELECT n.notification_id::INTEGER AS notification_id, n.event_key, e.kind, e.uscc, e.day::VARCHAR AS day,
            e.title, e.data::VARCHAR AS data, e.link, n.reasons::VARCHAR AS reasons,
            ${TS('n.created_at')} AS created_at, ${TS('r.read_at')} AS read_at
       FROM notifications n
       JOIN notification_events e USING (event_key)
       LEFT JOIN (SELECT notification_id, min(read_at) AS read_at FROM notification_reads GROUP BY ALL) r
              USING (notification_id)
      WHERE n.recipient = $r
        AND ($before::BIGINT IS NULL OR n.notification_id < $before::BIGINT)
        AND (NOT $unread OR r.read_at IS NULL)
        AND ($kind::VARCHAR IS NULL OR e.kind = $kind::VARCHAR)
      ORDER BY n.notification_id DESC
      LIMIT $lim`,
    { r: recipient, before, unread: o.unread ?? false, kind: o.kind ?? null, lim: limit + 1 },
  );
  const more = rows.length > limit;
  const items = rows.slice(0, limit).map((x) => ({
    ...x,
    data: JSON.parse(x.data) as Record<string, unknown>,
    reasons: JSON.parse(x.reasons) as Record<string, unknown>[],
  }));
  return {
    items,
    unread: await unreadCount(db, recipient),
    has_more: more,
    next_cursor: more ? String(items[items.length - 1]!.notification_id) : null,
  };
}

/** Marks notifications read (all unread ones when `ids` is undefined); returns how many were newly marked. */
export async function markRead(
  db: Db,
  recipient: string,
  ids: readonly number[] | undefined,
  now = new Date(),
): Promise<number> {
  if (ids !== undefined && ids.length > 0) {
    const mine = await db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM notifications
        WHERE recipient = $r AND list_contains(from_json($ids::VARCHAR, '["BIGINT"]'), notification_id)`,
      { r: recipient, ids: JSON.stringify(ids) },
    );
    if ((mine?.n ?? 0) !== new Set(ids).size)
      throw new AppError('not_found', 'no such notification in your inbox');
  }
  const rows = await db.all<{ id: number }>(
    `INSERT INTO notification_reads
     SELECT n.notification_id, $at::TIMESTAMPTZ FROM notifications n
      WHERE n.recipient = $r
        AND ($all OR list_contains(from_json($ids::VARCHAR, '["BIGINT"]'), n.notification_id))
        AND NOT EXISTS (SELECT 1 FROM notification_reads x WHERE x.notification_id = n.notification_id)
     RETURNING notification_id::INTEGER AS id`,
    {
      r: recipient,
      at: now.toISOString(),
      all: ids === undefined,
      ids: JSON.stringify(ids ?? []),
    },
  );
  return rows.length;
}
