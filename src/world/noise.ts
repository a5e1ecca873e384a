/**
 * How each department's records deviate from the world. Rates are probabilities per eligible
 * record (a record without a phone cannot carry a stale phone); `staleAddress` applies to
 * records about people who moved within the last years, and is the chance the department still
 * has the old address. Every decision comes from the department's own noise stream with a
 * fixed number of draws per record, so changing one rate never changes the world, another
 * department, or another kind of noise.
 */
import type { Rng } from './rng.js';

export const DEPARTMENTS = ['population', 'housing', 'enterprise', 'police', 'court', 'fire', 'social'] as const;
export type Department = (typeof DEPARTMENTS)[number];

export interface NoiseRates {
  /** The ID number is absent. */
  idMissing: number;
  /** The ID number has one digit wrong (so it fails the check character). */
  idMistyped: number;
  /** The name is written in another form: traditional characters, a space, pinyin. */
  nameVariant: number;
  /** The address is written in a style other than the department's usual one. */
  addressVariant: number;
  /** The phone is an old number the person no longer uses. */
  stalePhone: number;
  /** For people who moved: the department still has the previous address. */
  staleAddress: number;
}

export type NoiseConfig = Record<Department, NoiseRates>;
export type NoiseOverrides = Partial<Record<Department, Partial<NoiseRates>>>;

export const DEFAULT_NOISE: NoiseConfig = {
  population: { idMissing: 0.005, idMistyped: 0.003, nameVariant: 0.005, addressVariant: 0.05, stalePhone: 0.03, staleAddress: 0.1 },
  housing: { idMissing: 0.03, idMistyped: 0.01, nameVariant: 0.02, addressVariant: 0.25, stalePhone: 0.08, staleAddress: 0 },
  enterprise: { idMissing: 0.01, idMistyped: 0.005, nameVariant: 0.01, addressVariant: 0.2, stalePhone: 0.05, staleAddress: 0 },
  police: { idMissing: 0.01, idMistyped: 0.01, nameVariant: 0.02, addressVariant: 0.3, stalePhone: 0.15, staleAddress: 0.4 },
  court: { idMissing: 0.01, idMistyped: 0.005, nameVariant: 0.03, addressVariant: 0.4, stalePhone: 0.1, staleAddress: 0.5 },
  fire: { idMissing: 0, idMistyped: 0, nameVariant: 0.05, addressVariant: 0.35, stalePhone: 0.1, staleAddress: 0 },
  social: { idMissing: 0.02, idMistyped: 0.02, nameVariant: 0.03, addressVariant: 0.3, stalePhone: 0.1, staleAddress: 0.5 },
};

export function resolveNoise(overrides: NoiseOverrides = {}): NoiseConfig {
  const out = {} as NoiseConfig;
  for (const d of DEPARTMENTS) {
    const merged: NoiseRates = { ...DEFAULT_NOISE[d], ...(overrides[d] ?? {}) };
    for (const [k, v] of Object.entries(merged)) {
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`noise rate ${d}.${k} must be within [0, 1], got ${String(v)}`);
    }
    out[d] = merged;
  }
  return out;
}

/** The noise tags a truth row may carry. */
export type NoiseTag =
  | 'id_missing' | 'id_mistyped' | 'name_traditional' | 'name_space' | 'name_pinyin' | 'name_short' | 'address_variant' | 'phone_stale'
  | 'address_stale';

/** The draws for one record: always DRAWS numbers, used or not. */
export const DRAWS = 10;

export class NoiseDice {
  readonly u = new Float64Array(DRAWS);
  constructor(private readonly rng: Rng) {}
  roll(): Float64Array {
    for (let i = 0; i < DRAWS; i++) this.u[i] = this.rng.next();
    return this.u;
  }
}

/** The ID number with one of its first 17 digits changed: a single substitution always fails MOD 11-2. */
export function mistypeId(id: string, u1: number, u2: number): string {
  const pos = Math.min(16, Math.floor(u1 * 17));
  const old = id.charCodeAt(pos) - 48;
  const digit = (old + 1 + Math.min(8, Math.floor(u2 * 9))) % 10;
  return id.slice(0, pos) + String(digit) + id.slice(pos + 1);
}
