import type { StoreContext } from './context.js';
import { byForeignKey, byId } from '../loaders.js';
import { whereArea, whereDepartmentPresent, type AreaIdsFilter } from '../filters.js';
import { keysetPage, type PageArgs } from '../pagination.js';
import { enterpriseFromRow } from '../models.js';

export interface EnterpriseListFilter {
  area?: AreaIdsFilter | null;
  status?: string | null;
  department?: string | null;
}

export function createEnterprisesRepository({ knex, table, read, policy, survivor }: StoreContext) {
  const enterprises = byId(read, 'select * from enterprise where id = any(?::bigint[])', enterpriseFromRow);
  const enterprisesByBuilding = byForeignKey(read, 'select * from enterprise where building_id = any(?::bigint[]) order by building_id, id', 'building_id', enterpriseFromRow);

  return {
    async enterprise(id: string) {
      policy.assertCanRead('enterprise');
      let e = await enterprises.load(id);
      if (!e) {
        const now = await survivor('enterprise', id);
        if (now !== null) e = await enterprises.load(now);
      }
      return e && policy.inScope(e) ? e : null;
    },
    forget() {
      enterprises.clearAll();
    },
    async enterprisesInBuilding(buildingId: string) {
      policy.assertCanRead('enterprise');
      return (await enterprisesByBuilding.load(buildingId)).filter((e) => policy.inScope(e));
    },
    enterprises(filter: EnterpriseListFilter, page: PageArgs) {
      const access = policy.listAccess('enterprise');
      if (filter.department) policy.assertCanFilterByDepartment(filter.department);
      const base = () => {
        const q = policy.scopeQuery(whereArea(table('enterprise'), 'enterprise', filter.area), 'enterprise');
        if (filter.status) q.where('enterprise.status', filter.status.toLowerCase());
        return whereDepartmentPresent(q, knex, 'enterprise', 'enterprise', filter.department);
      };
      return keysetPage({ base, table: 'enterprise', page, fromRow: enterpriseFromRow, access });
    },
  };
}
export type EnterprisesRepository = ReturnType<typeof createEnterprisesRepository>;
