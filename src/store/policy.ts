import type { Knex } from 'knex';
import { SafeError } from '../errors.js';
import type { RoleId, Viewer } from '../auth/viewer.js';
import type { CaseLevel } from '../domain/caseWorkflow.js';
import { dataClassOf, departmentsOfClasses, type DataClass } from '../domain/dataClasses.js';

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
  /**
   * Departments whose records (provenance) the role sees, decided by the class of data each
   * department's connector declares (src/domain/dataClasses.ts); 'all' includes departments of
   * no known class.
   */
  records: { has(department: string): boolean };
  /** The same, as a list for search facets ('all' for every department), of the departments known now. */
  recordList(): readonly string[] | 'all';
  /**
   * Department roles see only cases dispatched to their department, and work only its dispatches;
   * 'own' is the department the token names (department staff).
   */
  casesOfDepartment: DepartmentName | 'own' | null;
  /** Case commands the role may issue (who acts on which case is then judged by scope and level). */
  caseActions: ReadonlySet<CaseAction>;
  /** The channels the role reports cases through. */
  reportChannels: ReadonlySet<ReportChannel>;
  /** The level of the hierarchy the role acts at: it handles cases at that level and below. */
  level: CaseLevel | null;
  /** Reviews and corrects entity resolution: the review queue, confirm, reject, merge, split. */
  resolution: boolean;
}

/**
 * What a viewer may do to a case. 'work' is accepting, starting and completing a dispatch, which
 * only the department it was sent to does; the rest is the command centers' (and the grid's, for
 * reporting and escalating).
 */
export type CaseAction = 'report' | 'dispatch' | 'work' | 'feedback' | 'close' | 'reopen' | 'escalate' | 'supervise';
export type ReportChannel = 'hotline_12345' | 'police_110' | 'command_center' | 'grid_patrol';
const LEVEL_RANK: Record<CaseLevel, number> = { grid: 0, street: 1, district: 2 };
const COMMAND_CENTER: CaseAction[] = ['report', 'dispatch', 'feedback', 'close', 'reopen', 'escalate'];

const ALL_ROWS: DataKind[] = ['person', 'household', 'place', 'grid', 'grid_member', 'enterprise', 'department', 'source_record', 'case'];
type RuleInput = Omit<RoleRules, 'reads' | 'counts' | 'records' | 'recordList' | 'caseActions' | 'reportChannels' | 'level' | 'resolution'> & {
  reads: DataKind[]; counts?: DataKind[]; records: DataClass[] | 'all';
  caseActions?: CaseAction[]; reportChannels?: ReportChannel[]; level?: CaseLevel; resolution?: boolean;
};
const rules = (r: RuleInput): RoleRules => ({
  ...r,
  reads: new Set(r.reads),
  counts: new Set(r.counts ?? []),
  ...recordsOfClasses(r.records),
  caseActions: new Set(r.caseActions ?? []),
  reportChannels: new Set(r.reportChannels ?? []),
  level: r.level ?? null,
  resolution: r.resolution ?? false,
});

function recordsOfClasses(classes: DataClass[] | 'all'): Pick<RoleRules, 'records' | 'recordList'> {
  if (classes === 'all') return { records: { has: () => true }, recordList: () => 'all' };
  const set = new Set(classes);
  return {
    records: { has: (department) => { const c = dataClassOf(department); return c !== null && set.has(c); } },
    // Computed at each call: a department connected since start is in it.
    recordList: () => departmentsOfClasses(set),
  };
}

/** Roles that look after the department connectors (dead letters, replay). */
const CONNECTOR_OPERATORS: ReadonlySet<RoleId> = new Set(['district-admin', 'integrator']);

