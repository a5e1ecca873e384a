/**
 * The case workflow's state machine: the one place that decides which command is valid in which
 * state and what it changes. Pure: the store loads the state (locked), asks `decide`, and writes
 * exactly the changes and events it returns, in one transaction. Who may issue a command is the
 * Policy's question, not this module's.
 *
 *   reported ──dispatch──> dispatched ──first accept──> in_progress ──close──> closed
 *      ^                                                                         │
 *      └──────────────────────────────── reopen ─────────────────────────────────┘
 *
 * Dispatches: pending ──accept──> accepted ──start (team on site)──> in_progress ──complete──> completed.
 * A case closes once every lead dispatch is completed and the reporter's feedback is recorded.
 * Escalation (grid → street → district) and supervision change the level and the clock, not the status.
 */
import { SafeError } from '../errors.js';
import { slaOf, type CaseUrgency, type Sla } from './caseTaxonomy.js';

export type CaseStatus = 'reported' | 'dispatched' | 'in_progress' | 'closed';
export type CaseLevel = 'grid' | 'street' | 'district';
export type DispatchRole = 'lead' | 'cooperating';
export type DispatchStatus = 'pending' | 'accepted' | 'in_progress' | 'completed';
export type FeedbackSatisfaction = 'satisfied' | 'basically_satisfied' | 'unsatisfied';

export const LEVELS: readonly CaseLevel[] = ['grid', 'street', 'district'];

export interface DispatchState {
  id: string;
  department: string;
  role: DispatchRole;
  status: DispatchStatus;
}

export interface Deadlines {
  dispatchDueAt: Date | null;
  arriveDueAt: Date | null;
  closeDueAt: Date | null;
}

export interface CaseState extends Deadlines {
  status: CaseStatus;
  level: CaseLevel;
  category: string;
  urgency: CaseUrgency;
  supervised: boolean;
  dispatchedAt: Date | null;
  arrivedAt: Date | null;
  feedbackAt: Date | null;
  dispatches: DispatchState[];
}

export type CaseCommand =
  | { type: 'dispatch'; targets: Array<{ department: string; role: DispatchRole }> }
  | { type: 'accept'; dispatchId: string }
  | { type: 'start'; dispatchId: string }
  | { type: 'complete'; dispatchId: string; result: string }
  | { type: 'feedback'; satisfaction: FeedbackSatisfaction; note: string | null }
  | { type: 'close' }
  | { type: 'reopen' }
  | { type: 'escalate'; missed: Missed | null }
  | { type: 'supervise' };

/** Which deadline an automatic escalation answers. */
export type Missed = 'dispatch' | 'arrive' | 'close';

export type CaseEventType =
  | 'reported' | 'dispatched' | 'role_changed' | 'accepted' | 'started' | 'completed' | 'feedback' | 'closed' | 'reopened'
  | 'escalated' | 'supervised';

/** A dispatch the command creates; events refer to it by its index in `newDispatches`. */
export interface NewDispatch { department: string; role: DispatchRole }

export interface EventDraft {
  type: CaseEventType;
  /** An existing dispatch's id, or `{ created: i }` for newDispatches[i]. */
  dispatch: string | { created: number } | null;
  department: string | null;
  data: Record<string, unknown> | null;
}

/** The columns a command changes; absent means unchanged. */
export interface CaseChanges {
  status?: CaseStatus;
  level?: CaseLevel;
  supervised?: boolean;
  dispatchedAt?: Date;
  /** Reset when a case is reopened: the new round needs a team on site again. */
  arrivedAt?: Date | null;
  closedAt?: Date | null;
  escalatedAt?: Date;
  dispatchDueAt?: Date | null;
  arriveDueAt?: Date | null;
  closeDueAt?: Date | null;
  feedback?: { satisfaction: FeedbackSatisfaction; note: string | null; at: Date } | null;
}

export interface DispatchChange {
  id: string;
  role?: DispatchRole;
  status?: DispatchStatus;
  acceptedAt?: Date;
  arrivedAt?: Date;
  completedAt?: Date;
  result?: string;
}

