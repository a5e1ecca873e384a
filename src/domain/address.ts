/**
 * Addresses of one district: parse any of the spellings departments use and reduce them to
 * canonical keys, so that two spellings of one place share a key and two places never do.
 *
 *   余杭区良渚街道金家渡社区北苑3幢2单元501室     浙江省杭州市余杭区…(same)
 *   余杭区良渚街道北苑3幢2单元501室              (no community)
 *   良渚金家渡北苑3-2-501                        (short names, dashes)
 *   良渚街道北苑小区3栋2单元501                  (小区, 栋, no 室)
 *   余杭区古墩路1288号北苑3幢2单元501室          (door plate on the road: needs learnRoad)
 *   …北苑三幢二单元501室   …北苑3幢2-501   …北苑3#
 *   余杭区良渚街道运河村吴家浜组12号201室         (village house and a room in it)
 *   良渚运河村吴家浜12号201   良渚街道运河村12号201 (group without 组 / no group: needs learnRoad)
 *
 * Keys: an estate building is street + estate + number (the housing styles omit the
 * community, so it cannot be part of the key); a village house is village + group + number
 * (house numbers restart in every group). Dwelling keys add unit and room; a room without a
 * unit (village rooms, shops, offices) keeps an empty unit.
 *
 * The gazetteer knows the area tree and learns, from the housing bureau's building register,
 * which estate stands at which door plate and which group each village house number belongs to.
 * What it cannot decide it returns as null, never a guess between two candidates.
 */

export type AreaLevel = 'district' | 'street' | 'community';
export type AreaKind = 'street' | 'town' | 'community' | 'village' | null;

/** One row of the hub's area registry. */
export interface AreaInput {
  level: AreaLevel;
  kind: AreaKind;
  code: string;
  name: string;
  parentCode: string | null;
}

/** What the building register says about one building (see Gazetteer.learnRoad). */
export interface RoadFact {
  /** `road_address`: 古墩路1288号 (estates, parks) or 运河村12号 (village houses). */
  road: string;
  /** Street/town or community/village name; a community pins the estate to it. */
  area: string;
  /** Estate, park or village group (吴家浜组). */
  estate: string;
  /** The building number (幢), when known: lets estates whose names end in digits be told apart. */
  building?: string | number | null;
}

export interface ParsedAddress {
  streetCode: string;
  /** Null when the text names none and the gazetteer has not learned the estate's community. */
  communityCode: string | null;
  /** 'village' for houses of a village group, 'estate' for estates, parks and towers. */
  kind: 'estate' | 'village';
  /** Estate name without 小区, or the group with 组. */
  estate: string;
  building: string;
  unit: string | null;
  room: string | null;
  /** 'dwelling' when a room is named (a flat, a village room, a shop or office). */
  level: 'building' | 'dwelling';
  buildingKey: string;
  dwellingKey: string | null;
  /** The most specific place: dwellingKey, else buildingKey (a village family's house is its building). */
  placeKey: string;
}

export type ParseFailure = 'empty' | 'no_area' | 'no_building' | 'unknown_group' | 'ambiguous';

export type ParseOutcome =
  | { ok: true; address: ParsedAddress }
  | { ok: false; reason: ParseFailure; candidates?: string[] };

// ---------------------------------------------------------------------------------------------
// Text

const NEEDS_NFKC = /[\s\u00a0\u3000\uff01-\uff5e\u2010-\u2015\u2212]/;
const WHITESPACE = /\s+/g;
const DASHES = /[\u2010-\u2015\u2212]/g;

/** NFKC (full-width digits and signs), no whitespace, one kind of dash. */
export function normalizeText(text: string): string {
  if (!NEEDS_NFKC.test(text)) return text;
  return text.normalize('NFKC').replace(WHITESPACE, '').replace(DASHES, '-');
}

