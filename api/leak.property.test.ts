/**
 * No response ever carries an enterprise from outside the caller's area. Property-based
 * (fast-check, seeded): a random account of one office, a random route of the API, the exports or
 * the dashboard, with random days, filters, searches (names, fragments, phones, USCCs, legal
 * representatives and addresses of any enterprise, inside or outside), cursors and bodies. The raw
 * body — XLSX unzipped, Parquet and Arrow decoded — must not contain the USCC, the name or the
 * phone of an enterprise that was never in the account's area (api/_offices.ts is the oracle), except
 * what the request itself names (a 404 may echo the id that was asked for).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyText } from './_body-text.ts';
import { createOfficeKit, PERSONAS, type OfficeKit, type Persona } from './_offices.ts';

let k: OfficeKit;
/** What must never reach each persona: USCCs, names and phones of enterprises never in its area. */
let forbidden: Map<Persona, string[]>;

const SCOPED = (Object.keys(PERSONAS) as Persona[]).filter((p) => PERSONAS[p].office !== null);

beforeAll(async () => {
  k = await createOfficeKit();
  forbidden = new Map();
  for (const who of SCOPED) {
    const never = k.neverInArea(who);
    const out = new Set(never.map((e) => e.uscc));
    const inside = k.city.enterprises.filter((e) => !never.includes(e));
    for (const e of never) {
      // a name or phone that an enterprise of the area shares (a branch's name holds its
      // parent's; linked enterprises share a phone) is the area's own
      if (!inside.some((i) => i.name.includes(e.name))) out.add(e.name);
      if (!inside.some((i) => i.phone === e.phone)) out.add(e.phone);
    }
    forbidden.set(who, [...out]);
  }
});
afterAll(() => k.close());

interface Req {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  page?: boolean;
}

function arbitraries() {
  const ents = k.city.enterprises;
  const day = fc.constantFrom(...k.city.days);
  const uscc = fc.constantFrom(...ents.map((e) => e.uscc));
  const q = fc.oneof(
    fc.constantFrom(...ents.map((e) => e.name)),
    fc.constantFrom(...ents.map((e) => e.name.slice(2, 6))),
    fc.constantFrom(...ents.map((e) => e.phone)),
    fc.constantFrom(...ents.map((e) => e.legal_rep)),
    fc.constantFrom(...ents.map((e) => e.address.slice(3, 12))),
    uscc,
    fc.constantFrom('珠海', '投资', '管理', '有限公司'),
  );
  const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const jurisdiction = opt(
    fc.constantFrom('44', '4404', '440402', '440403', '440404', '440471', '4401'),
  );
  const qs = (o: Record<string, string | number | undefined>) => {
    const p = new URLSearchParams();
    for (const [key, v] of Object.entries(o)) if (v !== undefined) p.set(key, String(v));
    const s = p.toString();
    return s ? `?${s}` : '';
  };
  const alertId = fc.tuple(day, uscc).map(([d, u]) => `${d}:${u}`);
  const get = (path: string, page = false): Req => ({ method: 'GET', path, page });
  const req: fc.Arbitrary<Req> = fc.oneof(
    fc
      .record({
        date: opt(day),
        level: opt(fc.constantFrom('red', 'orange', 'yellow')),
        status: opt(fc.constantFrom('待核查', '核查中')),
        q: opt(q),
        jurisdiction,
        limit: fc.integer({ min: 1, max: 200 }),
      })
      .map((o) => get(`/v1/alerts${qs(o)}`)),
    alertId.map((id) => get(`/v1/alerts/${id}`)),
    alertId.map((id) => get(`/v1/alerts/${id}?revision=1`)),
    alertId.map((id) => ({
      method: 'POST' as const,
      path: `/v1/alerts/${id}/dispositions`,
      body: { status: '核查中' },
    })),
    alertId.map((id) => ({
      method: 'POST' as const,
      path: `/v1/alerts/${id}/reopen`,
      body: { reason: '新证据' },
    })),
    fc
      .tuple(q, fc.integer({ min: 1, max: 200 }))
      .map(([s, n]) => get(`/v1/entities${qs({ q: s, limit: n })}`)),
    uscc.map((u) => get(`/v1/entities/${u}`)),
    fc
      .tuple(uscc, opt(fc.constantFrom('ad,complaint', 'score', 'disposition,referral,approval')))
      .map(([u, kinds]) => get(`/v1/entities/${u}/history${qs({ kinds, limit: 50 })}`)),
    uscc.map((u) => get(`/v1/entities/${u}/network`)),
    fc
      .constantFrom(
        '/v1/models',
        '/v1/runs',
        '/v1/quarantine',
        '/v1/audit',
        '/metrics',
        '/openapi.json',
        '/v1/jurisdictions',
        '/v1/me',
        '/v1/users',
        '/v1/tokens',
        '/v1/audit/verify',
        '/v1/audit/export.ndjson',
        '/v1/intake/templates',
        '/v1/intake/uploads',
      )
      .map((p) => get(p)),
    fc
      .tuple(opt(day), jurisdiction)
      .map(([d, j]) => get(`/v1/summary${qs({ date: d, jurisdiction: j })}`)),
    fc.constantFrom('all', 'pending').map((s) => get(`/v1/approvals?state=${s}`)),
    fc.constantFrom('inbox', 'outbox').map((b) => get(`/v1/referrals?box=${b}`)),
    fc
      .tuple(fc.integer({ min: 1, max: 5 }), fc.constantFrom('approve', 'reject'))
      .map(([id, d]) => ({
        method: 'POST' as const,
        path: `/v1/approvals/${id}/decision`,
        body: { decision: d },
      })),
    fc
      .tuple(fc.constantFrom('csv', 'xlsx', 'ndjson'), day, jurisdiction)
      .map(([f, d, j]) => get(`/v1/exports/alerts.${f}${qs({ date: d, jurisdiction: j })}`)),
    fc
      .tuple(fc.constantFrom('arrow', 'parquet'), jurisdiction)
      .map(([f, j]) =>
        get(`/v1/exports/features.${f}${qs({ date: k.city.lastDay, jurisdiction: j })}`),
      ),
    fc.record({ date: opt(day), q: opt(q), jurisdiction }).map((o) => get(`/ui/${qs(o)}`, true)),
    alertId.map((id) => get(`/ui/alerts/${id}`, true)),
    q.map((s) => get(`/ui/entities${qs({ q: s })}`, true)),
    uscc.map((u) => get(`/ui/entities/${u}`, true)),
    fc
      .constantFrom(
        '/ui/approvals',
        '/ui/referrals?box=inbox',
        '/ui/referrals?box=outbox',
        '/ui/runs',
      )
      .map((p) => get(p, true)),
    day.map((d) => get(`/ui/exports/alerts.csv?date=${d}`, true)),
  );
  return { persona: fc.constantFrom(...SCOPED), req };
}

