/**
 * The audit log: who read or changed what, when, from where. Append-only, and a hash chain:
 * each entry's `entry_hash` is sha256 over its fields and the previous entry's hash, and ids are
 * consecutive, so an edited, removed or inserted row breaks the chain at that row
 * (`verifyAuditChain`, `dafei audit verify`). Entries older than migration 0011 have no hash.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../db/index.ts';

export interface AuditEntry {
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  status?: number;
  detail?: Record<string, unknown>;
  at?: Date;
  /** The client's address, user agent and the request id (HTTP); null elsewhere. */
  clientIp?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

export async function writeAudit(db: Db, e: AuditEntry): Promise<void> {
  await writeAudits(db, [e]);
}

interface ChainHead {
  id: number;
  hash: string;
}

/** The last entry's id and hash, remembered per Db after the first read (see writeAudits). */
const heads = new WeakMap<Db, ChainHead>();

/**
 * Forgets the remembered head of `db`: the next write reads it again. For a write inside a
 * transaction, where a conflict cannot be retried (the failed insert aborts the transaction) and
 * another connection (the API's fork) may have written since.
 */
export function forgetAuditHead(db: Db): void {
  heads.delete(db);
}

async function readHead(db: Db): Promise<ChainHead> {
  const r = await db.one<{ id: number; h: string | null }>(
    `SELECT audit_id::DOUBLE AS id, entry_hash AS h FROM audit_log ORDER BY audit_id DESC LIMIT 1`,
  );
  return { id: r?.id ?? 0, hash: r?.h ?? '' };
}

interface StoredFields {
  id: number;
  at_ms: number;
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  status: number | null;
  detail: string | null;
  ip: string | null;
  ua: string | null;
  rid: string | null;
}

/** sha256 over the previous hash and the entry's fields as stored. */
export function auditHash(prev: string, f: StoredFields): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        prev,
        f.id,
        f.at_ms,
        f.actor,
        f.role,
        f.action,
        f.target,
        f.status,
        f.detail,
        f.ip,
        f.ua,
        f.rid,
      ]),
      'utf8',
    )
    .digest('hex');
}

/**
 * Several entries in one INSERT. The entries travel as one JSON parameter, so the statement has
 * one shape whatever their number (prepared once per connection, see pipeline/db).
 */
const INSERT_MANY_SQL = `
INSERT INTO audit_log (audit_id, logged_at, actor, role, action, target, status, detail, client_ip, user_agent, request_id, prev_hash, entry_hash)
SELECT e.id, make_timestamptz(e.at_ms * 1000), e.actor, e.role, e.action, e.target, e.status, e.detail::JSON,
       e.ip, e.ua, e.rid, e.prev, e.hash
FROM (SELECT unnest(from_json($entries::VARCHAR,
  '[{"id":"BIGINT","at_ms":"BIGINT","actor":"VARCHAR","role":"VARCHAR","action":"VARCHAR","target":"VARCHAR","status":"INTEGER","detail":"VARCHAR","ip":"VARCHAR","ua":"VARCHAR","rid":"VARCHAR","prev":"VARCHAR","hash":"VARCHAR"}]')) AS e)`;

const clip = (s: string | null | undefined, n: number): string | null =>
  s === undefined || s === null ? null : s.slice(0, n);

/** Whether a write failed because another writer took the chain's next id first (retry it). */
export function lostChainRace(err: unknown): boolean {
  return /duplicate key|constraint|conflict/i.test(String(err));
}

/**
 * Appends entries to the chain. The chain's head is remembered per Db; if another writer
 * appended meanwhile (a duplicate id), the head is read again and the batch retried.
 */
export async function writeAudits(db: Db, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  for (let attempt = 0; ; attempt++) {
    let head = heads.get(db);
    if (!head || attempt > 0) head = await readHead(db);
    let prev = head.hash;
    let id = head.id;
    const rows = entries.map((e) => {
      const f: StoredFields = {
        id: ++id,
        at_ms: (e.at ?? new Date()).getTime(),
        actor: e.actor,
        role: e.role,
        action: e.action,
        target: e.target,
        status: e.status ?? null,
        detail: e.detail === undefined ? null : JSON.stringify(e.detail),
        ip: clip(e.clientIp, 100),
        ua: clip(e.userAgent, 300),
        rid: clip(e.requestId, 100),
      };
      const hash = auditHash(prev, f);
      const row = { ...f, prev, hash };
      prev = hash;
      return row;
    });
    try {
      await db.run(INSERT_MANY_SQL, { entries: JSON.stringify(rows) });
      heads.set(db, { id, hash: prev });
      return;
    } catch (err) {
      heads.delete(db);
      if (attempt >= 3 || !lostChainRace(err)) throw err;
    }
  }
}

const CHAIN_SQL = `
SELECT audit_id::DOUBLE AS id, epoch_ms(logged_at)::DOUBLE AS at_ms, actor, role, action, target, status,
       detail::VARCHAR AS detail, client_ip AS ip, user_agent AS ua, request_id AS rid, prev_hash, entry_hash,
       logged_at::VARCHAR AS logged_at
FROM audit_log ORDER BY audit_id`;

export const AuditVerification = z
  .object({
    ok: z.boolean(),
    checked: z.number().int().meta({ description: 'entries checked along the chain' }),
    unchained: z.number().int().meta({
      description: 'entries written before the chain began (migration 0011), not covered',
    }),
    head: z.string().nullable().meta({
      description: 'the hash of the last entry (keep it elsewhere to detect a cut tail later)',
    }),
    broken: z
      .object({
        audit_id: z.number().int(),
        logged_at: z.string(),
        actor: z.string(),
        action: z.string(),
        reason: z.string(),
      })
      .optional()
      .meta({ description: 'the first entry where the chain breaks, and why' }),
  })
  .meta({ id: 'AuditVerification' });
