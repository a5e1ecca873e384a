import type { Resolvers } from '../generated/graphql.js';
import { baseResolvers } from './base.js';
import { viewerResolvers } from './viewer.js';
import { placesResolvers } from './places.js';
import { peopleResolvers } from './people.js';
import { enterprisesResolvers } from './enterprises.js';
import { departmentsResolvers } from './departments.js';
import { casesResolvers } from './cases.js';
import { caseWorkflowResolvers } from './caseWorkflow.js';
import { auditResolvers } from './audit.js';
import { searchResolvers } from './search.js';
import { liveResolvers } from './live.js';
import { resolutionResolvers } from './resolution.js';

/** Every domain's resolvers; graphql-tools merges the per-type maps. */
export const resolvers: Resolvers[] = [
  baseResolvers, viewerResolvers, placesResolvers, peopleResolvers, enterprisesResolvers, departmentsResolvers, casesResolvers, caseWorkflowResolvers, auditResolvers,
  searchResolvers, liveResolvers, resolutionResolvers,
];