const CN_DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const CN_UNITS: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };
// Only numerals right before a marker are numbers: 七贤桥, 三白潭村 and 五常 are names.
const CN_BEFORE_MARKER = /[零〇一二两三四五六七八九十百千](?:幢|栋|号|单元|室|#|-|楼|层)/;
const CN_RUN = /[零〇一二两三四五六七八九十百千]+(?=幢|栋|号|单元|室|#|-|楼|层)/g;

/** 十二 → 12, 一百零五 → 105, 一〇五 → 105; null when the run is not a well-formed number. */
export function chineseToInt(s: string): number | null {
  let positional = true;
  for (const ch of s) if (CN_UNITS[ch] !== undefined) positional = false;
  if (positional) {
    let n = 0;
    for (const ch of s) {
      const d = CN_DIGITS[ch];
      if (d === undefined) return null;
      n = n * 10 + d;
    }
    return n;
  }
  let total = 0;
  let cur = -1;
  let lastUnit = Infinity;
  for (const ch of s) {
    const d = CN_DIGITS[ch];
    if (d !== undefined) {
      cur = d;
      continue;
    }
    const u = CN_UNITS[ch];
    if (u === undefined || u >= lastUnit) return null;
    total += (cur < 0 ? 1 : cur) * u; // 十二: the leading 一 is unspoken
    cur = -1;
    lastUnit = u;
  }
  return total + (cur < 0 ? 0 : cur);
}

function arabicNumerals(text: string): string {
  if (!CN_BEFORE_MARKER.test(text)) return text;
  return text.replace(CN_RUN, (run) => {
    const n = chineseToInt(run);
    return n === null ? run : String(n);
  });
}

/** Leading zeros off; null for 0. */
function num(s: string): string | null {
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  const t = i === 0 ? s : s.slice(i);
  return t === '0' ? null : t;
}

// What follows the estate or group: 3幢 | 3幢2单元 | 3幢2单元501室 | 3栋2单元501 | 3幢2-501 |
// 3-2-501 | 3-501 | 12号201 | 3#. A separator between the numbers is required, so 32-501 is
// building 32, never 3 + unit 2.
const TAIL_BODY = '(\\d+)(?:(?:(幢|栋|号楼|号|#)|-)(?:(\\d+)(?:单元|-))?(\\d+)室?|(幢|栋|号楼|号|#)(?:(\\d+)单元)?)$';
const TAIL = new RegExp(`^${TAIL_BODY}`);
const NAMED_TAIL = new RegExp(`^(.*?)${TAIL_BODY}`);
const ROAD_DOOR = /^(\d+)号/;
const FACT_ROAD = /^(.+?)(\d+)号$/;
const FACT_VILLAGE_NO = /^(\d+)号$/;
const BUILDING_NAME = /^(.*?)(\d+)(?:幢|栋|号)$/;
const PROVINCE_CITY = /^(?:\p{Script=Han}{1,7}?(?:省|自治区))?\p{Script=Han}{1,7}?市$/u;

interface Tail { building: string; unit: string | null; room: string | null; marker: string | undefined }

function tailOf(m: RegExpExecArray, at: number): Tail | null {
  const building = num(m[at] ?? '');
  if (building === null) return null;
  const room = m[at + 3];
  if (room !== undefined) {
    const u = m[at + 2];
    return { building, unit: u === undefined ? null : num(u), room: num(room), marker: m[at + 1] };
  }
  const u = m[at + 5];
  return { building, unit: u === undefined ? null : num(u), room: null, marker: m[at + 4] };
}

function stripSuffix(s: string, suffix: string): string {
  return s.length > suffix.length && s.endsWith(suffix) ? s.slice(0, -suffix.length) : s;
}

// ---------------------------------------------------------------------------------------------
// Lookup by prefix: names bucketed by first character, longest first.

interface Entry<T> { key: string; value: T }

class PrefixIndex<T> {
  private readonly buckets = new Map<number, Array<Entry<T>>>();
  private readonly byKey = new Map<string, Entry<T>>();

  get(key: string): T | undefined {
    return this.byKey.get(key)?.value;
  }

  set(key: string, value: T): void {
    const had = this.byKey.get(key);
    if (had) {
      had.value = value;
      return;
    }
    const e = { key, value };
    this.byKey.set(key, e);
    const c = key.charCodeAt(0);
    let b = this.buckets.get(c);
    if (!b) {
      b = [];
      this.buckets.set(c, b);
    }
    let i = 0;
    while (i < b.length && (b[i] as Entry<T>).key.length >= key.length) i++;
    b.splice(i, 0, e);
  }

  /** Every key occurring in text at pos, longest first. */
  matches(text: string, pos: number): Array<Entry<T>> {
    const b = this.buckets.get(text.charCodeAt(pos));
    if (!b) return NONE;
    let out: Array<Entry<T>> | null = null;
    for (const e of b) {
      if (text.startsWith(e.key, pos)) (out ??= []).push(e);
    }
    return out ?? NONE;
  }
}

const NONE: never[] = [];

// ---------------------------------------------------------------------------------------------
// The gazetteer

interface StreetInfo {
  code: string;
  name: string;
  /** Community names as written in this street: full names, and short forms (flag full=false). */
  communities: PrefixIndex<CommunityRef>;
  estates: PrefixIndex<EstateInfo>;
}

interface CommunityInfo {
  code: string;
  name: string;
  village: boolean;
  street: StreetInfo;
  groups: PrefixIndex<string>;
}

/** null: two communities answer to the name (the name is no evidence). */
interface CommunityRef { community: CommunityInfo | null; full: boolean; rank: number }

interface EstateInfo { name: string; communities: Set<string> }

interface SiteHit { kind: 'estate' | 'village'; areaCode: string; name: string; community: CommunityInfo | null; tail: Tail; estate: EstateInfo | null }

interface RoadInfo { streets: Set<StreetInfo> }
interface DoorFact { street: StreetInfo; community: CommunityInfo | null; stem: string }

type Attempt = ParseOutcome | null;

const FAIL_RANK: Record<ParseFailure, number> = { empty: 0, no_area: 1, no_building: 2, unknown_group: 3, ambiguous: 4 };

function worse(a: Attempt, b: Attempt): Attempt {
  if (!a) return b;
  if (!b || a.ok) return a;
  if (b.ok) return b;
  return FAIL_RANK[b.reason] > FAIL_RANK[a.reason] ? b : a;
}

export class Gazetteer {
  readonly districtName: string | null;
  private readonly streetsByCode = new Map<string, StreetInfo>();
  private readonly communitiesByCode = new Map<string, CommunityInfo>();
  /** Street and town names, full (full=true) and short (良渚). */
  private readonly streetNames = new PrefixIndex<{ street: StreetInfo | null; full: boolean }>();
  /** Full community names district-wide, for texts that skip the street. */
  private readonly communityNames = new PrefixIndex<CommunityInfo | null>();
  private readonly roads = new PrefixIndex<RoadInfo>();
  private readonly doors = new Map<string, DoorFact[]>();
  /** village code|house number → groups holding that number. */
  private readonly villageNumbers = new Map<string, string[]>();
  private readonly knownBuildings = new Set<string>();

  constructor(areas: Iterable<AreaInput>, roads: Iterable<RoadFact> = []) {
    const list = [...areas];
    const district = list.find((a) => a.level === 'district');
    this.districtName = district ? normalizeText(district.name) : null;
    for (const a of list) {
      if (a.level !== 'street') continue;
      const s: StreetInfo = { code: a.code, name: normalizeText(a.name), communities: new PrefixIndex(), estates: new PrefixIndex() };
      this.streetsByCode.set(s.code, s);
      this.addStreetName(s.name, s, true);
      const short = s.name.replace(/(街道|镇|乡)$/, '');
      if (short !== s.name && short.length > 0) this.addStreetName(short, s, false);
    }
    for (const a of list) {
      if (a.level !== 'community' || a.parentCode === null) continue;
      const street = this.streetsByCode.get(a.parentCode);
      if (!street) continue;
      const name = normalizeText(a.name);
      const village = a.kind === 'village' || (a.kind === null && name.endsWith('村'));
      const c: CommunityInfo = { code: a.code, name, village, street, groups: new PrefixIndex() };
      this.communitiesByCode.set(c.code, c);
      this.communityNames.set(name, this.communityNames.get(name) === undefined ? c : null);
      addCommunityName(street, name, c, true, 0);
      // 金家渡社区 → 金家渡 outranks 五常村 → 五常 (the generator, like most people, keeps 村).
      if (name.endsWith('社区') && name.length > 2) addCommunityName(street, name.slice(0, -2), c, false, 1);
      else if (name.endsWith('村') && name.length > 2) addCommunityName(street, name.slice(0, -1), c, false, 2);
    }
    for (const r of roads) this.learnRoad(r.road, r.area, r.estate, r.building);
  }

  private addStreetName(name: string, street: StreetInfo, full: boolean): void {
    const had = this.streetNames.get(name);
    if (had === undefined) this.streetNames.set(name, { street, full });
    else if (had.full && !full) return;
    else if (!had.full && full) this.streetNames.set(name, { street, full });
    else if (had.street !== street) this.streetNames.set(name, { street: null, full });
  }

  /** Street or community by full name (a community also gives its street). */
  private area(name: string): { street: StreetInfo; community: CommunityInfo | null } | null {
    const n = normalizeText(name);
    const c = this.communityNames.get(n);
    if (c) return { street: c.street, community: c };
    const s = this.streetNames.get(n);
    if (s?.street && s.full) return { street: s.street, community: null };
    return null;
  }

  /**
   * Learns one building of the register: `road` is its door plate (`road_address`: 古墩路1288号
   * for estates and parks, 运河村12号 for village houses), `area` its street or (better) its
   * community, `estate` the estate, park or village group (吴家浜组), `building` its number if
   * known. Road-style addresses and addresses that leave out the village group need this.
   * False when the area is unknown or the door plate unreadable.
   */
  learnRoad(road: string, area: string, estate: string, building?: string | number | null): boolean {
    const at = this.area(area);
    if (!at) return false;
    const r = arabicNumerals(normalizeText(road));
    const e = normalizeText(estate);
    if (e.length === 0 || e.includes('|')) return false;
    let c = at.community;
    // Given only the street, a village house's plate (运河村12号) still names its village.
    if (!c) {
      for (const v of this.communityNames.matches(r, 0)) if (v.value?.village && v.value.street === at.street) c = v.value;
    }
    if (c?.village && r.startsWith(c.name)) {
      const m = FACT_VILLAGE_NO.exec(r.slice(c.name.length));
      const n = m ? num(m[1] ?? '') : null;
      if (n === null) return false;
      const group = e.endsWith('组') ? e : `${e}组`;
      if (!c.groups.get(group.slice(0, -1))) c.groups.set(group.slice(0, -1), group);
      const key = `${c.code}|${n}`;
      const groups = this.villageNumbers.get(key);
      if (!groups) this.villageNumbers.set(key, [group]);
      else if (!groups.includes(group)) groups.push(group);
      this.knownBuildings.add(`${c.code}|${group}|${n}`);
      return true;
    }
    const stem = stripSuffix(e, '小区');
    let info = at.street.estates.get(stem);
    if (!info) {
      info = { name: stem, communities: new Set() };
      at.street.estates.set(stem, info);
    }
    if (c) info.communities.add(c.code);
    if (building !== undefined && building !== null) {
      const n = num(arabicNumerals(normalizeText(String(building))));
      if (n !== null && /^\d+$/.test(n)) this.knownBuildings.add(`${at.street.code}|${stem}|${n}`);
    }
    const m = FACT_ROAD.exec(r);
    if (!m) return false;
    const roadName = m[1] ?? '';
    const door = num(m[2] ?? '');
    if (door === null) return false;
    let ri = this.roads.get(roadName);
    if (!ri) {
      ri = { streets: new Set() };
      this.roads.set(roadName, ri);
    }
    ri.streets.add(at.street);
    const key = `${roadName}${door}号`;
    const facts = this.doors.get(key);
    const fact: DoorFact = { street: at.street, community: c, stem };
    if (!facts) this.doors.set(key, [fact]);
    else if (!facts.some((f) => f.street === fact.street && f.stem === stem)) facts.push(fact);
    return true;
  }

  /** learnRoad for a row of the housing bureau's building register (楼盘表). */
  learnHousingBuilding(row: { road_address: string; community: string; building_name: string }): boolean {
    const m = BUILDING_NAME.exec(arabicNumerals(normalizeText(row.building_name)));
    if (!m) return false;
    return this.learnRoad(row.road_address, row.community, m[1] ?? '', m[2] ?? null);
  }

  /** Has learnRoad seen this building (by buildingKey)? */
  knowsBuilding(buildingKey: string): boolean {
    return this.knownBuildings.has(buildingKey);
  }

  streetName(code: string): string | undefined {
    return this.streetsByCode.get(code)?.name;
  }

  communityName(code: string): string | undefined {
    return this.communitiesByCode.get(code)?.name;
  }

  /** Parse with the reason for a failure (and, when ambiguous, the candidate building keys). */
  explain(text: string): ParseOutcome {
    if (typeof text !== 'string') return { ok: false, reason: 'empty' };
    const t = arabicNumerals(normalizeText(text));
    if (t.length === 0) return { ok: false, reason: 'empty' };
    let pos = 0;
    const d = this.districtName;
    if (d !== null) {
      if (t.startsWith(d)) pos = d.length;
      else {
        const i = t.indexOf(d);
        if (i > 0 && i <= 14 && PROVINCE_CITY.test(t.slice(0, i))) pos = i + d.length;
      }
    }
    let best: Attempt = null;
    // 1. A street or town by its full name.
    for (const e of this.streetNames.matches(t, pos)) {
      if (!e.value.full || !e.value.street) continue;
      const r = this.afterStreet(t, pos + e.key.length, e.value.street, true);
      if (r.ok) return r;
      best = worse(best, r);
    }
    if (best) return best;
    // 2. A door plate on a road.
    for (const e of this.roads.matches(t, pos)) {
      const r = this.afterRoad(t, pos + e.key.length, e.key, e.value);
      if (r?.ok) return r;
      best = worse(best, r);
    }
    if (best) return best;
    // 3. A community without its street.
    for (const e of this.communityNames.matches(t, pos)) {
      if (!e.value) continue;
      const r = this.site(t, pos + e.key.length, e.value.street, e.value, true);
      if (r.ok) return r;
      best = worse(best, r);
    }
    if (best) return best;
    // 4. The short street name: 良渚金家渡北苑3-2-501.
    for (const e of this.streetNames.matches(t, pos)) {
      if (e.value.full || !e.value.street) continue;
      const r = this.afterStreet(t, pos + e.key.length, e.value.street, false);
      if (r.ok) return r;
      best = worse(best, r);
    }
    return best ?? { ok: false, reason: 'no_area' };
  }

  private afterStreet(t: string, pos: number, street: StreetInfo, full: boolean): ParseOutcome {
    let best: Attempt = null;
    let named = false;
    for (const e of street.communities.matches(t, pos)) {
      if (full && !e.value.full) continue;
      named = true;
      if (!e.value.community) {
        best = worse(best, { ok: false, reason: 'ambiguous' });
        continue;
      }
      const r = this.site(t, pos + e.key.length, street, e.value.community, true);
      if (r.ok) return r;
      best = worse(best, r);
    }
    // A community was named but what follows does not fit: falling back would read the
    // community as an estate name.
    if (named) return best ?? { ok: false, reason: 'no_building' };
    // No community: the housing bureau's style (an estate right after the street). A known
    // estate first; then a short community name followed by a known estate (五常街道五常花园
    // is an estate, not 五常社区 + 花园); then, after a full street name only, any name.
    const known = this.site(t, pos, street, null, false);
    if (known.ok || !full) return known;
    for (const e of street.communities.matches(t, pos)) {
      if (e.value.full || !e.value.community) continue;
      const k = this.site(t, pos + e.key.length, street, e.value.community, false);
      if (k.ok) return k;
    }
    return this.site(t, pos, street, null, true);
  }

  private afterRoad(t: string, pos: number, roadName: string, road: RoadInfo): Attempt {
    const m = ROAD_DOOR.exec(t.slice(pos));
    if (!m) return null;
    const door = num(m[1] ?? '');
    const rest = pos + m[0].length;
    const facts = door === null ? undefined : this.doors.get(`${roadName}${door}号`);
    if (facts) {
      const hits: SiteHit[] = [];
      for (const f of facts) {
        const info = f.street.estates.get(f.stem);
        if (!t.startsWith(f.stem, rest)) continue;
        let q = rest + f.stem.length;
        if (t.startsWith('小区', q)) q += 2;
        const mm = TAIL.exec(t.slice(q));
        const tail = mm ? tailOf(mm, 1) : null;
        if (tail) hits.push({ kind: 'estate', areaCode: f.street.code, name: f.stem, community: f.community, tail, estate: info ?? null });
      }
      const r = this.choose(hits);
      if (r) return r;
    }
    // An unknown door on a road that runs through one street only.
    if (road.streets.size === 1) {
      for (const s of road.streets) return this.site(t, rest, s, null, false);
    }
    return { ok: false, reason: road.streets.size > 1 ? 'ambiguous' : 'no_building' };
  }

  /**
   * The estate or group and the building/unit/room after it. Known estates and groups first;
   * then, if `guess` is allowed, whatever name precedes the numbers.
   */
  private site(t: string, pos: number, street: StreetInfo, community: CommunityInfo | null, guess: boolean): ParseOutcome {
    const rest = pos === 0 ? t : t.slice(pos);
    const hits: SiteHit[] = [];
    for (const e of street.estates.matches(rest, 0)) {
      let q = e.key.length;
      if (rest.startsWith('小区', q)) q += 2;
      const m = TAIL.exec(q === 0 ? rest : rest.slice(q));
      const tail = m ? tailOf(m, 1) : null;
      if (tail) hits.push({ kind: 'estate', areaCode: street.code, name: e.key, community, tail, estate: e.value });
    }
    if (community?.village) {
      for (const e of community.groups.matches(rest, 0)) {
        let q = e.key.length;
        if (rest.startsWith('组', q)) q += 1;
        const m = TAIL.exec(rest.slice(q));
        const tail = m ? tailOf(m, 1) : null;
        if (tail) hits.push({ kind: 'village', areaCode: community.code, name: e.value, community, tail, estate: null });
      }
    }
    const known = this.choose(hits);
    if (known) return known;
    if (!guess) return { ok: false, reason: 'no_building' };

    const m = NAMED_TAIL.exec(rest);
    const tail = m ? tailOf(m, 2) : null;
    if (!m || !tail) return { ok: false, reason: 'no_building' };
    const name = m[1] ?? '';
    if (name.includes('|')) return { ok: false, reason: 'no_building' };
    if (community?.village) {
      if (name.length === 0) {
        // 运河村12号201: the group is left out; the register knows which group has house 12.
        const groups = this.villageNumbers.get(`${community.code}|${tail.building}`);
        if (!groups) return { ok: false, reason: 'unknown_group' };
        if (groups.length > 1) return { ok: false, reason: 'ambiguous', candidates: groups.map((g) => `${community.code}|${g}|${tail.building}`) };
        return { ok: true, address: build('village', community.code, groups[0] as string, street, community, tail) };
      }
      if (name.endsWith('组') && name.length > 1) return { ok: true, address: build('village', community.code, name, street, community, tail) };
      // Short style writes groups without 组 but always with 号; parks and towers use 幢 or a dash.
      if (tail.marker === '号') return { ok: true, address: build('village', community.code, `${name}组`, street, community, tail) };
    }
    const stem = stripSuffix(name, '小区');
    if (stem.length === 0) return { ok: false, reason: 'no_building' };
    return { ok: true, address: build('estate', street.code, stem, street, community, tail) };
  }

  /** One reading: take it. Several: those naming a building the register has; else ambiguous. */
  private choose(hits: SiteHit[]): ParseOutcome | null {
    if (hits.length === 0) return null;
    let pick = hits;
    if (hits.length > 1) {
      const keys = new Set(hits.map((h) => `${h.areaCode}|${h.name}|${h.tail.building}|${h.tail.unit ?? ''}|${h.tail.room ?? ''}`));
      if (keys.size > 1) {
        pick = hits.filter((h) => this.knownBuildings.has(`${h.areaCode}|${h.name}|${h.tail.building}`));
        if (pick.length !== 1) return { ok: false, reason: 'ambiguous', candidates: hits.map((h) => `${h.areaCode}|${h.name}|${h.tail.building}`) };
      }
    }
    const h = pick[0] as SiteHit;
    let community = h.community;
    if (!community && h.estate?.communities.size === 1) {
      for (const code of h.estate.communities) community = this.communitiesByCode.get(code) ?? null;
    }
    const street = h.kind === 'village' && community ? community.street : (this.streetsByCode.get(h.areaCode) as StreetInfo);
    return { ok: true, address: build(h.kind, h.areaCode, h.name, street, community, h.tail) };
  }
}

function addCommunityName(street: StreetInfo, name: string, c: CommunityInfo, full: boolean, rank: number): void {
  const had = street.communities.get(name);
  if (had === undefined || rank < had.rank) street.communities.set(name, { community: c, full, rank });
  else if (rank === had.rank && had.community !== c) street.communities.set(name, { community: null, full, rank });
}

function build(kind: 'estate' | 'village', areaCode: string, name: string, street: StreetInfo, community: CommunityInfo | null, tail: Tail): ParsedAddress {
  const buildingKey = `${areaCode}|${name}|${tail.building}`;
  const dwellingKey = tail.room === null ? null : `${buildingKey}|${tail.unit ?? ''}|${tail.room}`;
  return {
    streetCode: street.code, communityCode: community?.code ?? null, kind, estate: name, building: tail.building, unit: tail.unit, room: tail.room,
    level: dwellingKey === null ? 'building' : 'dwelling', buildingKey, dwellingKey, placeKey: dwellingKey ?? buildingKey,
  };
}

/** The address's building and dwelling keys, or null if it cannot be placed unambiguously. Never throws. */
export function parseAddress(text: string, gazetteer: Gazetteer): ParsedAddress | null {
  const r = gazetteer.explain(text);
  return r.ok ? r.address : null;
}

/** The canonical text of a parsed address: 余杭区良渚街道金家渡社区北苑3幢2单元501室. */
export function describeAddress(p: ParsedAddress, gazetteer: Gazetteer): string {
  const community = p.communityCode === null ? '' : (gazetteer.communityName(p.communityCode) ?? '');
  const bldg = p.kind === 'village' ? `${p.building}号` : `${p.building}幢`;
  const unit = p.unit === null ? '' : `${p.unit}单元`;
  const room = p.room === null ? '' : `${p.room}室`;
  return `${gazetteer.districtName ?? ''}${gazetteer.streetName(p.streetCode) ?? ''}${community}${p.estate}${bldg}${unit}${room}`;
}
