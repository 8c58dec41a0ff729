/** GET /v1/alerts serialises listed rows once per role: the body must equal c.json(redact(page)). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../pipeline/auth/index.ts';
import { listAlerts } from '../pipeline/queries/index.ts';
import { redact } from './redact.ts';
import { createKit, type Kit } from './_test-kit.ts';

let k: Kit;
beforeAll(async () => {
  k = await createKit({ enterprises: 80, days: 3 });
});
afterAll(() => k.close());

const ROLES: Role[] = ['admin', 'investigator', 'regulator', 'data_scientist'];

async function expected(role: Role, limit: number) {
  const page = await listAlerts(k.db, { limit });
  const body = await k.json<{ next_cursor: string | null }>(
    await k.get(`/v1/alerts?limit=${limit}`, 'admin'),
  );
  return JSON.stringify(
    redact(
      {
        date: page.day,
        revision: page.revision,
        items: page.items,
        has_more: page.has_more,
        next_cursor: body.next_cursor,
      },
      role,
    ),
  );
}

describe('GET /v1/alerts body', () => {
  it('is byte for byte JSON.stringify(redact(page)) for every role, first and cached', async () => {
    for (const limit of [1, 5, 200]) {
      for (const role of ROLES) {
        for (let n = 0; n < 2; n++) {
          const res = await k.get(`/v1/alerts?limit=${limit}`, role);
          expect(res.headers.get('content-type')).toMatch(/^application\/json/);
          expect(await res.text()).toBe(await expected(role, limit));
        }
      }
    }
  });

  it('shows a new review state at once (the cached part is only the listed row)', async () => {
    const first = (
      await k.json<{
        items: { id: string; uscc: string; status: string; assignee: string | null }[];
      }>(await k.get(`/v1/alerts?limit=3`, 'regulator'))
    ).items[0]!;
    expect(first.status).toBe('待核查');
    const res = await k.post(
      `/v1/alerts/${first.id}/dispositions`,
      { status: '核查中', assignee: 'li.na' },
      'investigator',
    );
    expect(res.status).toBe(201);
    const again = (
      await k.json<{ items: { uscc: string; status: string; assignee: string | null }[] }>(
        await k.get(`/v1/alerts?limit=3`, 'regulator'),
      )
    ).items[0]!;
    expect(again).toMatchObject({ uscc: first.uscc, status: '核查中', assignee: 'li.na' });
    expect(await (await k.get(`/v1/alerts?limit=3`, 'data_scientist')).text()).toBe(
      await expected('data_scientist', 3),
    );
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
