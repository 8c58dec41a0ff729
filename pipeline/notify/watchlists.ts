/**
 * Watchlists (重点关注名单): personal lists, and lists an office shares with its accounts. Entries
 * are enterprises, persons (with the companies that disambiguate them), phones, addresses, web
 * domains and brand keywords, each with a reason and an expiry. Entries and lists are never
 * deleted: removing an entry or archiving a list stamps it, so the trail stays.
 */
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { isValidUscc, normaliseUscc } from '../feeds/index.ts';
import { subtreeSql } from '../jurisdictions/index.ts';
import { addDays, shanghaiDay } from '../modeling/days.ts';
import { DEFAULT_ENTRY_DAYS, ENTRY_KINDS, MAX_ENTRY_DAYS, type EntryKind } from './kinds.ts';

/** Who acts: the principal's name, role and office (null = the whole tree), as the workflow sees it. */
import type { Actor } from '../workflow/index.ts';
export type { Actor };

export const Watchlist = z
  .object({
    watchlist_id: z.number().int(),
    name: z.string(),
    owner: z.string().nullable().meta({ description: 'null: shared by an office' }),
    office: z.string().nullable(),
    shared: z.boolean(),
    created_by: z.string(),
    created_at: z.string(),
    archived_at: z.string().nullable(),
    entries: z.number().int().meta({ description: 'active entries' }),
  })
  .meta({ id: 'Watchlist' });
export type Watchlist = z.output<typeof Watchlist>;

export const WatchEntry = z
  .object({
    entry_id: z.number().int(),
    watchlist_id: z.number().int(),
    kind: z.enum(ENTRY_KINDS),
    value: z.string(),
    companies: z.array(z.string()).nullable(),
    reason: z.string(),
    expires_on: z.string(),
    expired: z.boolean(),
    created_by: z.string(),
    created_at: z.string(),
    removed_at: z.string().nullable(),
  })
  .meta({ id: 'WatchEntry' });
export type WatchEntry = z.output<typeof WatchEntry>;

const TS = (c: string) => `strftime(${c} AT TIME ZONE 'Asia/Shanghai', '%Y-%m-%dT%H:%M:%S+08:00')`;

/**
 * SQL: can the actor ($name, $jur) see watchlist w? Its own, or shared by an office in its subtree
 * (a list shared by an account of the whole tree has office '': the whole tree's accounts see it).
 */
const VISIBLE = `(w.owner = $name OR (w.owner IS NULL AND ($jur::VARCHAR IS NULL OR w.office IN ${subtreeSql('$jur::VARCHAR')})))`;

const LIST_COLUMNS = `w.watchlist_id::INTEGER AS watchlist_id, w.name, w.owner, w.office, w.owner IS NULL AS shared,
  w.created_by, ${TS('w.created_at')} AS created_at, ${TS('w.archived_at')} AS archived_at`;

export async function listWatchlists(
  db: Db,
  actor: Actor,
  o: { archived?: boolean; today?: string } = {},
): Promise<Watchlist[]> {
  return db.all<Watchlist & Record<string, unknown>>(
    `SELECT ${LIST_COLUMNS},
            (SELECT count(*)::INTEGER FROM watch_entries e
              WHERE e.watchlist_id = w.watchlist_id AND e.removed_at IS NULL AND e.expires_on >= $today::DATE) AS entries
       FROM watchlists w
      WHERE ${VISIBLE} AND ($archived OR w.archived_at IS NULL)
      ORDER BY w.owner IS NULL, w.watchlist_id`,
    {
      name: actor.name,
      jur: actor.office,
      archived: o.archived ?? false,
      today: o.today ?? shanghaiDay(new Date()),
    },
  );
}

export async function getWatchlist(
  db: Db,
  actor: Actor,
  id: number,
  today = shanghaiDay(new Date()),
): Promise<Watchlist> {
  const w = await db.one<Watchlist & Record<string, unknown>>(
    `SELECT ${LIST_COLUMNS},
            (SELECT count(*)::INTEGER FROM watch_entries e
              WHERE e.watchlist_id = w.watchlist_id AND e.removed_at IS NULL AND e.expires_on >= $today::DATE) AS entries
       FROM watchlists w WHERE w.watchlist_id = $id AND ${VISIBLE}`,
    { id, name: actor.name, jur: actor.office, today },
  );
  if (!w) throw new AppError('not_found', `no watchlist ${id}`);
  return w;
}

export interface CreateWatchlistInput {
  name: string;
  /** Shared by the actor's office (its jurisdiction) instead of personal. */
  shared?: boolean;
  now?: Date;
}

