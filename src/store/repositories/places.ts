import type { StoreContext } from './context.js';
import { byForeignKey, byId, then, type Row } from '../loaders.js';
import { whereArea, whereDepartmentPresent, type AreaIdsFilter } from '../filters.js';
import { keysetPage, type PageArgs } from '../pagination.js';
import {
  addressFromRow, areaFromRow, buildingFromRow, dwellingFromRow, gridFromRow, gridMemberFromRow, type GridModel,
} from '../models.js';

export interface BuildingListFilter {
  area?: AreaIdsFilter | null;
  use?: string | null;
  department?: string | null;
}

/**
 * The columns of each place row the `fromRow` mappers read. The chain statements below select
 * each joined row as a JSON array of them (`json_build_array(address.id, …) as address_row`),
 * and `nestColumns` names the values again. Not `to_jsonb(address.*)`: forming whole rows and
 * their jsonb was most of the PostgreSQL time of a page of 100 people (2.15 ms per statement,
 * against 0.91 ms for arrays and 0.64 ms for plain columns, pgbench on the served world), and
 * plain columns, 50 to a row, cost the hub more to parse than the database saved.
 * tests/store/placeChain.test.ts fails when a mapper would miss a column.
 */
const PLACE_COLUMNS = {
  address: ['id', 'district_id', 'street_id', 'community_id', 'estate', 'building_no', 'unit', 'room', 'text', 'normalized'],
  building: ['id', 'name', 'address_id', 'district_id', 'street_id', 'community_id', 'grid_id', 'use', 'floors', 'built_year', 'lat', 'lng'],
  dwelling: ['id', 'building_id', 'address_id', 'unit', 'room', 'floor_area', 'occupancy'],
  grid: ['id', 'code', 'name', 'district_id', 'street_id', 'community_id', 'boundary'],
} as const;

/** The columns behind each array column that `columnsAs` selected, by the array's name. */
const arrayColumns = new Map<string, readonly string[]>();

/** The table's columns under `alias`, as one JSON array column named `as`. */
export function columnsAs(tableName: keyof typeof PLACE_COLUMNS, alias: string, as: string): string {
  const columns = PLACE_COLUMNS[tableName];
  const known = arrayColumns.get(as);
  if (known && known !== columns) throw new Error(`columnsAs: ${as} names the columns of two tables`);
  arrayColumns.set(as, columns);
  // Ids as text: a JSON number past 2^53 would come back as another id.
  const value = (c: string) => (c === 'id' || c.endsWith('_id') ? `${alias}.${c}::text` : `${alias}.${c}`);
  return `json_build_array(${columns.map(value).join(', ')}) as ${as}`;
}

/**
 * Turns a row's arrays from `columnsAs` into objects keyed by column, in place and once: null
 * where the left join found nothing (the id is null).
 */
export function nestColumns(r: Row): Row {
  for (const [as, columns] of arrayColumns) {
    const values = r[as];
    if (!Array.isArray(values)) continue;
    if (values[0] === null) {
      r[as] = null;
      continue;
    }
    const part: Row = {};
    for (let i = 0; i < columns.length; i++) part[columns[i]!] = values[i];
    r[as] = part;
  }
  return r;
}

/**
 * A dwelling's chain as columns of one statement (the dwelling's address, its building, the
 * building's address and grid, null where absent), over PLACE_CHAIN_JOINS after a `dwelling`
 * (left joins, flat: nested in parentheses the planner would join every dwelling before picking
 * the few asked for). Another repository that loads dwellings with them hands the row to
 * `primeDwelling`. Grids are few and small, so their rows ride along too.
 */
export const PLACE_CHAIN = [
  columnsAs('address', 'address', 'address_row'), columnsAs('building', 'building', 'building_row'),
  columnsAs('address', 'building_address', 'building_address_row'), columnsAs('grid', 'grid', 'grid_row'),
].join(',\n  ');
export const PLACE_CHAIN_JOINS = `left join building on building.id = dwelling.building_id left join address on address.id = dwelling.address_id
  left join address building_address on building_address.id = building.address_id left join grid on grid.id = building.grid_id`;

