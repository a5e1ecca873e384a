import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { CaseStatus, MatchReason, PersonTag, Resolvers, SearchType } from '../generated/graphql.js';
import { HIT_TYPE } from '../store/models.js';
import { areaFilter, required } from './base.js';

const toGraphQL = <T extends string>(value: string) => value.toUpperCase() as T;
const TYPE_NAME = { person: 'Person', building: 'Building', enterprise: 'Enterprise', case: 'Case' } as const;

/** Whether the operation selects `field` directly under this field (through fragments too). */
function selects(info: GraphQLResolveInfo, field: string): boolean {
  const within = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === field;
      if (s.kind === Kind.INLINE_FRAGMENT) return within(s.selectionSet);
      return within(info.fragments[s.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((node) => within(node.selectionSet));
}

export const searchResolvers: Resolvers = {
  Query: {
    search: (_, { query, types, filter, first, after }, { data }, info) =>
      data.search.search({
        query,
        types: types?.map((t: SearchType) => t.toLowerCase() as 'person' | 'building' | 'enterprise' | 'case'),
        filter: filter && {
          area: areaFilter(filter.area),
          tags: filter.tags?.map((t: PersonTag) => t.toLowerCase()),
          departments: filter.departments,
          caseStatuses: filter.caseStatus?.map((s: CaseStatus) => s.toLowerCase()),
          caseCategories: filter.caseCategory,
          near: filter.near,
        },
        first,
        after,
        facets: selects(info, 'facets'),
      }),
  },
  SearchNode: {
    __resolveType: (node) => TYPE_NAME[node[HIT_TYPE]],
  },
  SearchEdge: {
    reasons: (edge) => edge.reasons.map((r) => toGraphQL<MatchReason>(r)),
    highlights: (edge) => edge.highlights.map((h) => ({ field: toGraphQL(h.field), fragment: h.fragment })),
  },
  SearchConnection: {
    // Asked for only when selected (selects() above), so present whenever resolved.
    facets: (c) => required('search facets', Promise.resolve(c.facets)),
  },
  AreaFacet: { area: (b, _, { data }) => required(`area ${b.value}`, data.places.area(b.value)) },
  GridFacet: { grid: (b, _, { data }) => required(`grid ${b.value}`, data.places.grid(b.value)) },
  TypeFacet: { type: (b) => toGraphQL<SearchType>(b.value) },
  TagFacet: { tag: (b) => toGraphQL<PersonTag>(b.value) },
  DepartmentFacet: { department: (b) => b.value },
};
