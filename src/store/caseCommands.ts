/**
 * The case workflow's write path: every command is one transaction that locks the case
 * (`select … for update`), asks the state machine (src/domain/caseWorkflow.ts) what the command
 * does, writes the case and dispatch rows, appends the events to `case_event` and an outbox row
 * to `change_event` (so the search index re-reads the case), and, once committed, tells the bus
 * how far the case log has grown. A refused command writes nothing.
 *
 * Used by the per-request repository (users, with the Policy's checks) and by the hub's own
 * actors (the SLA watcher, connector intake) as the `system` actor.
 */
import type { Knex } from 'knex';
import { SafeError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../domain/clock.js';
import {
  currentDeadline, decide, initialDeadlines, type CaseCommand, type CaseLevel, type CaseState, type CaseStatus, type Decision, type DispatchState, type Missed,
} from '../domain/caseWorkflow.js';
import { categoryOf, CATEGORIES, type CaseUrgency } from '../domain/caseTaxonomy.js';
import { caseDepartmentName } from '../domain/departments.js';
import type { TriagedPlace } from './triage.js';
import type { Row } from './loaders.js';
import { decodePosition, lastPositionOf } from '../events/outbox.js';

/** Case events are returned with their outbox position, for the notice. */
const OUTBOX_COLUMNS = ['id', 'tx'];

/** What the write path needs from the hub: the store, the bus it announces on, and the time. */
export interface CaseRuntime {
  knex: Knex;
  bus: EventBus;
  clock: Clock;
}

export interface Actor {
  /** As the history shows it: a user's name (or token subject), or `system`. */
  name: string;
  /** The role id, or `system`. */
  role: string;
}

export const SYSTEM: Actor = { name: 'system', role: 'system' };

/** What a committed command wrote. */
export interface CaseWriteResult {
  caseId: string;
  /** The dispatch the command acted on (or the first it created). */
  dispatchId: string | null;
  eventIds: string[];
  /** The outbox position of its last event (`tx:id`, src/events/outbox.ts), which its notice carries; null when it wrote none. */
  position: string | null;
}

/** The locked case as the Policy judges it before the state machine runs. */
export interface LockedCase {
  id: string;
  level: CaseLevel;
  status: CaseStatus;
  gridId: string | null;
  streetId: string | null;
  dispatchedTo: string[];
  dispatches: DispatchState[];
}

const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string | Date));

function stateOf(row: Row, dispatches: DispatchState[]): CaseState {
  return {
    status: row.status as CaseStatus, level: row.level as CaseLevel, category: String(row.category), urgency: row.urgency as CaseUrgency,
    supervised: row.supervised === true, dispatchedAt: dateOrNull(row.dispatched_at), arrivedAt: dateOrNull(row.arrived_at),
    feedbackAt: dateOrNull(row.feedback_at), dispatchDueAt: dateOrNull(row.dispatch_due_at), arriveDueAt: dateOrNull(row.arrive_due_at),
    closeDueAt: dateOrNull(row.close_due_at), dispatches,
  };
}

async function lockCase(trx: Knex.Transaction, caseId: string): Promise<{ row: Row; dispatches: DispatchState[] }> {
  const row = (await trx('case').where('id', caseId).forUpdate().first()) as Row | undefined;
  if (!row) throw new SafeError('NOT_FOUND', `There is no case ${caseId}.`);
  const dispatches = ((await trx('dispatch').join('department', 'department.id', 'dispatch.department_id')
    .where('dispatch.case_id', caseId).orderBy('dispatch.id')
    .select('dispatch.id', 'dispatch.role', 'dispatch.status', 'department.name as department')) as Row[])
    .map((d) => ({ id: String(d.id), department: String(d.department), role: d.role as DispatchState['role'], status: d.status as DispatchState['status'] }));
  return { row, dispatches };
}

