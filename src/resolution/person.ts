/**
 * People: what a record says that can tell one person from another, the keys stored for the
 * person it links to, and how a record is compared with a person into agreement levels.
 */
import type { PersonFacts } from '../domain/canonical.js';
import type { ParsedAddress } from '../domain/address.js';
import { normalizeCode, normalizePhone } from '../domain/identifiers.js';
import { isCalendarDate, isValidResidentId, residentIdSex } from '../domain/idNumber.js';
import type { FieldModel, MatchModel, Vector } from './model.js';
import { editDistance, oneSlip, personName, type NameForms } from './text.js';

/** What one record says about a person, in the forms it is compared in. */
export interface PersonEvidence {
  /** The ID number as written (normalised), valid or not. */
  idNumber: string | null;
  /** The ID number when it passes its check (GB 11643): a key. */
  validId: string | null;
  name: NameForms | null;
  /** YYYY-MM-DD: the stated birth date, and the one inside the ID number. */
  births: string[];
  sex: 'male' | 'female' | null;
  phones: string[];
  dwelling: string | null;
  building: string | null;
  community: string | null;
  street: string | null;
  household: string | null;
}

export function personEvidence(idNumber: string | null, facts: PersonFacts, parsed: ParsedAddress | null): PersonEvidence {
  const id = normalizeCode(idNumber);
  const validId = id !== null && isValidResidentId(id) ? id : null;
  const births = new Set<string>();
  if (facts.birthDate && /^\d{4}-\d{2}-\d{2}$/.test(facts.birthDate)) births.add(facts.birthDate);
  const fromId = id ? birthInId(id) : null;
  if (fromId) births.add(fromId);
  const phone = normalizePhone(facts.phone ?? null);
  return {
    idNumber: id,
    validId,
    name: personName(facts.name),
    births: [...births],
    sex: facts.sex ?? (validId ? residentIdSex(validId) : null),
    phones: phone ? [phone] : [],
    dwelling: parsed?.dwellingKey ?? null,
    building: parsed?.buildingKey ?? null,
    community: parsed?.communityCode ?? null,
    street: parsed?.streetCode ?? null,
    household: facts.householdNumber ?? null,
  };
}

