/**
 * Which office an enterprise belongs to, as of a day — the one place that answers it, for the API,
 * the exports and (later) notifications.
 *
 * An enterprise's office is a point-in-time fact, like everything the pipeline knows:
 *   1. each register snapshot (registrations.as_of) places it by its district (registrations.district
 *      equal to an office's name or alias), else by the first office named in its address, else
 *      by its USCC's division code (characters 3–8: the deepest office whose code it starts with),
 *      else at the root;
 *   2. an address change (registration_changes, field address) whose new address names an office
 *      moves it from the day of the change (a move is a register change);
 *   3. a referral accepted by another office (移交, referral_answers) moves it to that office from
 *      the day of the acceptance;
 *   4. before its first snapshot, its USCC's division code places it.
 * As of day D the latest fact dated on or before D wins (on the same day: referral, then
 * snapshot, then address change). When a name is ambiguous (鼓楼区 in several cities), the office
 * under the USCC's city wins, then the deeper one, then the longer name.
 *
 * The register facts are resolved once into `enterprise_offices` (rebuilt when the register or
 * the tree changes: `ensureOffices`, which every caller runs first); accepted referrals are read
 * live beside it. Use `officesAsOfSql` inside a query (a subquery with columns uscc, office),
 * `officeOf` for one enterprise, `inSubtree` for "is enterprise X in the subtree of office J as of
 * day D", and `subtreeSql` to list the offices of a subtree in SQL.
 */
import type { Db } from '../db/index.ts';

/** Which enterprises a query places: all, one ($param), or those of a relation with a uscc column. */
export type OfficeSelection = { all: true } | { param: string } | { relation: string };

function where(sel: OfficeSelection, col: string): string {
  if ('param' in sel) return `${col} = ${sel.param}::VARCHAR`;
  if ('relation' in sel) return `${col} IN (SELECT uscc FROM ${sel.relation})`;
  return 'true';
}

/**
 * The register facts of every enterprise (uscc, valid_from, pri, office), resolved against the
 * tree: what `enterprise_offices` holds. `pri` orders facts of the same day (higher wins).
 */
const REGISTER_FACTS_SQL = `
    WITH jn AS (
      SELECT code, depth, nm FROM (SELECT code, depth, unnest(list_prepend(name, aliases)) AS nm FROM jurisdictions)
    ),
    root AS (SELECT code FROM jurisdictions WHERE parent IS NULL LIMIT 1),
    rf AS (
      SELECT uscc, as_of AS valid_from, 1 AS pri, district, address FROM registrations
      UNION ALL
      SELECT uscc, changed_on, 0, NULL, "after" FROM registration_changes
      WHERE field = 'address' AND "after" IS NOT NULL
    ),
    by_district AS (
      SELECT rf.uscc, rf.valid_from, rf.pri, jn.code, jn.depth, 3 AS how, length(jn.nm) AS len
      FROM rf JOIN jn ON rf.district = jn.nm
    ),
    by_address AS (
      SELECT rf.uscc, rf.valid_from, rf.pri, jn.code, jn.depth, 2 AS how, length(jn.nm) AS len
      FROM (SELECT * FROM rf ANTI JOIN by_district d USING (uscc, valid_from, pri) WHERE rf.address IS NOT NULL) rf
      JOIN jn ON contains(rf.address, jn.nm)
    ),
    named AS (
      SELECT uscc, valid_from, pri, code FROM (SELECT * FROM by_district UNION ALL SELECT * FROM by_address)
      QUALIFY row_number() OVER (
        PARTITION BY uscc, valid_from, pri
        ORDER BY how DESC, (left(code, 4) = substr(uscc, 3, 4)) DESC, depth DESC, len DESC, code) = 1
    ),
    u AS (SELECT DISTINCT uscc FROM rf),
    division AS (
      SELECT uscc, code FROM (
        SELECT u.uscc, j.code, 3 AS lvl FROM u JOIN jurisdictions j ON j.code = substr(u.uscc, 3, 6)
        UNION ALL SELECT u.uscc, j.code, 2 FROM u JOIN jurisdictions j ON j.code = substr(u.uscc, 3, 4)
        UNION ALL SELECT u.uscc, j.code, 1 FROM u JOIN jurisdictions j ON j.code = substr(u.uscc, 3, 2)
      ) QUALIFY row_number() OVER (PARTITION BY uscc ORDER BY lvl DESC) = 1
    )
    SELECT u.uscc, DATE '0001-01-01' AS valid_from, -1 AS pri, coalesce(d.code, (SELECT code FROM root)) AS office
    FROM u LEFT JOIN division d USING (uscc)
    UNION ALL
    SELECT rf.uscc, rf.valid_from, rf.pri, coalesce(n.code, d.code, (SELECT code FROM root))
    FROM rf LEFT JOIN named n USING (uscc, valid_from, pri) LEFT JOIN division d USING (uscc)
    WHERE rf.pri = 1 OR n.code IS NOT NULL`;

