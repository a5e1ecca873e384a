/**
 * Seeded randomness for the synthetic world. Nothing here reads the clock or Math.random: the
 * same seed gives the same numbers on every machine and every Node version.
 *
 * - `hash32(...)` mixes small integers into a 32-bit value (murmur3's finaliser): it turns
 *   (seed, purpose, index) into an independent PRNG seed, so an entity can be re-derived from
 *   its index alone.
 * - `Rng` is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128 bits of state,
 *   passes PractRand, and is a handful of 32-bit operations per draw.
 */

/** murmur3 fmix32: a bijection on 32-bit integers with full avalanche. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Folds a (possibly > 32-bit) non-negative safe integer into 32 bits. */
function fold(n: number): number {
  return ((n >>> 0) ^ Math.floor(n / 4294967296)) >>> 0;
}

/** A 32-bit hash of a few integers; order matters. */
export function hash32(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) h = fmix32((h ^ fold(p)) + 0x7f4a7c15 + Math.imul(h, 31));
  return h;
}

/** Uniform in [0, 1) from a hash of a few integers: a stateless draw. */
export function hashUnit(...parts: readonly number[]): number {
  return hash32(...parts) / 4294967296;
}

/** Purposes that seed independent PRNG streams, so changing one never shifts another. */
export const Stream = {
  plan: 1,
  grid: 2,
  building: 3,
  gridMembers: 4,
  enterprises: 5,
  cases: 6,
  /** Department content (dates, numbers, coverage): hash(seed, deptContent, dept, grid). */
  deptContent: 7,
  /** Department noise: hash(seed, deptNoise, dept, grid); a fixed number of draws per record. */
  deptNoise: 8,
  names: 9,
  /** Department noise of the kinds added later: hash(seed, deptNoiseExtra, dept, grid); a fixed number of draws per record. */
  deptNoiseExtra: 10,
  /** Duplicate registrations' content and noise: hash(seed, deptDuplicates, dept, grid, part); drawn only for duplicates. */
  deptDuplicates: 11,
  /** Look-alikes in the world (twins, namesakes): hash(seed, lookalikes, kind, household or person index). */
  lookalikes: 12,
} as const;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 12; i++) this.u32();
  }

  static of(...parts: readonly number[]): Rng {
    return new Rng(hash32(...parts));
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  float(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** n decimal digits. */
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(Math.floor(this.next() * 10));
    return s;
  }

  /** Roughly normal (Irwin–Hall of 4), mean 0, sd 1. */
  normal(): number {
    return (this.next() + this.next() + this.next() + this.next() - 2) * 1.7320508;
  }
}

/** A weighted choice with its cumulative table built once; `pick` is a short scan. */
export class Weighted<T> {
  private readonly values: T[];
  private readonly cumulative: number[];
  private readonly total: number;

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    if (entries.length === 0) throw new Error('weighted choice from an empty list');
    this.values = entries.map(([v]) => v);
    let sum = 0;
    this.cumulative = entries.map(([, w]) => (sum += w));
    this.total = sum;
  }

  pick(rng: Rng): T {
    return this.at(rng.next());
  }

  /** The value for a uniform draw u in [0, 1). */
  at(u: number): T {
    const r = u * this.total;
    const c = this.cumulative;
    for (let i = 0; i < c.length; i++) if (r < (c[i] as number)) return this.values[i] as T;
    return this.values[this.values.length - 1] as T;
  }
}

/**
 * A bijection on [0, modulus): i -> (i * multiplier + offset) mod modulus. With a multiplier
 * coprime to the modulus, distinct indices give distinct, scattered numbers: unique phone
 * numbers and household numbers without a set of the ones already used.
 */
export function scramble(i: number, modulus: number, multiplier: number, offset: number): number {
  return Number((BigInt(i) * BigInt(multiplier) + BigInt(offset)) % BigInt(modulus));
}

/** Same as `scramble`, without BigInt while the product stays below 2^53. */
export function scrambleSmall(i: number, modulus: number, multiplier: number, offset: number): number {
  const x = i * multiplier + offset;
  return x <= Number.MAX_SAFE_INTEGER ? x % modulus : scramble(i, modulus, multiplier, offset);
}