/** The birth date written inside an 18-character ID number, if positions 7–14 are a date. */
export function birthInId(id: string): string | null {
  if (!/^\d{17}[\dXx]$/.test(id)) return null;
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  if (y < 1900 || !isCalendarDate(y, m, d)) return null;
  return `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
}

/** Does the record carry enough to be matched without a key: a name with anything else, or an ID as written. */
export function hasUsableEvidence(e: PersonEvidence): boolean {
  if (e.idNumber !== null) return true;
  if (e.name === null) return e.phones.length > 0 && (e.births.length > 0 || e.dwelling !== null);
  return e.births.length > 0 || e.phones.length > 0 || e.building !== null;
}

// ---------------------------------------------------------------------------------------------
// Keys: every value any department holds for a person, one row per (kind, value).

export type KeyRow = { kind: string; value: string };

/**
 * Kinds looked up to find candidates; the x-kinds are kept only while the person has no ID number.
 * A broken ID number needs no kind of its own: one slip is recovered through its valid neighbours,
 * and worse is found through the name, birth year, phone or building.
 */
export const BLOCKING_KINDS = ['pyb', 'ph', 'bsn'] as const;
export const KEYLESS_PREFIX = 'x';

export function blockingKeys(e: PersonEvidence): KeyRow[] {
  const out: KeyRow[] = [];
  if (e.name) {
    for (const b of e.births) out.push({ kind: 'pyb', value: `${e.name.pinyin}|${b.slice(0, 4)}` });
    if (e.building && e.name.surname) out.push({ kind: 'bsn', value: `${e.building}|${e.name.surname}` });
  }
  for (const p of e.phones) out.push({ kind: 'ph', value: p });
  return out;
}

/** The rows stored for the person a record links to: blocking keys and the values compared. */
export function personKeys(e: PersonEvidence, personHasId: boolean): KeyRow[] {
  const out: KeyRow[] = [];
  const add = (kind: string, value: string | null | undefined) => {
    if (value) out.push({ kind, value });
  };
  add('id', e.validId);
  if (e.name) {
    add('nm', e.name.folded);
    add('py', e.name.pinyin);
    add('sn', e.name.surname);
  }
  for (const b of e.births) add('bd', b);
  add('sx', e.sex);
  add('dw', e.dwelling);
  add('bl', e.building);
  add('cm', e.community);
  add('st', e.street);
  add('hh', e.household);
  for (const k of blockingKeys(e)) {
    out.push(k);
    if (!personHasId) out.push({ kind: KEYLESS_PREFIX + k.kind, value: k.value });
  }
  return out;
}

/** What resolution_key holds: the kinds looked up (blocking, and names for their frequency). */
export function indexRows(e: PersonEvidence, personHasId: boolean): KeyRow[] {
  return personKeys(e, personHasId).filter((k) => k.kind === 'nm' || k.kind.startsWith(KEYLESS_PREFIX) || (BLOCKING_KINDS as readonly string[]).includes(k.kind));
}

/** What resolution_profile holds: every value compared, by kind (one JSON row per person). */
export function profileValues(e: PersonEvidence): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const k of personKeys(e, true)) {
    // Blocking keys made of other values (name pinyin + birth year, building + surname) are not compared.
    if (k.kind === 'pyb' || k.kind === 'bsn') continue;
    const list = (out[k.kind] ??= []);
    if (!list.includes(k.value)) list.push(k.value);
  }
  return out;
}

/** A person as every record linked to it describes them: the union of their keys. */
export interface PersonProfile {
  id: string;
  values: Map<string, Set<string>>;
}

export function profileFromJson(id: string, json: unknown): PersonProfile {
  const obj = (typeof json === 'string' ? JSON.parse(json) : (json ?? {})) as Record<string, string[]>;
  return { id, values: new Map(Object.entries(obj).map(([k, v]) => [k, new Set(v)])) };
}

export function profileOf(id: string, rows: Iterable<KeyRow>): PersonProfile {
  const values = new Map<string, Set<string>>();
  for (const r of rows) {
    let set = values.get(r.kind);
    if (!set) values.set(r.kind, (set = new Set()));
    set.add(r.value);
  }
  return { id, values };
}

const EMPTY: ReadonlySet<string> = new Set();
const get = (p: PersonProfile, kind: string) => p.values.get(kind) ?? EMPTY;

// ---------------------------------------------------------------------------------------------
// Comparison

const FIELDS: FieldModel[] = [
  { field: 'name', levels: ['different', 'surname', 'similar', 'pinyin', 'exact'], m: [0.003, 0.012, 0.04, 0.045, 0.9], u: [0.93, 0.065, 0.004, 0.0006, 0.0004] },
  { field: 'birthDate', levels: ['different', 'year', 'near', 'exact'], m: [0.01, 0.01, 0.03, 0.95], u: [0.985, 0.0145, 0.0004, 0.00004] },
  { field: 'sex', levels: ['different', 'same'], m: [0.01, 0.99], u: [0.5, 0.5] },
  { field: 'phone', levels: ['different', 'slip', 'exact'], m: [0.25, 0.01, 0.74], u: [0.99999, 0.000005, 0.0000005] },
  { field: 'address', levels: ['different', 'street', 'community', 'building', 'dwelling'], m: [0.12, 0.04, 0.03, 0.06, 0.75], u: [0.92, 0.076, 0.0039, 0.00009, 0.000002] },
  { field: 'household', levels: ['different', 'same'], m: [0.1, 0.9], u: [0.999999, 0.000001] },
  { field: 'idNumber', levels: ['different', 'fragment', 'slip'], m: [0.02, 0.08, 0.9], u: [0.99999, 0.00001, 0.0000001] },
];

/** The model before any estimate: hand-set m and u, replaced by `resolve --all`'s EM estimate. */
export const DEFAULT_PERSON_MODEL: MatchModel = { entityType: 'person', fields: FIELDS };

export const NAME_FIELD = 0;
export const BIRTH_FIELD = 1;
export const SEX_FIELD = 2;
export const PHONE_FIELD = 3;

function nameLevel(n: NameForms | null, p: PersonProfile): number | null {
  const names = get(p, 'nm');
  if (n === null || names.size === 0) return null;
  if (names.has(n.folded)) return 4;
  if (get(p, 'py').has(n.pinyin)) return 3;
  const surnames = get(p, 'sn');
  if (!surnames.has(n.surname)) return 0;
  // One character of a longer given name off (a typo), or the pinyin a letter or two off; a
  // one-character given name that differs is another name (张伟, 张强: brothers, not a typo).
  for (const other of names) {
    if (n.given.length >= 2 && other.length === n.folded.length && editDistance(other, n.folded, 1) <= 1) return 2;
  }
  for (const py of get(p, 'py')) if (editDistance(py, n.pinyin, 2) <= (n.given.length >= 2 ? 2 : 1)) return 2;
  return 1;
}

function birthLevel(births: string[], p: PersonProfile): number | null {
  const known = get(p, 'bd');
  if (births.length === 0 || known.size === 0) return null;
  let best = 0;
  for (const b of births) {
    if (known.has(b)) return 3;
    for (const k of known) {
      if (k.slice(0, 4) !== b.slice(0, 4)) continue;
      best = Math.max(best, 1);
      const [, km, kd] = k.split('-');
      const [, bm, bdd] = b.split('-');
      const near = (km === bm && Math.abs(Number(kd) - Number(bdd)) <= 3) || (km === bdd && kd === bm) || oneSlip(k, b);
      if (near) best = 2;
    }
  }
  return best;
}

function phoneLevel(phones: string[], p: PersonProfile): number | null {
  const known = get(p, 'ph');
  if (phones.length === 0 || known.size === 0) return null;
  let best = 0;
  for (const ph of phones) {
    if (known.has(ph)) return 2;
    for (const k of known) if (oneSlip(k, ph)) best = 1;
  }
  return best;
}

function addressLevel(e: PersonEvidence, p: PersonProfile): number | null {
  if (e.street === null || get(p, 'st').size === 0) return null;
  if (e.dwelling !== null && get(p, 'dw').has(e.dwelling)) return 4;
  if (e.building !== null && get(p, 'bl').has(e.building)) return 3;
  if (e.community !== null && get(p, 'cm').has(e.community)) return 2;
  return get(p, 'st').has(e.street) ? 1 : 0;
}

function idLevel(e: PersonEvidence, p: PersonProfile): number | null {
  const ids = get(p, 'id');
  // A valid ID against a person with another valid ID never gets here (a hard rule, see canLink).
  if (e.idNumber === null || e.validId !== null || ids.size === 0) return null;
  let best = 0;
  for (const id of ids) {
    if (oneSlip(id, e.idNumber)) return 2;
    if (id.slice(0, 14) === e.idNumber.slice(0, 14)) best = 1;
  }
  return best;
}

export function comparePerson(e: PersonEvidence, p: PersonProfile): Vector {
  const sexes = get(p, 'sx');
  return [
    nameLevel(e.name, p),
    birthLevel(e.births, p),
    e.sex === null || sexes.size === 0 ? null : sexes.has(e.sex) ? 1 : 0,
    phoneLevel(e.phones, p),
    addressLevel(e, p),
    e.household === null || get(p, 'hh').size === 0 ? null : get(p, 'hh').has(e.household) ? 1 : 0,
    idLevel(e, p),
  ];
}

/**
 * Hard rules, before any score: two different valid ID numbers are two people, whatever else
 * agrees.
 */
export function canLink(e: PersonEvidence, p: PersonProfile): boolean {
  const ids = get(p, 'id');
  return e.validId === null || ids.size === 0 || ids.has(e.validId);
}

/**
 * The least a link made without a key needs: the names agree beyond the surname (twins share
 * the surname, the birth date, the dwelling and the household) and the sexes do not differ.
 */
export function mayAutoLink(v: Vector): boolean {
  const name = v[NAME_FIELD];
  const sex = v[SEX_FIELD];
  return name !== null && name !== undefined && name >= 2 && sex !== 0;
}

/** A record's evidence read back from a person profile (for random pairs when estimating u). */
export function evidenceFromProfile(p: PersonProfile): PersonEvidence {
  const first = (kind: string) => {
    for (const v of get(p, kind)) return v;
    return null;
  };
  const nm = first('nm');
  const name = nm === null ? null : personName(nm);
  const id = first('id');
  const sex = first('sx');
  return {
    idNumber: id, validId: id, name, births: [...get(p, 'bd')].slice(0, 1), sex: sex === 'male' || sex === 'female' ? sex : null,
    phones: [...get(p, 'ph')].slice(0, 1), dwelling: first('dw'), building: first('bl'), community: first('cm'), street: first('st'), household: first('hh'),
  };
}