/** Changes whenever the register or the tree does (the register tables are append-only). */
const OFFICES_STAMP_SQL = `SELECT string_agg(n, ':' ORDER BY i) FROM (
    SELECT 0 AS i, count(*)::VARCHAR AS n FROM registrations_history
    UNION ALL SELECT 1, count(*)::VARCHAR FROM registrations_superseded
    UNION ALL SELECT 2, count(*)::VARCHAR FROM registration_changes_history
    UNION ALL SELECT 3, count(*)::VARCHAR FROM registration_changes_superseded
    UNION ALL SELECT 4, coalesce(max(sha256), '') FROM jurisdiction_source)`;

/** Whether `enterprise_offices` reflects the register and the tree as they are now. */
export async function officesFresh(db: Db): Promise<boolean> {
  const r = await db.one<{ fresh: boolean }>(
    `SELECT coalesce((SELECT stamp FROM enterprise_offices_state) = (${OFFICES_STAMP_SQL}), false) AS fresh`,
  );
  return r?.fresh === true;
}

/** Rebuilds `enterprise_offices` in one transaction (readers see the old or the new one). */
export async function rebuildOffices(db: Db): Promise<number> {
  const t0 = performance.now();
  await db.transaction(async (tx) => {
    await tx.run(`DELETE FROM enterprise_offices`);
    await tx.run(`INSERT INTO enterprise_offices ${REGISTER_FACTS_SQL}`);
    await tx.run(`DELETE FROM enterprise_offices_state`);
    await tx.run(`INSERT INTO enterprise_offices_state SELECT (${OFFICES_STAMP_SQL}), now(), $s`, {
      s: (performance.now() - t0) / 1000,
    });
  });
  return (performance.now() - t0) / 1000;
}

const rebuilding = new WeakMap<object, Promise<void>>();

/**
 * Makes `enterprise_offices` current (rebuilding it when the register or the tree changed since);
 * call it before asking where enterprises belong (the API does, once a second at most: api/scope.ts).
 * Concurrent callers on one Db share one rebuild.
 */
export async function ensureOffices(db: Db): Promise<void> {
  if (await officesFresh(db)) return;
  let p = rebuilding.get(db);
  if (!p) {
    p = (async () => {
      try {
        if (!(await officesFresh(db))) await rebuildOffices(db);
      } catch (err) {
        // another connection rebuilt it at the same time: fine if it is fresh now
        if (!(await officesFresh(db))) throw err;
      } finally {
        rebuilding.delete(db);
      }
    })();
    rebuilding.set(db, p);
  }
  await p;
}

/**
 * A subquery (uscc, valid_from, pri, office): every fact that places an enterprise of `sel` — its
 * register facts (enterprise_offices: call ensureOffices first) and its accepted referrals.
 */
export function officeFactsSql(sel: OfficeSelection): string {
  return `(
    SELECT uscc, valid_from, pri, office FROM enterprise_offices WHERE ${where(sel, 'uscc')}
    UNION ALL
    SELECT r.uscc, a.effective_on, 2, r.target
    FROM referrals r JOIN referral_answers a USING (referral_id)
    WHERE a.answer = 'accepted' AND r.target_kind = 'office' AND ${where(sel, 'r.uscc')}
  )`;
}

/**
 * A subquery (uscc, office): the office of each enterprise of `sel` as of `day` (a SQL
 * expression of type DATE, e.g. `$d::DATE`). Enterprises the register does not know are absent;
 * office is NULL when no tree is loaded.
 */
export function officesAsOfSql(sel: OfficeSelection, day: string): string {
  return `(SELECT uscc, office FROM ${officeFactsSql(sel)}
    WHERE valid_from <= ${day}
    QUALIFY row_number() OVER (PARTITION BY uscc ORDER BY valid_from DESC, pri DESC) = 1)`;
}

/** A subquery (code): `code` (a SQL expression) and every office below it. */
export function subtreeSql(code: string): string {
  return `(WITH RECURSIVE sub(code) AS (
      SELECT code FROM jurisdictions WHERE code = ${code}
      UNION ALL SELECT j.code FROM jurisdictions j JOIN sub ON j.parent = sub.code)
    SELECT code FROM sub)`;
}

/**
 * The office of one enterprise as of `day`: a code, null (known enterprise, no tree loaded), or
 * undefined (the register does not know it).
 */