export interface Decision {
  changes: CaseChanges;
  newDispatches: NewDispatch[];
  dispatchChanges: DispatchChange[];
  events: EventDraft[];
}

/** The mutation that issues each command: what clients see in an INVALID_TRANSITION error. */
export const COMMAND_MUTATIONS: Readonly<Record<CaseCommand['type'], string>> = {
  dispatch: 'dispatchCase',
  accept: 'acceptDispatch',
  start: 'startDispatch',
  complete: 'completeDispatch',
  feedback: 'recordFeedback',
  close: 'closeCase',
  reopen: 'reopenCase',
  escalate: 'escalateCase',
  supervise: 'superviseCase',
};

const minutesAfter = (at: Date, minutes: number) => new Date(at.getTime() + minutes * 60_000);

/** Deadlines of a case reported (or reopened) at `at`. */
export function initialDeadlines(category: string, urgency: CaseUrgency, supervised: boolean, at: Date): Deadlines {
  const sla = slaOf(category, urgency, supervised);
  return { dispatchDueAt: minutesAfter(at, sla.dispatchMinutes), arriveDueAt: null, closeDueAt: minutesAfter(at, sla.closeMinutes) };
}

/**
 * The earliest deadline an open case still owes: dispatch while it is not dispatched, arrival
 * while nobody has arrived, and the close. The case is overdue once this has passed: the one
 * overdue rule, which the store's OVERDUE_CASE states in SQL for lists and counters. Null when
 * it owes none (closed).
 */
export function earliestOwedDeadline(s: Pick<CaseState, 'status' | 'dispatchedAt' | 'arrivedAt'> & Deadlines): Date | null {
  if (s.status === 'closed') return null;
  const owed = [s.dispatchedAt === null ? s.dispatchDueAt : null, s.arrivedAt === null ? s.arriveDueAt : null, s.closeDueAt];
  let earliest: Date | null = null;
  for (const d of owed) if (d && (!earliest || d < earliest)) earliest = d;
  return earliest;
}

/** The deadline that applies in the case's current state (the database's `due_at`), and which one it is. */
export function currentDeadline(s: Pick<CaseState, 'status' | 'arrivedAt'> & Deadlines): { missed: Missed; dueAt: Date | null } | null {
  switch (s.status) {
    case 'reported': return { missed: 'dispatch', dueAt: s.dispatchDueAt };
    case 'dispatched':
    case 'in_progress': return s.arrivedAt === null ? { missed: 'arrive', dueAt: s.arriveDueAt } : { missed: 'close', dueAt: s.closeDueAt };
    case 'closed': return null;
  }
}

const leadsCompleted = (s: CaseState) => {
  const leads = s.dispatches.filter((d) => d.role === 'lead');
  return leads.length > 0 && leads.every((d) => d.status === 'completed');
};

/** Whether `command` could be valid in this state, ignoring its arguments: for the error's `allowed` list. */
function admits(s: CaseState, type: CaseCommand['type']): boolean {
  const open = s.status !== 'closed';
  const some = (st: DispatchStatus) => s.dispatches.some((d) => d.status === st);
  switch (type) {
    case 'dispatch': return open;
    case 'accept': return open && some('pending');
    case 'start': return open && some('accepted');
    case 'complete': return open && some('in_progress');
    case 'feedback': return open && s.status !== 'reported' && leadsCompleted(s);
    case 'close': return s.status === 'in_progress' && leadsCompleted(s) && s.feedbackAt !== null;
    case 'reopen': return s.status === 'closed';
    case 'escalate': return open && s.level !== 'district';
    case 'supervise': return open && !s.supervised;
  }
}

export function allowedCommands(s: CaseState): string[] {
  return (Object.keys(COMMAND_MUTATIONS) as Array<CaseCommand['type']>).filter((t) => admits(s, t)).map((t) => COMMAND_MUTATIONS[t]);
}

