/**
 * The load generator the API's latency bars are measured with (bench/api-load.ts): a steady rate,
 * latencies counted from when each request was due. Beside it, why autocannon's `overallRate` is
 * not that: the same server sees its requests arrive in bursts at the start of each second.
 */
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLoop, quantile } from './open-loop.ts';

let server: Server;
let url = '';
/** Arrival times (ms since the server started) of the requests to /arrivals. */
let arrivals: number[] = [];
let stallUntil = 0;
const t0 = performance.now();

beforeAll(async () => {
  server = createServer((req, res) => {
    const now = performance.now() - t0;
    if (req.url === '/arrivals') arrivals.push(now);
    if (req.url === '/missing') {
      res.writeHead(404).end();
      return;
    }
    // while a stall is on, answers wait for its end (a server that stopped for a while)
    setTimeout(() => res.end('ok'), Math.max(0, stallUntil - now));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/**
 * The share of 50 ms windows between the first and the last arrival that hold one: all of them at
 * a steady 200/s (an empty one has odds e^-10), a few in each second for bursts at its start. A
 * client stalled for a few hundred ms on a loaded machine empties only a few windows.
 */
function busyShare(xs: number[]): number {
  if (xs.length < 2) return 0;
  const first = Math.min(...xs);
  const windows = Math.floor((Math.max(...xs) - first) / 50) + 1;
  return new Set(xs.map((x) => Math.floor((x - first) / 50))).size / windows;
}

describe('openLoop', () => {
  it('sends about rate × seconds requests spread over each second, and counts failures', async () => {
    arrivals = [];
    const r = await openLoop({
      url,
      rate: 200,
      seconds: 2,
      requests: [{ path: '/arrivals', headers: {} }],
      seed: 3,
    });
    // Poisson: 400 expected, sd 20
    expect(r.sent).toBeGreaterThan(340);
    expect(r.sent).toBeLessThan(460);
    expect(arrivals).toHaveLength(r.sent);
    expect(r.latencies).toHaveLength(r.sent);
    expect(r.errors + r.non2xx).toBe(0);
    // spread over each second: arrivals in (nearly) every 50 ms window
    expect(busyShare(arrivals)).toBeGreaterThan(0.7);

    const bad = await openLoop({
      url,
      rate: 50,
      seconds: 0.5,
      requests: [{ path: '/missing', headers: {} }],
    });
    expect(bad.non2xx).toBe(bad.sent);
    expect(bad.latencies).toHaveLength(0);
  });

  it('counts latency from when a request was due, so a stalled server shows its whole stall', async () => {
    // the server holds every answer for the first 300 ms: requests due at t answer at ≈ 300 ms
    stallUntil = performance.now() - t0 + 300;
    const r = await openLoop({
      url,
      rate: 100,
      seconds: 1,
      requests: [{ path: '/', headers: {} }],
      seed: 5,
    });
    // about 30 requests were due during the stall; the first waited about 300 ms
    expect(quantile(r.latencies, 1)).toBeGreaterThan(250);
    expect(r.maxInFlight).toBeGreaterThan(10);
    // the requests due after the stall are quick
    expect(quantile(r.latencies, 0.5)).toBeLessThan(50);
  });
});

describe("autocannon's overallRate, for comparison", () => {
  it('sends each second’s requests in a burst at its start', async () => {
    arrivals = [];
    const autocannon = createRequire(import.meta.url)('autocannon') as (
      o: Record<string, unknown>,
    ) => Promise<unknown>;
    await autocannon({ url: `${url}/arrivals`, connections: 10, overallRate: 200, duration: 2 });
    expect(arrivals.length).toBeGreaterThan(300);
    // each second's requests at its start, then nothing for most of the second
    expect(busyShare(arrivals)).toBeLessThan(0.3);
  });
});
