import { DateTimeResolver, LocalDateResolver } from 'graphql-scalars';
import type { Resolvers, AreaFilter } from '../generated/graphql.js';
import type { DataLayer } from '../store/dataLayer.js';
import { then, type MaybePromise } from '../store/loaders.js';
import type { AreaIdsFilter } from '../store/filters.js';
import { fromGlobalId, optionalIdOf, type NodeType } from './globalId.js';

/** Global area filter ids to database ids, each checked to be of the right type. */
export function areaFilter(area: AreaFilter | null | undefined): AreaIdsFilter | null {
  if (!area) return null;
  return {
    districtId: optionalIdOf('Area', area.districtId),
    streetId: optionalIdOf('Area', area.streetId),
    communityId: optionalIdOf('Area', area.communityId),
    gridId: optionalIdOf('Grid', area.gridId),
  };
}

/** A required relation that the store's foreign keys guarantee; a miss is a broken store, not a client error. */
export function required<T>(what: string, load: MaybePromise<T | null>): MaybePromise<T> {
  return then(load, (found) => {
    if (found === null) throw new Error(`dangling reference: ${what}`);
    return found;
  });
}

/**
 * A connection's rows and page, read by a resolver rather than as plain properties: an
 * aggregate-only role's connection refuses them by throwing (src/store/paging.ts), and only a
 * resolver's throw is sure to become that field's error. An executor that inlines property reads
 * (graphql-jit does, outside its error handling) would otherwise let the refusal escape the
 * request.
 */
export const pageFields = {
  edges: <C extends { edges: unknown }>(c: C): C['edges'] => c.edges,
  pageInfo: <C extends { pageInfo: unknown }>(c: C): C['pageInfo'] => c.pageInfo,
};

type Loaded = { id: string } | null;
const loadNode: Record<NodeType, (data: DataLayer, id: string) => MaybePromise<Loaded>> = {
  Person: (d, id) => d.people.person(id),
  Household: (d, id) => d.people.household(id),
  Dwelling: (d, id) => d.places.dwelling(id),
  Building: (d, id) => d.places.building(id),
  Address: (d, id) => d.places.address(id),
  Area: (d, id) => d.places.area(id),
  Grid: (d, id) => d.places.grid(id),
  GridMember: (d, id) => d.places.gridMember(id),
  Enterprise: (d, id) => d.enterprises.enterprise(id),
  Department: (d, id) => d.departments.department(id),
  SourceRecord: (d, id) => d.departments.sourceRecord(id),
  Case: (d, id) => d.cases.case(id),
  Dispatch: (d, id) => d.cases.dispatch(id),
  CaseEvent: (d, id) => d.cases.caseEvent(id),
  MatchCandidate: (d, id) => d.resolution.candidate(id),
};

/** Tags a loaded model with its GraphQL type so `Node.__resolveType` (and unions of nodes) need no guessing. */
const NODE_TYPE = Symbol('nodeType');

export function tagNode<T extends object>(type: NodeType, model: T | null): T | null {
  return model ? { ...model, [NODE_TYPE]: type } : null;
}

export const nodeTypeOf = (node: unknown): NodeType => (node as { [NODE_TYPE]: NodeType })[NODE_TYPE];

export const baseResolvers: Resolvers = {
  DateTime: DateTimeResolver,
  Date: LocalDateResolver,
  Node: {
    __resolveType: (node) => nodeTypeOf(node),
  },
  Query: {
    node: async (_, { id }, { data }) => {
      const { type, id: dbId } = fromGlobalId(id);
      return tagNode(type, await loadNode[type](data, dbId)) as never;
    },
    viewer: (_, __, { viewer }) => viewer,
  },
};
