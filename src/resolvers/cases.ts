import type { Resolvers } from '../generated/graphql.js';
import { areaFilter, required, pageFields } from './base.js';
import { globalIdField, idOf, optionalIdOf } from './globalId.js';
import type { CaseFilter } from '../generated/graphql.js';
import { CATEGORIES } from '../domain/caseTaxonomy.js';
import { CASE_DEPARTMENTS } from '../domain/departments.js';

const caseFilter = (filter: CaseFilter | null | undefined) => ({
  area: areaFilter(filter?.area),
  status: filter?.status,
  category: filter?.category,
  personId: optionalIdOf('Person', filter?.personId),
  buildingId: optionalIdOf('Building', filter?.buildingId),
  department: filter?.department,
  overdue: filter?.overdue,
  escalated: filter?.escalated,
});

export const casesResolvers: Resolvers = {
  Query: {
    case: (_, { id }, { data }) => data.cases.case(idOf('Case', id)),
    cases: (_, { filter, order, first, after }, { data }) => data.cases.cases(caseFilter(filter), { first, after }, order === 'OLDEST_FIRST' ? 'asc' : 'desc'),
    caseReport: (_, { filter, period, at }, { data }) => data.cases.report(caseFilter(filter), period, at ?? null),
    // Reference data, the same for every viewer: no data layer behind it.
    caseCategories: () => CATEGORIES.map(({ code, title }) => ({ code, title })),
    caseDepartments: () => CASE_DEPARTMENTS.map(([name, displayName]) => ({ name, displayName })),
  },
  Case: {
    id: globalIdField('Case'),
    address: (c, _, { data }) => (c.addressId ? data.places.address(c.addressId) : null),
    building: (c, _, { data }) => (c.buildingId ? data.places.building(c.buildingId) : null),
    grid: (c, _, { data }) => (c.gridId ? data.places.grid(c.gridId) : null),
    people: (c, _, { data }) => data.cases.peopleOfCase(c.id),
    dispatches: (c, _, { data }) => data.cases.dispatchesOf(c.id),
    history: (c, _, { data }) => data.cases.historyOf(c.id),
    enterprises: async (c, _, { data }) =>
      (await Promise.all((await data.cases.enterpriseIdsOf(c.id)).map((id) => data.enterprises.enterprise(id)))).filter((e) => e !== null),
  },
  CaseSla: {
    overdue: (s, _, { data }) => s.owedBy !== null && s.owedBy.getTime() < data.clock.now().getTime(),
  },
  CaseEvent: {
    id: globalIdField('CaseEvent'),
    position: (e) => e.id,
    dispatch: (e, _, { data }) => (e.dispatchId ? data.cases.dispatch(e.dispatchId) : null),
    department: (e, _, { data }) => (e.departmentId ? data.departments.department(e.departmentId) : null),
    data: (e) => (e.data === null ? null : JSON.stringify(e.data)),
  },
  CaseCount: {
    street: (r, _, { data }) => (r.streetId ? data.places.area(r.streetId) : null),
  },
  Dispatch: {
    id: globalIdField('Dispatch'),
    case: (d, _, { data }) => required(`dispatch ${d.id} case`, data.cases.case(d.caseId)),
    department: (d, _, { data }) => required(`dispatch ${d.id} department`, data.departments.department(d.departmentId)),
  },
  CaseConnection: { ...pageFields, totalCount: (c) => c.totalCount() },
};
