import type { Resolvers } from '../generated/graphql.js';
import { roleEnum } from '../auth/viewer.js';

export const viewerResolvers: Resolvers = {
  Viewer: {
    subject: (v) => (v.authenticated ? v.subject : null),
    name: (v) => (v.authenticated ? v.name : null),
    role: (v) => (v.authenticated ? roleEnum(v.role) : null),
    grids: async (v, _, { data }) => {
      if (!v.authenticated) return [];
      const grids = await Promise.all(v.gridIds.map(async (id) => data.places.grid(id)));
      return grids.filter((g) => g !== null);
    },
    streets: async (v, _, { data }) => {
      if (!v.authenticated) return [];
      const streets = await Promise.all(v.streetIds.map(async (id) => data.places.area(id)));
      return streets.filter((s) => s !== null);
    },
    department: (v, _, { data }) => (v.authenticated && v.department ? data.departments.departmentNamed(v.department) : null),
  },
};
