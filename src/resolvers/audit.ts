import type { Resolvers } from '../generated/graphql.js';
import { pageFields } from './base.js';
import { roleEnum, type RoleId } from '../auth/viewer.js';
import { optionalIdOf, toGlobalId } from './globalId.js';
import { pageSize } from '../store/pagination.js';

export const auditResolvers: Resolvers = {
  Query: {
    auditTrail: (_, { filter, first, after }, { data }) =>
      data.audit.trail(
        { personId: optionalIdOf('Person', filter?.personId), subject: filter?.subject, since: filter?.since, until: filter?.until },
        { first, after },
      ),
  },
  AuditEntry: {
    role: (e) => roleEnum(e.role as RoleId),
    personCount: (e) => e.personIds.length,
    personIds: (e, { first }) => e.personIds.slice(0, pageSize(first)).map((id) => toGlobalId('Person', id)),
    // Through the data layer like any read: out of scope or gone, a person is left out (and
    // those shown are audited in turn).
    people: async (e, { first }, { data }) =>
      (await Promise.all(e.personIds.slice(0, pageSize(first)).map((id) => data.people.person(id)))).filter((p) => p !== null),
  },
  AuditEntryConnection: { ...pageFields, totalCount: (c) => c.totalCount() },
};
