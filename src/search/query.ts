/**
 * From what a case worker typed to a plan both backends execute: a list of clauses, each a kind
 * of match on a field with a weight and the reason it gives. A document's score is the best
 * clause's weight plus a tenth of the others' (Elasticsearch: dis_max with tie_breaker 0.1 over
 * constant_score clauses; PostgreSQL: the same arithmetic in SQL), so an exact ID beats an exact
 * name beats a homophone beats a typo, whatever the engine. Only free text (the `text` clause)
 * is ranked by the engine's own relevance (BM25, ts_rank) within its tier.
 */
import type { ParsedAddress } from '../domain/address.js';
import type { SearchContext } from './context.js';
import {
  MIN_TYPO_NAME_CHARS, MIN_TYPO_PINYIN_LETTERS, fuzzyPinyin, hasHan, isHanOnly, namePinyin, normalizeCode, normalizePhone, normalizeQuery, queryTypoKeys,
  textTokens, typoKeys,
} from './text.js';
import type { MatchReason, SearchDocument, SearchType } from './types.js';

/** Keyword fields matched exactly. Values are stored and looked up in their normalised form. */
export const EXACT_FIELDS = [
  'name', 'pinyin', 'pinyin_alt', 'pinyin_fuzzy', 'initials', 'other_names', 'other_pinyin', 'other_initials', 'id_number', 'id_suffix', 'phone',
  'phone_suffix', 'credit_code', 'case_number', 'dwelling_key', 'building_key',
] as const;
export type ExactField = (typeof EXACT_FIELDS)[number];

export type Clause = { name: string; weight: number; reason: MatchReason; types?: readonly SearchType[] } & (
  | { kind: 'exact'; field: ExactField; values: string[] }
  /** Exactly one character (name) or letter (pinyin) different: a substitution. */
  | { kind: 'substitution'; field: 'name' | 'pinyin'; value: string }
  /** At most one edit (a character too many or missing, or a substitution). */
  | { kind: 'fuzzy'; field: 'name' | 'pinyin'; value: string }
  | { kind: 'prefix'; field: 'pinyin'; value: string }
  /** The value occurs in the field as written (after NFKC and lower case). */
  | { kind: 'phrase'; field: 'name' | 'address'; value: string }
  /** At least `minimumMatch` of the tokens (bigrams, words) occur in the document's text. */
  | { kind: 'text'; tokens: string[]; minimumMatch: number }
);

type ClauseInput = Clause extends infer C ? (C extends Clause ? Omit<C, 'name'> : never) : never;

export interface QueryPlan {
  /** The query after NFKC, lower case and trimming. */
  normalized: string;
  clauses: Clause[];
  /** Places the query names (for highlights). */
  places: ParsedAddress[];
}

/** Weights: one table for both backends (docs/search.md). */
export const WEIGHTS = {
  idNumber: 100, creditCode: 100, caseNumber: 100, phone: 90,
  name: 80, place: 80, placeOther: 40, buildingOfRoom: 45,
  pinyin: 70, pinyinAlt: 66, pinyinFuzzy: 60, idSuffix: 58, /* + suffix length - 2: 60-62 */
  legalRep: 55, enterprisePartial: 55, personPartial: 45, initials: 50, phoneSuffix: 50,
  typoSubstitution: 42, typoEdit: 38, caseName: 35, otherPinyin: 30, pinyinPrefix: 30,
  addressPhraseBuilding: 35, addressPhrase: 30, otherInitials: 20, casePhone: 35, casePhoneSuffix: 20,
  /** PostgreSQL: the share of text tokens matched times this (Elasticsearch: BM25 with this boost / 15). */
  text: 15,
} as const;

/** Score = best clause + TIE_BREAKER × the others. */
export const TIE_BREAKER = 0.1;