/** Areas, grids and their staff, addresses, buildings and dwellings. */
export function createPlacesRepository({ knex, table, read, policy, survivor }: StoreContext) {
  const areas = byId(read, 'select * from area where id = any(?::bigint[])', areaFromRow);
  const grids = byId(read, 'select * from grid where id = any(?::bigint[])', gridFromRow);
  const membersByGrid = byForeignKey(read, 'select * from grid_member where grid_id = any(?::bigint[]) order by grid_id, id', 'grid_id', gridMemberFromRow);
  const gridMembers = byId(read, 'select * from grid_member where id = any(?::bigint[])', gridMemberFromRow);
  const addresses = byId(read, 'select * from address where id = any(?::bigint[])', addressFromRow);
  const primeAddressRow = (a: Row | null | undefined): void => {
    if (a) addresses.prime(String(a.id), addressFromRow(a));
  };
  // A building comes with its address, which primes the address loader: nearly every page that
  // shows a building shows where it is.
  const buildings = byId(read, `select building.*, ${columnsAs('address', 'address', 'address_row')} from building join address on address.id = building.address_id where building.id = any(?::bigint[])`,
    (r) => {
      primeAddressRow(nestColumns(r).address_row as Row | null);
      return buildingFromRow(r);
    });
  /**
   * The rest of a dwelling's single-parent chain, from PLACE_CHAIN's columns: its building, the
   * building's address and grid go into their loaders, so that the next levels of a page
   * (dwelling → building → grid) cost no statement of their own.
   */
  const primeChain = (r: Row): Row => {
    nestColumns(r);
    primeAddressRow(r.address_row as Row | null);
    const b = r.building_row as Row | null;
    if (b) {
      primeAddressRow(r.building_address_row as Row | null);
      buildings.prime(String(b.id), buildingFromRow(b));
    }
    const g = r.grid_row as Row | null;
    if (g) grids.prime(String(g.id), gridFromRow(g));
    return r;
  };
  // A dwelling is in scope where its building is; it comes with the rest of its chain.
  const dwellingsWithScope = `select dwelling.*, building.grid_id, building.street_id, ${PLACE_CHAIN} from dwelling ${PLACE_CHAIN_JOINS}`;
  const dwellingFrom = (r: Row) => dwellingFromRow(primeChain(r));
  const dwellings = byId(read, `${dwellingsWithScope} where dwelling.id = any(?::bigint[])`, dwellingFrom);
  const dwellingsByBuilding = byForeignKey(read, `${dwellingsWithScope} where dwelling.building_id = any(?::bigint[]) order by dwelling.building_id, dwelling.id`, 'building_id', dwellingFrom);

  const inScope = <T extends { gridId: string | null; streetId: string | null }>(row: T | null) => (row && policy.inScope(row) ? row : null);

  return {
    /**
     * A row that carries a dwelling (as `dwelling_row`) and PLACE_CHAIN's columns: all of it into
     * the loaders. The people and households loaders join it in.
     */
    primeDwelling(r: Row): void {
      const d = nestColumns(r).dwelling_row as Row | null;
      if (!d) return;
      // Its scope is its building's.
      const b = r.building_row as Row | null;
      d.grid_id = b?.grid_id ?? null;
      d.street_id = b?.street_id ?? null;
      primeChain(r);
      dwellings.prime(String(d.id), dwellingFromRow(d));
    },
    // The single-row reads below answer at once from what the request has already loaded (see
    // KeyedLoader): on a page, every level of places past the first is primed.
    area(id: string) {
      // The district hierarchy is not personal: whoever may see grids may see the areas they sit in.
      policy.assertCanRead('grid');
      return areas.get(id);
    },
    grid(id: string) {
      policy.assertCanRead('grid');
      return grids.get(id);
    },
    gridMember(id: string) {
      policy.assertCanRead('grid_member');
      return gridMembers.load(id);
    },
    gridMembers(gridId: string) {
      policy.assertCanRead('grid_member');
      return membersByGrid.load(gridId);
    },
    grids(filter: { area?: AreaIdsFilter | null }, page: PageArgs) {
      policy.assertCanRead('grid');
      return keysetPage<GridModel>({ base: () => whereArea(table('grid'), 'grid', filter.area), table: 'grid', page, fromRow: gridFromRow, access: 'rows' });
    },
    address(id: string) {
      policy.assertCanRead('place');
      return addresses.get(id);
    },
    building(id: string) {
      policy.assertCanRead('place');
      return then(buildings.get(id), (b) => b
        ? inScope(b)
        // A merged-away id answers with the building it was merged into.
        : then(survivor('building', id), (now) => (now === null ? null : then(buildings.get(now), inScope))));
    },
    forget() {
      buildings.clearAll();
      dwellings.clearAll();
      dwellingsByBuilding.clearAll();
    },
    buildings(filter: BuildingListFilter, page: PageArgs) {
      const access = policy.listAccess('place');
      if (filter.department) policy.assertCanFilterByDepartment(filter.department);
      const base = () => {
        const q = policy.scopeQuery(whereArea(table('building'), 'building', filter.area), 'building');
        if (filter.use) q.where('building.use', filter.use.toLowerCase());
        return whereDepartmentPresent(q, knex, 'building', 'building', filter.department);
      };
      return keysetPage({ base, table: 'building', page, fromRow: buildingFromRow, access });
    },
    dwelling(id: string) {
      policy.assertCanRead('place');
      return then(dwellings.get(id), inScope);
    },
    async dwellingsOfBuilding(buildingId: string) {
      policy.assertCanRead('place');
      return (await dwellingsByBuilding.load(buildingId)).filter((d) => policy.inScope(d));
    },
  };
}
export type PlacesRepository = ReturnType<typeof createPlacesRepository>;