/** Department ids by name; departments without a connector get their row on first dispatch. */
async function departmentIds(trx: Knex.Transaction, names: string[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  if (names.length === 0) return ids;
  const found = (await trx('department').whereIn('name', names).select('id', 'name')) as Row[];
  for (const r of found) ids.set(String(r.name), String(r.id));
  for (const name of names.filter((n) => !ids.has(n))) {
    const displayName = caseDepartmentName(name);
    if (displayName === null) {
      throw new SafeError('BAD_USER_INPUT', `There is no department ${JSON.stringify(name)}; name one of the departments listed by \`departments\` or in docs/cases.md.`);
    }
    await trx('department').insert({ name, display_name: displayName }).onConflict('name').ignore();
    const row = (await trx('department').where('name', name).first('id')) as Row;
    ids.set(name, String(row.id));
  }
  return ids;
}

const CASE_COLUMNS: Record<string, string> = {
  status: 'status', level: 'level', supervised: 'supervised', dispatchedAt: 'dispatched_at', arrivedAt: 'arrived_at', closedAt: 'closed_at',
  escalatedAt: 'escalated_at', dispatchDueAt: 'dispatch_due_at', arriveDueAt: 'arrive_due_at', closeDueAt: 'close_due_at',
};

/** Writes one decision for a locked case; returns the appended event ids and the dispatch acted on. */
async function write(
  trx: Knex.Transaction, caseId: string, before: CaseState, d: Decision, actor: Actor, note: string | null, now: Date,
): Promise<{ eventIds: string[]; position: string | null; dispatchIds: string[] }> {
  const update: Record<string, unknown> = { updated_at: now };
  for (const [key, value] of Object.entries(d.changes)) {
    if (key === 'feedback') {
      const f = d.changes.feedback ?? null;
      Object.assign(update, { feedback_satisfaction: f?.satisfaction ?? null, feedback_note: f?.note ?? null, feedback_at: f?.at ?? null });
    } else {
      update[CASE_COLUMNS[key] as string] = value;
    }
  }
  await trx('case').where('id', caseId).update(update);

  const departments = await departmentIds(trx, [...new Set([...d.newDispatches.map((x) => x.department), ...d.events.flatMap((e) => (e.department ? [e.department] : []))])]);
  const created: string[] = [];
  if (d.newDispatches.length > 0) {
    const rows = (await trx('dispatch').insert(d.newDispatches.map((x) => ({
      case_id: caseId, department_id: departments.get(x.department), role: x.role, status: 'pending', dispatched_at: now,
    }))).returning('id')) as Row[];
    created.push(...rows.map((r) => String(r.id)));
  }
  for (const c of d.dispatchChanges) {
    await trx('dispatch').where({ id: c.id, case_id: caseId }).update({
      ...(c.role ? { role: c.role } : {}), ...(c.status ? { status: c.status } : {}), ...(c.acceptedAt ? { accepted_at: c.acceptedAt } : {}),
      ...(c.arrivedAt ? { arrived_at: c.arrivedAt } : {}), ...(c.completedAt ? { completed_at: c.completedAt } : {}), ...(c.result ? { result: c.result } : {}),
    });
  }
  const dispatchIdOf = (ref: Decision['events'][number]['dispatch']) => (ref === null ? null : typeof ref === 'string' ? ref : (created[ref.created] ?? null));
  const events = (await trx('case_event').insert(d.events.map((e) => ({
    case_id: caseId, type: e.type, actor: actor.name, actor_role: actor.role, at: now, note,
    from_status: before.status, to_status: d.changes.status ?? before.status, level: d.changes.level ?? before.level,
    dispatch_id: dispatchIdOf(e.dispatch), department_id: e.department ? (departments.get(e.department) ?? null) : null,
    data: e.data === null ? null : JSON.stringify(e.data),
  }))).returning(OUTBOX_COLUMNS)) as Row[];
  await trx('change_event').insert({ entity_type: 'case', entity_id: caseId, change: 'updated' });
  const touched = d.events.map((e) => dispatchIdOf(e.dispatch)).filter((x): x is string => x !== null);
  return { eventIds: events.map((r) => String(r.id)), position: lastPositionOf(events), dispatchIds: touched };
}

/** After the commit: tells every hub's readers how far the case log now reaches. */
async function announce(rt: CaseRuntime, positions: Array<string | null>): Promise<void> {
  const position = lastPositionOf(positions.flatMap((p) => {
    const at = p === null ? null : decodePosition(p);
    return at ? [at] : [];
  }));
  if (position !== null) await rt.bus.publish({ topic: 'case', position });
}

/**
 * Runs one command on one case. `authorize` sees the locked case before anything is decided
 * (the Policy's check; it throws to refuse). The state machine's refusal, like the Policy's,
 * rolls the transaction back.
 */
export async function runCaseCommand(
  rt: CaseRuntime, caseId: string, actor: Actor, command: CaseCommand, note: string | null,
  authorize: (c: LockedCase) => void = () => undefined,
): Promise<CaseWriteResult> {
  const result = await rt.knex.transaction(async (trx) => {
    const { row, dispatches } = await lockCase(trx, caseId);
    const state = stateOf(row, dispatches);
    authorize({
      id: caseId, level: state.level, status: state.status, gridId: row.grid_id === null ? null : String(row.grid_id),
      streetId: row.street_id === null ? null : String(row.street_id), dispatchedTo: [...new Set(dispatches.map((x) => x.department))], dispatches,
    });
    const now = rt.clock.now();
    const written = await write(trx, caseId, state, decide(state, command, now), actor, note, now);
    return { caseId, dispatchId: written.dispatchIds[0] ?? null, eventIds: written.eventIds, position: written.position };
  });
  await announce(rt, [result.position]);
  return result;
}

export interface CaseDraft {
  title: string;
  description: string | null;
  category: string;
  urgency: CaseUrgency;
  channel: 'hotline_12345' | 'police_110' | 'command_center' | 'grid_patrol' | 'connector';
  level: CaseLevel;
  reporterName: string | null;
  reporterPhone: string | null;
  photo: string | null;
  place: TriagedPlace;
  people: Array<{ personId: string; role: 'reporter' | 'subject' | 'affected' }>;
  enterpriseIds: string[];
  /** The department record the case was taken in from; a second intake of it creates nothing. */
  sourceRecordId?: string;
  /** When it happened, if earlier than now (a 110 call's time); deadlines still run from intake. */
  reportedAt?: Date;
  /** A user's report with its idempotency key: a second one with the same key returns the first case. */
  request?: { subject: string; key: string; hash: string };
}

export function assertCategory(code: string): void {
  if (!categoryOf(code)) {
    throw new SafeError('BAD_USER_INPUT', `Unknown category ${JSON.stringify(code)}; use one of ${CATEGORIES.map((c) => c.code).join(', ')}.`);
  }
}

/** Beijing calendar date as yyyymmdd, for case numbers. */
function beijingDay(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10).replace(/-/g, '');
}

