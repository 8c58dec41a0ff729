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
  /** Name / USCC / legal representative fragment. */
  q?: string;
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

/** The latest day with a published list, or undefined. */
export async function latestListDay(db: Db): Promise<string | undefined> {
  const r = await db.one<{ day: string | null }>(
    `SELECT max(day)::VARCHAR AS day FROM list_revisions`,
  );
  return r?.day ?? undefined;
}

/** The current (highest) revision of a day, or undefined when the day has no list. */
export async function currentRevisionOf(db: Db, day: string): Promise<number | undefined> {
  const r = await db.one<{ rev: number | null }>(
    `SELECT max(revision)::INTEGER AS rev FROM list_revisions WHERE day = $d::DATE`,
    { d: day },
  );
  return r?.rev ?? undefined;
}

async function revisionExists(db: Db, day: string, revision: number): Promise<boolean> {
  const r = await db.one(
    `SELECT 1 AS x FROM list_revisions WHERE day = $d::DATE AND revision = $r`,
    {
      d: day,
      r: revision,
    },
  );
  return r !== undefined;
}

const ALERTS_SQL = `
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
st AS (
  SELECT d.uscc, arg_max(d.status, d.disposition_id) AS status, arg_max(d.assignee, d.disposition_id) AS assignee
  FROM dispositions d SEMI JOIN e ON d.uscc = e.uscc GROUP BY d.uscc
),
ch AS (SELECT uscc, change, prev_level FROM list_changes WHERE day = $d::DATE AND revision = $rev)
SELECT e.rank::INTEGER AS rank, e.uscc, reg.name, reg.district, reg.legal_rep, e.score, e.level, e.rule_score,
       e.reasons::VARCHAR AS reasons, coalesce(st.status, $initial) AS status, st.assignee, ch.change, ch.prev_level
FROM e LEFT JOIN reg ON reg.uscc = e.uscc LEFT JOIN st ON st.uscc = e.uscc LEFT JOIN ch ON ch.uscc = e.uscc
WHERE e.rank > $after
  AND ($level::VARCHAR IS NULL OR e.level = $level::VARCHAR)
  AND ($district::VARCHAR IS NULL OR reg.district = $district::VARCHAR)
  AND ($status::VARCHAR IS NULL OR coalesce(st.status, $initial) = $status::VARCHAR)
  AND ($q::VARCHAR IS NULL OR e.uscc = upper($q::VARCHAR) OR contains(reg.name, $q::VARCHAR)
       OR contains(reg.legal_rep, $q::VARCHAR))
ORDER BY e.rank
LIMIT $take`;

type RawAlert = Omit<AlertRow, 'id' | 'day' | 'revision' | 'reasons'> & { reasons: string | null };

export function parseReasons(json: string | null): Reason[] {
  if (!json) return [];
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? (v as Reason[]) : [];
  } catch {
    return [];
  }
}

export async function listAlerts(db: Db, o: ListAlertsOptions): Promise<AlertPage> {
  const day = o.day ?? (await latestListDay(db));
  if (day === undefined) return { day: null, revision: null, items: [], has_more: false };
  let revision = o.revision;
  if (revision === undefined) {
    revision = await currentRevisionOf(db, day);
    if (revision === undefined)
      throw new AppError('not_found', `no alert list has been published for ${day}`);
  } else if (!(await revisionExists(db, day, revision))) {
    throw new AppError('not_found', `the list of ${day} has no revision ${revision}`);
  }
  const rows = await db.all<RawAlert & Record<string, unknown>>(ALERTS_SQL, {
    d: day,
    rev: revision,
    after: o.afterRank ?? 0,
    level: o.level ?? null,
    district: o.district ?? null,
    status: o.status ?? null,
    q: o.q ?? null,
    initial: DISPOSITION_INITIAL,
    take: o.limit + 1,
  });
  const has_more = rows.length > o.limit;
  const items = rows
    .slice(0, o.limit)
    .map((r): AlertRow => ({
      id: `${day}:${r.uscc}`,
      day,
      revision,
      ...r,
      reasons: parseReasons(r.reasons),
    }));
  return { day, revision, items, has_more };
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
    RawAlert & {
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
