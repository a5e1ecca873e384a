import type { StoreContext } from './context.js';
import { byForeignKey, byId } from '../loaders.js';
import { whereArea, whereDepartmentPresent, type AreaIdsFilter } from '../filters.js';
import { keysetPage } from '../paging.js';
import type { PageArgs } from '../pagination.js';
import { enterpriseFromRow, type EnterpriseModel } from '../models.js';

export interface EnterpriseListFilter {
  area?: AreaIdsFilter | null;
  status?: string | null;
  department?: string | null;
}

export function createEnterprisesRepository({ knex, policy }: StoreContext) {
  const enterprises = byId(knex, 'enterprise', enterpriseFromRow);
  const enterprisesByBuilding = byForeignKey(knex, 'enterprise', 'building_id', enterpriseFromRow);

  return {
    enterprise(id: string) {
      policy.assertCanRead('enterprise');
      return enterprises.load(id);
    },
    enterprisesInBuilding(buildingId: string) {
      policy.assertCanRead('enterprise');
      return enterprisesByBuilding.load(buildingId);
    },
    enterprises(filter: EnterpriseListFilter, page: PageArgs) {
      policy.assertCanRead('enterprise');
      const base = () => {
        const q = whereArea(knex('enterprise'), 'enterprise', filter.area);
        if (filter.status) q.where('enterprise.status', filter.status.toLowerCase());
        return whereDepartmentPresent(q, knex, 'enterprise', 'enterprise', filter.department);
      };
      return keysetPage<EnterpriseModel>(base, 'enterprise', page, enterpriseFromRow);
    },
  };
}
export type EnterprisesRepository = ReturnType<typeof createEnterprisesRepository>;