function invalid(s: CaseState, message: string): SafeError {
  return new SafeError('INVALID_TRANSITION', message, { status: s.status.toUpperCase(), level: s.level.toUpperCase(), allowed: allowedCommands(s) });
}

function dispatchOf(s: CaseState, id: string): DispatchState {
  const d = s.dispatches.find((x) => x.id === id);
  if (!d) throw new SafeError('NOT_FOUND', `Dispatch ${id} is not one of this case's dispatches.`);
  return d;
}

const event = (type: CaseEventType, dispatch: EventDraft['dispatch'] = null, department: string | null = null, data: Record<string, unknown> | null = null): EventDraft =>
  ({ type, dispatch, department, data });

/**
 * What `command` does to a case in state `s` at `now`: the changes and the events to append, or
 * a SafeError (INVALID_TRANSITION with the current status and the allowed mutations; BAD_USER_INPUT
 * for a malformed command). Never a partial result.
 */
export function decide(s: CaseState, command: CaseCommand, now: Date): Decision {
  const none: Decision = { changes: {}, newDispatches: [], dispatchChanges: [], events: [] };
  const sla = (): Sla => slaOf(s.category, s.urgency, s.supervised);
  switch (command.type) {
    case 'dispatch': {
      if (s.status === 'closed') throw invalid(s, 'A closed case cannot be dispatched; reopen it first (reopenCase).');
      if (command.targets.length === 0) throw new SafeError('BAD_USER_INPUT', 'Name at least one department to dispatch to.');
      const names = command.targets.map((t) => t.department);
      const twice = names.find((n, i) => names.indexOf(n) !== i);
      if (twice) throw new SafeError('BAD_USER_INPUT', `Department ${twice} is named twice; give each department one role.`);
      const d: Decision = { ...none, changes: {}, newDispatches: [], dispatchChanges: [], events: [] };
      for (const t of command.targets) {
        const open = s.dispatches.find((x) => x.department === t.department && x.status !== 'completed');
        if (!open) {
          d.events.push(event('dispatched', { created: d.newDispatches.length }, t.department, { role: t.role }));
          d.newDispatches.push({ department: t.department, role: t.role });
        } else if (open.role !== t.role) {
          d.dispatchChanges.push({ id: open.id, role: t.role });
          d.events.push(event('role_changed', open.id, t.department, { from: open.role, to: t.role }));
        }
      }
      if (d.events.length === 0) throw new SafeError('BAD_USER_INPUT', 'Every department named already holds an open dispatch in that role: nothing to dispatch.');
      // A round (the first dispatch, or the first after reopening) starts with a lead of its own.
      const counted = s.status === 'reported' ? s.dispatches.filter((x) => x.status !== 'completed') : s.dispatches;
      const roles = new Map(counted.map((x) => [x.id, x.role]));
      for (const c of d.dispatchChanges) if (c.role) roles.set(c.id, c.role);
      if (![...roles.values(), ...d.newDispatches.map((x) => x.role)].includes('lead')) {
        throw new SafeError('BAD_USER_INPUT', 'A case needs a lead department: give at least one department the LEAD role.');
      }
      if (s.status === 'reported') {
        d.changes.status = 'dispatched';
        d.changes.arriveDueAt = minutesAfter(now, sla().arriveMinutes);
        if (s.dispatchedAt === null) d.changes.dispatchedAt = now;
      }
      return d;
    }
    case 'accept': {
      const x = dispatchOf(s, command.dispatchId);
      if (s.status === 'closed' || x.status !== 'pending') throw invalid(s, `This dispatch is ${x.status.replace('_', ' ')}; only a pending dispatch can be accepted.`);
      return {
        ...none,
        changes: s.status === 'dispatched' ? { status: 'in_progress' } : {},
        dispatchChanges: [{ id: x.id, status: 'accepted', acceptedAt: now }],
        events: [event('accepted', x.id, x.department)],
      };
    }
    case 'start': {
      const x = dispatchOf(s, command.dispatchId);
      if (s.status === 'closed' || x.status !== 'accepted') throw invalid(s, `This dispatch is ${x.status.replace('_', ' ')}; a team starts work on site only on an accepted dispatch.`);
      return {
        ...none,
        changes: s.arrivedAt === null ? { arrivedAt: now } : {},
        dispatchChanges: [{ id: x.id, status: 'in_progress', arrivedAt: now }],
        events: [event('started', x.id, x.department)],
      };
    }
    case 'complete': {
      const x = dispatchOf(s, command.dispatchId);
      if (s.status === 'closed' || x.status !== 'in_progress') throw invalid(s, `This dispatch is ${x.status.replace('_', ' ')}; only a dispatch being worked on can be completed.`);
      if (command.result.trim() === '') throw new SafeError('BAD_USER_INPUT', 'A completed dispatch states its result.');
      return {
        ...none,
        dispatchChanges: [{ id: x.id, status: 'completed', completedAt: now, result: command.result }],
        events: [event('completed', x.id, x.department, { result: command.result })],
      };
    }
    case 'feedback': {
      if (!admits(s, 'feedback')) throw invalid(s, 'Feedback is asked of the reporter once every lead department has completed its dispatch.');
      return {
        ...none,
        changes: { feedback: { satisfaction: command.satisfaction, note: command.note, at: now } },
        events: [event('feedback', null, null, { satisfaction: command.satisfaction })],
      };
    }
    case 'close': {
      if (!admits(s, 'close')) {
        throw invalid(s, s.status === 'closed'
          ? 'The case is already closed.'
          : 'A case closes once every lead dispatch is completed and the reporter\'s feedback is recorded.');
      }
      return { ...none, changes: { status: 'closed', closedAt: now }, events: [event('closed')] };
    }
    case 'reopen': {
      if (s.status !== 'closed') throw invalid(s, 'Only a closed case can be reopened.');
      const deadlines = initialDeadlines(s.category, s.urgency, s.supervised, now);
      return {
        ...none,
        changes: { status: 'reported', closedAt: null, feedback: null, arrivedAt: null, ...deadlines },
        events: [event('reopened')],
      };
    }
    case 'escalate': {
      if (s.status === 'closed') throw invalid(s, 'A closed case is not escalated.');
      if (s.level === 'district') throw invalid(s, 'The case is already handled at district level, the top of the hierarchy.');
      const level = LEVELS[LEVELS.indexOf(s.level) + 1] as CaseLevel;
      // The level above gets a full window for the step that was missed (or is due, when escalated by hand).
      const due = currentDeadline(s);
      const changes: CaseChanges = { level, escalatedAt: now };
      const windows = sla();
      if (due?.missed === 'dispatch') changes.dispatchDueAt = minutesAfter(now, windows.dispatchMinutes);
      if (due?.missed === 'arrive') changes.arriveDueAt = minutesAfter(now, windows.arriveMinutes);
      if (due?.missed === 'close') changes.closeDueAt = minutesAfter(now, windows.closeMinutes);
      return { ...none, changes, events: [event('escalated', null, null, { from: s.level, to: level, missed: command.missed })] };
    }
    case 'supervise': {
      if (!admits(s, 'supervise')) throw invalid(s, s.supervised ? 'The case is already supervised.' : 'A closed case is not supervised.');
      const strict = slaOf(s.category, s.urgency, true);
      const tighter = (current: Date | null, minutes: number): Date | null => {
        if (current === null) return null;
        const bound = minutesAfter(now, minutes);
        return bound < current ? bound : current;
      };
      return {
        ...none,
        changes: {
          supervised: true,
          dispatchDueAt: s.status === 'reported' ? tighter(s.dispatchDueAt, strict.dispatchMinutes) : s.dispatchDueAt,
          arriveDueAt: s.arrivedAt === null ? tighter(s.arriveDueAt, strict.arriveMinutes) : s.arriveDueAt,
          closeDueAt: tighter(s.closeDueAt, strict.closeMinutes),
        },
        events: [event('supervised')],
      };
    }
  }
}
