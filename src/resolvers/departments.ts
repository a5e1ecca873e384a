import type { Resolvers } from '../generated/graphql.js';
import { required } from './base.js';
import { globalIdField } from './globalId.js';

export const departmentsResolvers: Resolvers = {
  Query: {
    departments: (_, __, { data }) => data.departments.departments(),
  },
  Mutation: {
    replayDeadLetters: async (_, { department }, { data }) => {
      const r = await data.deadLetters.replay(department);
      return { ...r, department: (await data.departments.departments()).find((d) => d.name === r.department) ?? null };
    },
  },
  Department: {
    id: globalIdField('Department'),
    connector: (d, _, { data }) => data.departments.connectorStatus(d.id),
    deadLetters: (d, { first }, { data }) => data.deadLetters.deadLettersOf(d.id, first ?? 20),
  },
  SourceRecord: {
    id: globalIdField('SourceRecord'),
    department: (r, _, { data }) => required(`source record ${r.id} department`, data.departments.department(r.departmentId)),
    facts: (r) => Object.entries(r.facts).map(([field, value]) => ({ field, value: value === null || value === undefined ? null : String(value) })),
  },
};