export async function officeOf(
  db: Db,
  uscc: string,
  day: string,
): Promise<string | null | undefined> {
  const r = await db.one<{ office: string | null }>(
    `SELECT office FROM ${officesAsOfSql({ param: '$u' }, '$d::DATE')}`,
    { u: uscc, d: day },
  );
  return r === undefined ? undefined : r.office;
}

/** Offices of several enterprises as of `day` (unknown enterprises are absent from the map). */
export async function officesOf(
  db: Db,
  usccs: readonly string[],
  day: string,
): Promise<Map<string, string | null>> {
  if (usccs.length === 0) return new Map();
  const rows = await db.all<{ uscc: string; office: string | null }>(
    `WITH sel AS (SELECT unnest(from_json($us, '["VARCHAR"]')) AS uscc)
     SELECT uscc, office FROM ${officesAsOfSql({ relation: 'sel' }, '$d::DATE')}`,
    { us: JSON.stringify(usccs), d: day },
  );
  return new Map(rows.map((r) => [r.uscc, r.office]));
}

/** Is enterprise `uscc` in the subtree of office `code` as of `day`? (False when unknown.) */
export async function inSubtree(db: Db, uscc: string, code: string, day: string): Promise<boolean> {
  const r = await db.one<{ ok: boolean }>(
    `SELECT office IN ${subtreeSql('$j')} AS ok FROM ${officesAsOfSql({ param: '$u' }, '$d::DATE')}`,
    { u: uscc, j: code, d: day },
  );
  return r?.ok === true;
}

/** Where an enterprise stands, for deciding who may see it. */
export interface Placement {
  /** Its office as of the day asked (an alert's list day), null without a tree. */
  atDay: string | null;
  /** Its office today. */
  today: string | null;
  /** Offices a pending referral asks to take it over (they may read it to decide). */
  referredTo: string[];
}

/** A row placementFrom() decides from: a fact that places the enterprise, or a pending referral. */
export interface PlacementRow {
  kind: 'fact' | 'pending';
  d: string | null;
  pri: number;
  office: string | null;
}

/**
 * The PlacementRow rows of enterprise `$u`: index lookups of its facts and its referrals. Its
 * referrals are read in one pass with their answer (at most one each): accepted = a fact from its
 * day on, none = pending, returned = nothing (measured: a third less DuckDB time than a join and
 * an anti-join). Other queries may add it to theirs (one round trip): see entityHistory().
 */
export const PLACEMENT_ROWS_SQL = `
  SELECT 'fact' AS kind, valid_from::VARCHAR AS d, pri, office FROM enterprise_offices WHERE uscc = $u::VARCHAR
  UNION ALL
  SELECT CASE WHEN a.referral_id IS NULL THEN 'pending' ELSE 'fact' END, a.effective_on::VARCHAR,
         CASE WHEN a.referral_id IS NULL THEN 0 ELSE 2 END, r.target
  FROM referrals r LEFT JOIN referral_answers a ON a.referral_id = r.referral_id
  WHERE r.uscc = $u::VARCHAR AND r.target_kind = 'office' AND (a.referral_id IS NULL OR a.answer = 'accepted')`;

/**
 * The placement of an enterprise from its PLACEMENT_ROWS_SQL rows, or undefined when the register
 * does not know it: the latest fact on or before each day, chosen as officesAsOfSql chooses it
 * (valid_from, then pri).
 */
export function placementFrom(
  rows: readonly PlacementRow[],
  day: string,
  today: string,
): Placement | undefined {
  const facts = rows
    .filter((r) => r.kind === 'fact')
    .sort((x, y) => (x.d! < y.d! ? -1 : x.d! > y.d! ? 1 : x.pri - y.pri));
  if (facts.length === 0) return undefined;
  const asOf = (d: string): string | null => {
    let office: string | null = null;
    for (const f of facts) if (f.d! <= d) office = f.office;
    return office;
  };
  return {
    atDay: asOf(day),
    today: asOf(today),
    referredTo: rows.filter((r) => r.kind === 'pending').map((r) => r.office!),
  };
}

/** The placement of one enterprise (see placementFrom), in one round trip. */
export async function placementOf(
  db: Db,
  uscc: string,
  day: string,
  today: string,
): Promise<Placement | undefined> {
  return placementFrom(await db.all<PlacementRow>(PLACEMENT_ROWS_SQL, { u: uscc }), day, today);
}

/** Whether a caller whose area is `offices` (null = everything) may see an enterprise so placed. */
export function placementVisible(
  p: Placement,
  offices: ReadonlySet<string> | null,
  o: { atDay: boolean },
): boolean {
  if (offices === null) return true;
  if (p.today !== null && offices.has(p.today)) return true;
  if (o.atDay && p.atDay !== null && offices.has(p.atDay)) return true;
  return p.referredTo.some((t) => offices.has(t));
}
