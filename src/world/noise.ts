/**
 * How each department's records deviate from the world. Rates are probabilities per eligible
 * record (a record without a phone cannot carry a stale phone); `staleAddress` applies to
 * records about people who moved within the last years, and is the chance the department still
 * has the old address. Every decision comes from the department's own noise stream with a
 * fixed number of draws per record, so changing one rate never changes the world, another
 * department, or another kind of noise.
 */
import type { Rng } from './rng.js';
import { civilFromDays, daysFromCivil, TODAY } from './time.js';

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
  /** A given-name character is written as another with the same pinyin (张伟 → 张维). */
  nameHomophone: number;
  /** The birth date is off: the day by 1–3, or day and month swapped (records with a birth date field). */
  birthDayWrong: number;
  /** Two adjacent digits of the ID number swapped (so it fails the check character). */
  idTransposed: number;
  /** Two adjacent digits of the phone swapped. */
  phoneTransposed: number;
  /** Only name and phone about the person: no ID number, address or birth date (records with a phone). */
  namePhoneOnly: number;
  /** The person is registered twice: an extra record with its own source id and its own noise. */
  duplicate: number;
}

export type NoiseConfig = Record<Department, NoiseRates>;
export type NoiseOverrides = Partial<Record<Department, Partial<NoiseRates>>>;

// The kinds added after the first release are off by default, so a default run writes exactly
// what it always wrote (tests/world/pin.test.ts); REALISTIC_NOISE turns them on.
const OFF = { nameHomophone: 0, birthDayWrong: 0, idTransposed: 0, phoneTransposed: 0, namePhoneOnly: 0, duplicate: 0 };

export const DEFAULT_NOISE: NoiseConfig = {
  population: { idMissing: 0.005, idMistyped: 0.003, nameVariant: 0.005, addressVariant: 0.05, stalePhone: 0.03, staleAddress: 0.1, ...OFF },
  housing: { idMissing: 0.03, idMistyped: 0.01, nameVariant: 0.02, addressVariant: 0.25, stalePhone: 0.08, staleAddress: 0, ...OFF },
  enterprise: { idMissing: 0.01, idMistyped: 0.005, nameVariant: 0.01, addressVariant: 0.2, stalePhone: 0.05, staleAddress: 0, ...OFF },
  police: { idMissing: 0.01, idMistyped: 0.01, nameVariant: 0.02, addressVariant: 0.3, stalePhone: 0.15, staleAddress: 0.4, ...OFF },
  court: { idMissing: 0.01, idMistyped: 0.005, nameVariant: 0.03, addressVariant: 0.4, stalePhone: 0.1, staleAddress: 0.5, ...OFF },
  fire: { idMissing: 0, idMistyped: 0, nameVariant: 0.05, addressVariant: 0.35, stalePhone: 0.1, staleAddress: 0, ...OFF },
  social: { idMissing: 0.02, idMistyped: 0.02, nameVariant: 0.03, addressVariant: 0.3, stalePhone: 0.1, staleAddress: 0.5, ...OFF },
};

/**
 * The harder noise entity resolution meets in real registers, at plausible rates: homophone
 * given names, slightly wrong birth dates, transposed digits, name-and-phone-only records
 * (common in rental and residence registrations), and the same person registered twice. On top
 * of DEFAULT_NOISE: `generateWorld({ noise: REALISTIC_NOISE })`. Rates a department cannot
 * carry (no phone, no birth date field, no duplicate registrations) are left at 0.
 */
export const REALISTIC_NOISE: NoiseOverrides = {
  population: { nameHomophone: 0.01, birthDayWrong: 0.01, idTransposed: 0.005, phoneTransposed: 0.005, duplicate: 0.005 },
  housing: { nameHomophone: 0.02, idTransposed: 0.01, phoneTransposed: 0.01, namePhoneOnly: 0.05 },
  enterprise: { nameHomophone: 0.01, idTransposed: 0.005 },
  police: { nameHomophone: 0.02, idTransposed: 0.01, phoneTransposed: 0.01, namePhoneOnly: 0.04, duplicate: 0.01 },
  court: { nameHomophone: 0.015, idTransposed: 0.005 },
  social: { nameHomophone: 0.02, birthDayWrong: 0.03, idTransposed: 0.01, phoneTransposed: 0.01, namePhoneOnly: 0.02, duplicate: 0.01 },
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

/**
 * Look-alikes change the world itself, not a department's view of it: `twins` is the share of
 * households with exactly two children whose children are twins (same birth day, same surname,
 * different ID numbers, sometimes homophone given names); `namesakes` the share of people who
 * bear exactly the same full name as a neighbour in another household of the same building
 * (the closest in age that can: often the same birth year). Both default to 0.
 */
export interface Lookalikes { twins: number; namesakes: number }

export const NO_LOOKALIKES: Lookalikes = { twins: 0, namesakes: 0 };
export const REALISTIC_LOOKALIKES: Lookalikes = { twins: 0.01, namesakes: 0.003 };

/** Named settings for callers with one switch (`npx liandong generate --noise realistic`). */
export const NOISE_PRESETS = {
  default: { noise: {} as NoiseOverrides, lookalikes: NO_LOOKALIKES },
  realistic: { noise: REALISTIC_NOISE, lookalikes: REALISTIC_LOOKALIKES },
} as const;
export type NoisePreset = keyof typeof NOISE_PRESETS;

export function resolveLookalikes(overrides: Partial<Lookalikes> = {}): Lookalikes {
  const out: Lookalikes = { ...NO_LOOKALIKES, ...overrides };
  for (const [k, v] of Object.entries(out)) {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`lookalike rate ${k} must be within [0, 1], got ${String(v)}`);
  }
  return out;
}

