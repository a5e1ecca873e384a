/**
 * Text forms computed in Node, at index time and at query time, the same way for both backends:
 * CJK bigrams, pinyin and initials (pinyin-pro), ID and phone suffixes, and the one-edit keys
 * PostgreSQL uses for typo tolerance.
 */
import { pinyin } from 'pinyin-pro';
import { normalizePhone } from '../domain/identifiers.js';

const HAN = /\p{Script=Han}/u;
const HAN_ONLY = /^\p{Script=Han}+$/u;
const TOKEN_RUN = /\p{Script=Han}+|(?:(?!\p{Script=Han})[\p{L}\p{N}])+/gu;

/** NFKC (full-width letters, digits and signs), lower case, no surrounding space. */
export function normalizeQuery(text: string): string {
  return text.normalize('NFKC').trim().toLowerCase();
}

export function hasHan(text: string): boolean {
  return HAN.test(text);
}

export function isHanOnly(text: string): boolean {
  return HAN_ONLY.test(text);
}

/**
 * What Elasticsearch's standard tokenizer + cjk_width + lowercase + cjk_bigram make of a text:
 * runs of Han characters become overlapping bigrams (a lone character stays a unigram), other
 * letters and digits stay words. PostgreSQL indexes these tokens (array_to_tsvector), so both
 * engines match the same words.
 */
export function textTokens(text: string | null | undefined): string[] {
  if (!text) return [];
  const out: string[] = [];
  for (const m of normalizeQuery(text).matchAll(TOKEN_RUN)) {
    const run = m[0];
    if (!HAN.test(run)) {
      out.push(run);
      continue;
    }
    const chars = [...run];
    if (chars.length === 1) out.push(run);
    else for (let i = 0; i + 1 < chars.length; i++) out.push(`${chars[i] ?? ''}${chars[i + 1] ?? ''}`);
  }
  return out;
}

export function uniqueTokens(texts: ReadonlyArray<string | null | undefined>): string[] {
  const set = new Set<string>();
  for (const t of texts) for (const token of textTokens(t)) set.add(token);
  return [...set];
}

// ---------------------------------------------------------------------------------------------
// Pinyin

export interface NamePinyin {
  /** Full pinyin without tones or spaces: the surname's reading (单 shan, 曾 zeng) first, ü as v. */
  pinyin: string[];
  /** Other readings callers use: the character's common reading (单 dan, 曾 ceng), ü as u. */
  pinyinAlt: string[];
  initials: string[];
}

const EMPTY_PINYIN: NamePinyin = { pinyin: [], pinyinAlt: [], initials: [] };

function syllables(name: string, surname: boolean): string[] {
  return pinyin(name, { toneType: 'none', type: 'array', nonZh: 'removed', ...(surname ? { surname: 'head' as const } : {}) })
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
}

/**
 * Pinyin of a Chinese personal name: wangchunlei / wcl for 王春雷. The surname reading (surname
 * mode of pinyin-pro) comes first; the ordinary reading of the characters, when it differs (单
 * dan, 解 jie, 曾 ceng, 区 qu), is kept as an alternative, as is ü written u (吕 lv / lu).
 */
export function namePinyin(name: string | null | undefined): NamePinyin {
  if (!name) return EMPTY_PINYIN;
  const han = [...normalizeQuery(name)].filter((c) => HAN.test(c)).join('');
  if (han.length === 0) return EMPTY_PINYIN;
  const readings = [syllables(han, true), syllables(han, false)];
  const primary = new Set<string>();
  const alt = new Set<string>();
  const initials = new Set<string>();
  readings.forEach((syl, i) => {
    if (syl.length === 0) return;
    const joined = syl.join('');
    (i === 0 ? primary : alt).add(joined.replace(/ü/g, 'v'));
    if (joined.includes('ü')) alt.add(joined.replace(/ü/g, 'u'));
    initials.add(syl.map((s) => s.charAt(0)).join('').replace(/ü/g, 'v'));
  });
  for (const p of primary) alt.delete(p);
  return { pinyin: [...primary], pinyinAlt: [...alt], initials: [...initials] };
}

/** Pinyin of any Chinese text (the query 王春蕾 sounds like wangchunlei), surname mode. */
export function textPinyin(text: string): string[] {
  const p = namePinyin(text);
  return [...p.pinyin, ...p.pinyinAlt];
}

/**
 * Pinyin as a southern (Hangzhou) ear and keyboard blur it (模糊音): zh/z, ch/c, sh/s, -ng/-n and
 * l/n are not told apart. liuqing (刘晴 said with -ing) and liuqin (刘琴) meet as niuqin.
 */
export function fuzzyPinyin(p: string): string {
  return p.replace(/([zcs])h/g, '$1').replace(/ng/g, 'n').replace(/l/g, 'n');
}

// ---------------------------------------------------------------------------------------------
// Identifiers

export { idSuffixes, normalizeCode, normalizePhone } from '../domain/identifiers.js';

export function phoneSuffix(phone: string | null | undefined): string | null {
  const p = normalizePhone(phone);
  return p ? p.slice(-4) : null;
}

// ---------------------------------------------------------------------------------------------
// Typo tolerance: one edit

/** Shortest Chinese name with typo tolerance: in a two-character name one wrong character is another name. */
export const MIN_TYPO_NAME_CHARS = 3;
/** Shortest pinyin with typo tolerance. */
export const MIN_TYPO_PINYIN_LETTERS = 5;

/**
 * One-edit keys (PostgreSQL's typo tolerance, exact and indexable): `s:` the text with one
 * character masked (a substitution), `d:` the text with one character deleted. Two strings are at
 * most one edit apart (substitution, insertion or deletion) exactly when they share a `s:` key,
 * or one's `d:` keys hold the other: see queryTypoKeys.
 */
export function typoKeys(text: string): string[] {
  const chars = [...text];
  const out = new Set<string>();
  for (let i = 0; i < chars.length; i++) {
    out.add(`s:${chars.slice(0, i).join('')}?${chars.slice(i + 1).join('')}`);
    out.add(`d:${chars.slice(0, i).join('')}${chars.slice(i + 1).join('')}`);
  }
  out.add(`w:${text}`);
  return [...out];
}

/**
 * Keys a query looks up among documents' typoKeys: its masks (substitution), itself among the
 * documents' deletions (the query lacks a character), its deletions among the documents' whole
 * forms `w:` (the query has one too many), and its adjacent swaps among the whole forms too
 * (zhangjiahoa). Together: Damerau-Levenshtein distance 1, as Elasticsearch's fuzzy query.
 */
export function queryTypoKeys(text: string): string[] {
  const chars = [...text];
  const out = new Set<string>([`d:${text}`]);
  for (let i = 0; i < chars.length; i++) {
    out.add(`s:${chars.slice(0, i).join('')}?${chars.slice(i + 1).join('')}`);
    out.add(`w:${chars.slice(0, i).join('')}${chars.slice(i + 1).join('')}`);
    if (i + 1 < chars.length && chars[i] !== chars[i + 1]) {
      out.add(`w:${chars.slice(0, i).join('')}${chars[i + 1] ?? ''}${chars[i] ?? ''}${chars.slice(i + 2).join('')}`);
    }
  }
  return [...out];
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const s = [...a];
  const t = [...b];
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => (d[i] as number[])[j] as number;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(s.length, t.length);
}

/** HTML-escapes a fragment of text (highlights are HTML with <em>). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
