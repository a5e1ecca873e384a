/**
 * A relevance set generated from the canonical store: queries the way a case worker types them
 * (exact names, homophones, typos, pinyin, initials, whole, variant and partial addresses, ID and
 * phone fragments, enterprise names, credit codes, legal representatives, case numbers and case
 * words), each labelled with every document that answers it. The labels come from the canonical
 * rows, never from a search engine: `relevant` holds all entities the query cannot tell apart
 * (every 王伟 for "王伟", every person with ID ending 5532 for "5532").
 *
 * Scores: recall@10 = |relevant ∩ top 10| / min(|relevant|, 10); MRR over the top 10.
 */
import type { Knex } from 'knex';
import { pinyin } from 'pinyin-pro';
import { documentKey } from '../../src/search/documents.js';
import { rowsOf, type Row } from '../../src/search/sql.js';
import { editDistance, namePinyin, normalizePhone } from '../../src/search/text.js';
import type { SearchBackend, SearchRequest, SearchScope, SearchType } from '../../src/search/types.js';
import { Rng } from '../../src/world/rng.js';

export const RELEVANCE_KINDS = [
  'name_exact', 'name_homophone', 'name_typo', 'pinyin_full', 'pinyin_typo', 'initials', 'address_full', 'address_variant',
  'address_building', 'id_full', 'id_suffix', 'phone_full', 'phone_suffix', 'enterprise_name', 'enterprise_partial', 'credit_code',
  'legal_representative', 'case_number', 'case_words', 'name_and_place',
] as const;
export type RelevanceKind = (typeof RELEVANCE_KINDS)[number];

export interface LabelledQuery {
  id: string;
  kind: RelevanceKind;
  query: string;
  types?: SearchType[];
  /** Document keys (`person:12`) that answer the query. */
  relevant: string[];
  /** What the query was made from, for reports. */
  source: string;
}

export interface RelevanceOptions {
  seed?: number;
  /** Queries per kind (default 24: 19 kinds, ~450 queries). */
  perKind?: number;
}

/** Characters of given names, and common characters to mishear them as. */
const CHAR_POOL =
  '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华玉兰平刚桂英建国志红梅霞燕飞鹏辉玲丹萍鑫宇浩凯健俊帆帅旭宁龙林欣阳晨晖成' +
  '波斌宏峰海亮光春雷云雪梦琪瑶婷婧颖露佳怡嘉思雨晓文博天一凡子轩然梓豪鸣熙沐睿皓奕辰铭泽宸墨承涵诺诗桐若汐可馨萱芷依悦朵安' +
  '德福根荣生仁长阿大炳裕民金土水凤美彩娥月杏素珍卫东立新永剑兵忠丽萍慧琴芬翔维薇玮炜蕾磊垒淼森鑫焱晶品众家加佳嘉甲' +
  '春纯淳唇秋球求丘冬东董动夏霞侠峡虾厦国果郭锅过志智治致至制质之知芝枝支只止纸指旨维唯惟微威为围违卫未位味魏' +
  '建健剑见件键舰鉴坚间兼监简减俭检拣捡军君均钧俊峻骏竣浚郡明名鸣铭茗冥敏民闽悯皿华化花画话滑划桦骅平萍评凭屏坪苹瓶' +
  '强墙蔷锵枪腔抢羌刚钢岗港纲缸杠亮量谅晾两辆良粮梁凉粱涛桃陶滔逃淘套讨萄洪红宏虹鸿弘泓轰烘峰锋风丰封疯枫蜂冯凤奉' +
  '勇涌永泳咏庸用拥雍鹏朋彭棚蓬捧碰澎芃辉晖挥徽恢灰回会汇惠慧卉绘秀修休羞朽袖锈绣岫英应鹰婴樱迎盈营莹颖影映硬';

/** The draws the set needs, on the project's one seeded PRNG (the world generator's). */
class Random {
  private readonly rng: Rng;
  constructor(seed: number) {
    this.rng = new Rng(seed);
  }
  int(n: number): number {
    return Math.floor(this.rng.next() * n);
  }
  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.int(items.length)];
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}

