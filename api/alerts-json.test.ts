/**
 * GET /v1/alerts over the seeded city: the body for each role is exactly the day's listed rows as
 * the fixture wrote them (read back with plain SQL, not through the query layer), with that
 * role's personal fields removed; paging by `next_cursor` walks the whole list once; the cached
 * serialisation is the same bytes as the first; a new review state shows at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../pipeline/auth/index.ts';
import { createKit, type Kit } from './_test-kit.ts';

let k: Kit;
beforeAll(async () => {
  k = await createKit({ enterprises: 80, days: 3 });
});
afterAll(() => k.close());

const ROLES: Role[] = ['admin', 'investigator', 'regulator', 'data_scientist'];

interface Item {
  id: string;
  uscc: string;
  rank: number;
  status: string;
  assignee: string | null;
  [k: string]: unknown;
}
interface Page {
  date: string;
  revision: number;
  items: Item[];
  has_more: boolean;
  next_cursor: string | null;
}

/** The last day's listed rows, straight from the fixture's tables, in rank order. */
async function listedRows(): Promise<Item[]> {
  const day = k.city.lastDay;
  const rows = await k.db.all<{
    uscc: string;
    rank: number;
    score: number;
    level: string;
    rule_score: number;
    reasons: string;
  }>(
    `SELECT uscc, rank::INTEGER AS rank, score, level, rule_score, reasons::VARCHAR AS reasons
     FROM list_entries WHERE day = $d::DATE AND level IS NOT NULL ORDER BY rank`,
    { d: day },
  );
  const changes = new Map(
    (
      await k.db.all<{ uscc: string; change: string; prev_level: string | null }>(
        `SELECT uscc, change, prev_level FROM list_changes WHERE day = $d::DATE AND change <> 'dropped'`,
        { d: day },
      )
    ).map((c) => [c.uscc, c]),
  );
  const byUscc = new Map(k.city.enterprises.map((e) => [e.uscc, e]));
  return rows.map((r) => {
    const e = byUscc.get(r.uscc)!;
    const ch = changes.get(r.uscc);
    return {
      id: `${day}:${r.uscc}`,
      day,
      revision: 1,
      rank: r.rank,
      // an account of the whole tree: its rank is the revision's; no tree is loaded here
      overall_rank: r.rank,
      uscc: r.uscc,
      name: e.name,
      district: e.district,
      office: null,
      legal_rep: e.legal_rep,
      score: r.score,
      level: r.level,
      rule_score: r.rule_score,
      reasons: JSON.parse(r.reasons) as unknown,
      change: ch?.change ?? null,
      prev_level: ch?.prev_level ?? null,
      status: '待核查',
      assignee: null,
    };
  });
}

function forRole(item: Item, role: Role): Item {
  if (role !== 'data_scientist') return item;
  const rest = { ...item };
  delete rest['legal_rep'];
  return rest;
}

describe('GET /v1/alerts body', () => {
  it('is exactly the listed rows of the day for every role, first and cached', async () => {
    const all = await listedRows();
    // 80 enterprises: ranks 1–3 red, 4–8 orange, 9–17 yellow (the fixture's cut-offs)
    expect(all.map((i) => i['level'])).toEqual([
      ...Array<string>(3).fill('red'),
      ...Array<string>(5).fill('orange'),
      ...Array<string>(9).fill('yellow'),
    ]);
    expect(all.map((i) => i.rank)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
    for (const limit of [1, 5, 200]) {
      for (const role of ROLES) {
        const first = await (await k.get(`/v1/alerts?limit=${limit}`, role)).text();
        const cached = await (await k.get(`/v1/alerts?limit=${limit}`, role)).text();
        expect(cached).toBe(first);
        const page = JSON.parse(first) as Page;
        const { next_cursor: cursor, ...rest } = page;
        expect(rest).toStrictEqual({
          date: k.city.lastDay,
          revision: 1,
          items: all.slice(0, limit).map((i) => forRole(i, role)),
          has_more: limit < all.length,
        });
        // the cursor itself is opaque; the next test follows it
        expect(cursor === null).toBe(limit >= all.length);
      }
    }
  });

  it('pages through the whole list with next_cursor, each row once, in rank order', async () => {
    const all = await listedRows();
    const seen: number[] = [];
    let url = '/v1/alerts?limit=4';
    for (let pages = 1; ; pages++) {
      const page = await k.json<Page>(await k.get(url, 'regulator'));
      seen.push(...page.items.map((i) => i.rank));
      if (!page.has_more) {
        expect(page.next_cursor).toBeNull();
        expect(pages).toBe(Math.ceil(all.length / 4));
        break;
      }
      url = `/v1/alerts?limit=4&cursor=${page.next_cursor!}`;
    }
    expect(seen).toEqual(all.map((i) => i.rank));
  });

  it('shows a new review state at once (the cached part is only the listed row)', async () => {
    const first = (await k.json<Page>(await k.get(`/v1/alerts?limit=3`, 'regulator'))).items[0]!;
    expect(first.status).toBe('待核查');
    const res = await k.post(
      `/v1/alerts/${first.id}/dispositions`,
      { status: '核查中', assignee: 'li.na' },
      'investigator',
    );
    expect(res.status).toBe(201);
    const expected = (await listedRows()).slice(0, 3);
    expected[0] = { ...expected[0]!, status: '核查中', assignee: 'li.na' };
    for (const role of ['regulator', 'data_scientist'] as const) {
      const page = await k.json<Page>(await k.get(`/v1/alerts?limit=3`, role));
      expect(page.items).toStrictEqual(expected.map((i) => forRole(i, role)));
    }
  });

  it('every kind of response carries nosniff and no-store', async () => {
    const responses = [
      await k.get('/healthz', null),
      await k.get('/v1/alerts?limit=2', 'regulator'),
      await k.get('/v1/alerts', null), // 401 problem
      await k.get('/v1/nothing-here', 'admin'), // 404
      await k.get(`/v1/exports/alerts.csv?date=${k.city.lastDay}`, 'admin'), // stream
      await k.get('/ui/', null), // dashboard (redirect to its login)
    ];
    for (const res of responses) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
      await res.arrayBuffer();
    }
    expect(responses.map((r) => r.status)).toEqual([200, 200, 401, 404, 200, 303]);
  });
});
