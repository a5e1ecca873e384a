import type { Knex } from 'knex';
import { SafeError } from '../errors.js';
import type { RoleId, Viewer } from '../auth/viewer.js';

/**
 * Who may see what: the one place that decides. Repositories ask the policy before they read
 * and pass every row through it before handing it out, so `node(id)`, root lists, nested fields
 * and (later) search and subscriptions all obey the same rules. Resolvers never decide.
 */

/** The kinds of data the policy decides on. */
export type DataKind =
  | 'person' | 'household' | 'place' | 'grid' | 'grid_member' | 'enterprise' | 'department' | 'source_record' | 'case' | 'audit';

/** Kinds that are citizens' personal data: reading them needs a declared purpose and is audited. */
const PERSONAL: ReadonlySet<DataKind> = new Set(['person', 'household', 'source_record']);

export const DEPARTMENTS = ['population', 'housing', 'enterprise', 'police', 'court', 'fire', 'social'] as const;
export type DepartmentName = (typeof DEPARTMENTS)[number];

/**
 * Which rows of people, households, buildings, dwellings, enterprises and cases a role sees:
 * the whole district, the viewer's streets, or the viewer's grids.
 */
type Scope = 'district' | 'streets' | 'grids';

interface RoleRules {
  scope: Scope;
  /** Kinds the role may read row by row. */
  reads: ReadonlySet<DataKind>;
  /** Kinds the role may only count (connections' totalCount), never list. */
  counts: ReadonlySet<DataKind>;
  unmaskedIdNumber: boolean;
  unmaskedPhone: boolean;
  /** Special-group tags (elderly living alone, disabled, community correction...). */
  tags: boolean;
  /** Departments whose records (provenance) the role sees; 'all' includes departments connected later. */
  records: { has(department: string): boolean };
  /** Department roles see only cases dispatched to their department. */
  casesOfDepartment: DepartmentName | null;
}

const ALL_ROWS: DataKind[] = ['person', 'household', 'place', 'grid', 'grid_member', 'enterprise', 'department', 'source_record', 'case'];
const rules = (r: Omit<RoleRules, 'reads' | 'counts' | 'records'> & { reads: DataKind[]; counts?: DataKind[]; records: DepartmentName[] | 'all' }): RoleRules => ({
  ...r,
  reads: new Set(r.reads),
  counts: new Set(r.counts ?? []),
  records: r.records === 'all' ? { has: () => true } : new Set<string>(r.records),
});

/** The role matrix. Changing who sees what is changing this table, and the matrix test beside it. */
export const ROLE_RULES: Record<RoleId, RoleRules> = {
  'district-admin': rules({
    scope: 'district', reads: [...ALL_ROWS, 'audit'], unmaskedIdNumber: true, unmaskedPhone: true, tags: true,
    records: 'all', casesOfDepartment: null,
  }),
  'street-operator': rules({
    scope: 'streets', reads: ALL_ROWS, unmaskedIdNumber: false, unmaskedPhone: true, tags: true,
    records: ['population', 'housing', 'enterprise', 'police', 'court', 'fire'], casesOfDepartment: null,
  }),
  'grid-worker': rules({
    scope: 'grids', reads: ALL_ROWS, unmaskedIdNumber: false, unmaskedPhone: true, tags: true,
    records: ['population', 'housing', 'fire'], casesOfDepartment: null,
  }),
  police: rules({
    scope: 'district', reads: ALL_ROWS, unmaskedIdNumber: true, unmaskedPhone: true, tags: true,
    records: ['population', 'housing', 'enterprise', 'police'], casesOfDepartment: 'police',
  }),
  court: rules({
    scope: 'district', reads: ALL_ROWS, unmaskedIdNumber: true, unmaskedPhone: false, tags: false,
    records: ['population', 'enterprise', 'court'], casesOfDepartment: 'court',
  }),
  fire: rules({
    scope: 'district', reads: ALL_ROWS, unmaskedIdNumber: false, unmaskedPhone: false, tags: false,
    records: ['housing', 'enterprise', 'fire'], casesOfDepartment: 'fire',
  }),
  'social-worker': rules({
    scope: 'district', reads: ALL_ROWS, unmaskedIdNumber: true, unmaskedPhone: true, tags: true,
    records: ['population', 'social'], casesOfDepartment: 'social',
  }),
  integrator: rules({
    scope: 'district', reads: ['department', 'grid'], unmaskedIdNumber: false, unmaskedPhone: false, tags: false,
    records: [], casesOfDepartment: null,
  }),
  dashboard: rules({
    scope: 'district', reads: ['department', 'grid'], counts: ['person', 'household', 'place', 'enterprise', 'case'],
    unmaskedIdNumber: false, unmaskedPhone: false, tags: false, records: [], casesOfDepartment: null,
  }),
};

/** Where a row sits, as far as scope is concerned. */
export interface ScopedRow {
  gridId: string | null;
  streetId: string | null;
}

/** `330106********1234`: region kept for routing, last four for a phone conversation. */
export function maskIdNumber(value: string): string {
  return value.length <= 10 ? '*'.repeat(value.length) : `${value.slice(0, 6)}${'*'.repeat(value.length - 10)}${value.slice(-4)}`;
}

/** `138****5678`. */
export function maskPhone(value: string): string {
  return value.length <= 7 ? '*'.repeat(value.length) : `${value.slice(0, 3)}${'*'.repeat(value.length - 7)}${value.slice(-4)}`;
}

