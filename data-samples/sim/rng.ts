/**
 * Seeded randomness. sfc32 (Chris Doty-Humphrey's Small Fast Counter) seeded through a murmur3
 * finaliser hash of (seed, stream, a, b), so every enterprise and every event has its own
 * independent stream: output never depends on the order in which things are generated.
 */
import { sfc32 } from '../../models/random.ts';

export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of up to four 32-bit integers. */
export function hash4(a: number, b: number, c = 0, d = 0): number {
  let h = mix32((a ^ 0x9e3779b9) >>> 0);
  h = mix32((h ^ Math.imul(b | 0, 0x85ebca6b)) + 0x27d4eb2f);
  h = mix32((h ^ Math.imul(c | 0, 0xc2b2ae35)) + 0x165667b1);
  h = mix32((h ^ Math.imul(d | 0, 0x27d4eb2f)) + 0x9e3779b9);
  return h;
}

const CUMULATIVE = new WeakMap<readonly unknown[], Float64Array>();

export class Rng {
  /** Raw uint32 (models/random.ts's sfc32, seeded by the hash of the stream's coordinates). */
  readonly u32: () => number;

  constructor(seed: number, stream = 0, x = 0, y = 0) {
    this.u32 = sfc32(
      hash4(seed, stream, x, y),
      hash4(seed ^ 0x5bd1e995, stream, x, y),
      hash4(seed, stream ^ 0x1b873593, x, y),
      1,
    );
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Real in [lo, hi). */
  real(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const v = items[Math.floor(this.next() * items.length)];
    if (v === undefined) throw new Error('pick from an empty list');
    return v;
  }

  /** Picks by weight; weights need not sum to 1. Cumulative weights are cached per list. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let cum = CUMULATIVE.get(items);
    if (cum === undefined) {
      cum = new Float64Array(items.length);
      let total = 0;
      for (let i = 0; i < items.length; i++) {
        total += items[i]![1];
        cum[i] = total;
      }
      CUMULATIVE.set(items, cum);
    }
    const r = this.next() * cum[cum.length - 1]!;
    for (let i = 0; i < cum.length; i++) if (r < cum[i]!) return items[i]![0];
    const last = items[items.length - 1];
    if (last === undefined) throw new Error('weighted pick from an empty list');
    return last[0];
  }

  /** Exponential with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Poisson count (Knuth for small means, normal approximation above 30). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) {
      const g = Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
      return Math.max(0, Math.round(mean + g * Math.sqrt(mean)));
    }
    const l = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > l) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Index in [0, n) skewed towards 0 (Zipf-like, exponent about 1). */
  zipf(n: number): number {
    return Math.min(n - 1, Math.floor(Math.exp(this.next() * Math.log(n + 1))) - 1);
  }
}

/** String to a 32-bit stream id, so streams can be named. */
export function streamId(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
