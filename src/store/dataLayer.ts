import type { Knex } from 'knex';
import type { Viewer } from '../auth/viewer.js';
import { Policy } from './policy.js';
import { createPlacesRepository } from './repositories/places.js';
import { createPeopleRepository } from './repositories/people.js';
import { createEnterprisesRepository } from './repositories/enterprises.js';
import { createDepartmentsRepository } from './repositories/departments.js';
import { createCasesRepository } from './repositories/cases.js';

/**
 * The data layer for one request (or one subscription event): repositories with fresh
 * DataLoaders, all bound to the viewer. Never share one across requests: its loaders cache.
 */
export function createDataLayer(knex: Knex, viewer: Viewer) {
  const ctx = { knex, policy: new Policy(viewer) };
  return {
    viewer,
    places: createPlacesRepository(ctx),
    people: createPeopleRepository(ctx),
    enterprises: createEnterprisesRepository(ctx),
    departments: createDepartmentsRepository(ctx),
    cases: createCasesRepository(ctx),
  };
}
export type DataLayer = ReturnType<typeof createDataLayer>;
