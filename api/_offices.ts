/**
 * Test fixture for offices: the small synthetic city (api/_fixtures.ts) under a tree of two cities
 * — the sample city 珠海 (4404) with its districts and zones, and 广州 (4401) with one district —
 * one enterprise that moves from 香洲区 to 斗门区 during the listed days, and accounts of several
 * offices. `areaOf` is the oracle: which enterprises an office's area holds on a day, computed
 * here from the fixture's own data, not by the SQL under test.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToken, type Role } from '../pipeline/auth/index.ts';
import {
  DEFAULT_JURISDICTION_FILE,
  loadJurisdictionFile,
} from '../pipeline/jurisdictions/index.ts';
import type { FixtureEnterprise } from './_fixtures.ts';
import { createKit, type Kit } from './_test-kit.ts';

/** The fixture's districts → their offices in the sample city's tree. */
export const DISTRICT_OFFICE: Readonly<Record<string, string>> = {
  香洲区: '440402',
  斗门区: '440403',
  金湾区: '440404',
  横琴粤澳深度合作区: '440471',
  高新区: '440472',
};

export const OFFICE_A = '440402'; // 香洲区
export const OFFICE_B = '440403'; // 斗门区
export const CITY = '4404';
export const OTHER_CITY = '4401';

/** Accounts of the tests: the personas plus a second regulator per district. */
export const PERSONAS = {
  root: { role: 'admin', office: null },
  cityAdmin: { role: 'admin', office: CITY },
  cityRegulator: { role: 'regulator', office: CITY },
  regA: { role: 'regulator', office: OFFICE_A },
  regA2: { role: 'regulator', office: OFFICE_A },
  invA: { role: 'investigator', office: OFFICE_A },
  regB: { role: 'regulator', office: OFFICE_B },
  invB: { role: 'investigator', office: OFFICE_B },
  dsCity: { role: 'data_scientist', office: CITY },
  otherCity: { role: 'regulator', office: OTHER_CITY },
} as const satisfies Record<string, { role: Role; office: string | null }>;
export type Persona = keyof typeof PERSONAS;

export interface OfficeKit extends Kit {
  /** Bearer tokens by persona. */
  as: Record<Persona, string>;
  /** The enterprise that moves from 香洲区 to 斗门区 on `moveDay`. */
  mover: FixtureEnterprise;
  moveDay: string;
  /** The office of an enterprise on a day (the oracle). */
  officeOf(uscc: string, day: string): string;
  /** Whether `persona` may see `uscc` on `day` (its office then is in the persona's area). */
  inArea(persona: Persona, uscc: string, day: string): boolean;
  /** Enterprises never in the persona's area on any listed day or today. */
  neverInArea(persona: Persona): FixtureEnterprise[];
  /** GET / POST as a persona. */
  getAs(path: string, who: Persona): Promise<Response>;
  postAs(path: string, body: unknown, who: Persona): Promise<Response>;
  /** Forgets remembered tokens and the tree (after changing either in the database). */
  today: string;
}

/** Codes of an office and everything below it, in the test tree. */
function subtree(code: string | null, nodes: { code: string; parent?: string }[]): Set<string> {
  const out = new Set<string>();
  if (code === null) {
    for (const n of nodes) out.add(n.code);
    return out;
  }
  const stack = [code];
  while (stack.length) {
    const c = stack.pop()!;
    out.add(c);
    for (const n of nodes) if (n.parent === c) stack.push(n.code);
  }
  return out;
}