export async function createWatchlist(
  db: Db,
  actor: Actor,
  i: CreateWatchlistInput,
): Promise<Watchlist> {
  const name = i.name.trim();
  if (name.length < 1 || name.length > 60)
    throw new AppError('usage', 'a watchlist name is 1–60 characters');
  const row = await db.one<{ id: number }>(
    `INSERT INTO watchlists (name, owner, office, created_by, created_at)
     VALUES ($n, $owner, $office, $by, $at::TIMESTAMPTZ) RETURNING watchlist_id::INTEGER AS id`,
    {
      n: name,
      owner: i.shared ? null : actor.name,
      office: i.shared ? (actor.office ?? '') : null,
      by: actor.name,
      at: (i.now ?? new Date()).toISOString(),
    },
  );
  return getWatchlist(db, actor, row!.id);
}

/** A shared list is changed by its office's regulators and admins (and levels above); a personal one by its owner. */
async function writable(db: Db, actor: Actor, id: number): Promise<Watchlist> {
  const w = await getWatchlist(db, actor, id);
  if (w.archived_at) throw new AppError('usage', `watchlist ${id} is archived`);
  if (w.owner !== null && w.owner !== actor.name)
    throw new AppError('not_found', `no watchlist ${id}`);
  return w;
}

export async function archiveWatchlist(
  db: Db,
  actor: Actor,
  id: number,
  now = new Date(),
): Promise<Watchlist> {
  await writable(db, actor, id);
  await db.run(
    `UPDATE watchlists SET archived_at = $at::TIMESTAMPTZ, archived_by = $by WHERE watchlist_id = $id`,
    { id, at: now.toISOString(), by: actor.name },
  );
  return getWatchlist(db, actor, id);
}

const ENTRY_COLUMNS = `e.entry_id::INTEGER AS entry_id, e.watchlist_id::INTEGER AS watchlist_id, e.kind, e.value,
  e.companies, e.reason, e.expires_on::VARCHAR AS expires_on, e.expires_on < $today::DATE AS expired,
  e.created_by, ${TS('e.created_at')} AS created_at, ${TS('e.removed_at')} AS removed_at`;

export async function listEntries(
  db: Db,
  actor: Actor,
  id: number,
  o: { all?: boolean; today?: string } = {},
): Promise<WatchEntry[]> {
  await getWatchlist(db, actor, id);
  return db.all<WatchEntry & Record<string, unknown>>(
    `SELECT ${ENTRY_COLUMNS} FROM watch_entries e
      WHERE e.watchlist_id = $id AND ($all OR (e.removed_at IS NULL AND e.expires_on >= $today::DATE))
      ORDER BY e.entry_id DESC`,
    { id, all: o.all ?? false, today: o.today ?? shanghaiDay(new Date()) },
  );
}

export interface AddEntryInput {
  kind: string;
  value: string;
  /** person: USCCs of the companies the person is known to represent. */
  companies?: string[] | undefined;
  reason: string;
  /** YYYY-MM-DD; default DEFAULT_ENTRY_DAYS from today, at most MAX_ENTRY_DAYS. */
  expiresOn?: string | undefined;
  now?: Date;
}

const PHONE_DIGITS = (s: string) =>
  s
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/\D/g, '')
    .replace(/^86(1\d{10})$/, '$1');

