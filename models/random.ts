/**
 * Seeded, deterministic pseudo-random numbers (no Math.random anywhere in models/).
 * sfc32 seeded through splitmix32: fast, 32-bit state words, good statistical quality.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n), n ≤ 2^32. */
  int(n: number): number;
  /** Raw uint32. */
  u32(): number;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * The sfc32 generator from its four state words (already warmed up: 12 outputs discarded). The
 * one PRNG of the project: `createRng` seeds it through splitmix32, the simulator
 * (data-samples/sim/rng.ts) through a hash of (seed, stream, a, b).
 */
export function sfc32(a: number, b: number, c: number, d: number): () => number {
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) u32();
  return u32;
}

/** Create a generator; `stream` derives independent sub-streams from one seed (e.g. one per tree). */
export function createRng(seed: number, stream = 0): Rng {
  const sm = splitmix32(
    (Math.imul(seed | 0, 0x2545f491) ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0,
  );
  const a = sm();
  const b = sm();
  const c = sm();
  const u32 = sfc32(a, b, c, sm() | 1);
  return {
    u32,
    next: () => u32() / 4294967296,
    int: (n: number) => Math.floor((u32() / 4294967296) * n),
  };
}
