/**
 * The published alert list: one day's current revision (or a pinned one), filtered, in rank order,
 * with keyset pagination on rank; and one alert with its evidence.
 */
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { ensureOffices, officesAsOfSql } from '../jurisdictions/index.ts';
import { refreshAhead } from '../refresh-ahead.ts';
import {
  DISPOSITION_INITIAL,
  DISPOSITION_STATUSES,
  type DispositionStatus,
} from './dispositions.ts';

// Row types are zod schemas (the API's OpenAPI document and its contract tests use them); the
// TypeScript types are inferred from them, so the two cannot drift. Nothing validates at run time.

export const LEVELS = ['red', 'orange', 'yellow'] as const;
export const Level = z.enum(LEVELS);
export type Level = z.output<typeof Level>;

export const Reason = z
  .object({
    feature: z.string(),
    label: z.string(),
    value: z.number(),
    contribution: z.number(),
    text: z.string(),
  })
  .meta({ id: 'Reason' });
export type Reason = z.output<typeof Reason>;

const alertShape = {
  id: z.string().meta({ description: 'DAY:USCC' }),
  day: z.string(),
  revision: z.number().int(),
  rank: z.number().int().meta({
    description:
      "rank within the caller's area (or the jurisdiction filter): its office's own list",
  }),
  overall_rank: z.number().int().meta({ description: 'rank in the whole published revision' }),
  uscc: z.string(),
  name: z.string().nullable(),
  district: z.string().nullable(),
  office: z.string().nullable().meta({
    description:
      'the office the enterprise belongs to as of the list day (null: no jurisdiction tree loaded)',
  }),
  legal_rep: z.string().nullable(),
  score: z.number(),
  level: Level,
  rule_score: z.number(),
  reasons: z.array(Reason),
  change: z.enum(['new', 'level_up', 'level_down']).nullable(),
  prev_level: Level.nullable(),
  status: z.enum(DISPOSITION_STATUSES),
  assignee: z.string().nullable(),
};

export const AlertRow = z.object(alertShape).meta({ id: 'Alert' });
export type AlertRow = z.output<typeof AlertRow>;

/** An alert as issued: the row and how its list was made. */
export const IssuedAlert = z.object({
  ...alertShape,
  scorer: z.string(),
  model_version: z.number().int().nullable(),
  published_at: z.string(),
});
export type IssuedAlert = z.output<typeof IssuedAlert>;

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
  /** overall_rank of the last row of the previous page. */
  afterRank?: number;
  limit: number;
  /**
   * The offices whose enterprises (as of the list day) the list holds, ranked among themselves;
   * absent or null = the whole tree.
   */
  offices?: ReadonlySet<string> | null;
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
ch AS (SELECT uscc, change, prev_level FROM list_changes WHERE day = $d::DATE AND revision = $rev),
off AS ${officesAsOfSql({ relation: 'e' }, '$d::DATE')}
SELECT e.rank::INTEGER AS rank, e.uscc, reg.name, reg.district, off.office, reg.legal_rep, e.score, e.level, e.rule_score,
       e.reasons::VARCHAR AS reasons, ch.change, ch.prev_level