/** The role matrix. Changing who sees what is changing this table, and the matrix test beside it. */
export const ROLE_RULES: Record<RoleId, RoleRules> = {
  'district-admin': rules({
    scope: 'district', reads: [...ALL_ROWS, 'audit'], unmaskedIdNumber: true, unmaskedPhone: true, tags: true,
    records: 'all', casesOfDepartment: null,
    caseActions: [...COMMAND_CENTER, 'supervise'], reportChannels: ['hotline_12345', 'command_center', 'police_110'], level: 'district',
    resolution: true,
  }),
  'street-operator': rules({
    scope: 'streets', reads: ALL_ROWS, unmaskedIdNumber: false, unmaskedPhone: true, tags: true,
    records: ['civil-registry', 'housing', 'market', 'public-security', 'judicial', 'fire'], casesOfDepartment: null,
    caseActions: COMMAND_CENTER, reportChannels: ['hotline_12345', 'command_center'], level: 'street',
  }),
  'grid-worker': rules({
    scope: 'grids', reads: ALL_ROWS, unmaskedIdNumber: false, unmaskedPhone: true, tags: true,
    records: ['civil-registry', 'housing', 'fire'], casesOfDepartment: null,
    caseActions: ['report', 'escalate'], reportChannels: ['grid_patrol'], level: 'grid',
  }),
  police: rules({
    scope: 'district', reads: ALL_ROWS, unmaskedIdNumber: true, unmaskedPhone: true, tags: true,
    records: ['civil-registry', 'housing', 'market', 'public-security'], casesOfDepartment: 'police',
    caseActions: ['report', 'work'], reportChannels: ['police_110'],
  }),
  court: rules({
    scope: 'district', reads: ALL_ROWS, unmaskedIdNumber: true, unmaskedPhone: false, tags: false,
    records: ['civil-registry', 'market', 'judicial'], casesOfDepartment: 'court', caseActions: ['work'],
  }),
  fire: rules({
    scope: 'district', reads: ALL_ROWS, unmaskedIdNumber: false, unmaskedPhone: false, tags: false,
    records: ['housing', 'market', 'fire'], casesOfDepartment: 'fire', caseActions: ['work'],
  }),
  'social-worker': rules({
    scope: 'district', reads: ALL_ROWS, unmaskedIdNumber: true, unmaskedPhone: true, tags: true,
    records: ['civil-registry', 'social-services'], casesOfDepartment: 'social', caseActions: ['work'],
  }),
  // Environment, urban management, land...: they see and work what is dispatched to them, and
  // call the people concerned, without the registers behind them.
  'department-staff': rules({
    scope: 'district', reads: ALL_ROWS,
    unmaskedIdNumber: false, unmaskedPhone: true, tags: false, records: [], casesOfDepartment: 'own', caseActions: ['work'],
  }),
  // Resolves who is who: compares every department's records (ID numbers and phones in clear,
  // since that is what tells two people apart), confirms, rejects, merges and splits. No case
  // commands, no special-group tags.
  'data-steward': rules({
    scope: 'district', reads: ALL_ROWS, unmaskedIdNumber: true, unmaskedPhone: true, tags: false,
    records: 'all', casesOfDepartment: null, resolution: true,
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

/**
 * The rows a viewer may see, for engines outside the store (search): the whole district, or
 * rows in any of these grids or streets. An object with no ids sees nothing.
 */
export type RowScope = 'district' | { gridIds?: readonly string[]; streetIds?: readonly string[] };

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

  /**
   * assertCanRead as a question: for narrowing a default (every kind the viewer may read) instead
   * of refusing. `purposeAside`: whether the role may read the kind at all, so that a caller can
   * still refuse with PURPOSE_REQUIRED rather than silently leave personal data out.
   */
  canRead(kind: DataKind, options: { purposeAside?: boolean } = {}): boolean {
    const rules = this.rules;
    return rules !== null && rules.reads.has(kind) && (options.purposeAside === true || !PERSONAL.has(kind) || Boolean(this.purpose));
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

  /** The same rule as scopeQuery, for an engine that filters by itself (search). */
  rowScope(): RowScope {
    const viewer = this.viewer;
    if (!viewer.authenticated) return {};
    switch (this.role.scope) {
      case 'district':
        return 'district';
      case 'streets':
        return { streetIds: viewer.streetIds };
      case 'grids':
        return { gridIds: viewer.gridIds };
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

  /**
   * The department whose dispatched cases are the only ones a department role sees, if any.
   */
  get casesOfDepartment(): string | null {
    const own = this.role.casesOfDepartment;
    if (own !== 'own') return own;
    const department = this.viewer.authenticated ? this.viewer.department : null;
    if (!department) throw new SafeError('FORBIDDEN', 'A department-staff token must name its department (`npx liandong token --role department-staff --department NAME`).');
    return department;
  }

  canSeeCase(row: ScopedRow & { dispatchedTo: string[] }): boolean {
    const department = this.casesOfDepartment;
    return this.inScope(row) && (department === null || row.dispatchedTo.includes(department));
  }

  /**
   * Throws unless the viewer may report a case through `channel`, and (once triage has placed it)
   * at that place.
   */
  assertCanReport(channel: ReportChannel | 'connector', row: ScopedRow | null): void {
    const role = this.role;
    if (!role.caseActions.has('report') || channel === 'connector' || !role.reportChannels.has(channel)) {
      const allowed = [...role.reportChannels].map((c) => c.toUpperCase());
      throw new SafeError('FORBIDDEN', allowed.length
        ? `Your role reports cases through ${allowed.join(', ')} only.`
        : 'Your role may not report cases.');
    }
    if (row !== null && !this.inScope(row)) throw new SafeError('FORBIDDEN', 'The case is outside the area you cover; report it to the command center of its street.');
  }

  /** The highest level at which the viewer may first place a case it reports. */
  reportLevel(): CaseLevel {
    return this.role.level ?? 'street';
  }

  /**
   * Throws unless the viewer may do `action` to `c`. Command centers act on cases of their area at
   * their level or below (an escalated case is the level above's); departments work only their
   * own department's dispatches.
   */
  assertCanAct(action: Exclude<CaseAction, 'report'>, c: ScopedRow & { level: CaseLevel; dispatchedTo: string[] }, dispatchDepartment: string | null = null): void {
    const role = this.role;
    if (!role.caseActions.has(action)) throw new SafeError('FORBIDDEN', `Your role may not ${action} cases.`);
    if (action === 'work') {
      if (dispatchDepartment === null || dispatchDepartment !== this.casesOfDepartment) {
        throw new SafeError('FORBIDDEN', 'Only the department a dispatch was sent to accepts, starts and completes it.');
      }
      return;
    }
    if (!this.inScope(c)) throw new SafeError('FORBIDDEN', 'The case is outside the area you cover.');
    if (role.level === null || LEVEL_RANK[c.level] > LEVEL_RANK[role.level]) {
      throw new SafeError('FORBIDDEN', `The case is handled at ${c.level} level, above yours; its command center acts on it now.`);
    }
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

  /** Throws unless the viewer reviews and corrects entity resolution (district administrators, data stewards). */
  assertCanCorrectResolution(): void {
    if (!this.role.resolution) throw new SafeError('FORBIDDEN', 'Only district administrators and data stewards review and correct entity resolution.');
    this.assertCanRead('source_record');
  }

  /** Throws unless the viewer operates the department connectors: their dead letters and replaying them (district administrators, integrators). */
  assertCanOperateConnectors(): void {
    this.assertCanRead('department');
    if (!this.viewer.authenticated || !CONNECTOR_OPERATORS.has(this.viewer.role)) {
      throw new SafeError('FORBIDDEN', 'Only district administrators and integrators see dead letters and replay them.');
    }
  }

  assertCanReadTags(): void {
    if (!this.role.tags) throw new SafeError('FORBIDDEN', 'Your role may not see special-group tags.');
  }

  /** Departments whose records the viewer sees. */
  recordDepartments(): { has(department: string): boolean } {
    return this.role.records;
  }

  /** The same as a list ('all' includes departments connected later), for search facets. */
  recordDepartmentList(): readonly string[] | 'all' {
    return this.role.recordList();
  }

  /** Whether the role may see special-group tags (and so filter and facet by them). */
  get tagsVisible(): boolean {
    return this.role.tags;
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
