/**
 * The forms names are compared in. Departments write one person's name as 张子帆, 张 子帆,
 * 張子帆 or Zhang Zifan, and one company as 杭州良渚新达服饰有限公司 or 新达服饰: resolution
 * compares the folded forms, while provenance keeps each department's text as written.
 */
import * as OpenCC from 'opencc-js/t2cn';
import { pinyin } from 'pinyin-pro';

const HAN = /\p{Script=Han}/u;
const LATIN_NAME = /^[a-z]+(?:[\s·.'-]+[a-z]+)*$/;
// opencc-js's declarations import './core' without an extension, which ESM resolution cannot follow.
type ConverterFactory = { Converter(options: { from: string; to: string }): (text: string) => string };
const toSimplified = (OpenCC as unknown as ConverterFactory).Converter({ from: 'hk', to: 'cn' });

/** Two-character surnames; every other Han name has a one-character surname. */
const COMPOUND_SURNAMES = new Set(['欧阳', '司马', '上官', '诸葛', '东方', '皇甫', '尉迟', '公孙', '慕容', '令狐', '夏侯', '端木', '司徒', '长孙', '宇文', '轩辕']);

export interface NameForms {
  /** Simplified characters, no spaces or dots, full-width folded; latin names lower case without spaces. */
  folded: string;
  /** Toneless pinyin, one string (zhangzifan); the surname read as a surname (单 shan). */
  pinyin: string;
  /** The surname's pinyin (zhang); for a latin name, its first word. */
  surname: string;
  /** The characters after the surname (Han names only). */
  given: string;
}

/** Folded forms of a person's name; null when nothing is left to compare. */
export function personName(raw: string | null | undefined): NameForms | null {
  if (!raw) return null;
  const text = raw.normalize('NFKC').trim().toLowerCase();
  if (text.length === 0) return null;
  if (!HAN.test(text)) {
    if (!LATIN_NAME.test(text)) return null;
    const words = text.split(/[\s·.'-]+/).filter((w) => w.length > 0);
    const joined = words.join('');
    return { folded: joined, pinyin: joined, surname: words[0] ?? '', given: '' };
  }
  const folded = toSimplified([...text].filter((c) => HAN.test(c)).join(''));
  const surnameChars = COMPOUND_SURNAMES.has(folded.slice(0, 2)) ? 2 : 1;
  const syllables = pinyin(folded, { toneType: 'none', type: 'array', surname: 'head', nonZh: 'removed' }).map((s) => s.replace(/ü/g, 'v'));
  return {
    folded,
    pinyin: syllables.join(''),
    surname: syllables.slice(0, surnameChars).join(''),
    given: folded.slice(surnameChars),
  };
}

// Legal forms and places a company name may carry or drop (杭州良渚新达服饰有限公司 → 新达服饰).
const COMPANY_SUFFIXES = [
  '股份有限公司', '有限责任公司', '有限公司', '集团', '分公司', '总公司', '公司', '合作社', '个体工商户', '工作室', '经营部', '商行', '门市部', '店',
];
const PLACE_PREFIXES = ['浙江省', '浙江', '杭州市', '杭州', '余杭区', '余杭', '良渚街道', '良渚', '仁和街道', '仁和', '瓶窑镇', '瓶窑'];

/** A company's name without its legal form and district prefixes, in simplified characters. */
export function companyName(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let s = toSimplified(raw.normalize('NFKC').replace(/[\s()（）·]/g, ''));
  for (let changed = true; changed;) {
    changed = false;
    for (const p of PLACE_PREFIXES) {
      if (s.startsWith(p) && s.length > p.length + 1) {
        s = s.slice(p.length);
        changed = true;
      }
    }
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const suffix of COMPANY_SUFFIXES) {
      if (s.endsWith(suffix) && s.length > suffix.length + 1) {
        s = s.slice(0, -suffix.length);
        changed = true;
      }
    }
  }
  return s.length > 0 ? s : null;
}

/** Levenshtein distance, bounded: returns limit + 1 as soon as the distance exceeds it. */
export function editDistance(a: string, b: string, limit = 3): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length] ?? limit + 1;
}

/** True when b is a with one character substituted or two adjacent characters swapped. */
export function oneSlip(a: string, b: string): boolean {
  if (a.length !== b.length || a === b) return false;
  const diff: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      diff.push(i);
      if (diff.length > 2) return false;
    }
  }
  if (diff.length === 1) return true;
  const [i, j] = diff as [number, number];
  return j === i + 1 && a[i] === b[j] && a[j] === b[i];
}

/** Bigram Jaccard similarity of two short texts (company names). */
export function bigramSimilarity(a: string, b: string): number {
  const grams = (s: string) => {
    const chars = [...s];
    const out = new Set<string>();
    if (chars.length === 1) out.add(s);
    for (let i = 0; i + 1 < chars.length; i++) out.add(`${chars[i] ?? ''}${chars[i + 1] ?? ''}`);
    return out;
  };
  const x = grams(a);
  const y = grams(b);
  let both = 0;
  for (const g of x) if (y.has(g)) both++;
  const union = x.size + y.size - both;
  return union === 0 ? 0 : both / union;
}