/** Checks and tidies an entry's value; throws a usage error naming what is wrong. */
export function checkEntryValue(
  kind: string,
  value: string,
  companies?: readonly string[],
): { kind: EntryKind; value: string; companies: string[] | null } {
  if (!(ENTRY_KINDS as readonly string[]).includes(kind))
    throw new AppError('usage', `kind must be one of ${ENTRY_KINDS.join(', ')}`);
  const k = kind as EntryKind;
  const v = value.trim().replace(/\s+/g, ' ');
  if (v === '' || v.length > 200) throw new AppError('usage', 'value must be 1–200 characters');
  if (companies && companies.length > 0 && k !== 'person')
    throw new AppError('usage', 'companies disambiguate a person entry only');
  switch (k) {
    case 'enterprise': {
      const u = normaliseUscc(v);
      if (!isValidUscc(u))
        throw new AppError(
          'usage',
          `${v} is not a valid 统一社会信用代码 (18 characters, check digit)`,
        );
      return { kind: k, value: u, companies: null };
    }
    case 'person': {
      if (v.length < 2 || v.length > 30)
        throw new AppError('usage', 'a person is watched by name (2–30 characters)');
      const cs = (companies ?? []).map((c) => normaliseUscc(c.trim()));
      const bad = cs.find((c) => !isValidUscc(c));
      if (bad) throw new AppError('usage', `company ${bad} is not a valid 统一社会信用代码`);
      if (cs.length > 20) throw new AppError('usage', 'at most 20 companies per person');
      return { kind: k, value: v, companies: cs.length > 0 ? [...new Set(cs)] : null };
    }
    case 'phone':
      if (PHONE_DIGITS(v).length < 7)
        throw new AppError('usage', `${v} has fewer than 7 digits: not a phone number`);
      return { kind: k, value: v, companies: null };
    case 'address':
      if (v.length < 6)
        throw new AppError('usage', 'an address needs at least 6 characters (street and number)');
      return { kind: k, value: v, companies: null };
    case 'domain': {
      const host = v
        .toLowerCase()
        .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
        .replace(/[/?#:].*$/, '')
        .replace(/^(www|m|wap)\./, '');
      if (!/^(?=.{3,253}$)([a-z0-9-]+\.)+[a-z0-9-]{2,}$/.test(host))
        throw new AppError('usage', `${v} is not a web domain (e.g. example.com)`);
      return { kind: k, value: host, companies: null };
    }
    case 'keyword':
      if (v.replace(/[\s\p{P}\p{S}]/gu, '').length < 2 || v.length > 30)
        throw new AppError('usage', 'a keyword is 2–30 characters (not only punctuation)');
      return { kind: k, value: v, companies: null };
  }
}

export async function addEntry(
  db: Db,
  actor: Actor,
  id: number,
  i: AddEntryInput,
): Promise<WatchEntry> {
  await writable(db, actor, id);
  const { kind, value, companies } = checkEntryValue(i.kind, i.value, i.companies);
  const reason = i.reason.trim();
  if (reason.length < 2 || reason.length > 500)
    throw new AppError('usage', 'a reason is 2–500 characters: why is this watched?');
  const now = i.now ?? new Date();
  const today = shanghaiDay(now);
  const expires = i.expiresOn ?? addDays(today, DEFAULT_ENTRY_DAYS);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(expires) || expires < today)
    throw new AppError('usage', `expires_on ${expires} must be a day from today (${today}) on`);
  if (expires > addDays(today, MAX_ENTRY_DAYS))
    throw new AppError(
      'usage',
      `expires_on may be at most ${MAX_ENTRY_DAYS} days ahead (${addDays(today, MAX_ENTRY_DAYS)}): watched entries are reviewed`,
    );
  const dup = await db.one<{ id: number }>(
    `SELECT entry_id::INTEGER AS id FROM watch_entries
      WHERE watchlist_id = $id AND kind = $k AND value = $v AND removed_at IS NULL AND expires_on >= $today::DATE`,
    { id, k: kind, v: value, today },
  );
  if (dup) throw new AppError('usage', `${value} is already on this list (entry ${dup.id})`);
  const row = await db.one<{ id: number }>(
    `INSERT INTO watch_entries (watchlist_id, kind, value, companies, reason, expires_on, created_by, created_at)
     VALUES ($id, $k, $v, from_json($c::VARCHAR, '["VARCHAR"]'), $r, $exp::DATE, $by, $at::TIMESTAMPTZ)
     RETURNING entry_id::INTEGER AS id`,
    {
      id,
      k: kind,
      v: value,
      c: companies ? JSON.stringify(companies) : null,
      r: reason,
      exp: expires,
      by: actor.name,
      at: now.toISOString(),
    },
  );
  const e = await db.one<WatchEntry & Record<string, unknown>>(
    `SELECT ${ENTRY_COLUMNS} FROM watch_entries e WHERE e.entry_id = $e`,
    { e: row!.id, today },
  );
  return e!;
}

export async function removeEntry(
  db: Db,
  actor: Actor,
  id: number,
  entryId: number,
  now = new Date(),
): Promise<void> {
  await writable(db, actor, id);
  const hit = await db.one<{ n: number }>(
    `SELECT count(*)::INTEGER AS n FROM watch_entries WHERE entry_id = $e AND watchlist_id = $id AND removed_at IS NULL`,
    { e: entryId, id },
  );
  if (!hit || hit.n === 0)
    throw new AppError('not_found', `no entry ${entryId} on watchlist ${id}`);
  await db.run(
    `UPDATE watch_entries SET removed_at = $at::TIMESTAMPTZ, removed_by = $by WHERE entry_id = $e`,
    { e: entryId, at: now.toISOString(), by: actor.name },
  );
}
