/**
 * Where a case is: a building, an address text or a point, resolved against the hub's own
 * registers to an address, a building and a grid (with its community, street and district).
 * A point's grid is the grid whose polygon holds it; its building is the nearest one close by.
 */
import type { Knex } from 'knex';
import { loadPlaces, type Places } from './ingest/places.js';
import type { Row } from './loaders.js';

export interface PlaceQuery {
  location?: { lat: number; lng: number } | null;
  address?: string | null;
  buildingId?: string | null;
  /** When nothing else places the case: the first enterprise's premises. */
  enterpriseIds?: readonly string[];
}

export interface TriagedPlace {
  lat: number | null;
  lng: number | null;
  addressId: string | null;
  buildingId: string | null;
  districtId: string | null;
  streetId: string | null;
  communityId: string | null;
  gridId: string | null;
}

/** How far (degrees, about 200 m) a point may be from a building for the building to be the case's. */
const NEAREST_BUILDING_RADIUS = 0.002;
/** The grid registry changes rarely; triage re-reads it at most this often. */
const PLACES_TTL_MS = 5 * 60_000;

const placesCache = new WeakMap<Knex, { loadedAt: number; places: Promise<Places> }>();

function placesOf(knex: Knex): Promise<Places> {
  const cached = placesCache.get(knex);
  if (cached && Date.now() - cached.loadedAt < PLACES_TTL_MS) return cached.places;
  const places = loadPlaces(knex);
  placesCache.set(knex, { loadedAt: Date.now(), places });
  places.catch(() => placesCache.delete(knex));
  return places;
}

const idOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function fromBuilding(b: Row, addressId?: string): TriagedPlace {
  return {
    lat: b.lat === null ? null : Number(b.lat), lng: b.lng === null ? null : Number(b.lng),
    addressId: addressId ?? idOrNull(b.address_id), buildingId: String(b.id), districtId: idOrNull(b.district_id),
    streetId: idOrNull(b.street_id), communityId: idOrNull(b.community_id), gridId: idOrNull(b.grid_id),
  };
}

async function byAddressText(knex: Knex, text: string): Promise<TriagedPlace | null> {
  const places = await placesOf(knex);
  const parsed = places.parse(text);
  if (!parsed) return null;
  const areas = places.areasOf(parsed);
  // Addresses stored by the connectors are keyed by the parser's keys; older registers (the demo)
  // by their own rendering, so the parsed parts are matched on the address's columns too.
  const address = (key: string, unit: string | null, room: string | null) => {
    const q = knex('address').where('address.normalized', key);
    if (areas.community_id !== null || areas.street_id !== null) {
      void q.orWhere((w) => {
        void w.where(areas.community_id !== null ? 'address.community_id' : 'address.street_id', areas.community_id ?? areas.street_id)
          .where('address.estate', parsed.estate).where('address.building_no', parsed.building);
        if (unit === null) void w.whereNull('address.unit'); else void w.where('address.unit', unit);
        if (room === null) void w.whereNull('address.room'); else void w.where('address.room', room);
      });
    }
    return q.select('address.id');
  };
  if (parsed.dwellingKey) {
    const d = (await knex('dwelling').join('building', 'building.id', 'dwelling.building_id')
      .whereIn('dwelling.address_id', address(parsed.dwellingKey, parsed.unit, parsed.room)).first('building.*', 'dwelling.address_id as dwelling_address_id')) as Row | undefined;
    if (d) return fromBuilding(d, String(d.dwelling_address_id));
  }
  const b = (await knex('building').whereIn('building.address_id', address(parsed.buildingKey, null, null)).first('building.*')) as Row | undefined;
  if (b) return fromBuilding(b);
  return { lat: null, lng: null, addressId: null, buildingId: null, districtId: areas.district_id, streetId: areas.street_id, communityId: areas.community_id, gridId: null };
}

async function nearestBuilding(knex: Knex, lat: number, lng: number, gridId: string | null): Promise<Row | null> {
  const q = knex('building')
    .whereBetween('lat', [lat - NEAREST_BUILDING_RADIUS, lat + NEAREST_BUILDING_RADIUS])
    .whereBetween('lng', [lng - NEAREST_BUILDING_RADIUS, lng + NEAREST_BUILDING_RADIUS])
    .orderByRaw('(lat - ?) * (lat - ?) + (lng - ?) * (lng - ?)', [lat, lat, lng, lng])
    .first('building.*');
  if (gridId !== null) q.where('grid_id', gridId);
  return ((await q) as Row | undefined) ?? null;
}

/** Resolves a case's place; what cannot be resolved stays null (the district is always known). */
export async function triage(knex: Knex, query: PlaceQuery): Promise<TriagedPlace> {
  let place: TriagedPlace | null = null;
  if (query.buildingId) {
    const b = (await knex('building').where('id', query.buildingId).first()) as Row | undefined;
    if (b) place = fromBuilding(b);
  }
  if (!place && query.address) place = await byAddressText(knex, query.address);
  const point = query.location ?? null;
  if (point) {
    const located = (await placesOf(knex)).locate(point.lng, point.lat);
    if (!place || place.buildingId === null) {
      const b = await nearestBuilding(knex, point.lat, point.lng, located?.grid_id ?? null);
      if (b) place = fromBuilding(b);
    }
    place = {
      ...(place ?? { addressId: null, buildingId: null, districtId: null, streetId: null, communityId: null, gridId: null }),
      lat: point.lat, lng: point.lng,
      ...(located ? { districtId: located.district_id, streetId: located.street_id, communityId: located.community_id, gridId: located.grid_id } : {}),
    };
  }
  if (!place && query.enterpriseIds?.length) {
    const e = (await knex('enterprise').join('building', 'building.id', 'enterprise.building_id')
      .whereIn('enterprise.id', query.enterpriseIds as string[]).orderBy('enterprise.id').first('building.*')) as Row | undefined;
    if (e) place = fromBuilding(e);
  }
  place ??= { lat: null, lng: null, addressId: null, buildingId: null, districtId: null, streetId: null, communityId: null, gridId: null };
  if (place.districtId === null) {
    const d = (await knex('area').where('level', 'district').orderBy('id').first('id')) as Row | undefined;
    place.districtId = idOrNull(d?.id);
  }
  return place;
}
