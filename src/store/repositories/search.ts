import { SafeError } from '../../errors.js';
import {
  SEARCH_TYPES, type SearchPort, type SearchFilter, type SearchHit, type SearchType,
} from '../searchPort.js';
import { HIT_TYPE, type BuildingModel, type CaseModel, type EnterpriseModel, type PersonModel, type SearchConnectionModel, type SearchEdgeModel, type SearchNodeModel } from '../models.js';
import type { DataKind } from '../policy.js';
import type { AreaIdsFilter } from '../filters.js';
import type { StoreContext } from './context.js';
import type { MaybePromise } from '../loaders.js';

/** What each hit type is, to the policy. */
const KIND_OF: Record<SearchType, DataKind> = { person: 'person', building: 'place', enterprise: 'enterprise', case: 'case' };

export interface SearchArgs {
  query: string;
  /** Default: every type the viewer may read. */
  types?: readonly SearchType[] | null;
  filter?: {
    area?: AreaIdsFilter | null;
    tags?: readonly string[] | null;
    departments?: readonly string[] | null;
    caseStatuses?: readonly string[] | null;
    caseCategories?: readonly string[] | null;
    near?: { lat: number; lng: number; radiusMeters: number } | null;
  } | null;
  first?: number | null;
  after?: string | null;
  /** Whether the client asked for facets; they are most of a search's cost. */
  facets: boolean;
}

/** Repositories that hand out each hit's entity, each through its own policy gate. */
export interface HitLoaders {
  person(id: string): Promise<PersonModel | null>;
  building(id: string): MaybePromise<BuildingModel | null>;
  enterprise(id: string): Promise<EnterpriseModel | null>;
  case(id: string): Promise<CaseModel | null>;
}

const ids = (id: string | null | undefined): string[] | undefined => (id ? [id] : undefined);

/**
 * Search through the hub's search backend, as the viewer: the backend filters by the viewer's
 * scope (so totals and facets never count what the viewer may not see), then every hit's
 * entity is loaded through its own repository, which masks fields and notes person reads for
 * the audit. A hit whose entity is gone or out of sight since it was indexed is dropped.
 */
export function createSearchRepository({ policy }: StoreContext, backend: SearchPort | null, load: HitLoaders) {
  return {
    async search(args: SearchArgs): Promise<SearchConnectionModel> {
      if (!backend) {
        throw new SafeError('SERVICE_UNAVAILABLE', 'Search is not running in this hub process; ask its operator to start the hub with search (the default).');
      }
      const types = args.types?.length ? [...new Set(args.types)] : SEARCH_TYPES.filter((t) => policy.canRead(KIND_OF[t], { purposeAside: true }));
      if (types.length === 0) throw new SafeError('FORBIDDEN', 'Your role may not read any of the kinds of data search finds.');
      for (const type of types) policy.assertCanRead(KIND_OF[type]);
      const f = args.filter ?? {};
      if (f.tags?.length) policy.assertCanReadTags();
      for (const department of f.departments ?? []) policy.assertCanFilterByDepartment(department);
      const filter: SearchFilter = {
        ...(f.area ? { districtIds: ids(f.area.districtId), streetIds: ids(f.area.streetId), communityIds: ids(f.area.communityId), gridIds: ids(f.area.gridId) } : {}),
        ...(f.tags?.length ? { tags: f.tags } : {}),
        ...(f.departments?.length ? { departments: f.departments } : {}),
        ...(f.caseStatuses?.length ? { caseStatuses: f.caseStatuses } : {}),
        ...(f.caseCategories?.length ? { caseCategories: f.caseCategories } : {}),
        ...(f.near ? { near: f.near } : {}),
      };
      for (const key of Object.keys(filter) as (keyof SearchFilter)[]) if (filter[key] === undefined) delete filter[key];

      const result = await backend.search({
        query: args.query,
        scope: policy.rowScope(),
        types,
        filter,
        ...(args.first !== null && args.first !== undefined ? { first: args.first } : {}),
        after: args.after ?? null,
        casesOfDepartment: policy.casesOfDepartment,
        tagsVisible: policy.tagsVisible,
        departmentsVisible: policy.recordDepartmentList(),
        facets: args.facets,
      }).catch((err: unknown) => {
        if (err instanceof SafeError) throw err;
        throw new SafeError('SERVICE_UNAVAILABLE', `The search engine (${backend.kind}) did not answer; try again in a moment. Lists with filters (people, buildings, enterprises, cases) still work.`, {}, err as Error);
      });
      const nodes = await Promise.all(result.hits.map((hit) => entityOf(hit, load)));
      const edges: SearchEdgeModel[] = [];
      result.hits.forEach((hit, i) => {
        const node = nodes[i];
        if (node) edges.push({ cursor: hit.cursor, node, score: hit.score, reasons: hit.reasons, highlights: hit.highlights });
      });
      return {
        edges,
        pageInfo: {
          hasNextPage: result.pageInfo.hasNextPage,
          hasPreviousPage: Boolean(args.after),
          startCursor: result.hits[0]?.cursor ?? null,
          endCursor: result.pageInfo.endCursor,
        },
        totalCount: result.totalCount,
        facets: result.facets,
      };
    },
  };
}

async function entityOf(hit: SearchHit, load: HitLoaders): Promise<SearchNodeModel | null> {
  const entity = await load[hit.type](hit.id);
  return entity ? { ...entity, [HIT_TYPE]: hit.type } : null;
}