async function send(r: Req, who: Persona): Promise<Response> {
  if (r.page) return k.app.request(r.path, { headers: { cookie: `dafei_session=${k.as[who]}` } });
  return r.method === 'GET' ? k.getAs(r.path, who) : k.postAs(r.path, r.body ?? {}, who);
}

async function leaks(r: Req, who: Persona, res: Response): Promise<string[]> {
  const text = await bodyText(res, k.db);
  const asked = decodeURIComponent(r.path) + JSON.stringify(r.body ?? '');
  return forbidden.get(who)!.filter((t) => !asked.includes(t) && text.includes(t));
}

describe('no enterprise outside the caller’s area in any body', () => {
  it('holds for random accounts, routes and queries (fast-check, seeded)', async () => {
    const { persona, req } = arbitraries();
    let requests = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(persona, req, async (who, r) => {
        const res = await send(r, who);
        requests++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, r.path).toBeLessThan(500);
        let found = await leaks(r, who, res.clone());
        // and the next page, when there is one
        if (
          res.status === 200 &&
          (res.headers.get('content-type') ?? '').startsWith('application/json')
        ) {
          const next = ((await res.json()) as { next_cursor?: string | null }).next_cursor;
          if (next) {
            const u = new URL(r.path, 'http://x');
            u.searchParams.set('cursor', next);
            const r2 = { ...r, path: u.pathname + u.search };
            found = [...found, ...(await leaks(r2, who, await send(r2, who)))];
          }
        }
        expect(found, `${r.method} ${r.path} as ${who}`).toEqual([]);
      }),
      { numRuns: 200, seed: 20260401, endOnFailure: true },
    );
    // the runs did reach data, not only refusals
    expect(statuses.get(200) ?? 0).toBeGreaterThan(requests / 3);
    expect(statuses.get(404) ?? 0).toBeGreaterThan(0);
  });

  it('forbids something to every persona (the property is not vacuous)', () => {
    for (const who of SCOPED.filter(
      (p) => p !== 'cityAdmin' && p !== 'cityRegulator' && p !== 'dsCity',
    ))
      expect(forbidden.get(who)!.length, who).toBeGreaterThan(10);
  });
});
