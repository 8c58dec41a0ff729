/**
 * The published alert list: one day's current revision (or a pinned one), filtered, in rank order,
 * with keyset pagination on rank; and one alert with its evidence.
 */
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { DISPOSITION_INITIAL } from './dispositions.ts';

export type Level = 'red' | 'orange' | 'yellow';

export interface Reason {
  feature: string;
  label: string;
  value: number;
  contribution: number;
  text: string;
}

export interface AlertRow {
  id: string;
  day: string;
  revision: number;
  rank: number;
  uscc: string;
  name: string | null;
  district: string | null;
  legal_rep: string | null;
  score: number;
  level: Level;
  rule_score: number;
  reasons: Reason[];
  change: string | null;
  prev_level: string | null;
  status: string;
  assignee: string | null;
}

export interface ListAlertsOptions {
  /** Day; default the latest day with a published list. */
  day?: string;
  /** Pin a revision (cursors do); default the day's current (highest) revision. */
  revision?: number;
  level?: Level;
  district?: string;
  status?: string;
  /** Name / USCC fragment (and legal representative, with matchPeople). */
  q?: string;
  /** Let `q` match legal representatives' names (a person search: a permission). */
  matchPeople?: boolean;
  /** Rank of the last row of the previous page. */
  afterRank?: number;
  limit: number;
}

export interface AlertPage {
  day: string | null;
  revision: number | null;
  items: AlertRow[];
  has_more: boolean;
}

/** The current (highest) revision of a day, or undefined when the day has no list. */
export async function currentRevisionOf(db: Db, day: string): Promise<number | undefined> {
  const r = await db.one<{ rev: number | null }>(
    `SELECT max(revision)::INTEGER AS rev FROM list_revisions WHERE day = $d::DATE`,
    { d: day },
  );
  return r?.rev ?? undefined;
}

/**
 * The listed entries of one (day, revision), with the register fields the list shows. A revision
 * is never edited, so this is cached (AlertReader) until the register changes (a new ingest batch).
 */
const LIST_SQL = `
WITH e AS (
  SELECT uscc, rank, score, level, rule_score, reasons
  FROM list_entries WHERE day = $d::DATE AND revision = $rev AND level IS NOT NULL
),
reg AS (
  SELECT r.uscc, r.name, r.district, r.legal_rep
  FROM registrations r SEMI JOIN e ON r.uscc = e.uscc
  WHERE r.as_of <= $d::DATE
  QUALIFY row_number() OVER (PARTITION BY r.uscc ORDER BY r.as_of DESC) = 1
),
ch AS (SELECT uscc, change, prev_level FROM list_changes WHERE day = $d::DATE AND revision = $rev)
SELECT e.rank::INTEGER AS rank, e.uscc, reg.name, reg.district, reg.legal_rep, e.score, e.level, e.rule_score,
       e.reasons::VARCHAR AS reasons, ch.change, ch.prev_level
FROM e LEFT JOIN reg ON reg.uscc = e.uscc LEFT JOIN ch ON ch.uscc = e.uscc
ORDER BY e.rank`;

/** One round trip: which revision, a stamp of the register's version, and the review states. */
const STATE_SQL = `
WITH d AS (SELECT coalesce($d::DATE, (SELECT max(day) FROM list_revisions)) AS day)
SELECT (SELECT day::VARCHAR FROM d) AS day,
       (SELECT max(revision)::INTEGER FROM list_revisions WHERE day = (SELECT day FROM d)) AS current_revision,
       (SELECT count(*)::INTEGER FROM list_revisions WHERE day = (SELECT day FROM d) AND revision = $rev::INTEGER) AS pinned,
       (SELECT coalesce(max(batch_id), 0)::VARCHAR FROM ingest_batches) AS stamp,
       (SELECT to_json(list([uscc, status, assignee]))::VARCHAR FROM (
          SELECT uscc, arg_max(status, disposition_id) AS status, arg_max(assignee, disposition_id) AS assignee
          FROM dispositions GROUP BY uscc)) AS states`;

