import type { Resolvers } from '../generated/graphql.js';
import { areaFilter, pageFields } from './base.js';
import { globalIdField, idOf } from './globalId.js';

export const enterprisesResolvers: Resolvers = {
  Query: {
    enterprise: (_, { id }, { data }) => data.enterprises.enterprise(idOf('Enterprise', id)),
    enterprises: (_, { filter, first, after }, { data }) =>
      data.enterprises.enterprises({ area: areaFilter(filter?.area), status: filter?.status, department: filter?.department }, { first, after }),
  },
  Enterprise: {
    id: globalIdField('Enterprise'),
    address: (e, _, { data }) => (e.addressId ? data.places.address(e.addressId) : null),
    building: (e, _, { data }) => (e.buildingId ? data.places.building(e.buildingId) : null),
    grid: (e, _, { data }) => (e.gridId ? data.places.grid(e.gridId) : null),
    records: (e, _, { data }) => data.departments.recordsAbout('enterprise', e.id),
    disagreements: (e, _, { data }) => data.departments.disagreements('enterprise', e.id),
  },
  EnterpriseConnection: { ...pageFields, totalCount: (c) => c.totalCount() },
};