const CN = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
/** 12 → 十二, 3 → 三 (buildings and units as callers say them). */
function chineseNumber(n: number): string {
  if (n < 10) return CN[n] ?? String(n);
  if (n < 20) return `十${n % 10 === 0 ? '' : CN[n % 10]}`;
  if (n < 100) return `${CN[Math.floor(n / 10)]}十${n % 10 === 0 ? '' : CN[n % 10]}`;
  return String(n);
}

interface Person {
  key: string; name: string; idNumber: string | null; phone: string | null; pinyin: Set<string>; initials: Set<string>; dwellingId: string | null;
  estate: string | null;
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toneless(ch: string): string {
  return pinyin(ch, { toneType: 'none', type: 'array' })[0] ?? '';
}

/** Generates the labelled queries from what the store holds. Deterministic for a seed and a store. */
export async function generateRelevanceSet(knex: Knex, options: RelevanceOptions = {}): Promise<LabelledQuery[]> {
  const rng = new Random(options.seed ?? 20261125);
  const perKind = options.perKind ?? 24;
  const out: LabelledQuery[] = [];
  const counts = new Map<RelevanceKind, number>();
  const count = (kind: RelevanceKind) => counts.get(kind) ?? 0;
  const push = (kind: RelevanceKind, query: string, relevant: Iterable<string>, source: string, types?: SearchType[]): void => {
    const rel = [...new Set(relevant)].sort();
    if (rel.length === 0 || query.length === 0) return;
    counts.set(kind, count(kind) + 1);
    out.push({ id: `${kind}-${count(kind)}`, kind, query, relevant: rel, source, ...(types ? { types } : {}) });
  };
  /** Appends to a map of lists in place (spreading the list each time is quadratic in a district's 王伟s). */
  const append = <T>(map: Map<string, T[]>, key: string, value: T): void => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };
  const seenQueries = new Set<string>();
  const fresh = (kind: RelevanceKind, q: string): boolean => {
    const k = `${kind}|${q}`;
    if (seenQueries.has(k)) return false;
    seenQueries.add(k);
    return true;
  };

  // --- people -------------------------------------------------------------------------------
  const personRows = await rowsOf(knex('person as p').leftJoin('dwelling as d', 'd.id', 'p.dwelling_id').leftJoin('address as a', 'a.id', 'd.address_id')
    .select('p.id', 'p.name', 'p.id_number', 'p.phone', 'p.dwelling_id', 'a.estate').orderBy('p.id'));
  const people: Person[] = personRows.map((r) => {
    const p = namePinyin(String(r.name));
    return {
      key: documentKey('person', String(r.id)), name: String(r.name), idNumber: str(r.id_number), phone: normalizePhone(str(r.phone)),
      pinyin: new Set([...p.pinyin, ...p.pinyinAlt]), initials: new Set(p.initials), dwellingId: str(r.dwelling_id), estate: str(r.estate),
    };
  });
  const byName = new Map<string, Person[]>();
  for (const p of people) append(byName, p.name, p);
  const soundsLike = (pys: Iterable<string>): string[] => {
    const set = new Set(pys);
    return people.filter((p) => [...p.pinyin].some((x) => set.has(x))).map((p) => p.key);
  };
  const allPinyin = new Set(people.flatMap((p) => [...p.pinyin]));
  const shuffled = rng.shuffle(people);

  const pool = new Map<string, string[]>();
  const nameChars = new Set(CHAR_POOL);
  for (const p of people) for (const ch of p.name) nameChars.add(ch);
  for (const ch of nameChars) {
    const py = toneless(ch);
    if (py) append(pool, py, ch);
  }
  const poolChars = [...new Set(CHAR_POOL)];