const ID_NUMBER = /^\d{17}[\dX]$/;
const CREDIT_CODE = /^[0-9A-HJ-NPQRTUWXY]{18}$/;
const ID_SUFFIX = /^\d{3,5}[\dX]$/;
const CASE_NUMBER = /^[A-Z]{1,6}\d{6,}$/;
const LATIN = /^[a-zü]+$/;
const LOCAL_PHONE = /^\d{7,12}$/;

/** A name as matched: NFKC, lower case, no spaces. */
export function normalizeName(name: string): string {
  return normalizeQuery(name).replace(/\s+/g, '');
}

/** Normalised exact-match values of a document, by field: what both backends index. */
export function exactValues(doc: SearchDocument): Record<ExactField, string[]> {
  const n = (v: string | null): string[] => (v ? [normalizeName(v)] : []);
  return {
    name: n(doc.name),
    pinyin: doc.pinyin,
    pinyin_alt: doc.pinyinAlt,
    pinyin_fuzzy: [...new Set([...doc.pinyin, ...doc.pinyinAlt].map(fuzzyPinyin))],
    initials: doc.initials,
    other_names: [...new Set(doc.otherNames.map(normalizeName))],
    other_pinyin: doc.otherPinyin,
    other_initials: doc.otherInitials,
    id_number: doc.idNumber ? [normalizeCode(doc.idNumber) ?? ''] : [],
    id_suffix: doc.idSuffixes,
    phone: doc.phones,
    phone_suffix: doc.phoneSuffixes,
    credit_code: doc.creditCode ? [normalizeCode(doc.creditCode) ?? ''] : [],
    case_number: doc.caseNumber ? [normalizeCode(doc.caseNumber) ?? ''] : [],
    dwelling_key: doc.dwellingKeys,
    building_key: doc.buildingKeys,
  };
}

/**
 * One-edit keys (text.ts typoKeys) of a document's name (people only) and pinyin: what both
 * backends index for the typo clauses. A query one character longer than a name still finds it
 * (a three-character query, the two-character name), hence the `- 1`.
 */
export function documentTypoKeys(doc: SearchDocument): { name: string[]; pinyin: string[] } {
  const name = doc.name ? normalizeName(doc.name) : null;
  const pinyin = new Set<string>();
  for (const p of [...doc.pinyin, ...doc.pinyinAlt]) if (p.length >= MIN_TYPO_PINYIN_LETTERS - 1) for (const k of typoKeys(p)) pinyin.add(k);
  return { name: doc.type === 'person' && name && [...name].length >= MIN_TYPO_NAME_CHARS - 1 ? typoKeys(name) : [], pinyin: [...pinyin] };
}

/** The keys a typo clause looks up among documentTypoKeys: masks only for a substitution, every one-edit key for fuzzy. */
export function clauseTypoKeys(kind: 'substitution' | 'fuzzy', value: string): string[] {
  return queryTypoKeys(value).filter((k) => kind === 'fuzzy' || k.startsWith('s:'));
}

const PEOPLE_TYPES: readonly SearchType[] = ['person'];
const ENTERPRISE: readonly SearchType[] = ['enterprise'];
const CASE: readonly SearchType[] = ['case'];
const BUILDING: readonly SearchType[] = ['building'];
const NOT_BUILDING: readonly SearchType[] = ['person', 'enterprise', 'case'];
const NOT_CASE: readonly SearchType[] = ['person', 'building', 'enterprise'];