export type AuditVerification = z.output<typeof AuditVerification>;

/**
 * Walks the chain in id order and names the first entry that does not hold. When the oldest
 * entries were archived (retention, audit_archives), the chain must go on from the last archived
 * entry: the first entry left links to its hash, with the next id.
 */
export async function verifyAuditChain(db: Db): Promise<AuditVerification> {
  const archive = await db.one<{ id: number; hash: string | null }>(
    `SELECT last_id::DOUBLE AS id, last_hash AS hash FROM audit_archives ORDER BY last_id DESC LIMIT 1`,
  );
  let prevHash: string | null = archive?.hash ?? null;
  let prevId: number | null = archive?.id ?? null;
  let checked = 0;
  let unchained = 0;
  for await (const chunk of db.stream<
    StoredFields & { prev_hash: string | null; entry_hash: string | null; logged_at: string }
  >(CHAIN_SQL)) {
    for (const r of chunk) {
      const fail = (reason: string): AuditVerification => ({
        ok: false,
        checked,
        unchained,
        head: prevHash,
        broken: {
          audit_id: r.id,
          logged_at: r.logged_at,
          actor: r.actor,
          action: r.action,
          reason,
        },
      });
      if (r.entry_hash === null) {
        if (prevHash !== null)
          return fail(
            'it has no hash although it follows hashed entries (inserted without the chain)',
          );
        unchained++;
        prevId = r.id;
        continue;
      }
      if (prevHash === null) {
        if ((r.prev_hash ?? '') !== '' && unchained === 0)
          return fail(
            'the chain starts with a link to an entry that is gone (earlier entries were removed)',
          );
      } else {
        if (prevId !== null && r.id !== prevId + 1)
          return fail(`entries ${prevId + 1}…${r.id - 1} are missing (removed)`);
        if (r.prev_hash !== prevHash)
          return fail(
            'its link to the previous entry does not match (an entry before it was removed or replaced)',
          );
      }
      const fields: StoredFields = {
        id: r.id,
        at_ms: r.at_ms,
        actor: r.actor,
        role: r.role,
        action: r.action,
        target: r.target,
        status: r.status,
        detail: r.detail,
        ip: r.ip,
        ua: r.ua,
        rid: r.rid,
      };
      if (auditHash(r.prev_hash ?? '', fields) !== r.entry_hash)
        return fail('its content was altered after it was written (the hash does not match)');
      prevHash = r.entry_hash;
      prevId = r.id;
      checked++;
    }
  }
  return { ok: true, checked, unchained, head: prevHash };
}

/** Every entry as NDJSON lines (with its hashes), in id order, to `write`; returns the count. */
export async function exportAudit(
  db: Db,
  write: (line: string) => void | Promise<void>,
  o: { from?: string | undefined; to?: string | undefined } = {},
): Promise<number> {
  let n = 0;
  for await (const chunk of db.stream<Record<string, unknown>>(
    `SELECT audit_id::BIGINT AS audit_id, strftime(logged_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS logged_at,
            actor, role, action, target, status, detail::VARCHAR AS detail, client_ip, user_agent, request_id,
            prev_hash, entry_hash
     FROM audit_log
     WHERE ($from::VARCHAR IS NULL OR logged_at >= $from::VARCHAR::TIMESTAMPTZ)
       AND ($to::VARCHAR IS NULL OR logged_at < $to::VARCHAR::TIMESTAMPTZ)
     ORDER BY audit_id`,
    { from: o.from ?? null, to: o.to ?? null },
  )) {
    for (const r of chunk) {
      const detail = r['detail'];
      await write(
        JSON.stringify({
          ...r,
          detail: typeof detail === 'string' ? (JSON.parse(detail) as unknown) : null,
        }),
      );
      n++;
    }
  }
  return n;
}

export const AuditRow = z
  .object({
    audit_id: z.number().int(),
    at: z.string(),
    client_ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    request_id: z.string().nullable(),
    actor: z.string(),
    role: z.string().nullable(),
    action: z.string(),
    target: z.string().nullable(),
    status: z.number().int().nullable(),
    detail: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: "the action's own details (each action names its own)" }),
  })
  .meta({ id: 'AuditEntry' });
export type AuditRow = z.output<typeof AuditRow>;

export interface ListAuditOptions {
  actor?: string;
  action?: string;
  target?: string;
  /** audit_id of the last row of the previous page (newest first). */
  before?: number;
  limit: number;
}

export async function listAudit(
  db: Db,
  o: ListAuditOptions,
): Promise<{ items: AuditRow[]; has_more: boolean }> {
  const rows = await db.all<AuditRow & { detail: string | null }>(
    `SELECT audit_id::INTEGER AS audit_id, logged_at::VARCHAR AS at, client_ip, user_agent, request_id, actor, role, action, target, status, detail::VARCHAR AS detail
     FROM audit_log
     WHERE ($actor::VARCHAR IS NULL OR actor = $actor::VARCHAR)
       AND ($action::VARCHAR IS NULL OR action = $action::VARCHAR)
       AND ($target::VARCHAR IS NULL OR target = $target::VARCHAR)
       AND ($before::BIGINT IS NULL OR audit_id < $before::BIGINT)
     ORDER BY audit_id DESC LIMIT $take`,
    {
      actor: o.actor ?? null,
      action: o.action ?? null,
      target: o.target ?? null,
      before: o.before ?? null,
      take: o.limit + 1,
    },
  );
  return {
    items: rows.slice(0, o.limit).map((r) => ({
      ...r,
      detail: r.detail ? (JSON.parse(r.detail) as AuditRow['detail']) : null,
    })),
    has_more: rows.length > o.limit,
  };
}