/** Intake lost the race for its source record to another hub: nothing to write. */
class AlreadyTakenIn extends Error {}

/** The same user's same idempotency key already has its case (a retry, or the same retry at once). */
class AlreadyReported extends Error {}

async function reportedBefore(rt: CaseRuntime, request: NonNullable<CaseDraft['request']>): Promise<CaseWriteResult> {
  const row = (await rt.knex('case_request').where({ subject: request.subject, key: request.key }).first('case_id', 'request_hash')) as Row | undefined;
  if (!row) throw new Error('an idempotency key conflicted but its case_request row is gone');
  if (row.request_hash !== request.hash) {
    throw new SafeError('BAD_USER_INPUT', 'This idempotencyKey was already used for a different report; make a new key for each report.');
  }
  const caseId = String(row.case_id);
  const events = (await rt.knex('case_event').where({ case_id: caseId, type: 'reported' }).orderBy('id').pluck('id')) as unknown[];
  // Written by the first report, which announced it.
  return { caseId, dispatchId: null, eventIds: events.map(String), position: null };
}

/**
 * Takes a case in: the case row with its deadlines, its links, and its `reported` event.
 * Returns null when `sourceRecordId` already has its case (intake is idempotent).
 */
export async function createCase(rt: CaseRuntime, draft: CaseDraft, actor: Actor, note: string | null): Promise<CaseWriteResult | null> {
  assertCategory(draft.category);
  const now = rt.clock.now();
  let result: CaseWriteResult;
  try {
    result = await rt.knex.transaction(async (trx) => {
      const seq = ((await trx.raw(`select nextval(pg_get_serial_sequence('"case"', 'id')) as id`)) as { rows: Row[] }).rows[0];
      const id = String(seq?.id);
      const deadlines = initialDeadlines(draft.category, draft.urgency, false, now);
      const p = draft.place;
      await trx('case').insert({
        id, number: `YH${beijingDay(now)}${id.padStart(7, '0')}`, title: draft.title, description: draft.description, category: draft.category,
        urgency: draft.urgency, status: 'reported', channel: draft.channel, level: draft.level, reported_at: draft.reportedAt ?? now,
        reporter_name: draft.reporterName, reporter_phone: draft.reporterPhone, photo: draft.photo, lat: p.lat, lng: p.lng,
        address_id: p.addressId, building_id: p.buildingId, district_id: p.districtId, street_id: p.streetId, community_id: p.communityId,
        grid_id: p.gridId, dispatch_due_at: deadlines.dispatchDueAt, close_due_at: deadlines.closeDueAt, updated_at: now,
      });
      if (draft.request !== undefined) {
        const { subject, key, hash } = draft.request;
        const first = (await trx('case_request').insert({ subject, key, case_id: id, request_hash: hash, created_at: now })
          .onConflict(['subject', 'key']).ignore().returning('case_id')) as Row[];
        if (first.length === 0) throw new AlreadyReported();
      }
      if (draft.sourceRecordId !== undefined) {
        const taken = (await trx('case_source').insert({ case_id: id, source_record_id: draft.sourceRecordId })
          .onConflict('source_record_id').ignore().returning('case_id')) as Row[];
        if (taken.length === 0) throw new AlreadyTakenIn();
      }
      const people = [...new Map(draft.people.map((x) => [x.personId, x])).values()];
      if (people.length) await trx('case_person').insert(people.map((x) => ({ case_id: id, person_id: x.personId, role: x.role })));
      const enterprises = [...new Set(draft.enterpriseIds)];
      if (enterprises.length) await trx('case_enterprise').insert(enterprises.map((e) => ({ case_id: id, enterprise_id: e })));
      const events = (await trx('case_event').insert({
        case_id: id, type: 'reported', actor: actor.name, actor_role: actor.role, at: now, note: note ?? draft.description,
        from_status: null, to_status: 'reported', level: draft.level, data: JSON.stringify({ channel: draft.channel, category: draft.category }),
      }).returning(OUTBOX_COLUMNS)) as Row[];
      await trx('change_event').insert({ entity_type: 'case', entity_id: id, change: 'created' });
      return { caseId: id, dispatchId: null, eventIds: events.map((r) => String(r.id)), position: lastPositionOf(events) };
    });
  } catch (error) {
    if (error instanceof AlreadyTakenIn) return null;
    if (error instanceof AlreadyReported && draft.request) return reportedBefore(rt, draft.request);
    throw error;
  }
  await announce(rt, [result.position]);
  return result;
}