export async function createOfficeKit(
  o: { enterprises?: number; days?: number } = {},
): Promise<OfficeKit> {
  const k = await createKit({ enterprises: o.enterprises ?? 80, days: o.days ?? 4 });
  const dir = mkdtempSync(join(tmpdir(), 'dafei-offices-'));
  const file = JSON.parse(readFileSync(DEFAULT_JURISDICTION_FILE, 'utf8')) as {
    nodes: { code: string; name: string; kind: string; parent?: string }[];
  };
  file.nodes.push(
    { code: '4401', name: '广州市', kind: 'city', parent: '44' },
    { code: '440106', name: '天河区', kind: 'district', parent: '4401' },
  );
  const path = join(dir, 'two-cities.json');
  writeFileSync(path, JSON.stringify(file));
  try {
    await loadJurisdictionFile(k.db, path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // the mover: a listed enterprise of 香洲区 whose register moves it to 斗门区 on the second-last day
  const moveDay = k.city.days[k.city.days.length - 2]!;
  // listed on the first and the last day (the tests read its alerts of both)
  const listed = new Set(
    (
      await k.db.all<{ uscc: string }>(
        `SELECT uscc FROM list_entries WHERE level IS NOT NULL AND day IN ($f::DATE, $l::DATE)
         GROUP BY uscc HAVING count(DISTINCT day) = 2`,
        { f: k.city.firstDay, l: k.city.lastDay },
      )
    ).map((r) => r.uscc),
  );
  const mover = k.city.enterprises.find((e) => e.district === '香洲区' && listed.has(e.uscc));
  if (!mover) throw new Error('[offices fixture] no enterprise of 香洲区 listed on both days');
  await k.db.run(
    `INSERT INTO registrations_history
     SELECT * REPLACE ($d::DATE AS as_of, '斗门区' AS district, '珠海市斗门区井岸镇港霞东路1号' AS address,
                       uscc || chr(31) || $d AS _key, 'moved' AS _hash, 1 AS _batch, 999999 AS _line)
     FROM registrations_history WHERE uscc = $u ORDER BY as_of DESC LIMIT 1`,
    { u: mover.uscc, d: moveDay },
  );
  // new batch so that cached lists are rebuilt (the register changed)
  await k.db.run(
    `INSERT INTO ingest_batches SELECT nextval('ingest_batch_seq'), 'registrations', 'test/move', 'file', now(), now(), 'ok', 1, 1, 0, 0, 0, NULL, NULL`,
  );
  const as = {} as Record<Persona, string>;
  for (const [name, p] of Object.entries(PERSONAS) as [Persona, (typeof PERSONAS)[Persona]][]) {
    as[name] = (
      await createToken(k.db, {
        name: `office-${name}`,
        role: p.role,
        ...(p.office === null ? {} : { jurisdiction: p.office }),
      })
    ).token;
  }
  k.app.dafei.deps.jurisdictions.invalidate();
  const today = '2026-04-01'; // the kit's clock (NOW), Asia/Shanghai
  const officeOf = (uscc: string, day: string): string => {
    const e = k.city.enterprises.find((x) => x.uscc === uscc);
    if (!e) throw new Error(`not a fixture enterprise: ${uscc}`);
    if (uscc === mover.uscc && day >= moveDay) return OFFICE_B;
    return DISTRICT_OFFICE[e.district]!;
  };
  const areas = new Map<Persona, Set<string>>();
  for (const [name, p] of Object.entries(PERSONAS) as [Persona, (typeof PERSONAS)[Persona]][])
    areas.set(name, subtree(p.office, file.nodes));
  const inArea = (who: Persona, uscc: string, day: string) =>
    areas.get(who)!.has(officeOf(uscc, day));
  const days = [...k.city.days, today];
  const auth = (who: Persona) => ({ authorization: `Bearer ${as[who]}` });
  return {
    ...k,
    as,
    mover,
    moveDay,
    today,
    officeOf,
    inArea,
    neverInArea: (who) =>
      k.city.enterprises.filter((e) => days.every((d) => !inArea(who, e.uscc, d))),
    getAs: (path, who) => Promise.resolve(k.app.request(path, { headers: auth(who) })),
    postAs: (path, body, who) =>
      Promise.resolve(
        k.app.request(path, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...auth(who) },
          body: JSON.stringify(body),
        }),
      ),
  };
}