/** The noise tags a truth row may carry. */
export type NoiseTag =
  | 'id_missing' | 'id_mistyped' | 'name_traditional' | 'name_space' | 'name_pinyin' | 'name_short' | 'address_variant' | 'phone_stale'
  | 'address_stale' | 'name_homophone' | 'birth_day_wrong' | 'id_transposed' | 'phone_transposed' | 'name_phone_only'
  | 'duplicate_registration'
  /** Not noise but a look-alike in the world: the person is a twin, or shares a neighbour's full name. */
  | 'twin' | 'namesake';

/** The draws for one record from the department's noise stream: always DRAWS numbers, used or not. */
export const DRAWS = 10;
/**
 * The draws for the kinds of noise added later, from a stream of their own, so that adding them
 * shifted none of the DRAWS above: u[DRAWS + k] for k < EXTRA_DRAWS (see EXTRA).
 */
export const EXTRA_DRAWS = 12;
export const EXTRA = {
  homophone: DRAWS, homophoneChoice: DRAWS + 1, birthDay: DRAWS + 2, birthDayChoice: DRAWS + 3, idTransposed: DRAWS + 4, idTransposedAt: DRAWS + 5,
  phoneTransposed: DRAWS + 6, phoneTransposedAt: DRAWS + 7, phoneOnly: DRAWS + 8, duplicate: DRAWS + 9,
} as const;

export class NoiseDice {
  readonly u = new Float64Array(DRAWS + EXTRA_DRAWS);
  constructor(private readonly rng: Rng, private readonly extra: Rng) {}
  roll(): Float64Array {
    for (let i = 0; i < DRAWS; i++) this.u[i] = this.rng.next();
    for (let i = DRAWS; i < DRAWS + EXTRA_DRAWS; i++) this.u[i] = this.extra.next();
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

/**
 * Two adjacent digits of the first 17 swapped, at a position where they differ (u picks which),
 * or null if no two adjacent digits differ. A transposition always fails MOD 11-2: the sum
 * changes by (a − b)(w[i+1] − w[i]), and neither factor is a multiple of 11.
 */
export function transposeId(id: string, u: number): string | null {
  return transposeDigits(id, 0, 16, u);
}

/** The phone with two adjacent differing digits swapped (not the leading 1), or null if none differ. */
export function transposePhone(phone: string, u: number): string | null {
  return transposeDigits(phone, 1, phone.length - 1, u);
}

/** Swaps s[i] and s[i + 1] for one i in [from, last) where they are different digits. */
function transposeDigits(s: string, from: number, last: number, u: number): string | null {
  const at: number[] = [];
  for (let i = from; i < last; i++) {
    const a = s.charCodeAt(i);
    const b = s.charCodeAt(i + 1);
    if (a !== b && a >= 48 && a <= 57 && b >= 48 && b <= 57) at.push(i);
  }
  if (at.length === 0) return null;
  const i = at[Math.min(at.length - 1, Math.floor(u * at.length))] as number;
  return s.slice(0, i) + s.charAt(i + 1) + s.charAt(i) + s.slice(i + 2);
}

/**
 * A birth date as a clerk gets it wrong: day and month swapped when the day is 12 or less and
 * differs from the month (a third of those), otherwise the day moved by 1–3 within the same
 * month, never past today. Always a real calendar date, always a different one.
 */
export function wrongBirthDay(day: number, u: number): number {
  const { y, m, d } = civilFromDays(day);
  if (d <= 12 && d !== m && u < 1 / 3 && daysFromCivil(y, d, m) <= TODAY) return daysFromCivil(y, d, m);
  const k = 1 + (Math.floor(u * 600) % 3);
  const later = Math.floor(u * 6000) % 2 === 0;
  const inMonth = (dd: number): boolean => dd >= 1 && civilFromDays(daysFromCivil(y, m, dd)).m === m && day + (dd - d) <= TODAY;
  const dd = later && inMonth(d + k) ? d + k : inMonth(d - k) ? d - k : d + k;
  return daysFromCivil(y, m, dd);
}