type ListedRow = Omit<AlertRow, 'id' | 'day' | 'revision' | 'status' | 'assignee'>;

export function parseReasons(json: string | null): Reason[] {
  if (!json) return [];
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? (v as Reason[]) : [];
  } catch {
    return [];
  }
}

export interface AlertReader {
  list(db: Db, o: ListAlertsOptions): Promise<AlertPage>;
  /** Forget the remembered state (call after writing a disposition). */
  invalidate(): void;
}

interface ListState {
  day: string | null;
  current_revision: number | null;
  pinned: number;
  stamp: string;
  states: string | null;
}

type ReviewStates = Map<string, { s: string; a: string | null }>;

/**
 * The cached listed row an AlertRow was made from (its fields other than id, day, revision,
 * status and assignee, unchanged). A published revision never changes, so whatever is derived
 * from the row alone — e.g. its JSON — may be kept as long as the row is.
 */
const SOURCES = new WeakMap<AlertRow, ListedRow>();
export function listedRowOf(item: AlertRow): Readonly<Record<string, unknown>> | undefined {
  return SOURCES.get(item);
}

/** The review state of each enterprise with dispositions, from STATE_SQL's JSON. */
function parseStates(json: string | null): ReviewStates {
  return new Map(
    (JSON.parse(json ?? '[]') as [string, string, string | null][]).map(([u, s, a]) => [
      u,
      { s, a },
    ]),
  );
}

export interface AlertReaderOptions {
  /** Lists kept in memory (a few hundred KB each). */
  size?: number;
  /**
   * How long the list state (current revision, register stamp, review states) is reused, in ms.
   * A revision published by another connection shows within this time; dispositions written
   * through the same reader invalidate it at once. 0 = ask the database on every call.
   */
  stateTtlMs?: number;
  now?: () => number;
}

/** A reader that keeps the last lists in memory and reuses the list state for a short time. */
export function createAlertReader(o: AlertReaderOptions = {}): AlertReader {
  const size = o.size ?? 8;
  const ttl = o.stateTtlMs ?? 0;
  const clock = o.now ?? Date.now;
  const remembered = new Map<
    string,
    { at: number; st: Promise<(ListState & { reviews: ReviewStates }) | undefined> }
  >();
  const cache = new Map<string, Promise<ListedRow[]>>();
  const load = (db: Db, day: string, revision: number, stamp: string): Promise<ListedRow[]> => {
    const key = `${day}|${revision}|${stamp}`;
    let hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    hit = db
      .all<Omit<ListedRow, 'reasons'> & { reasons: string | null }>(LIST_SQL, {
        d: day,
        rev: revision,
      })
      .then((rows) => rows.map((r) => ({ ...r, reasons: parseReasons(r.reasons) })));
    hit.catch(() => cache.delete(key));
    cache.set(key, hit);
    while (cache.size > size) cache.delete(cache.keys().next().value!);
    return hit;
  };
  return {
    invalidate() {
      remembered.clear();
    },
    async list(db, o) {
      const skey = `${o.day ?? ''}|${o.revision ?? ''}`;
      let entry = remembered.get(skey);
      if (!entry || clock() - entry.at >= ttl) {
        entry = {
          at: clock(),
          st: db
            .one<ListState>(STATE_SQL, { d: o.day ?? null, rev: o.revision ?? null })
            .then((st) => st && { ...st, reviews: parseStates(st.states) }),
        };
        entry.st.catch(() => remembered.delete(skey));
        if (ttl > 0) {
          if (remembered.size > 64) remembered.clear();
          remembered.set(skey, entry);
        }
      }
      const st = await entry.st;
      const day = st?.day ?? null;
      if (day === null) return { day: null, revision: null, items: [], has_more: false };
      let revision: number;
      if (o.revision !== undefined) {
        if (!st!.pinned)
          throw new AppError('not_found', `the list of ${day} has no revision ${o.revision}`);
        revision = o.revision;
      } else {
        if (st!.current_revision === null)
          throw new AppError('not_found', `no alert list has been published for ${day}`);
        revision = st!.current_revision;
      }
      const rows = await load(db, day, revision, st!.stamp);
      const states = st!.reviews;
      const q = o.q;
      const qUpper = q?.toUpperCase();
      const after = o.afterRank ?? 0;
      const items: AlertRow[] = [];
      let has_more = false;
      for (const r of rows) {
        if (r.rank <= after) continue;
        if (o.level !== undefined && r.level !== o.level) continue;
        if (o.district !== undefined && r.district !== o.district) continue;
        const state = states.get(r.uscc);
        const status = state?.s ?? DISPOSITION_INITIAL;
        if (o.status !== undefined && status !== o.status) continue;
        if (
          q !== undefined &&
          !(
            r.uscc === qUpper ||
            r.name?.includes(q) ||
            (o.matchPeople === true && r.legal_rep?.includes(q))
          )
        )
          continue;
        if (items.length === o.limit) {
          has_more = true;
          break;
        }
        const item: AlertRow = {
          id: `${day}:${r.uscc}`,
          day,
          revision,
          ...r,
          status,
          assignee: state?.a ?? null,
        };
        SOURCES.set(item, r);
        items.push(item);
      }
      return { day, revision, items, has_more };
    },
  };
}

