import type { Role } from '../generated/graphql.js';

/** Role ids as tokens and the CLI spell them (API.md), and their GraphQL enum. */
export const ROLE_IDS = [
  'district-admin', 'street-operator', 'grid-worker', 'police', 'court', 'fire', 'social-worker', 'integrator', 'dashboard',
] as const;
export type RoleId = (typeof ROLE_IDS)[number];

export function roleEnum(role: RoleId): Role {
  return role.toUpperCase().replace(/-/g, '_') as Role;
}

/**
 * The user behind a request. Every data-layer call receives it, so grid scope, field masking
 * and audit of person reads (issue 6) are decided in one place.
 */
export type Viewer =
  | { authenticated: false }
  | {
      authenticated: true;
      subject: string;
      name: string | null;
      role: RoleId;
      /** Grid ids (database ids) the viewer works in. */
      gridIds: string[];
      /** Department name, e.g. `police`. */
      department: string | null;
    };

export const ANONYMOUS: Viewer = { authenticated: false };
