/**
 * What every department emitter writes with: the department's content and noise streams for the
 * current grid, the noise each department puts on a person's name, ID, phone, birth date and
 * address, update timestamps, and the truth row beside each record.
 *
 * Each department draws from streams of its own, seeded by (seed, department, grid), so an
 * emitter's records depend only on the calls it gets, in the order it gets them; reordering
 * calls inside one department changes its output, moving code between files does not.
 */
import { type AddressStyle, type Site, renderAddress, variantAddress } from '../address.js';
import { homophoneName, nameVariant } from '../names.js';
import {
  DEPARTMENTS, type Department, EXTRA, type NoiseConfig, NoiseDice, type NoiseTag, mistypeId, transposeId, transposePhone, wrongBirthDay,
} from '../noise.js';
import { Rng, Stream } from '../rng.js';
import type { NdjsonSink, SinkSet } from '../sink.js';
import { HOUR_MS, NOW_MS, TODAY, dayStartMs } from '../time.js';
import { DEPARTMENT_STREAMS, type EntityType, type TruthLink } from '../types.js';
import { PERSON_PHONE_SPACE, type PersonCtx, type PersonLike, mobile } from '../working.js';

// Duplicate registrations take source ids from ranges real ones never reach (at most 30,000,000
// people, so at most that many records per sequence), so adding them shifts no existing id.
export const DUPLICATE_INDEX = 5_000_000_000;
export const DUPLICATE_SEQ = 90_000_000;

/** Which of a person's fields a department record holds, beyond the name. */
export interface Holds {
  /** The record has a phone field for the person (default true). */
  phone?: boolean;
  /** The record may be name-and-phone-only (no ID number; the caller drops address and birth date). */
  phoneOnly?: boolean;
}

const DEPT_INDEX = Object.fromEntries(DEPARTMENTS.map((d, i) => [d, i])) as Record<Department, number>;

// How each department habitually writes an address.
const DEPT_STYLE: Record<Department, AddressStyle> = {
  population: 'province', housing: 'housing', enterprise: 'province', police: 'road', court: 'full', fire: 'short', social: 'full',
};

export class RecordWriter {
  private readonly out: Record<string, NdjsonSink> = {};

  // Per-grid state.
  private deptRng: Rng[] = [];
  private dice: NoiseDice[] = [];
  private dupRng: Rng[] = [];
  private dupDice: NoiseDice[] = [];

  /**
   * Opens every department's streams and truth file (after the world's files, so the manifest
   * lists them in the same order as ever). `lookalikeOf` is the layout's: the tags every truth
   * row about such a person carries.
   */
  constructor(
    sinks: SinkSet, private readonly seed: number, readonly noise: NoiseConfig, private readonly lookalikeOf: ReadonlyMap<number, readonly NoiseTag[]>,
  ) {
    for (const d of DEPARTMENTS) for (const s of DEPARTMENT_STREAMS[d]) this.out[`${d}/${s}`] = sinks.open(`departments/${d}/${s}`);
    for (const d of DEPARTMENTS) this.out[`truth/${d}`] = sinks.open(`truth/${d}`);
  }

  /** Fresh department streams for grid `gridIndex`. */
  startGrid(gridIndex: number): void {
    const seed = this.seed;
    this.deptRng = DEPARTMENTS.map((_, i) => Rng.of(seed, Stream.deptContent, i, gridIndex));
    this.dice = DEPARTMENTS.map((_, i) => new NoiseDice(Rng.of(seed, Stream.deptNoise, i, gridIndex), Rng.of(seed, Stream.deptNoiseExtra, i, gridIndex)));
    this.dupRng = DEPARTMENTS.map((_, i) => Rng.of(seed, Stream.deptDuplicates, i, gridIndex, 0));
    this.dupDice = DEPARTMENTS.map((_, i) => new NoiseDice(Rng.of(seed, Stream.deptDuplicates, i, gridIndex, 1), Rng.of(seed, Stream.deptDuplicates, i, gridIndex, 2)));
  }

  sink(name: string): NdjsonSink {
    const s = this.out[name];
    if (!s) throw new Error(`no output ${name}`);
    return s;
  }

  truth(dept: Department, stream: string, sourceId: string, entity: EntityType, index: number, links: TruthLink[], noise: NoiseTag[]): void {
    if (this.lookalikeOf.size > 0) {
      // New arrays: callers reuse theirs for several records (an inspection and its hazards).
      if (entity === 'person') noise = this.withLookalike(noise, index);
      links = links.map((l) => (l.entity === 'person' ? { ...l, noise: this.withLookalike(l.noise, l.index) } : l));
    }
    this.sink(`truth/${dept}`).write({ department: dept, stream, sourceId, entity, index, links, noise });
  }

  private withLookalike(noise: NoiseTag[], personIndex: number): NoiseTag[] {
    const extra = this.lookalikeOf.get(personIndex);
    return extra ? [...noise, ...extra.filter((t) => !noise.includes(t))] : noise;
  }

  rc(d: Department): Rng {
    return this.deptRng[DEPT_INDEX[d]] as Rng;
  }

