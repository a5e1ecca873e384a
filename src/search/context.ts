/**
 * What search needs to know about the district besides the documents: the area tree (names for
 * display, codes for address keys) and an address normaliser (src/domain/address.ts) taught with
 * every estate, village group and door plate the canonical store knows, so that an address is
 * reduced to the same key when indexed and when a case worker types it, however it is written.
 */
import type { Knex } from 'knex';
import { Gazetteer, normalizeText, parseAddress, type AreaKind, type ParsedAddress } from '../domain/address.js';

import { rowsOf } from './sql.js';

export interface AreaInfo {
  id: string;
  level: 'district' | 'street' | 'community';
  code: string;
  name: string;
  kind: string | null;
  parentId: string | null;
}

/** Columns of a canonical address row. */
export interface AddressColumns {
  text: string | null;
  streetId: string | null;
  communityId: string | null;
  estate: string | null;
  buildingNo: string | null;
  unit: string | null;
  room: string | null;
}

export interface PlaceKeys {
  /** The room's key (unit|room) when the address names one. */
  dwelling: string[];
  building: string[];
}

const NUMBER_HINT = /[\d零〇一二两三四五六七八九十百千#]/;
function areaKind(kind: string | null): AreaKind {
  return kind === 'community' || kind === 'village' || kind === 'street' || kind === 'town' ? kind : null;
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export class SearchContext {
  private readonly areas = new Map<string, AreaInfo>();
  private readonly areaByCode = new Map<string, AreaInfo>();
  /** Texts prefixed to a query without its area, so the normaliser reads it in every street. */
  private readonly prefixes: string[];

  constructor(areas: readonly AreaInfo[], private readonly gazetteer: Gazetteer) {
    for (const a of areas) {
      this.areas.set(a.id, a);
      this.areaByCode.set(a.code, a);
    }
    const prefixes = new Set<string>();
    for (const a of areas) {
      if (a.level === 'street') {
        const name = normalizeText(a.name);
        prefixes.add(name);
        const short = name.replace(/(街道|镇|乡)$/, '');
        if (short.length > 0 && short !== name) prefixes.add(short);
      } else if (a.level === 'community' && (a.kind === 'village' || (a.kind === null && a.name.endsWith('村')))) {
        prefixes.add(normalizeText(a.name));
      }
    }
    this.prefixes = [...prefixes];
  }

  area(id: string | null): AreaInfo | undefined {
    return id === null ? undefined : this.areas.get(id);
  }

  areaName(id: string | null): string | null {
    return this.area(id)?.name ?? null;
  }

  allAreas(): AreaInfo[] {
    return [...this.areas.values()];
  }

  parse(text: string): ParsedAddress | null {
    return parseAddress(text, this.gazetteer);
  }

  /** Keys of a stored address: the normaliser's reading of its text, and the one its columns give. */
  placeKeys(a: AddressColumns): PlaceKeys {
    const dwelling = new Set<string>();
    const building = new Set<string>();
    const parsed = a.text ? this.parse(a.text) : null;
    if (parsed) {
      building.add(parsed.buildingKey);
      if (parsed.dwellingKey) dwelling.add(parsed.dwellingKey);
    }
    const n = a.buildingNo?.replace(/^0+(?=\d)/, '');
    if (a.estate && n) {
      const community = this.area(a.communityId);
      const street = this.area(a.streetId);
      const village = community && (community.kind === 'village' || a.estate.endsWith('组'));
      const estate = normalizeText(a.estate);
      const bk = village && community ? `${community.code}|${estate}|${n}` : street ? `${street.code}|${estate.replace(/(.)小区$/, '$1')}|${n}` : null;
      if (bk) {
        building.add(bk);
        const room = a.room?.replace(/^0+(?=\d)/, '');
        if (room) dwelling.add(`${bk}|${a.unit?.replace(/^0+(?=\d)/, '') ?? ''}|${room}`);
      }
    }
    return { dwelling: [...dwelling], building: [...building] };
  }

  /**
   * The places a query may name: the normaliser's reading of the text as typed, and of the text
   * after each street name (full and short) and each village name, since callers leave out the
   * area they are in ("北苑3-2-501", "吴家浜组12号"). Readings of places that do not exist simply
   * match nothing.
   */
  queryPlaces(query: string): ParsedAddress[] {
    const q = normalizeText(query);
    if (!NUMBER_HINT.test(q) || q.length < 2) return [];
    const out = new Map<string, ParsedAddress>();
    // Only buildings the store has: a reading that guessed an estate name out of other words
    // ("电瓶车充电西溪诚园6幢") names no place.
    const add = (p: ParsedAddress | null) => {
      if (p && this.gazetteer.knowsBuilding(p.buildingKey) && !out.has(p.placeKey)) out.set(p.placeKey, p);
    };
    add(this.parse(q));
    if (out.size === 0) for (const prefix of this.prefixes) if (!q.startsWith(prefix)) add(this.parse(prefix + q));
    return [...out.values()];
  }
}

/** Loads the area tree and teaches the normaliser every estate, village house and door plate the store holds. */
export async function loadSearchContext(knex: Knex): Promise<SearchContext> {
  const rows = await rowsOf(knex('area').select('id', 'level', 'code', 'name', 'kind', 'parent_id').orderBy('id'));
  const areas: AreaInfo[] = rows.map((r) => ({
    id: String(r.id), level: String(r.level) as AreaInfo['level'], code: String(r.code), name: String(r.name), kind: str(r.kind), parentId: str(r.parent_id),
  }));
  const byId = new Map(areas.map((a) => [a.id, a]));
  const gazetteer = new Gazetteer(areas.map((a) => ({
    level: a.level,
    kind: areaKind(a.kind),
    code: a.code,
    name: a.name,
    parentCode: a.parentId === null ? null : (byId.get(a.parentId)?.code ?? null),
  })));

  // Estates and village houses of the canonical addresses. A village house is taught by its
  // door plate (运河村12号), which tells the normaliser its group; an estate needs no real door
  // plate, only its name and community, so it gets one no text can contain (\u0001).
  const places = await rowsOf(knex('address').whereNotNull('estate').whereNotNull('building_no').whereNotNull('community_id')
    .distinct('community_id', 'estate', 'building_no'));
  for (const p of places) {
    const community = byId.get(String(p.community_id));
    const estate = str(p.estate);
    const n = str(p.building_no)?.replace(/^0+(?=\d)/, '');
    if (!community || !estate || !n || !/^\d+$/.test(n)) continue;
    const village = community.kind === 'village' || (community.kind === null && community.name.endsWith('村'));
    if (village && estate.endsWith('组')) gazetteer.learnRoad(`${community.name}${n}号`, community.name, estate, n);
    else gazetteer.learnRoad(`\u0001${estate}${n}号`, community.name, estate, n);
  }
  // Road-style addresses (古墩路1288号…) resolve through the door plates of the building register.
  const roads = await rowsOf(knex('source_record').where('link_type', 'building').whereNotNull('facts')
    .whereRaw("facts \\? 'roadAddress'")
    .select(knex.raw("facts->>'roadAddress' as road"), knex.raw("facts->>'community' as community"), knex.raw("facts->>'name' as name")));
  for (const r of roads) {
    const road = str(r.road);
    const community = str(r.community);
    const name = str(r.name);
    if (road && community && name) gazetteer.learnHousingBuilding({ road_address: road, community, building_name: name });
  }
  return new SearchContext(areas, gazetteer);
}
