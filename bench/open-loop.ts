/**
 * An open-loop load generator: requests are sent at the times a Poisson process of the given rate
 * draws (seeded), whether or not earlier ones have been answered, over keep-alive connections
 * opened as needed (node:http). Each request's latency is counted from the time it was due, not
 * from when it could be sent, so a stalled client or server cannot hide its own delay
 * ("coordinated omission").
 *
 * Why not autocannon's `overallRate` (used beside it in bench/api-load.ts): it gives each
 * connection `rate / connections` requests per second and sends them back to back at the start of
 * each second, then pauses — a burst of the whole second's requests at 10 in flight, not a rate;
 * and its correction for coordinated omission records, for a response of t ms, extra samples at
 * every 1 ms below t (it takes the expected interval as ⌈1 / rate⌉ ms), so one slow response
 * weighs t times in its percentiles.
 */
import { Agent, request } from 'node:http';

export interface OpenLoopRequest {
  path: string;
  headers: Record<string, string>;
}

export interface OpenLoopResult {
  /** Requests sent (all were due within the duration). */
  sent: number;
  /** Latency of each answered request, from the time it was due, in ms, ascending. */
  latencies: Float64Array;
  /** The same from the time it was sent (without the client's own delay before sending), ascending. */
  fromSend: Float64Array;
  errors: number;
  non2xx: number;
  /** The most requests in flight at once. */
  maxInFlight: number;
  /** How late the client sent requests, worst case (ms): its own share of the latencies. */
  maxSendDelay: number;
}

/** A seeded generator of numbers in [0, 1) (xorshift32): the same seed, the same numbers. */
export function uniform(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

export async function openLoop(o: {
  url: string;
  rate: number;
  seconds: number;
  requests: readonly OpenLoopRequest[];
  seed?: number;
  /** A request not answered within this many ms counts as an error. */
  timeoutMs?: number;
}): Promise<OpenLoopResult> {
  const u = new URL(o.url);
  // idle connections are closed by the client after 4 s, before a server closes them (Node's default
  // keepAliveTimeout, and api/server.ts's, is 5 s): a request sent on a connection the server is
  // closing fails with ECONNRESET, an error of the client's making (2 errors in 4,000 requests in
  // one run before this, most likely that: the kind was not recorded)
  const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000 });
  const r = uniform(o.seed ?? 1);
  // the arrival times: exponential gaps of mean 1000 / rate ms
  const due: number[] = [];
  for (let t = 0; ;) {
    t += (-Math.log(1 - r()) * 1000) / o.rate;
    if (t >= o.seconds * 1000) break;
    due.push(t);
  }
  const latencies: number[] = [];
  const fromSend: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let maxSendDelay = 0;
  let done = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const finish = (): void => {
      inFlight--;
      if (++done === due.length) resolve();
    };
    const send = (i: number): void => {
      const x = o.requests[i % o.requests.length]!;
      const dueAt = t0 + due[i]!;
      const sentAt = performance.now();
      maxSendDelay = Math.max(maxSendDelay, sentAt - dueAt);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const req = request(
        {
          agent,
          host: u.hostname,
          port: u.port,
          path: x.path,
          headers: x.headers,
          timeout: o.timeoutMs ?? 10_000,
        },
        (res) => {
          res.on('data', () => undefined);
          res.on('end', () => {
            const now = performance.now();
            if (res.statusCode! >= 200 && res.statusCode! < 300) {
              latencies.push(now - dueAt);
              fromSend.push(now - sentAt);
            } else non2xx++;
            finish();
          });
          res.on('error', () => {
            errors++;
            finish();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        finish();
      });
      req.end();
    };
    let next = 0;
    const tick = (): void => {
      const now = performance.now() - t0;
      while (next < due.length && due[next]! <= now) send(next++);
      if (next < due.length) setTimeout(tick, Math.max(0, due[next]! - (performance.now() - t0)));
    };
    if (due.length === 0) resolve();
    else tick();
  });
  agent.destroy();
  return {
    sent: due.length,
    latencies: Float64Array.from(latencies).sort(),
    fromSend: Float64Array.from(fromSend).sort(),
    errors,
    non2xx,
    maxInFlight,
    maxSendDelay,
  };
}

/** The p-quantile (0 < p ≤ 1) of ascending values, nearest rank. */
export function quantile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