  for (const p of shuffled) {
    if (count('name_exact') >= perKind) break;
    if (fresh('name_exact', p.name)) push('name_exact', p.name, (byName.get(p.name) ?? []).map((x) => x.key), p.key);
  }
  for (const p of shuffled) {
    if (count('name_homophone') >= perKind) break;
    const chars = [...p.name];
    if (chars.length < 2) continue;
    const at = 1 + rng.int(chars.length - 1);
    const c = chars[at] as string;
    const alike = (pool.get(toneless(c)) ?? []).filter((x) => x !== c);
    const sub = rng.pick(alike);
    if (!sub) continue;
    const q = [...chars.slice(0, at), sub, ...chars.slice(at + 1)].join('');
    const qp = namePinyin(q);
    const sounds = [...qp.pinyin, ...qp.pinyinAlt];
    if (byName.has(q) || !sounds.some((s) => p.pinyin.has(s)) || !fresh('name_homophone', q)) continue;
    push('name_homophone', q, soundsLike(sounds), p.key);
  }
  for (const p of shuffled) {
    if (count('name_typo') >= perKind) break;
    const chars = [...p.name];
    if (chars.length < 3) continue;
    // A wrong character in the given name: a wrong surname is as close to every other family.
    const at = 1 + rng.int(chars.length - 1);
    const old = chars[at] as string;
    const sub = rng.pick(poolChars.filter((x) => toneless(x) !== toneless(old)));
    if (!sub) continue;
    const q = [...chars.slice(0, at), sub, ...chars.slice(at + 1)].join('');
    const qp = namePinyin(q);
    if (byName.has(q) || [...qp.pinyin, ...qp.pinyinAlt].some((s) => allPinyin.has(s)) || !fresh('name_typo', q)) continue;
    push('name_typo', q, (byName.get(p.name) ?? []).map((x) => x.key), p.key);
  }
  for (const p of shuffled) {
    if (count('pinyin_full') >= perKind) break;
    const py = namePinyin(p.name).pinyin[0];
    if (py && fresh('pinyin_full', py)) push('pinyin_full', py, soundsLike([py]), p.key);
  }
  for (const p of shuffled) {
    if (count('pinyin_typo') >= perKind) break;
    const py = namePinyin(p.name).pinyin[0];
    if (!py || py.length < 6) continue;
    const i = 1 + rng.int(py.length - 2);
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const edit = rng.int(4);
    let q: string;
    if (edit === 0) q = py.slice(0, i) + (rng.pick([...letters.replace(py.charAt(i), '')]) ?? 'x') + py.slice(i + 1);
    else if (edit === 1) q = py.slice(0, i) + py.slice(i + 1);
    else if (edit === 2) q = py.slice(0, i) + (rng.pick([...letters]) ?? 'x') + py.slice(i);
    else q = py.slice(0, i) + py.charAt(i + 1) + py.charAt(i) + py.slice(i + 2);
    if (q === py || allPinyin.has(q) || editDistance(q, py) !== 1 || !fresh('pinyin_typo', q)) continue;
    push('pinyin_typo', q, soundsLike([py]), p.key);
  }
  for (const p of shuffled) {
    if (count('initials') >= perKind) break;
    const ini = [...p.initials][0];
    if (!ini || ini.length < 3 || !fresh('initials', ini)) continue;
    push('initials', ini, people.filter((x) => x.initials.has(ini)).map((x) => x.key), p.key);
  }
  for (const p of shuffled) {
    if (count('id_full') >= perKind) break;
    if (p.idNumber && fresh('id_full', p.idNumber)) push('id_full', p.idNumber, people.filter((x) => x.idNumber === p.idNumber).map((x) => x.key), p.key);
  }
  for (const p of shuffled) {
    if (count('id_suffix') >= perKind) break;
    if (!p.idNumber) continue;
    const n = count('id_suffix') % 3 === 0 ? 6 : count('id_suffix') % 3 === 1 ? 5 : 4;
    const q = p.idNumber.slice(-n);
    if (fresh('id_suffix', q)) push('id_suffix', q, people.filter((x) => x.idNumber?.endsWith(q)).map((x) => x.key), p.key);
  }
  for (const p of shuffled) {
    if (count('phone_full') >= perKind) break;
    if (p.phone && fresh('phone_full', p.phone)) push('phone_full', p.phone, people.filter((x) => x.phone === p.phone).map((x) => x.key), p.key);
  }
  // Four digits that also end an ID number are first of all an ID suffix: not this kind's question.
  // (In a district of millions every four digits end some ID, so this kind is empty there.)
  const idEndings = new Set(people.map((x) => x.idNumber?.slice(-4)).filter((x): x is string => x !== undefined));
  for (const p of shuffled) {
    if (count('phone_suffix') >= perKind) break;
    if (!p.phone) continue;
    const q = p.phone.slice(-4);
    if (idEndings.has(q) || !fresh('phone_suffix', q)) continue;
    push('phone_suffix', q, people.filter((x) => x.phone?.endsWith(q)).map((x) => x.key), p.key);
  }

