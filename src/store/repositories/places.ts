import type { StoreContext } from './context.js';
import { byForeignKey, byId } from '../loaders.js';
import { whereArea, whereDepartmentPresent, type AreaIdsFilter } from '../filters.js';
import { keysetPage } from '../paging.js';
import type { PageArgs } from '../pagination.js';
import {
  addressFromRow, areaFromRow, buildingFromRow, dwellingFromRow, gridFromRow, gridMemberFromRow,
  type BuildingModel, type GridModel,
} from '../models.js';

export interface BuildingListFilter {
  area?: AreaIdsFilter | null;
  use?: string | null;
  department?: string | null;
}

/** Areas, grids and their staff, addresses, buildings and dwellings. */
export function createPlacesRepository({ knex, policy }: StoreContext) {
  const areas = byId(knex, 'area', areaFromRow);
  const grids = byId(knex, 'grid', gridFromRow);
  const membersByGrid = byForeignKey(knex, 'grid_member', 'grid_id', gridMemberFromRow);
  const gridMembers = byId(knex, 'grid_member', gridMemberFromRow);
  const addresses = byId(knex, 'address', addressFromRow);
  const buildings = byId(knex, 'building', buildingFromRow);
  const dwellings = byId(knex, 'dwelling', dwellingFromRow);
  const dwellingsByBuilding = byForeignKey(knex, 'dwelling', 'building_id', dwellingFromRow);

  return {
    area(id: string) {
      policy.assertCanRead('place');
      return areas.load(id);
    },
    grid(id: string) {
      policy.assertCanRead('grid');
      return grids.load(id);
    },
    gridMember(id: string) {
      policy.assertCanRead('grid');
      return gridMembers.load(id);
    },
    gridMembers(gridId: string) {
      policy.assertCanRead('grid');
      return membersByGrid.load(gridId);
    },
    grids(filter: { area?: AreaIdsFilter | null }, page: PageArgs) {
      policy.assertCanRead('grid');
      return keysetPage<GridModel>(() => whereArea(knex('grid'), 'grid', filter.area), 'grid', page, gridFromRow);
    },
    address(id: string) {
      policy.assertCanRead('place');
      return addresses.load(id);
    },
    building(id: string) {
      policy.assertCanRead('place');
      return buildings.load(id);
    },
    buildings(filter: BuildingListFilter, page: PageArgs) {
      policy.assertCanRead('place');
      const base = () => {
        const q = whereArea(knex('building'), 'building', filter.area);
        if (filter.use) q.where('building.use', filter.use.toLowerCase());
        return whereDepartmentPresent(q, knex, 'building', 'building', filter.department);
      };
      return keysetPage<BuildingModel>(base, 'building', page, buildingFromRow);
    },
    dwelling(id: string) {
      policy.assertCanRead('place');
      return dwellings.load(id);
    },
    dwellingsOfBuilding(buildingId: string) {
      policy.assertCanRead('place');
      return dwellingsByBuilding.load(buildingId);
    },
  };
}
export type PlacesRepository = ReturnType<typeof createPlacesRepository>;
