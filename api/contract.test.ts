/**
 * api/_contract.ts can fail: a route whose body its declared schema does not describe, a success
 * status it does not declare and a content type it does not declare are each refused, naming the
 * route; a body that fits passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openMigratedDb } from '../pipeline/db/index.ts';
import { loadConfig } from '../pipeline/config.ts';
import { createApp } from './app.ts';
import { checkResponses } from './_contract.ts';
import { roleTokens } from './_fixtures.ts';
import { Router } from './route.ts';

let app: ReturnType<typeof createApp>;
let token: string;

beforeAll(async () => {
  const db = await openMigratedDb(':memory:');
  token = (await roleTokens(db)).admin;
  app = createApp({ db, config: loadConfig({}), log: () => {}, dashboard: false });
  // a probe route whose handler answers what the query asks for
  const probe = new Router(app);
  probe.add(
    {
      method: 'get',
      path: '/v1/probe',
      operationId: 'probe',
      summary: 'Probe',
      tag: 'system',
      roles: ['admin'],
      query: z.strictObject({ answer: z.enum(['fits', 'wrong', 'created', 'text']) }),
      responses: {
        200: {
          description: 'a count',
          schema: z.object({ n: z.number().int() }).meta({ id: 'ProbeCount' }),
        },
      },
    },
    (c, { query }) =>
      query.answer === 'fits'
        ? c.json({ n: 3 })
        : query.answer === 'wrong'
          ? c.json({ n: '3' })
          : query.answer === 'created'
            ? c.json({ n: 3 }, 201)
            : c.text('3'),
  );
  app.dafei.routes.push(...probe.routes);
  checkResponses(app);
});

afterAll(() => app.dafei.deps.db.close());

const get = (answer: string) =>
  app.request(`/v1/probe?answer=${answer}`, { headers: { authorization: `Bearer ${token}` } });

describe('the response contract check', () => {
  it('passes a body that fits its schema', async () => {
    expect(await (await get('fits')).json()).toEqual({ n: 3 });
  });

  it('refuses a body its schema does not describe', async () => {
    await expect(get('wrong')).rejects.toThrow(
      'GET /v1/probe → 200: the body does not match the document: body/n must be integer',
    );
  });

  it('refuses a success status the route does not declare', async () => {
    await expect(get('created')).rejects.toThrow(
      'GET /v1/probe → 201: the document declares no 201',
    );
  });

  it('refuses a content type the route does not declare', async () => {
    await expect(get('text')).rejects.toThrow(
      'GET /v1/probe → 200: content type text/plain is not one of application/json',
    );
  });

  it('checks declared problems too, and leaves paths outside the document alone', async () => {
    const bad = await get('nonsense');
    expect(bad.status).toBe(400);
    expect((await app.request('/nowhere')).status).toBe(404);
  });
});
