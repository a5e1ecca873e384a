import type { Role } from '../generated/graphql.js';

/** Role ids as tokens and the CLI spell them (API.md), and their GraphQL enum. */
export const ROLE_IDS = [
  'district-admin', 'street-operator', 'grid-worker', 'police', 'court', 'fire', 'social-worker', 'department-staff', 'data-steward', 'integrator', 'dashboard',
] as const;
export type RoleId = (typeof ROLE_IDS)[number];

export function roleEnum(role: RoleId): Role {
  return role.toUpperCase().replace(/-/g, '_') as Role;
}

/**
 * The user behind a request. Every data-layer call receives it, so row scope, field masking
 * and the audit of person reads are decided in one place (src/store/policy.ts).
 */
export type Viewer =
  | { authenticated: false }
  | {
      authenticated: true;
      subject: string;
      name: string | null;
      role: RoleId;
      /** Grids (database ids) a grid worker works in. */
      gridIds: string[];
      /** Streets (area database ids) a street command-center operator covers. */
      streetIds: string[];
      /** Department name, e.g. `police`; for `department-staff`, the department whose dispatches they work. */
      department: string | null;
    };

export const ANONYMOUS: Viewer = { authenticated: false };
