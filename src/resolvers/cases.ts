import type { Resolvers } from '../generated/graphql.js';
import { areaFilter, required } from './base.js';
import { globalIdField, idOf, optionalIdOf } from './globalId.js';

export const casesResolvers: Resolvers = {
  Query: {
    case: (_, { id }, { data }) => data.cases.case(idOf('Case', id)),
    cases: (_, { filter, first, after }, { data }) =>
      data.cases.cases(
        {
          area: areaFilter(filter?.area),
          status: filter?.status,
          category: filter?.category,
          personId: optionalIdOf('Person', filter?.personId),
          department: filter?.department,
        },
        { first, after },
      ),
  },
  Case: {
    id: globalIdField('Case'),
    address: (c, _, { data }) => (c.addressId ? data.places.address(c.addressId) : null),
    building: (c, _, { data }) => (c.buildingId ? data.places.building(c.buildingId) : null),
    grid: (c, _, { data }) => (c.gridId ? data.places.grid(c.gridId) : null),
    people: (c, _, { data }) => data.cases.peopleOfCase(c.id),
    dispatches: (c, _, { data }) => data.cases.dispatchesOf(c.id),
    history: (c, _, { data }) => data.cases.historyOf(c.id),
  },
  Dispatch: {
    id: globalIdField('Dispatch'),
    case: (d, _, { data }) => required(`dispatch ${d.id} case`, data.cases.case(d.caseId)),
    department: (d, _, { data }) => required(`dispatch ${d.id} department`, data.departments.department(d.departmentId)),
  },
  CaseConnection: { totalCount: (c) => c.totalCount() },
};