  for (const p of shuffled) {
    if (count('name_and_place') >= perKind) break;
    // "王伟, the one in 北苑": a common name and where the person lives.
    if (!p.estate || (byName.get(p.name) ?? []).length < 2) continue;
    const q = `${p.name} ${p.estate}`;
    if (fresh('name_and_place', q)) push('name_and_place', q, (byName.get(p.name) ?? []).filter((x) => x.estate === p.estate).map((x) => x.key), p.key);
  }

  // --- places -------------------------------------------------------------------------------
  const areas = new Map((await rowsOf(knex('area').select('id', 'name', 'kind'))).map((r) => [String(r.id), { name: String(r.name), kind: str(r.kind) }]));
  const dwellings = await rowsOf(knex('dwelling as d').join('address as a', 'a.id', 'd.address_id')
    .select('d.id', 'd.address_id', 'a.text', 'a.street_id', 'a.community_id', 'a.estate', 'a.building_no', 'a.unit', 'a.room').orderBy('d.id'));
  // Everything at a flat answers its address: the people living there, and cases and enterprises there.
  const residents = new Map<string, string[]>();
  for (const p of people) if (p.dwellingId) append(residents, p.dwellingId, p.key);
  const atAddress = new Map<string, string[]>();
  for (const r of await rowsOf(knex('case').select('id', 'address_id'))) append(atAddress, String(r.address_id), documentKey('case', String(r.id)));
  for (const r of await rowsOf(knex('enterprise').select('id', 'address_id'))) append(atAddress, String(r.address_id), documentKey('enterprise', String(r.id)));
  const atFlat = (d: Row): string[] => [...(residents.get(String(d.id)) ?? []), ...(atAddress.get(String(d.address_id)) ?? [])];
  const lived = rng.shuffle(dwellings.filter((d) => residents.has(String(d.id)) && d.estate && d.building_no && d.room));
  const styleOf = (d: Row, style: number): string | null => {
    const street = areas.get(String(d.street_id))?.name ?? '';
    const streetShort = street.replace(/(街道|镇|乡)$/, '');
    const community = areas.get(String(d.community_id));
    const estate = String(d.estate);
    const b = String(d.building_no);
    const room = String(d.room);
    if (community?.kind === 'village' || estate.endsWith('组')) {
      const village = community?.name ?? '';
      const group = estate.replace(/组$/, '');
      return [`${village}${estate}${b}号${room}`, `${streetShort}${village}${group}${b}号${room}`, `${estate}${b}号${room}室`,
        `${street}${village}${estate}${chineseNumber(Number(b))}号${room}室`][style % 4] ?? null;
    }
    const u = str(d.unit);
    if (!u) return null;
    const communityShort = (community?.name ?? '').replace(/社区$/, '');
    return [`${estate}${b}-${u}-${room}`, `${streetShort}${communityShort}${estate}${b}-${u}-${room}`, `${estate}${b}栋${u}单元${room}`,
      `${street}${estate}小区${b}幢${u}单元${room}室`, `${estate}${chineseNumber(Number(b))}幢${chineseNumber(Number(u))}单元${room}室`][style % 5] ?? null;
  };
  for (const d of lived) {
    if (count('address_full') >= perKind) break;
    const text = String(d.text);
    if (fresh('address_full', text)) push('address_full', text, atFlat(d), `dwelling:${String(d.id)}`);
  }
  for (const d of lived) {
    if (count('address_variant') >= perKind) break;
    const q = styleOf(d, count('address_variant'));
    if (q && fresh('address_variant', q)) push('address_variant', q, atFlat(d), `dwelling:${String(d.id)}`);
  }
  const buildings = rng.shuffle(await rowsOf(knex('building as b').join('address as a', 'a.id', 'b.address_id')
    .select('b.id', 'a.community_id', 'a.estate', 'a.building_no').whereNotNull('a.estate').whereNotNull('a.building_no').orderBy('b.id')));
  for (const b of buildings) {
    if (count('address_building') >= perKind) break;
    const community = areas.get(String(b.community_id));
    const estate = String(b.estate);
    const n = String(b.building_no);
    const village = community?.kind === 'village' || estate.endsWith('组');
    const style = count('address_building') % 2;
    const q = village ? (style === 0 ? `${community?.name ?? ''}${estate}${n}号` : `${estate}${n}号`) : style === 0 ? `${estate}${n}幢` : `${estate}${n}号楼`;
    if (fresh('address_building', q)) push('address_building', q, [documentKey('building', String(b.id))], `building:${String(b.id)}`);
  }

