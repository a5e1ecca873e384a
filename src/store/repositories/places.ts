import type { StoreContext } from './context.js';
import { byForeignKey, byId } from '../loaders.js';
import { whereArea, whereDepartmentPresent, type AreaIdsFilter } from '../filters.js';
import { keysetPage } from '../paging.js';
import type { PageArgs } from '../pagination.js';
import {
  addressFromRow, areaFromRow, buildingFromRow, dwellingFromRow, gridFromRow, gridMemberFromRow, type GridModel,
} from '../models.js';

export interface BuildingListFilter {
  area?: AreaIdsFilter | null;
  use?: string | null;
  department?: string | null;
}

/** Areas, grids and their staff, addresses, buildings and dwellings. */
export function createPlacesRepository({ knex, table, policy, survivor }: StoreContext) {
  const areas = byId(() => table('area'), 'id', areaFromRow);
  const grids = byId(() => table('grid'), 'id', gridFromRow);
  const membersByGrid = byForeignKey(() => table('grid_member'), 'grid_id', gridMemberFromRow, 'id');
  const gridMembers = byId(() => table('grid_member'), 'id', gridMemberFromRow);
  const addresses = byId(() => table('address'), 'id', addressFromRow);
  const buildings = byId(() => table('building'), 'id', buildingFromRow);
  // A dwelling is in scope where its building is.
  const dwellingsWithScope = () =>
    table('dwelling').join('building', 'building.id', 'dwelling.building_id').select('dwelling.*', 'building.grid_id', 'building.street_id');
  const dwellings = byId(dwellingsWithScope, 'dwelling.id', dwellingFromRow);
  const dwellingsByBuilding = byForeignKey(dwellingsWithScope, 'dwelling.building_id', dwellingFromRow, 'dwelling.id');

  const inScope = <T extends { gridId: string | null; streetId: string | null }>(row: T | null) => (row && policy.inScope(row) ? row : null);

  return {
    area(id: string) {
      // The district hierarchy is not personal: whoever may see grids may see the areas they sit in.
      policy.assertCanRead('grid');
      return areas.load(id);
    },
    grid(id: string) {
      policy.assertCanRead('grid');
      return grids.load(id);
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
      return addresses.load(id);
    },
    async building(id: string) {
      policy.assertCanRead('place');
      let b = await buildings.load(id);
      if (!b) {
        const now = await survivor('building', id);
        if (now !== null) b = await buildings.load(now);
      }
      return inScope(b);
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
    async dwelling(id: string) {
      policy.assertCanRead('place');
      return inScope(await dwellings.load(id));
    },
    async dwellingsOfBuilding(buildingId: string) {
      policy.assertCanRead('place');
      return (await dwellingsByBuilding.load(buildingId)).filter((d) => policy.inScope(d));
    },
  };
}
export type PlacesRepository = ReturnType<typeof createPlacesRepository>;