  roll(d: Department): Float64Array {
    return (this.dice[DEPT_INDEX[d]] as NoiseDice).roll();
  }

  /** A duplicate registration's content stream and noise: its own, so duplicates shift nothing else. */
  dupContent(d: Department): Rng {
    return this.dupRng[DEPT_INDEX[d]] as Rng;
  }

  dupRoll(d: Department): Float64Array {
    return (this.dupDice[DEPT_INDEX[d]] as NoiseDice).roll();
  }

  // --- noise ---------------------------------------------------------------------------------

  /**
   * Name, ID and phone as department `d` holds them; noise tags pushed to `tags`. `phoneOnly`
   * says the record keeps only name and phone: the caller leaves out the address and birth date.
   */
  personFields(
    d: Department, p: PersonLike, u: Float64Array, tags: NoiseTag[], holds: Holds = {},
  ): { id: string | null; name: string; phone: string | null; phoneOnly: boolean } {
    const r = this.noise[d];
    const holdsPhone = holds.phone ?? true;
    // Decided first: a name-and-phone-only record has no ID number to get wrong.
    const phoneOnly = (holds.phoneOnly ?? false) && holdsPhone && p.phone !== null && (u[EXTRA.phoneOnly] as number) < r.namePhoneOnly;
    let id: string | null = p.idNumber;
    if (phoneOnly) {
      id = null;
      tags.push('name_phone_only');
    } else if ((u[0] as number) < r.idMissing) {
      id = null;
      tags.push('id_missing');
    } else if ((u[1] as number) < r.idMistyped) {
      id = mistypeId(p.idNumber, u[2] as number, u[3] as number);
      tags.push('id_mistyped');
    } else if ((u[EXTRA.idTransposed] as number) < r.idTransposed) {
      const t = transposeId(p.idNumber, u[EXTRA.idTransposedAt] as number);
      if (t !== null) {
        id = t;
        tags.push('id_transposed');
      }
    }
    // A homophone first, then perhaps another form of it (張維, 张 维).
    let base = p.name;
    if ((u[EXTRA.homophone] as number) < r.nameHomophone) base = homophoneName(p.name, u[EXTRA.homophoneChoice] as number) ?? p.name;
    let name = base;
    if ((u[4] as number) < r.nameVariant) {
      const v = nameVariant(base, u[5] as number);
      name = v.text;
      // In pinyin a homophone reads exactly like the true name: nothing of it is left to see.
      if (base !== p.name && v.kind !== 'pinyin') tags.push('name_homophone');
      tags.push(v.kind === 'traditional' ? 'name_traditional' : v.kind === 'space' ? 'name_space' : 'name_pinyin');
    } else if (base !== p.name) {
      name = base;
      tags.push('name_homophone');
    }
    let phone = p.phone;
    if (phone !== null && p.index >= 0 && (u[8] as number) < r.stalePhone) {
      phone = mobile(PERSON_PHONE_SPACE + p.index);
      tags.push('phone_stale');
    }
    if (phone !== null && holdsPhone && (u[EXTRA.phoneTransposed] as number) < r.phoneTransposed) {
      const t = transposePhone(phone, u[EXTRA.phoneTransposedAt] as number);
      if (t !== null) {
        phone = t;
        tags.push('phone_transposed');
      }
    }
    return { id, name, phone, phoneOnly };
  }

  /** The birth date (a day number) as department `d` holds it: sometimes a few days off, or day and month swapped. */
  birthFields(d: Department, p: PersonCtx, u: Float64Array, tags: NoiseTag[]): number {
    if ((u[EXTRA.birthDay] as number) >= this.noise[d].birthDayWrong) return p.birthDay;
    tags.push('birth_day_wrong');
    return wrongBirthDay(p.birthDay, u[EXTRA.birthDayChoice] as number);
  }

  /** An address as department `d` writes it: its own style, sometimes another, sometimes the old one. */
  address(d: Department, site: Site, unit: string | null, room: string | null, u: Float64Array, tags: NoiseTag[], style: AddressStyle = DEPT_STYLE[d]): string {
    if ((u[6] as number) < this.noise[d].addressVariant) {
      const v = variantAddress(site, unit, room, style, u[7] as number);
      if (v !== null) {
        tags.push('address_variant');
        return v;
      }
    }
    return renderAddress(site, unit, room, style);
  }

  /** The person's dwelling address, or the previous one if they moved and the department lags. */
  personAddress(d: Department, p: PersonCtx, u: Float64Array, tags: NoiseTag[], style?: AddressStyle): string {
    let dw = p.dwelling;
    if (p.movedFrom && (u[9] as number) < this.noise[d].staleAddress) {
      dw = p.movedFrom;
      tags.push('address_stale');
    }
    return this.address(d, dw.site, dw.unit, dw.room, u, tags, style);
  }

  /** A timestamp between `fromDay` and now (never later than now). */
  stamp(rng: Rng, fromDay: number): number {
    const from = dayStartMs(Math.min(fromDay, TODAY - 1));
    return from + Math.floor(rng.next() * (NOW_MS - HOUR_MS - from));
  }
}
