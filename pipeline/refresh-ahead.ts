/**
 * A value read from the database and reused for `ttlMs`, refreshed ahead of its expiry: once it
 * is `aheadMs` old (default ¾ of the TTL) the next call starts one refresh in the background and
 * still answers the value it has. A caller waits only when there is no value younger than the TTL
 * (the first call, after `invalidate()`, after a pause longer than the TTL, or when the refresh
 * failed or is slower than the rest of the TTL).
 *
 * Why: the API re-checks a few stamps once a second (the published lists, where enterprises
 * belong, the person names, each token). Checked on expiry, each check stalled the request that
 * found the value expired and every request behind it; at 200 requests/s those stalls were most
 * of GET /v1/alerts' slowest percent (bench/api-load.ts). Freshness is unchanged: a value is never
 * used once its load started more than `ttlMs` ago, so a change made elsewhere shows within the
 * TTL as before.
 */

export interface RefreshAhead<T> {
  /** The value: the remembered one while younger than the TTL, else a fresh load. */
  get(): Promise<T>;
  /** Forget the value (and any load already running): the next get() loads afresh and waits. */
  invalidate(): void;
  /** Waits for a background refresh in flight, if any (tests). */
  settled(): Promise<void>;
}

export interface RefreshAheadOptions {
  /** How long a value is used, from the start of its load, in ms; 0 = load on every call. */
  ttlMs: number;
  /**
   * Age from which a call starts a background refresh (default ¾ of ttlMs: a quarter of the TTL
   * for the refresh to land, a third more loads than checking on expiry).
   */
  aheadMs?: number;
  now?: () => number;
  /** Where a failed background refresh is reported (the value in hand stays until its TTL). */
  onError?: (err: unknown) => void;
}

export function refreshAhead<T>(load: () => Promise<T>, o: RefreshAheadOptions): RefreshAhead<T> {
  const ttl = o.ttlMs;
  const ahead = Math.min(o.aheadMs ?? (ttl * 3) / 4, ttl);
  const clock = o.now ?? Date.now;
  let value: { v: T; at: number } | undefined;
  let generation = 0;
  let running: { at: number; generation: number; p: Promise<T> } | undefined;

  const start = (): { at: number; generation: number; p: Promise<T> } => {
    const r = { at: clock(), generation, p: load() };
    running = r;
    r.p.then(
      (v) => {
        // a load started before invalidate() may have read what the invalidating write changed
        if (r.generation === generation && (value === undefined || value.at <= r.at))
          value = { v, at: r.at };
      },
      () => undefined,
    );
    const done = () => {
      if (running === r) running = undefined;
    };
    r.p.then(done, done);
    return r;
  };

  return {
    get() {
      if (ttl <= 0) return load();
      const age = value === undefined ? Infinity : clock() - value.at;
      const current = running?.generation === generation ? running : undefined;
      if (age < ttl) {
        if (age >= ahead && current === undefined)
          start().p.catch((err: unknown) => o.onError?.(err));
        return Promise.resolve(value!.v);
      }
      return (current ?? start()).p;
    },
    invalidate() {
      value = undefined;
      generation++;
    },
    async settled() {
      await running?.p.catch(() => undefined);
    },
  };
}
