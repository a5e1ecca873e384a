import { describe, expect, test } from '@jest/globals';
import { allowedCommands, COMMAND_MUTATIONS, decide, initialDeadlines, type CaseCommand, type CaseState } from '../../src/domain/caseWorkflow.js';
import { CATEGORIES, slaOf, STANDARD_SLA, URGENCIES } from '../../src/domain/caseTaxonomy.js';
import { SafeError } from '../../src/errors.js';

const T0 = new Date('2026-11-25T01:00:00.000Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

function reported(over: Partial<CaseState> = {}): CaseState {
  return {
    status: 'reported', level: 'grid', category: 'city.construction_waste', urgency: 'normal', supervised: false,
    dispatchedAt: null, arrivedAt: null, feedbackAt: null, ...initialDeadlines('city.construction_waste', 'normal', false, T0), dispatches: [], ...over,
  };
}

const refusal = (s: CaseState, c: CaseCommand) => {
  try {
    decide(s, c, minutes(1));
  } catch (e) {
    expect(e).toBeInstanceOf(SafeError);
    return (e as SafeError).extensions;
  }
  throw new Error('the command was accepted');
};

describe('case state machine', () => {
  test('every command in every status is either a decision or a typed refusal naming what is allowed', () => {
    const commands: CaseCommand[] = [
      { type: 'dispatch', targets: [{ department: 'police', role: 'lead' }] }, { type: 'accept', dispatchId: '1' }, { type: 'start', dispatchId: '1' },
      { type: 'complete', dispatchId: '1', result: 'done' }, { type: 'feedback', satisfaction: 'satisfied', note: null }, { type: 'close' },
      { type: 'reopen' }, { type: 'escalate', missed: null }, { type: 'supervise' },
    ];
    const states: CaseState[] = [
      reported(),
      reported({ status: 'dispatched', dispatches: [{ id: '1', department: 'fire', role: 'lead', status: 'pending' }] }),
      reported({ status: 'in_progress', dispatches: [{ id: '1', department: 'fire', role: 'lead', status: 'completed' }], feedbackAt: T0 }),
      reported({ status: 'closed', level: 'district' }),
    ];
    for (const s of states) {
      const allowed = allowedCommands(s);
      for (const c of commands) {
        let ok = true;
        try {
          decide(s, c, minutes(1));
        } catch (e) {
          ok = false;
          expect((e as SafeError).extensions.code).toMatch(/^(INVALID_TRANSITION|NOT_FOUND|BAD_USER_INPUT)$/);
          if ((e as SafeError).extensions.code === 'INVALID_TRANSITION') expect((e as SafeError).extensions.allowed).toEqual(allowed);
        }
        // Whatever goes through is a command the state admits.
        if (ok) expect(allowed).toContain(COMMAND_MUTATIONS[c.type]);
      }
    }
    expect(allowedCommands(states[3]!)).toEqual(['reopenCase']);
    expect(allowedCommands(states[2]!)).toEqual(['dispatchCase', 'recordFeedback', 'closeCase', 'escalateCase', 'superviseCase']);
  });

  test('a first dispatch moves the case on and starts the arrival clock; a case needs a lead', () => {
    const d = decide(reported(), { type: 'dispatch', targets: [{ department: 'environment', role: 'lead' }, { department: 'land', role: 'cooperating' }] }, minutes(10));
    expect(d.changes).toEqual({ status: 'dispatched', dispatchedAt: minutes(10), arriveDueAt: minutes(130) });
    expect(d.newDispatches).toEqual([{ department: 'environment', role: 'lead' }, { department: 'land', role: 'cooperating' }]);
    expect(d.events.map((e) => [e.type, e.dispatch, e.department])).toEqual([['dispatched', { created: 0 }, 'environment'], ['dispatched', { created: 1 }, 'land']]);
    expect(refusal(reported(), { type: 'dispatch', targets: [{ department: 'land', role: 'cooperating' }] })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(refusal(reported(), { type: 'dispatch', targets: [] })).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  test('escalation goes grid → street → district with a fresh window for the missed step, and stops at the top', () => {
    const d = decide(reported(), { type: 'escalate', missed: 'dispatch' }, minutes(31));
    expect(d.changes).toEqual({ level: 'street', escalatedAt: minutes(31), dispatchDueAt: minutes(61) });
    expect(d.events[0]!.data).toEqual({ from: 'grid', to: 'street', missed: 'dispatch' });
    expect(decide(reported({ level: 'street' }), { type: 'escalate', missed: 'dispatch' }, minutes(1)).changes.level).toBe('district');
    expect(refusal(reported({ level: 'district' }), { type: 'escalate', missed: 'dispatch' })).toMatchObject({ code: 'INVALID_TRANSITION', level: 'DISTRICT' });
  });

  test('supervision halves the remaining windows and never lengthens one', () => {
    const late = decide(reported(), { type: 'supervise' }, minutes(20)).changes;
    expect(late.dispatchDueAt).toEqual(minutes(30)); // 20 + 15 would be later than the 30 it had
    const early = decide(reported(), { type: 'supervise' }, minutes(5)).changes;
    expect(early.dispatchDueAt).toEqual(minutes(20));
    expect(early.supervised).toBe(true);
  });

  test('the taxonomy gives every category an SLA for every urgency, supervision stricter than standard', () => {
    for (const c of CATEGORIES) {
      expect(c.code).toMatch(/^[a-z_]+\.[a-z_]+$/);
      for (const u of URGENCIES) {
        const sla = slaOf(c.code, u, false);
        const strict = slaOf(c.code, u, true);
        expect(strict.dispatchMinutes).toBeLessThan(sla.dispatchMinutes);
        expect(sla.dispatchMinutes).toBeGreaterThan(0);
      }
    }
    expect(slaOf('unknown.category', 'normal', false)).toEqual(STANDARD_SLA.normal);
    expect(slaOf('emergency.fallen_tree', 'high', false).arriveMinutes).toBe(5);
  });
});
