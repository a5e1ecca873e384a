import type { Resolvers } from '../generated/graphql.js';
import { nodeTypeOf, required, tagNode } from './base.js';
import { encodeCursor } from '../live/messages.js';

/**
 * The messages live subscriptions push. Their root fields have no resolvers here: the live
 * engine (src/live) executes each event with the message as the root value.
 */
export const liveResolvers: Resolvers = {
  Query: {
    caseEventsCursor: async (_, __, { data }) => encodeCursor('case', await data.caseLogHead()),
  },
  CaseEventMessage: {
    case: (m, _, { data }) => required(`case event ${m.event.id} case`, data.cases.case(m.caseId)),
  },
  EntityChange: {
    department: (m, _, { data }) => (m.departmentId ? data.departments.department(m.departmentId) : null),
    entity: async (m, _, { data }) => {
      switch (m.entityLogType) {
        case 'person': return tagNode('Person', await data.people.person(m.entityId));
        case 'building': return tagNode('Building', await data.places.building(m.entityId));
        case 'enterprise': return tagNode('Enterprise', await data.enterprises.enterprise(m.entityId));
      }
    },
  },
  ChangedEntity: {
    __resolveType: (entity) => nodeTypeOf(entity) as "Person" | "Building" | "Enterprise",
  },
  Dashboard: {
    area: (d, _, { data }) => (d.areaId ? data.places.area(d.areaId) : null),
    grid: (d, _, { data }) => (d.gridId ? data.places.grid(d.gridId) : null),
  },
  GridCaseCount: {
    grid: (c, _, { data }) => required(`dashboard grid ${c.gridId}`, data.places.grid(c.gridId)),
  },
};
