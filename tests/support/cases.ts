/**
 * Case events written straight into the log, the way the case workflow commits them (case row
 * and case_event row in one transaction, then a notice on the bus), for the live engine's tests:
 * they set the columns a dashboard counts (deadlines, escalation, closing) directly, without
 * walking a case through its workflow. Tests of the workflow itself use the mutations
 * (tests/cases, tests/live/instances.test.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { EventBus } from '../../src/events/bus.js';
import { rowsOf } from '../../src/store/loaders.js';

export interface ReportedCase {
  caseId: string;
  eventId: string;
}

export interface CaseEventInput {
  /** Database id of the grid the case is in; its community, street and district follow. */
  gridId: string;
  category?: string;
  status?: 'reported' | 'dispatched' | 'in_progress' | 'closed';
  title?: string;
  /** The reported event's note. */
  note?: string;
  /** Department names dispatched to (as leads). */
  dispatchTo?: string[];
  /** Workflow columns, as the workflow would set them. */
  reportedAt?: Date;
  dispatchedAt?: Date | null;
  closedAt?: Date | null;
  dispatchDueAt?: Date | null;
  closeDueAt?: Date | null;
  escalatedAt?: Date | null;
  supervised?: boolean;
}

/** A new case with its `reported` event (and dispatches), committed, then published. */
export async function reportCaseDirectly(knex: Knex, bus: EventBus, input: CaseEventInput): Promise<ReportedCase> {
  const reported = await knex.transaction(async (trx) => {
    const [grid] = await rowsOf(trx('grid').where('id', input.gridId).select('district_id', 'street_id', 'community_id'));
    if (!grid) throw new Error(`no grid ${input.gridId}`);
    const at = input.reportedAt ?? new Date();
    const [row] = await rowsOf(trx('case').insert({
      number: `T-${randomUUID()}`, title: input.title ?? 'Construction waste at the school gate', category: input.category ?? 'environment.waste',
      urgency: 'normal', status: input.status ?? 'reported', channel: 'grid_patrol', level: 'grid', reported_at: at,
      closed_at: input.closedAt ?? null, dispatched_at: input.dispatchedAt ?? null, dispatch_due_at: input.dispatchDueAt ?? null,
      close_due_at: input.closeDueAt ?? null, escalated_at: input.escalatedAt ?? null, supervised: input.supervised ?? false,
      grid_id: input.gridId, district_id: grid.district_id, street_id: grid.street_id, community_id: grid.community_id,
    }).returning('id'));
    const caseId = String(row!.id);
    for (const name of input.dispatchTo ?? []) {
      const [department] = await rowsOf(trx('department').where('name', name).select('id'));
      if (!department) throw new Error(`no department ${name}`);
      await trx('dispatch').insert({ case_id: caseId, department_id: department.id, role: 'lead', status: 'pending', dispatched_at: input.dispatchedAt ?? at });
    }
    const [event] = await rowsOf(trx('case_event').insert({ case_id: caseId, type: 'reported', actor: 'test', at, note: input.note ?? null }).returning('id'));
    return { caseId, eventId: String(event!.id) };
  });
  await bus.publish({ topic: 'case', position: reported.eventId });
  return reported;
}

/** A transition of an existing case: its new status (and closing time) and the event, committed, then published. */
export async function appendCaseEvent(
  knex: Knex, bus: EventBus, caseId: string, change: { type: string; status?: CaseEventInput['status']; closedAt?: Date; note?: string },
): Promise<string> {
  const eventId = await knex.transaction(async (trx) => {
    if (change.status) {
      await trx('case').where('id', caseId).update({ status: change.status, updated_at: new Date(), ...(change.closedAt ? { closed_at: change.closedAt } : {}) });
    }
    const [event] = await rowsOf(trx('case_event').insert({ case_id: caseId, type: change.type, actor: 'test', at: new Date(), note: change.note ?? null })
      .returning('id'));
    return String(event!.id);
  });
  await bus.publish({ topic: 'case', position: eventId });
  return eventId;
}