/** Resident ID numbers inside free text (a source system's record id, say). */
const EMBEDDED_ID_NUMBER = /\d{17}[\dX]/g;

export class Policy {
  private readonly rules: RoleRules | null;

  constructor(
    readonly viewer: Viewer,
    /** What the client declared it needs personal data for (`x-purpose`). */
    readonly purpose: string | null = null,
  ) {
    this.rules = viewer.authenticated ? ROLE_RULES[viewer.role] : null;
  }

  private get role(): RoleRules {
    if (!this.rules) {
      throw new SafeError('UNAUTHENTICATED', 'This needs a Bearer token: mint one with `npx liandong token --role ROLE`.');
    }
    return this.rules;
  }

  /** Throws unless the viewer may read rows of `kind`. */
  assertCanRead(kind: DataKind): void {
    const role = this.role;
    if (!role.reads.has(kind)) {
      throw new SafeError('FORBIDDEN', `Your role may not read ${kind.replace('_', ' ')} data.`);
    }
    if (PERSONAL.has(kind) && !this.purpose) {
      throw new SafeError('PURPOSE_REQUIRED', 'Reading personal data needs a declared purpose: send the x-purpose header (e.g. "x-purpose: case 2026-000123 follow-up").');
    }
  }

  /** assertCanRead as a question: for narrowing a default (every kind the viewer may read) instead of refusing. */
  canRead(kind: DataKind): boolean {
    const rules = this.rules;
    return rules !== null && rules.reads.has(kind) && (!PERSONAL.has(kind) || Boolean(this.purpose));
  }

  /**
   * Equal keys, equal decisions: everything any rule of this class reads from the viewer and
   * purpose. Live subscriptions execute an event once for all subscribers with the same key
   * (and the same operation) and share the result, so nothing this class decides by may be
   * left out. The purpose's text is not decided on, only whether there is one; the audit
   * trail still records each subscriber's own.
   */
  scopeKey(): string {
    const viewer = this.viewer;
    if (!viewer.authenticated) return 'anonymous';
    return JSON.stringify([viewer.role, [...viewer.gridIds].sort(), [...viewer.streetIds].sort(), Boolean(this.purpose)]);
  }

  /** For connections: 'rows' when the viewer may list, 'count' when only totalCount is allowed. */
  listAccess(kind: DataKind): 'rows' | 'count' {
    const role = this.role;
    if (role.counts.has(kind)) return 'count';
    this.assertCanRead(kind);
    return 'rows';
  }

  /** Restricts a list query on `table` (which carries grid_id and street_id) to the viewer's scope. */
  scopeQuery(q: Knex.QueryBuilder, table: string): Knex.QueryBuilder {
    const viewer = this.viewer;
    if (!viewer.authenticated) return q.whereRaw('false');
    switch (this.role.scope) {
      case 'district':
        return q;
      case 'streets':
        return viewer.streetIds.length ? q.whereIn(`${table}.street_id`, viewer.streetIds) : q.whereRaw('false');
      case 'grids':
        return viewer.gridIds.length ? q.whereIn(`${table}.grid_id`, viewer.gridIds) : q.whereRaw('false');
    }
  }

  /** The same rule as scopeQuery, for one row already loaded. */
  inScope(row: ScopedRow): boolean {
    const viewer = this.viewer;
    if (!viewer.authenticated) return false;
    switch (this.role.scope) {
      case 'district':
        return true;
      case 'streets':
        return row.streetId !== null && viewer.streetIds.includes(row.streetId);
      case 'grids':
        return row.gridId !== null && viewer.gridIds.includes(row.gridId);
    }
  }

  /** The department whose dispatched cases are the only ones a department role sees, if any. */
  get casesOfDepartment(): DepartmentName | null {
    return this.role.casesOfDepartment;
  }

  canSeeCase(row: ScopedRow & { dispatchedTo: string[] }): boolean {
    const department = this.role.casesOfDepartment;
    return this.inScope(row) && (department === null || row.dispatchedTo.includes(department));
  }

  idNumber(value: string | null): string | null {
    return value === null || this.role.unmaskedIdNumber ? value : maskIdNumber(value);
  }

  phone(value: string | null): string | null {
    return value === null || this.role.unmaskedPhone ? value : maskPhone(value);
  }

  /** A source system's own record id, with any ID number in it masked like the field itself. */
  sourceId(value: string): string {
    return this.role.unmaskedIdNumber ? value : value.replace(EMBEDDED_ID_NUMBER, maskIdNumber);
  }

  assertCanReadTags(): void {
    if (!this.role.tags) throw new SafeError('FORBIDDEN', 'Your role may not see special-group tags.');
  }

  /** Departments whose records the viewer sees. */
  recordDepartments(): { has(department: string): boolean } {
    return this.role.records;
  }

  /** Filtering by "a record of department X exists" reveals that record: allowed only where it is visible. */
  assertCanFilterByDepartment(department: string): void {
    if (!/^[a-z][a-z0-9_]{1,30}$/.test(department)) {
      throw new SafeError('BAD_USER_INPUT', 'A department is named by its machine name: lower-case letters, digits and _ (e.g. police).');
    }
    if (!this.role.records.has(department)) {
      throw new SafeError('FORBIDDEN', `Your role may not see ${department} records, so it may not filter by them.`);
    }
  }
}