/** One page of a list (uncached; the API keeps an AlertReader). */
export async function listAlerts(db: Db, o: ListAlertsOptions): Promise<AlertPage> {
  return createAlertReader({ size: 1 }).list(db, o);
}

/** One entry of a list (current revision unless pinned), or undefined. */
export async function getAlertEntry(
  db: Db,
  day: string,
  uscc: string,
  revision?: number,
): Promise<
  | (AlertRow & {
      contributions: Record<string, number>;
      features: Record<string, number | null>;
      scorer: string;
      model_version: number | null;
      published_at: string;
    })
  | undefined
> {
  const rev = revision ?? (await currentRevisionOf(db, day));
  if (rev === undefined) return undefined;
  const r = await db.one<
    Omit<AlertRow, 'id' | 'day' | 'revision' | 'reasons'> & {
      reasons: string | null;
      contributions: string | null;
      features: string | null;
      scorer: string;
      model_version: number | null;
      published_at: string;
    }
  >(
    `WITH st AS (SELECT arg_max(status, disposition_id) AS status, arg_max(assignee, disposition_id) AS assignee
                 FROM dispositions WHERE uscc = $u),
          reg AS (SELECT name, district, legal_rep FROM registrations WHERE uscc = $u AND as_of <= $d::DATE
                  ORDER BY as_of DESC LIMIT 1),
          ch AS (SELECT change, prev_level FROM list_changes WHERE day = $d::DATE AND revision = $rev AND uscc = $u LIMIT 1)
     SELECT e.rank::INTEGER AS rank, e.uscc, reg.name, reg.district, reg.legal_rep, e.score, e.level, e.rule_score,
            e.reasons::VARCHAR AS reasons, e.contributions::VARCHAR AS contributions, e.features::VARCHAR AS features,
            coalesce(st.status, $initial) AS status, st.assignee, ch.change, ch.prev_level,
            lr.scorer, lr.model_version, lr.published_at::VARCHAR AS published_at
     FROM list_entries e JOIN list_revisions lr ON lr.day = e.day AND lr.revision = e.revision
     LEFT JOIN reg ON true LEFT JOIN st ON true LEFT JOIN ch ON true
     WHERE e.day = $d::DATE AND e.revision = $rev AND e.uscc = $u`,
    { d: day, rev, u: uscc, initial: DISPOSITION_INITIAL },
  );
  if (!r) return undefined;
  const parse = <T>(s: string | null, dflt: T): T => {
    try {
      return s ? (JSON.parse(s) as T) : dflt;
    } catch {
      return dflt;
    }
  };
  return {
    ...r,
    id: `${day}:${uscc}`,
    day,
    revision: rev,
    reasons: parseReasons(r.reasons),
    contributions: parse(r.contributions, {}),
    features: parse(r.features, {}),
  };
}