FROM e LEFT JOIN reg ON reg.uscc = e.uscc LEFT JOIN ch ON ch.uscc = e.uscc LEFT JOIN off ON off.uscc = e.uscc
ORDER BY e.rank`;

/**
 * One round trip for every day at once: the revisions of each day, a stamp of the register's
 * version (and of what places enterprises in offices), and the review states.
 */
const STATE_SQL = `
SELECT (SELECT to_json(list([day::VARCHAR, revision::VARCHAR] ORDER BY day, revision)) FROM list_revisions)::VARCHAR AS revisions,
       (SELECT coalesce(max(batch_id), 0)::VARCHAR FROM ingest_batches)
         || ':' || (SELECT count(*) FROM referral_answers)::VARCHAR
         || ':' || (SELECT coalesce(max(sha256), '') FROM jurisdiction_source) AS stamp,
       (SELECT to_json(list([uscc, status, assignee]))::VARCHAR FROM (
          SELECT uscc, arg_max(status, disposition_id) AS status, arg_max(assignee, disposition_id) AS assignee
          FROM dispositions GROUP BY uscc)) AS states`;

/** A listed entry of a revision: its overall rank and the fields that never change. */
interface ListedRow {
  rank: number;
  office: string | null;
  fields: Omit<
    AlertRow,
    'id' | 'day' | 'revision' | 'rank' | 'overall_rank' | 'status' | 'assignee'
  >;
}

/** Listed rows of one scope, with their rank within it. */
type ScopedRows = { rank: number; row: ListedRow }[];

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
  /** An enterprise's rank within `offices` (null = overall) on a revision, if listed there. */
  rankOf(
    db: Db,
    o: { day: string; revision: number; uscc: string; offices: ReadonlySet<string> | null },
  ): Promise<number | undefined>;
  /** Forget the remembered state (call after writing a disposition). */
  invalidate(): void;
}

interface ListState {
  revisions: string | null;
  stamp: string;
  states: string | null;
}

/** The parsed state: each day's revisions (ascending), the latest day, the review states. */
interface State {
  revisions: Map<string, number[]>;
  latest: string | null;
  stamp: string;
  reviews: ReviewStates;
}

function parseState(st: ListState): State {
  const revisions = new Map<string, number[]>();
  let latest: string | null = null;
  for (const [d, r] of JSON.parse(st.revisions ?? '[]') as [string, string][]) {
    const list = revisions.get(d) ?? [];
    list.push(Number(r));
    revisions.set(d, list);
    if (latest === null || d > latest) latest = d;
  }
  return { revisions, latest, stamp: st.stamp, reviews: parseStates(st.states) };
}

type ReviewStates = Map<string, { s: DispositionStatus; a: string | null }>;

/**
 * The cached fields an AlertRow was made from (all but id, day, revision, rank, overall_rank,
 * status and assignee, unchanged). A published revision never changes, so whatever is derived
 * from these alone — e.g. their JSON — may be kept as long as the row is.
 */
const SOURCES = new WeakMap<AlertRow, ListedRow['fields']>();
export function listedRowOf(item: AlertRow): Readonly<Record<string, unknown>> | undefined {
  return SOURCES.get(item);
}

/** Per list (rows array) and scope: the rows of the scope with their rank within it. */
const SCOPED = new WeakMap<ListedRow[], Map<string, ScopedRows>>();

function scopedRows(rows: ListedRow[], offices: ReadonlySet<string> | null): ScopedRows {
  if (offices === null) return rows.map((row) => ({ rank: row.rank, row }));
  let perList = SCOPED.get(rows);
  if (!perList) SCOPED.set(rows, (perList = new Map<string, ScopedRows>()));
  const key = [...offices].sort().join(',');
  let hit = perList.get(key);
  if (!hit) {
    hit = [];
    for (const row of rows)
      if (row.office !== null && offices.has(row.office)) hit.push({ rank: hit.length + 1, row });
    if (perList.size > 256) perList.clear();
    perList.set(key, hit);
  }
  return hit;
}

/** The review state of each enterprise with dispositions, from STATE_SQL's JSON. */
function parseStates(json: string | null): ReviewStates {
  return new Map(
    (JSON.parse(json ?? '[]') as [string, DispositionStatus, string | null][]).map(([u, s, a]) => [
      u,
      { s, a },
    ]),
  );
}

export interface AlertReaderOptions {
  /** Lists kept in memory (a few hundred KB to a few MB each; default 32: a month of days). */
  size?: number;
  /**
   * How long the list state (current revision, register stamp, review states) is reused, in ms.
   * A revision published by another connection shows within this time; dispositions written
   * through the same reader invalidate it at once. 0 = ask the database on every call. From ¾ of
   * this age on, a call refreshes it in the background (pipeline/refresh-ahead.ts).
   */
  stateTtlMs?: number;
  now?: () => number;
  /** Where a failed background refresh of the state is reported. */
  onError?: (err: unknown) => void;
}

/** A reader that keeps the last lists in memory and reuses the list state for a short time. */
export function createAlertReader(o: AlertReaderOptions = {}): AlertReader {
  const size = o.size ?? 32;
  const ttl = o.stateTtlMs ?? 0;
  // the state of the database the lists were read from: the reader is used with one Db
  let stateDb: Db | undefined;
  const state = refreshAhead(
    () => stateDb!.one<ListState>(STATE_SQL).then((st) => st && parseState(st)),
    { ttlMs: ttl, ...(o.now ? { now: o.now } : {}), ...(o.onError ? { onError: o.onError } : {}) },
  );
  const cache = new Map<string, Promise<ListedRow[]>>();
  const load = (db: Db, day: string, revision: number, stamp: string): Promise<ListedRow[]> => {
    const key = `${day}|${revision}|${stamp}`;
    let hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    hit = ensureOffices(db)
      .then(() =>
        db.all<
          Omit<ListedRow['fields'], 'reasons'> & {
            rank: number;
            office: string | null;
            reasons: string | null;
          }
        >(LIST_SQL, {
          d: day,
          rev: revision,
        }),
      )
      .then((rows) =>
        rows.map(({ rank, ...r }) => ({
          rank,
          office: r.office,
          fields: { ...r, reasons: parseReasons(r.reasons) },
        })),
      );
    hit.catch(() => cache.delete(key));
    cache.set(key, hit);
    while (cache.size > size) cache.delete(cache.keys().next().value!);
    return hit;
  };
  const stateOf = (db: Db): Promise<State | undefined> => {
    if (stateDb !== db) {
      stateDb = db;
      state.invalidate();
    }
    return state.get();
  };
  return {
    invalidate() {
      state.invalidate();
    },
    async rankOf(db, o) {
      const st = await stateOf(db);
      if (!st?.revisions.get(o.day)?.includes(o.revision)) return undefined;
      const rows = scopedRows(await load(db, o.day, o.revision, st.stamp), o.offices);
      return rows.find((r) => r.row.fields.uscc === o.uscc)?.rank;
    },
    async list(db, o) {
      const st = await stateOf(db);
      const day = o.day ?? st?.latest ?? null;
      if (day === null || !st) return { day: null, revision: null, items: [], has_more: false };
      const revisions = st.revisions.get(day) ?? [];
      let revision: number;
      if (o.revision !== undefined) {
        if (!revisions.includes(o.revision))
          throw new AppError('not_found', `the list of ${day} has no revision ${o.revision}`);
        revision = o.revision;
      } else {
        if (revisions.length === 0)
          throw new AppError('not_found', `no alert list has been published for ${day}`);
        revision = revisions[revisions.length - 1]!;
      }
      const rows = scopedRows(await load(db, day, revision, st.stamp), o.offices ?? null);
      const states = st.reviews;
      const q = o.q;
      const qUpper = q?.toUpperCase();
      const after = o.afterRank ?? 0;
      const items: AlertRow[] = [];
      let has_more = false;
      // first row after the cursor (rows are in overall rank order)
      let lo = 0;
      for (let hi = rows.length; lo < hi;) {
        const mid = (lo + hi) >>> 1;
        if (rows[mid]!.row.rank <= after) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < rows.length; i++) {
        const { rank, row } = rows[i]!;
        const r = row.fields;
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
          rank,
          overall_rank: row.rank,
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
  | (IssuedAlert & {
      contributions: Record<string, number>;
      features: Record<string, number | null>;
      /** Why the rule index ranked although a model was active, if it did. */
      scorer_note: string | null;
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
      scorer_note: string | null;
      published_at: string;
    }
  >(
    `WITH st AS (SELECT arg_max(status, disposition_id) AS status, arg_max(assignee, disposition_id) AS assignee
                 FROM dispositions WHERE uscc = $u),
          reg AS (SELECT name, district, legal_rep FROM registrations WHERE uscc = $u AND as_of <= $d::DATE
                  ORDER BY as_of DESC LIMIT 1),
          ch AS (SELECT change, prev_level FROM list_changes WHERE day = $d::DATE AND revision = $rev AND uscc = $u LIMIT 1),
          off AS ${officesAsOfSql({ param: '$u' }, '$d::DATE')}
     SELECT e.rank::INTEGER AS rank, e.rank::INTEGER AS overall_rank, e.uscc, reg.name, reg.district, off.office,
            reg.legal_rep, e.score, e.level, e.rule_score,
            e.reasons::VARCHAR AS reasons, e.contributions::VARCHAR AS contributions, e.features::VARCHAR AS features,
            coalesce(st.status, $initial) AS status, st.assignee, ch.change, ch.prev_level,
            lr.scorer, lr.model_version, lr.published_at::VARCHAR AS published_at,
            (SELECT n.fallback FROM list_revision_notes n WHERE n.day = e.day AND n.revision = e.revision) AS scorer_note
     FROM list_entries e JOIN list_revisions lr ON lr.day = e.day AND lr.revision = e.revision
     LEFT JOIN reg ON true LEFT JOIN st ON true LEFT JOIN ch ON true LEFT JOIN off ON true
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