/** How many overdue cases one transaction of the watcher takes. */
const ESCALATION_BATCH = 100;

/**
 * Escalates every open case whose current deadline has passed, one level up (grid → street →
 * district), as the `system` actor, with a fresh window for the missed step. Safe to run on
 * several hubs at once: a case being escalated elsewhere is skipped (`for update skip locked`),
 * and an escalated case's deadline lies in the future, so running it again does nothing.
 * Returns the cases escalated.
 */
export async function escalateOverdue(rt: CaseRuntime): Promise<string[]> {
  const escalated: string[] = [];
  for (;;) {
    const now = rt.clock.now();
    const batch = await rt.knex.transaction(async (trx) => {
      const due = (await trx('case').where('due_at', '<=', now).whereNot('level', 'district').whereNot('status', 'closed')
        .orderBy('due_at').limit(ESCALATION_BATCH).forUpdate().skipLocked().select('id')) as Row[];
      const out: Array<{ caseId: string; position: string | null }> = [];
      for (const r of due) {
        const caseId = String(r.id);
        const { row, dispatches } = await lockCase(trx, caseId);
        const state = stateOf(row, dispatches);
        const missed: Missed | null = currentDeadline(state)?.missed ?? null;
        const written = await write(trx, caseId, state, decide(state, { type: 'escalate', missed }, now), SYSTEM, null, now);
        out.push({ caseId, position: written.position });
      }
      return out;
    });
    for (const b of batch) escalated.push(b.caseId);
    await announce(rt, batch.map((b) => b.position));
    if (batch.length < ESCALATION_BATCH) return escalated;
  }
}