  // --- enterprises --------------------------------------------------------------------------
  const enterprises = await rowsOf(knex('enterprise').select('id', 'name', 'credit_code', 'legal_representative').orderBy('id'));
  const ents = rng.shuffle(enterprises);
  for (const e of ents) {
    if (count('enterprise_name') >= perKind) break;
    const name = String(e.name);
    if (fresh('enterprise_name', name)) push('enterprise_name', name, enterprises.filter((x) => x.name === e.name).map((x) => documentKey('enterprise', String(x.id))), `enterprise:${String(e.id)}`);
  }
  const streetShorts = [...areas.values()].map((a) => a.name.replace(/(街道|镇|乡|区)$/, '')).filter((s) => s.length >= 2);
  for (const e of ents) {
    if (count('enterprise_partial') >= perKind) break;
    let core = String(e.name).replace(/^(杭州市?|浙江)/, '').replace(/(股份)?有限(责任)?公司$|(店|厂)$/, '');
    for (const s of streetShorts) if (core.startsWith(s)) core = core.slice(s.length);
    if ([...core].length < 2 || !fresh('enterprise_partial', core)) continue;
    push('enterprise_partial', core, enterprises.filter((x) => String(x.name).includes(core)).map((x) => documentKey('enterprise', String(x.id))), `enterprise:${String(e.id)}`);
  }
  for (const e of ents) {
    if (count('credit_code') >= perKind) break;
    const code = str(e.credit_code);
    if (code && fresh('credit_code', code)) push('credit_code', code, [documentKey('enterprise', String(e.id))], `enterprise:${String(e.id)}`);
  }
  for (const e of ents) {
    if (count('legal_representative') >= perKind) break;
    const rep = str(e.legal_representative);
    if (!rep || !fresh('legal_representative', rep)) continue;
    push('legal_representative', rep, enterprises.filter((x) => x.legal_representative === rep).map((x) => documentKey('enterprise', String(x.id))), `enterprise:${String(e.id)}`, ['enterprise']);
  }

