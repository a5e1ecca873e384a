/**
 * Highlights, computed in Node from the hit's display fields and the query plan, the same for
 * both backends. Most matches are on derived values (pinyin, initials, place keys, ID suffixes)
 * that have no position in any displayed text, so an engine highlighter would leave them bare;
 * here a pinyin or typo match marks the whole name, a place key the address from the estate on.
 * ID numbers and phones are never highlighted: the viewer's masking decides what is shown.
 */
import { normalizeText } from '../domain/address.js';
import type { QueryPlan } from './query.js';
import { escapeHtml, textTokens } from './text.js';
import type { Highlight, MatchReason } from './types.js';

/** What the index keeps for display. */
export interface DisplayFields {
  title: string;
  /** The entity's own name when the title is one (person, building, enterprise). */
  name: string | null;
  otherNames: string[];
  addressText: string | null;
  body: string | null;
}

const OWN_NAME: ReadonlySet<MatchReason> = new Set(['name', 'pinyin', 'initials', 'typo']);
const WINDOW = 40;

type Range = [number, number];

function merge(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

function occurrences(haystack: string, needle: string): Range[] {
  const out: Range[] = [];
  if (needle.length === 0) return out;
  const h = haystack.toLowerCase();
  const n = needle.toLowerCase();
  let i = h.indexOf(n);
  while (i >= 0) {
    out.push([i, i + n.length]);
    i = h.indexOf(n, i + n.length);
  }
  return out;
}

/** The text with the ranges in <em>, cut to a window around the first one when it is long. */
function render(text: string, ranges: Range[], cut: boolean): string | null {
  const rs = merge(ranges);
  const first = rs[0];
  if (!first) return null;
  let from = 0;
  let to = text.length;
  if (cut && text.length > WINDOW * 2) {
    from = Math.max(0, first[0] - WINDOW / 2);
    to = Math.min(text.length, from + WINDOW * 2);
  }
  let out = from > 0 ? '…' : '';
  let at = from;
  for (const [a, b] of rs) {
    if (b <= from || a >= to) continue;
    const s = Math.max(a, from);
    const e = Math.min(b, to);
    out += `${escapeHtml(text.slice(at, s))}<em>${escapeHtml(text.slice(s, e))}</em>`;
    at = e;
  }
  out += escapeHtml(text.slice(at, to)) + (to < text.length ? '…' : '');
  return out;
}

function tokenRanges(text: string, tokens: readonly string[]): Range[] {
  return tokens.filter((t) => t.length > 0).flatMap((t) => occurrences(text, t));
}

export function highlight(plan: QueryPlan, reasons: readonly MatchReason[], d: DisplayFields): Highlight[] {
  const out: Highlight[] = [];
  const q = plan.normalized.replace(/\s+/g, '');
  const tokens = [...new Set(textTokens(plan.normalized))];
  const has = (r: MatchReason) => reasons.includes(r);

  if (d.name) {
    let fragment: string | null = null;
    if (reasons.some((r) => OWN_NAME.has(r)) && !has('name_partial')) fragment = `<em>${escapeHtml(d.name)}</em>`;
    if (fragment === null || has('name_partial')) fragment = render(d.name, occurrences(d.name, q), false) ?? fragment;
    if (fragment !== null) out.push({ field: 'name', fragment });
  }
  if (d.otherNames.length > 0 && (has('legal_representative') || (has('name') && !d.name))) {
    const fragments = d.otherNames.map((n) => render(n, occurrences(n, q), false)).filter((f): f is string => f !== null);
    if (fragments.length > 0) out.push({ field: 'people', fragment: fragments.join('、') });
  }
  if (d.addressText && has('address')) {
    const text = d.addressText;
    let ranges = occurrences(text, q);
    if (ranges.length === 0) {
      for (const p of plan.places) {
        const i = normalizeText(text).indexOf(p.estate);
        if (i >= 0) ranges.push([i, text.length]);
      }
    }
    if (ranges.length === 0) ranges = tokenRanges(text, tokens);
    const fragment = render(text, ranges, false);
    if (fragment !== null) out.push({ field: 'address', fragment });
  }
  if (d.body && (has('text') || has('name_partial'))) {
    const fragment = render(d.body, tokenRanges(d.body, tokens), true);
    if (fragment !== null) out.push({ field: 'text', fragment });
  }
  return out;
}
