import type { Resolvers } from '../generated/graphql.js';
import { areaFilter, required, pageFields } from './base.js';
import { globalIdField, idOf } from './globalId.js';
import type { DataLayer } from '../store/dataLayer.js';

const area = (data: DataLayer, id: string | null) => (id ? data.places.area(id) : null);

export const placesResolvers: Resolvers = {
  Query: {
    grid: (_, { id }, { data }) => data.places.grid(idOf('Grid', id)),
    grids: (_, { filter, first, after }, { data }) => data.places.grids({ area: areaFilter(filter?.area) }, { first, after }),
    building: (_, { id }, { data }) => data.places.building(idOf('Building', id)),
    buildings: (_, { filter, first, after }, { data }) =>
      data.places.buildings({ area: areaFilter(filter?.area), use: filter?.use, department: filter?.department }, { first, after }),
  },
  Area: {
    id: globalIdField('Area'),
    parent: (a, _, { data }) => area(data, a.parentId),
  },
  Address: {
    id: globalIdField('Address'),
    district: (a, _, { data }) => area(data, a.districtId),
    street: (a, _, { data }) => area(data, a.streetId),
    community: (a, _, { data }) => area(data, a.communityId),
  },
  Grid: {
    id: globalIdField('Grid'),
    district: (g, _, { data }) => required(`grid ${g.id} district`, data.places.area(g.districtId)),
    street: (g, _, { data }) => required(`grid ${g.id} street`, data.places.area(g.streetId)),
    community: (g, _, { data }) => required(`grid ${g.id} community`, data.places.area(g.communityId)),
    members: (g, _, { data }) => data.places.gridMembers(g.id),
  },
  GridMember: {
    id: globalIdField('GridMember'),
    grid: (m, _, { data }) => required(`grid member ${m.id} grid`, data.places.grid(m.gridId)),
  },
  Building: {
    id: globalIdField('Building'),
    address: (b, _, { data }) => required(`building ${b.id} address`, data.places.address(b.addressId)),
    grid: (b, _, { data }) => (b.gridId ? data.places.grid(b.gridId) : null),
    dwellings: (b, _, { data }) => data.places.dwellingsOfBuilding(b.id),
    enterprises: (b, _, { data }) => data.enterprises.enterprisesInBuilding(b.id),
    records: (b, _, { data }) => data.departments.recordsAbout('building', b.id),
    disagreements: (b, _, { data }) => data.departments.disagreements('building', b.id),
  },
  Dwelling: {
    id: globalIdField('Dwelling'),
    building: (d, _, { data }) => required(`dwelling ${d.id} building`, data.places.building(d.buildingId)),
    address: (d, _, { data }) => required(`dwelling ${d.id} address`, data.places.address(d.addressId)),
    households: (d, _, { data }) => data.people.householdsOfDwelling(d.id),
    residents: (d, _, { data }) => data.people.residentsOfDwelling(d.id),
  },
  GridConnection: { ...pageFields, totalCount: (c) => c.totalCount() },
  BuildingConnection: { ...pageFields, totalCount: (c) => c.totalCount() },
};
