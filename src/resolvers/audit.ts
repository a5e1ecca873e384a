import type { Resolvers } from '../generated/graphql.js';
import { pageFields } from './base.js';
import { roleEnum, type RoleId } from '../auth/viewer.js';
import { optionalIdOf, toGlobalId } from './globalId.js';

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
    person: (e, _, { data }) => data.people.person(e.personId),
    personId: (e) => toGlobalId('Person', e.personId),
  },
  AuditEntryConnection: { ...pageFields, totalCount: (c) => c.totalCount() },
};
