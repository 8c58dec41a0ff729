import { describe, expect, it } from 'vitest';
import { refreshAhead } from './refresh-ahead.ts';

/** A load whose every call is answered by hand (resolve / reject the n-th call). */
function manualLoad() {
  const calls: { resolve: (v: string) => void; reject: (e: Error) => void }[] = [];
  const load = () =>
    new Promise<string>((resolve, reject) => {
      calls.push({ resolve, reject });
    });
  return { load, calls };
}

/** Whether `p` has settled (after the queued microtasks ran). */
async function settled<T>(p: Promise<T>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
}

describe('refreshAhead', () => {
  it('refreshes in the background from ¾ of the TTL on, answering the value in hand meanwhile', async () => {
    let t = 0;
    const { load, calls } = manualLoad();
    const r = refreshAhead(load, { ttlMs: 1000, now: () => t });
    const first = r.get();
    expect(await settled(first)).toBe(false);
    calls[0]!.resolve('v1');
    expect(await first).toBe('v1');
    t = 749;
    expect(await r.get()).toBe('v1');
    expect(calls).toHaveLength(1);
    t = 750;
    // answers at once, and starts exactly one refresh however many calls arrive
    expect(await r.get()).toBe('v1');
    expect(await r.get()).toBe('v1');
    expect(calls).toHaveLength(2);
    calls[1]!.resolve('v2');
    await r.settled();
    expect(await r.get()).toBe('v2');
    // the refreshed value's age counts from the start of its load (t = 750)
    t = 1749;
    expect(await r.get()).toBe('v2');
    expect(calls).toHaveLength(3);
  });

  it('never answers a value older than the TTL: past it, callers wait for the load', async () => {
    let t = 0;
    const { load, calls } = manualLoad();
    const r = refreshAhead(load, { ttlMs: 1000, now: () => t });
    const first = r.get();
    calls[0]!.resolve('v1');
    await first;
    // no call during the second half: the value expired without a refresh
    t = 1000;
    const late = r.get();
    expect(await settled(late)).toBe(false);
    expect(calls).toHaveLength(2);
    calls[1]!.resolve('v2');
    expect(await late).toBe('v2');

    // a refresh started ahead but still running at the TTL: callers wait for that one
    t = 1750;
    expect(await r.get()).toBe('v2');
    expect(calls).toHaveLength(3);
    t = 2000;
    const waiting = r.get();
    expect(await settled(waiting)).toBe(false);
    expect(calls).toHaveLength(3);
    calls[2]!.resolve('v3');
    expect(await waiting).toBe('v3');
  });

  it('after invalidate(), waits for a new load and drops what a load started before it answers', async () => {
    let t = 0;
    const { load, calls } = manualLoad();
    const r = refreshAhead(load, { ttlMs: 1000, now: () => t });
    const first = r.get();
    calls[0]!.resolve('v1');
    await first;
    t = 800;
    expect(await r.get()).toBe('v1'); // starts refresh #2
    r.invalidate();
    const after = r.get(); // must not share refresh #2 (it may predate the invalidating write)
    expect(calls).toHaveLength(3);
    calls[1]!.resolve('stale');
    expect(await settled(after)).toBe(false);
    calls[2]!.resolve('fresh');
    expect(await after).toBe('fresh');
    expect(await r.get()).toBe('fresh');
  });

  it('a failed background refresh is reported; the value in hand serves until its TTL', async () => {
    let t = 0;
    const errors: unknown[] = [];
    const { load, calls } = manualLoad();
    const r = refreshAhead(load, { ttlMs: 1000, now: () => t, onError: (e) => errors.push(e) });
    const first = r.get();
    calls[0]!.resolve('v1');
    await first;
    t = 800;
    expect(await r.get()).toBe('v1');
    calls[1]!.reject(new Error('db down'));
    await r.settled();
    expect(errors).toHaveLength(1);
    expect(await r.get()).toBe('v1'); // and tries again
    expect(calls).toHaveLength(3);
    calls[2]!.reject(new Error('still down'));
    await r.settled();
    // past the TTL the caller gets the error itself
    t = 1000;
    const late = r.get();
    calls[3]!.reject(new Error('down for good'));
    await expect(late).rejects.toThrow('down for good');
  });

  it('with a TTL of 0 loads on every call', async () => {
    let n = 0;
    const r = refreshAhead(() => Promise.resolve(++n), { ttlMs: 0 });
    expect(await r.get()).toBe(1);
    expect(await r.get()).toBe(2);
  });
});