/** Reads a query into clauses. An empty query gives none: every document the filters allow. */
export function planQuery(query: string, context: SearchContext): QueryPlan {
  const normalized = normalizeQuery(query ?? '').replace(/\s+/g, ' ');
  const compact = normalized.replace(/[\s'’]/g, '');
  const clauses: Clause[] = [];
  const places: ParsedAddress[] = [];
  if (compact.length === 0) return { normalized, clauses, places };
  const add = (c: ClauseInput): void => {
    clauses.push({ ...c, name: `c${clauses.length}` });
  };

  const code = normalizeCode(compact) ?? '';
  if (ID_NUMBER.test(code)) add({ kind: 'exact', field: 'id_number', values: [code], weight: WEIGHTS.idNumber, reason: 'id_number' });
  if (CREDIT_CODE.test(code)) add({ kind: 'exact', field: 'credit_code', values: [code], weight: WEIGHTS.creditCode, reason: 'credit_code' });
  if (CASE_NUMBER.test(code)) add({ kind: 'exact', field: 'case_number', values: [code], weight: WEIGHTS.caseNumber, reason: 'case_number' });
  if (ID_SUFFIX.test(code)) {
    add({ kind: 'exact', field: 'id_suffix', values: [code], weight: WEIGHTS.idSuffix + code.length - 2, reason: 'id_suffix' });
  }
  const digits = /^[\d+\-\s()]+$/.test(normalized) ? normalizePhone(normalized) : null;
  if (digits !== null) {
    if (digits.length === 4) {
      add({ kind: 'exact', field: 'phone_suffix', values: [digits], weight: WEIGHTS.phoneSuffix, reason: 'phone', types: NOT_CASE });
      add({ kind: 'exact', field: 'phone_suffix', values: [digits], weight: WEIGHTS.casePhoneSuffix, reason: 'phone', types: CASE });
    } else if (/^1\d{10}$/.test(digits) || LOCAL_PHONE.test(digits)) {
      add({ kind: 'exact', field: 'phone', values: [digits], weight: WEIGHTS.phone, reason: 'phone', types: NOT_CASE });
      add({ kind: 'exact', field: 'phone', values: [digits], weight: WEIGHTS.casePhone, reason: 'phone', types: CASE });
    }
  }

  if (LATIN.test(compact)) {
    const latin = compact.replace(/ü/g, 'v');
    add({ kind: 'exact', field: 'pinyin', values: [latin], weight: WEIGHTS.pinyin, reason: 'pinyin' });
    add({ kind: 'exact', field: 'pinyin_alt', values: [latin], weight: WEIGHTS.pinyinAlt, reason: 'pinyin' });
    add({ kind: 'exact', field: 'pinyin_fuzzy', values: [fuzzyPinyin(latin)], weight: WEIGHTS.pinyinFuzzy, reason: 'pinyin' });
    add({ kind: 'exact', field: 'other_pinyin', values: [latin], weight: WEIGHTS.otherPinyin, reason: 'legal_representative', types: ENTERPRISE });
    if (latin.length <= 5) {
      add({ kind: 'exact', field: 'initials', values: [latin], weight: WEIGHTS.initials, reason: 'initials' });
      add({ kind: 'exact', field: 'other_initials', values: [latin], weight: WEIGHTS.otherInitials, reason: 'legal_representative', types: ENTERPRISE });
    }
    if (latin.length >= MIN_TYPO_PINYIN_LETTERS) {
      add({ kind: 'substitution', field: 'pinyin', value: latin, weight: WEIGHTS.typoSubstitution, reason: 'typo' });
      add({ kind: 'fuzzy', field: 'pinyin', value: latin, weight: WEIGHTS.typoEdit, reason: 'typo' });
    }
    if (latin.length >= 2) add({ kind: 'prefix', field: 'pinyin', value: latin, weight: WEIGHTS.pinyinPrefix, reason: 'pinyin' });
  }

  if (hasHan(compact)) {
    add({ kind: 'exact', field: 'name', values: [compact], weight: WEIGHTS.name, reason: 'name' });
    add({ kind: 'exact', field: 'other_names', values: [compact], weight: WEIGHTS.legalRep, reason: 'legal_representative', types: ENTERPRISE });
    add({ kind: 'exact', field: 'other_names', values: [compact], weight: WEIGHTS.caseName, reason: 'name', types: CASE });
    if (isHanOnly(compact)) {
      // A name heard, not seen: what it sounds like finds the homophones (王春蕾 → 王春雷).
      const sound = namePinyin(compact);
      if (sound.pinyin.length > 0) {
        const all = [...new Set([...sound.pinyin, ...sound.pinyinAlt])];
        add({ kind: 'exact', field: 'pinyin', values: all, weight: WEIGHTS.pinyin, reason: 'pinyin' });
        add({ kind: 'exact', field: 'pinyin_alt', values: all, weight: WEIGHTS.pinyinAlt, reason: 'pinyin' });
        add({ kind: 'exact', field: 'pinyin_fuzzy', values: [...new Set(all.map(fuzzyPinyin))], weight: WEIGHTS.pinyinFuzzy, reason: 'pinyin' });
        add({ kind: 'exact', field: 'other_pinyin', values: all, weight: WEIGHTS.otherPinyin, reason: 'legal_representative', types: ENTERPRISE });
      }
      const length = [...compact].length;
      if (length >= MIN_TYPO_NAME_CHARS && length <= 6) {
        add({ kind: 'substitution', field: 'name', value: compact, weight: WEIGHTS.typoSubstitution, reason: 'typo', types: PEOPLE_TYPES });
        add({ kind: 'fuzzy', field: 'name', value: compact, weight: WEIGHTS.typoEdit, reason: 'typo', types: PEOPLE_TYPES });
      }
    }
    if ([...compact].length >= 2) {
      add({ kind: 'phrase', field: 'name', value: compact, weight: WEIGHTS.enterprisePartial, reason: 'name_partial', types: ENTERPRISE });
      add({ kind: 'phrase', field: 'name', value: compact, weight: WEIGHTS.personPartial, reason: 'name_partial', types: PEOPLE_TYPES });
    }
  }

  for (const p of context.queryPlaces(compact)) {
    places.push(p);
    if (p.dwellingKey) {
      add({ kind: 'exact', field: 'dwelling_key', values: [p.dwellingKey], weight: WEIGHTS.place, reason: 'address' });
      add({ kind: 'exact', field: 'building_key', values: [p.buildingKey], weight: WEIGHTS.buildingOfRoom, reason: 'address', types: BUILDING });
    } else {
      add({ kind: 'exact', field: 'building_key', values: [p.buildingKey], weight: WEIGHTS.place, reason: 'address', types: BUILDING });
      add({ kind: 'exact', field: 'building_key', values: [p.buildingKey], weight: WEIGHTS.placeOther, reason: 'address', types: NOT_BUILDING });
    }
  }

  if (hasHan(compact)) {
    if ([...compact].length >= 2) {
      add({ kind: 'phrase', field: 'address', value: compact, weight: WEIGHTS.addressPhraseBuilding, reason: 'address', types: BUILDING });
      add({ kind: 'phrase', field: 'address', value: compact, weight: WEIGHTS.addressPhrase, reason: 'address', types: NOT_BUILDING });
    }
    // A query read as a place is about that place: the words of every other address would only add noise.
    const tokens = places.length > 0 ? [] : [...new Set(textTokens(normalized))];
    if (tokens.length > 0) {
      add({ kind: 'text', tokens, minimumMatch: Math.max(1, Math.ceil(tokens.length * 0.75)), weight: WEIGHTS.text, reason: 'text' });
    }
  }
  return { normalized, clauses, places };
}

/** Reasons of the matched clauses, strongest first, each once. */
export function reasonsOf(plan: QueryPlan, matched: ReadonlySet<string>): MatchReason[] {
  const out: MatchReason[] = [];
  const sorted = plan.clauses.filter((c) => matched.has(c.name)).sort((a, b) => b.weight - a.weight);
  // Typo clauses also match the exact form; when that matched, the exact reason says it better.
  const exact = sorted.some((c) => c.kind === 'exact' && (c.reason === 'name' || c.reason === 'pinyin'));
  for (const c of sorted) if (!out.includes(c.reason) && !(exact && c.reason === 'typo')) out.push(c.reason);
  return out;
}
