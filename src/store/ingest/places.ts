/**
 * Where records land on the map: the hub's own area and grid registry, the address normaliser
 * taught with it, and the grid locator. Loaded once per sync, refreshed when the registry or the
 * building register changes, so that millions of addresses resolve without a query each.
 */
import type { Knex } from 'knex';
import { Gazetteer, parseAddress, type AreaKind, type ParsedAddress } from '../../domain/address.js';
import { GridLocator } from '../../domain/geo.js';
import type { Row } from '../loaders.js';

export interface AreaIds {
  district_id: string | null;
  street_id: string | null;
  community_id: string | null;
  grid_id: string | null;
}

export interface Places {
  parse(text: string | null | undefined): ParsedAddress | null;
  /**
   * Teaches road-style addresses (古墩路1288号…) from a building register's door plate, its
   * community and its name (北苑3幢): the register's own address may be written road-style too.
   */
  learnBuilding(building: { roadAddress?: string | undefined; community?: string | undefined; name?: string | undefined }): void;
  /** The grid containing a point, with its street, community and district. */
  locate(lng: number, lat: number): AreaIds | null;
  /** Area ids for a parsed address without coordinates (street and community from its text). */
  areasOf(parsed: ParsedAddress): AreaIds;
}

export async function loadPlaces(knex: Knex): Promise<Places> {
  const areas = (await knex('area as a').leftJoin('area as p', 'p.id', 'a.parent_id')
    .select('a.id', 'a.level', 'a.kind', 'a.code', 'a.name', 'p.code as parent_code').orderBy('a.id')) as Row[];
  const gazetteer = new Gazetteer(areas.map((r) => ({
    level: String(r.level) as 'district' | 'street' | 'community',
    kind: (r.kind === null ? null : String(r.kind)) as AreaKind,
    code: String(r.code),
    name: String(r.name),
    parentCode: r.parent_code === null ? null : String(r.parent_code),
  })));
  const areaIdByCode = new Map(areas.map((r) => [String(r.code), String(r.id)]));
  const districtId = areas.find((r) => r.level === 'district')?.id;

  const grids = (await knex('grid').select('id', 'district_id', 'street_id', 'community_id', 'boundary')) as Row[];
  const byGrid = new Map<string, AreaIds>(grids.map((g) => [String(g.id), {
    grid_id: String(g.id), district_id: String(g.district_id), street_id: String(g.street_id), community_id: String(g.community_id),
  }]));
  const locator = new GridLocator(grids.map((g) => ({ id: String(g.id), boundary: g.boundary as { type: 'Polygon'; coordinates: Array<Array<[number, number]>> } })));

  // Road-style addresses resolve only through door plates the building register taught.
  const roads = (await knex('source_record').where('link_type', 'building').whereNotNull('facts')
    .whereRaw("facts \\? 'roadAddress'")
    .select(knex.raw("facts->>'roadAddress' as road"), knex.raw("facts->>'community' as community"), knex.raw("facts->>'name' as name"))) as Row[];

  const places: Places = {
    parse: (text) => (text ? parseAddress(text, gazetteer) : null),
    learnBuilding(b) {
      if (b.roadAddress && b.community && b.name) gazetteer.learnHousingBuilding({ road_address: b.roadAddress, community: b.community, building_name: b.name });
    },
    locate(lng, lat) {
      const id = locator.locate(lng, lat);
      return id === null ? null : (byGrid.get(id) ?? null);
    },
    areasOf(parsed) {
      return {
        district_id: districtId === undefined ? null : String(districtId),
        street_id: areaIdByCode.get(parsed.streetCode) ?? null,
        community_id: parsed.communityCode ? (areaIdByCode.get(parsed.communityCode) ?? null) : null,
        grid_id: null,
      };
    },
  };
  for (const r of roads) places.learnBuilding({ roadAddress: r.road as string, community: r.community as string, name: r.name as string });
  return places;
}