  // --- cases --------------------------------------------------------------------------------
  const cases = rng.shuffle(await rowsOf(knex('case').select('id', 'number', 'title').orderBy('id')));
  for (const c of cases) {
    if (count('case_number') >= perKind) break;
    const n = String(c.number);
    if (fresh('case_number', n)) push('case_number', n, [documentKey('case', String(c.id))], `case:${String(c.id)}`);
  }
  for (const c of cases) {
    if (count('case_words') >= perKind) break;
    // 电瓶车室内充电（金家渡社区北苑2幢） → "北苑2幢 电瓶车"
    const m = /^(.+?)（(?:.+?(?:社区|村))?(.+)）$/.exec(String(c.title));
    if (!m) continue;
    const what = [...(m[1] ?? '')].slice(0, 3).join('');
    const where = m[2] ?? '';
    const q = `${where} ${what}`;
    if (!fresh('case_words', q)) continue;
    push('case_words', q, cases.filter((x) => String(x.title).includes(where) && String(x.title).includes(what)).map((x) => documentKey('case', String(x.id))), `case:${String(c.id)}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scoring

export interface RelevanceScore {
  queries: number;
  recallAt10: number;
  mrr: number;
}

export interface RelevanceReport {
  overall: RelevanceScore;
  byKind: Record<string, RelevanceScore>;
  /** Queries with recall@10 below 1, worst first (at most 30). */
  misses: Array<{ kind: RelevanceKind; query: string; recall: number; rank: number | null; relevant: number; top: string[] }>;
  /** Per-query latency of the searches, ms. */
  latency: { p50: number; p99: number; max: number };
}

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number);
};

export async function evaluateRelevance(
  backend: SearchBackend,
  queries: readonly LabelledQuery[],
  options: { scope?: SearchScope; k?: number } = {},
): Promise<RelevanceReport> {
  const k = options.k ?? 10;
  const per: Array<{ q: LabelledQuery; recall: number; rr: number; rank: number | null; top: string[] }> = [];
  const latencies: number[] = [];
  for (const q of queries) {
    const request: SearchRequest = { query: q.query, scope: options.scope ?? 'district', first: k, facets: false, ...(q.types ? { types: q.types } : {}) };
    const t0 = process.hrtime.bigint();
    const res = await backend.search(request);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const top = res.hits.map((h) => `${h.type}:${h.id}`);
    const rel = new Set(q.relevant);
    const found = top.filter((key) => rel.has(key)).length;
    const first = top.findIndex((key) => rel.has(key));
    per.push({ q, recall: found / Math.min(rel.size, k), rr: first < 0 ? 0 : 1 / (first + 1), rank: first < 0 ? null : first + 1, top });
  }
  const score = (xs: typeof per): RelevanceScore => ({
    queries: xs.length,
    recallAt10: xs.length === 0 ? 0 : xs.reduce((s, x) => s + x.recall, 0) / xs.length,
    mrr: xs.length === 0 ? 0 : xs.reduce((s, x) => s + x.rr, 0) / xs.length,
  });
  const byKind: Record<string, RelevanceScore> = {};
  for (const kind of RELEVANCE_KINDS) {
    const xs = per.filter((x) => x.q.kind === kind);
    if (xs.length > 0) byKind[kind] = score(xs);
  }
  const misses = per.filter((x) => x.recall < 1).sort((a, b) => a.recall - b.recall).slice(0, 30)
    .map((x) => ({ kind: x.q.kind, query: x.q.query, recall: x.recall, rank: x.rank, relevant: x.q.relevant.length, top: x.top.slice(0, 5) }));
  return { overall: score(per), byKind, misses, latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(0, ...latencies) } };
}

/** A fixed-width table of a report, for test output and docs. */
export function formatRelevance(label: string, r: RelevanceReport): string {
  const rows = Object.entries(r.byKind).map(([kind, s]) => `  ${kind.padEnd(22)} ${String(s.queries).padStart(4)}  ${s.recallAt10.toFixed(3)}  ${s.mrr.toFixed(3)}`);
  return [
    `${label}: ${r.overall.queries} queries, recall@10 ${r.overall.recallAt10.toFixed(3)}, MRR ${r.overall.mrr.toFixed(3)}, latency p50 ${r.latency.p50.toFixed(1)} ms p99 ${r.latency.p99.toFixed(1)} ms`,
    `  ${'kind'.padEnd(22)} ${'n'.padStart(4)}  recall  MRR`,
    ...rows,
  ].join('\n');
}
