import type { Resolvers } from '../generated/graphql.js';
import { areaFilter, pageFields } from './base.js';
import { globalIdField, idOf } from './globalId.js';

export const peopleResolvers: Resolvers = {
  Query: {
    person: (_, { id }, { data }) => data.people.person(idOf('Person', id)),
    people: (_, { filter, first, after }, { data }) =>
      data.people.people(
        { area: areaFilter(filter?.area), tags: filter?.tags, department: filter?.department, residenceType: filter?.residenceType },
        { first, after },
      ),
    household: (_, { id }, { data }) => data.people.household(idOf('Household', id)),
  },
  Person: {
    id: globalIdField('Person'),
    household: (p, _, { data }) => (p.householdId ? data.people.household(p.householdId) : null),
    dwelling: (p, _, { data }) => (p.dwellingId ? data.places.dwelling(p.dwellingId) : null),
    building: (p, _, { data }) => (p.buildingId ? data.places.building(p.buildingId) : null),
    address: async (p, _, { data }) => {
      const dwelling = p.dwellingId ? await data.places.dwelling(p.dwellingId) : null;
      return dwelling ? data.places.address(dwelling.addressId) : null;
    },
    grid: (p, _, { data }) => (p.gridId ? data.places.grid(p.gridId) : null),
    tags: (p, _, { data }) => data.people.tags(p.id),
    records: (p, _, { data }) => data.departments.recordsAbout('person', p.id),
    disagreements: (p, _, { data }) => data.departments.disagreements('person', p.id),
    cases: (p, { first }, { data }) => data.cases.latestCasesOf(p.id, first ?? 10),
  },
  Household: {
    id: globalIdField('Household'),
    head: (h, _, { data }) => data.people.householdHead(h),
    members: (h, _, { data }) => data.people.householdMembers(h.id),
    dwelling: (h, _, { data }) => (h.dwellingId ? data.places.dwelling(h.dwellingId) : null),
  },
  PersonConnection: { ...pageFields, totalCount: (c) => c.totalCount() },
};
