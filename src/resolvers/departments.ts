import type { Resolvers } from '../generated/graphql.js';
import { required } from './base.js';
import { globalIdField } from './globalId.js';

export const departmentsResolvers: Resolvers = {
  Query: {
    departments: (_, __, { data }) => data.departments.departments(),
  },
  Department: {
    id: globalIdField('Department'),
    connector: (d, _, { data }) => data.departments.connectorStatus(d.id),
  },
  SourceRecord: {
    id: globalIdField('SourceRecord'),
    department: (r, _, { data }) => required(`source record ${r.id} department`, data.departments.department(r.departmentId)),
    facts: (r) => Object.entries(r.facts).map(([field, value]) => ({ field, value: value === null || value === undefined ? null : String(value) })),
  },
};
