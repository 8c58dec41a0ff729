/** Malformed, oversized and hostile input: 4xx problem+json, and nothing in the database changes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKit, problem, type Kit } from './_test-kit.ts';
import { MAX_BODY_BYTES } from './app.ts';

let k: Kit;
let alertId: string;
let before: Record<string, number>;

beforeAll(async () => {
  k = await createKit();
  alertId = ((await (await k.get('/v1/alerts?limit=1')).json()) as { items: { id: string }[] })
    .items[0]!.id;
  before = await k.snapshot();
});
afterAll(() => k.close());

const enc = encodeURIComponent;
const SQLI = [
  `'; DROP TABLE list_entries; --`,
  `' OR '1'='1`,
  `%' UNION SELECT * FROM api_tokens --`,
  `"; DELETE FROM audit_log; --`,
  '%',
  '_',
  '\\',
];

async function expect4xx(res: Response, status: number, code?: string): Promise<void> {
  expect(res.status, await res.clone().text()).toBe(status);
  const p = await problem(res);
  if (code) expect(p.code).toBe(code);
  expect(p.detail).not.toMatch(/SELECT|FROM|Parser Error|Binder Error/);
}

describe('SQL metacharacters are data, never SQL', () => {
  it('in alert and entity search', async () => {
    for (const q of SQLI) {
      const a = await k.get(`/v1/alerts?q=${enc(q)}`);
      expect(a.status, q).toBe(200);
      expect(((await a.json()) as { items: unknown[] }).items).toEqual([]);
      const e = await k.get(`/v1/entities?q=${enc(q)}`, 'investigator');
      expect(e.status, q).toBe(200);
      expect(((await e.json()) as { items: unknown[] }).items).toEqual([]);
      expect((await k.get(`/v1/alerts?district=${enc(q)}`)).status).toBe(200);
      expect((await k.get(`/v1/runs?job=${enc(q)}`)).status).toBe(200);
      expect((await k.get(`/v1/audit?actor=${enc(q)}`)).status).toBe(200);
    }
  });

  it('in path parameters and bodies', async () => {
    await expect4xx(
      await k.get(`/v1/entities/${enc(`91440400' OR 1=1 --`)}`, 'investigator'),
      400,
      'bad_request',
    );
    await expect4xx(await k.get(`/v1/alerts/${enc(`2026-03-31:' OR 1=1 --`)}`), 400, 'bad_request');
    const r = await k.post(
      `/v1/alerts/${alertId}/dispositions`,
      { status: `认定'); DROP TABLE dispositions; --` },
      'admin',
    );
    await expect4xx(r, 400, 'bad_request');
  });
});

describe('malformed queries', () => {
  it('invalid dates', async () => {
    for (const d of [
      '2026-02-30',
      '2026-13-01',
      '2026-3-1',
      '31/03/2026',
      `2026-03-31' OR '1'='1`,
      '9999-01-01',
      '',
    ]) {
      await expect4xx(await k.get(`/v1/alerts?date=${enc(d)}`), 400, 'bad_request');
      await expect4xx(await k.get(`/v1/exports/alerts.csv?date=${enc(d)}`, 'regulator'), 400);
    }
    await expect4xx(await k.get(`/v1/alerts/2026-02-30:${alertId.slice(11)}`), 400);
  });

  it('unknown, repeated and out-of-range fields', async () => {
    await expect4xx(await k.get('/v1/alerts?foo=1'), 400, 'bad_request');
    await expect4xx(await k.get('/v1/alerts?limit=1&limit=2'), 400);
    await expect4xx(await k.get('/v1/alerts?limit=201'), 400);
    await expect4xx(await k.get('/v1/alerts?limit=0'), 400);
    await expect4xx(await k.get('/v1/alerts?limit=abc'), 400);
    await expect4xx(await k.get('/v1/alerts?limit=1e3'), 400);
    await expect4xx(await k.get('/v1/alerts?level=purple'), 400);
    await expect4xx(await k.get(`/v1/alerts?q=${'汇'.repeat(101)}`), 400);
    await expect4xx(await k.get('/v1/entities', 'investigator'), 400);
    await expect4xx(await k.get(`/v1/entities?q=${enc('   ')}`, 'investigator'), 400);
    await expect4xx(
      await k.get(
        `/v1/entities/${k.city.schemes[0]!.uscc}/history?kinds=ad,passwords`,
        'investigator',
      ),
      400,
    );
    await expect4xx(await k.get('/v1/entities/91440400MA4UXXXX3X', 'investigator'), 400);
    await expect4xx(await k.get('/healthz?x=1', null), 400);
    await expect4xx(await k.get('/v1/models/abc/activate'), 404, 'not_found');
  });

  it('problem bodies list the issues', async () => {
    const res = await k.get('/v1/alerts?limit=999&foo=1');
    const body = (await res.json()) as { issues: { path: string; message: string }[] };
    expect(body.issues.map((i) => i.path).sort()).toEqual(['', 'limit']);
  });
});

describe('cursors', () => {
  const forge = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  it('huge, garbage and forged cursors are refused', async () => {
    await expect4xx(await k.get(`/v1/alerts?cursor=${'A'.repeat(10_000)}`), 400);
    await expect4xx(await k.get('/v1/alerts?cursor=not*base64'), 400);
    await expect4xx(await k.get('/v1/alerts?cursor=abc'), 400);
    await expect4xx(
      await k.get(`/v1/alerts?cursor=${forge({ d: '2026-03-31', r: 1, k: -5, f: '[]' })}`),
      400,
    );
    await expect4xx(
      await k.get(`/v1/alerts?cursor=${forge({ d: "2026-03-31'--", r: 1, k: 5, f: '[]' })}`),
      400,
    );
    await expect4xx(
      await k.get(`/v1/alerts?cursor=${forge({ d: '2026-03-31', r: 1, k: 5, f: '[]', x: 1 })}`),
      400,
    );
    await expect4xx(await k.get(`/v1/alerts?cursor=${forge([1, 2, 3])}`), 400);
    await expect4xx(
      await k.get(
        `/v1/entities/${k.city.schemes[0]!.uscc}/history?cursor=${forge({ b: 5 })}`,
        'admin',
      ),
      400,
    );
    await expect4xx(await k.get(`/v1/runs?cursor=${forge({ b: 1e300 })}`), 400);
  });

  it('a cursor from other filters is refused', async () => {
    const p = (await (await k.get('/v1/alerts?limit=1&level=red')).json()) as {
      next_cursor: string;
    };
    await expect4xx(await k.get(`/v1/alerts?limit=1&level=orange&cursor=${p.next_cursor}`), 400);
    await expect4xx(
      await k.get(`/v1/alerts?limit=1&cursor=${p.next_cursor}&date=${k.city.days[0]}`),
      400,
    );
  });

  it('a cursor of a revision that does not exist is 404', async () => {
    await expect4xx(
      await k.get(
        `/v1/alerts?cursor=${forge({ d: '2026-03-31', r: 99, k: 5, f: JSON.stringify([null, null, null, null]) })}`,
      ),
      404,
    );
  });
});

describe('bodies', () => {
  const path = () => `/v1/alerts/${alertId}/dispositions`;
  it('oversized bodies are 413', async () => {
    const big = JSON.stringify({ status: '核查中', note: 'x'.repeat(MAX_BODY_BYTES) });
    await expect4xx(await k.post(path(), big, 'admin'), 413, 'payload_too_large');
  });
  it('malformed JSON, wrong media type, unknown and invalid fields are refused', async () => {
    await expect4xx(await k.post(path(), '{"status": "核查中"', 'admin'), 400, 'bad_request');
    await expect4xx(
      await k.post(path(), 'status=核查中', 'admin', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
      415,
    );
    await expect4xx(await k.post(path(), { status: '核查中', admin: true }, 'admin'), 400);
    await expect4xx(await k.post(path(), { status: 'confirmed' }, 'admin'), 400);
    await expect4xx(
      await k.post(path(), { status: '核查中', note: 'x'.repeat(2001) }, 'admin'),
      400,
    );
    await expect4xx(await k.post(path(), [], 'admin'), 400);
    await expect4xx(await k.post(path(), 'null', 'admin'), 400);
    await expect4xx(await k.post('/v1/runs', { date: '2026-02-30' }, 'admin'), 400);
    await expect4xx(await k.post('/v1/models/1/activate', { note: 1 }, 'admin'), 400);
  });
  it('a disposition on an alert that does not exist is 404', async () => {
    await expect4xx(
      await k.post(
        `/v1/alerts/2020-01-01:${alertId.slice(11)}/dispositions`,
        { status: '核查中' },
        'admin',
      ),
      404,
    );
  });
});

describe('routes', () => {
  it('unknown routes and methods are 404 problem+json', async () => {
    await expect4xx(await k.get('/v1/nope'), 404, 'not_found');
    await expect4xx(await k.app.request('/v1/alerts', { method: 'DELETE' }), 404);
    await expect4xx(await k.get('/v1/exports/alerts.exe?date=2026-03-31'), 404);
  });
});

describe('after all of it', () => {
  it('nothing changed', async () => {
    expect(await k.snapshot()).toEqual(before);
    expect(
      (await k.db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM list_entries`))!.n,
    ).toBeGreaterThan(0);
  });
});
