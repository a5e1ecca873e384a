import { createHash } from 'node:crypto';
import type { StoreContext } from './context.js';
import type { CasesRepository } from './cases.js';
import type { DispatchRole, FeedbackSatisfaction } from '../../domain/caseWorkflow.js';
import type { CaseUrgency } from '../../domain/caseTaxonomy.js';
import type { CaseLevel } from '../../domain/caseWorkflow.js';
import { SafeError } from '../../errors.js';
import { assertCategory, createCase, runCaseCommand, type Actor, type CaseRuntime, type CaseWriteResult, type LockedCase } from '../caseCommands.js';
import { triage } from '../triage.js';
import type { ReportChannel } from '../policy.js';
import type { CaseEventModel, CaseModel, DispatchModel } from '../models.js';
import { rowsOf } from '../loaders.js';

export interface ReportInput {
  channel: ReportChannel;
  title: string;
  description: string | null;
  category: string;
  urgency: CaseUrgency;
  location: { lat: number; lng: number } | null;
  address: string | null;
  buildingId: string | null;
  /** Who handles it first; at most the reporter's own level. */
  level: CaseLevel | null;
  reporterName: string | null;
  reporterPhone: string | null;
  photo: string | null;
  people: Array<{ personId: string; role: 'reporter' | 'subject' | 'affected' }>;
  enterpriseIds: string[];
  /** The client's key for this report: a retry with it returns the case the first attempt created. */
  idempotencyKey: string | null;
}

const MAX_IDEMPOTENCY_KEY = 200;

/** What a command did, as the viewer may see it. */
export interface CaseChangeModel {
  case: CaseModel | null;
  dispatch: DispatchModel | null;
  events: CaseEventModel[];
}

const LEVEL_RANK: Record<CaseLevel, number> = { grid: 0, street: 1, district: 2 };

/**
 * The case workflow for one request: the Policy decides who may issue each command on which
 * case, src/store/caseCommands.ts runs it in one transaction, and the result is read back
 * through the read repository, so it obeys the same visibility rules as any query.
 */
export function createCaseWritesRepository({ knex, table, policy }: StoreContext, runtime: Omit<CaseRuntime, 'knex'>, cases: CasesRepository) {
  const rt: CaseRuntime = { ...runtime, knex };
  /** Who issues a command; reading cases at all is the first thing a command needs. */
  const actor = (): Actor => {
    policy.assertCanRead('case');
    const v = policy.viewer;
    if (!v.authenticated) throw new SafeError('UNAUTHENTICATED', 'This needs a Bearer token: mint one with `npx liandong token --role ROLE`.');
    return { name: v.name ?? v.subject, role: v.role };
  };

  const result = async (written: CaseWriteResult): Promise<CaseChangeModel> => {
    cases.forget(written.caseId);
    const c = await cases.case(written.caseId);
    if (!c) return { case: null, dispatch: null, events: [] };
    return {
      case: c,
      dispatch: written.dispatchId === null ? null : await cases.dispatch(written.dispatchId),
      events: await cases.events(written.eventIds),
    };
  };

  /** A case the viewer cannot see is one that does not exist, as far as they can tell. */
  const visibleOr404 = (c: LockedCase) => {
    if (!policy.canSeeCase(c)) throw new SafeError('NOT_FOUND', `There is no case ${c.id}.`);
  };

  const onCase = (action: 'dispatch' | 'feedback' | 'close' | 'reopen' | 'escalate' | 'supervise') => (c: LockedCase) => {
    visibleOr404(c);
    policy.assertCanAct(action, c);
  };

  const caseOfDispatch = async (dispatchId: string): Promise<string> => {
    const [row] = await rowsOf(table('dispatch').where('id', dispatchId).select('case_id'));
    if (!row) throw new SafeError('NOT_FOUND', `There is no dispatch ${dispatchId}.`);
    return String(row.case_id);
  };

  const onDispatch = (dispatchId: string) => (c: LockedCase) => {
    visibleOr404(c);
    policy.assertCanAct('work', c, c.dispatches.find((d) => d.id === dispatchId)?.department ?? null);
  };

  /**
   * People and enterprises linked to a case must be within the reporter's scope: a linked case
   * shows on their profile to everyone who may read it, and global ids are guessable. One
   * answer for absent and out of scope, so the refusal does not tell which.
   */
  const assertLinkable = async (kind: 'person' | 'enterprise', ids: string[]) => {
    if (ids.length === 0) return;
    const visible = policy.scopeQuery(table(kind).whereIn(`${kind}.id`, ids), kind).select(`${kind}.id`);
    const found = new Set((await rowsOf(visible)).map((r) => String(r.id)));
    const missing = ids.find((id) => !found.has(id));
    if (missing) throw new SafeError('BAD_USER_INPUT', `There is no ${kind} ${missing} in the area you cover to link to the case.`);
  };

  return {
    async report(input: ReportInput): Promise<CaseChangeModel> {
      const who = actor();
      policy.assertCanReport(input.channel, null);
      assertCategory(input.category);
      if (input.title.trim() === '') throw new SafeError('BAD_USER_INPUT', 'A case needs a title.');
      const key = input.idempotencyKey;
      if (key !== null && (key.trim() === '' || key.length > MAX_IDEMPOTENCY_KEY)) {
        throw new SafeError('BAD_USER_INPUT', `idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY} characters (a UUID made once per report).`);
      }
      const v = policy.viewer;
      const { idempotencyKey: _key, ...report } = input;
      const request = key !== null && v.authenticated ? { subject: v.subject, key, hash: createHash('sha256').update(JSON.stringify(report)).digest('hex') } : null;
      await assertLinkable('person', input.people.map((p) => p.personId));
      await assertLinkable('enterprise', input.enterpriseIds);
      const place = await triage(knex, { location: input.location, address: input.address, buildingId: input.buildingId, enterpriseIds: input.enterpriseIds });
      policy.assertCanReport(input.channel, place);
      const own = policy.reportLevel();
      const level = input.level ?? own;
      if (LEVEL_RANK[level] > LEVEL_RANK[own]) throw new SafeError('FORBIDDEN', `You report at ${own} level; a case goes higher by escalation.`);
      if (level === 'grid' && place.gridId === null) throw new SafeError('BAD_USER_INPUT', 'The case could not be placed in a grid; give a location or an address, or a higher level.');
      const written = await createCase(rt, {
        title: input.title, description: input.description, category: input.category, urgency: input.urgency, channel: input.channel, level,
        reporterName: input.reporterName, reporterPhone: input.reporterPhone, photo: input.photo, place, people: input.people,
        enterpriseIds: input.enterpriseIds, ...(request ? { request } : {}),
      }, who, null);
      if (!written) throw new Error('a report without a source record cannot be a duplicate intake');
      return result(written);
    },

    async dispatch(caseId: string, targets: Array<{ department: string; role: DispatchRole }>, note: string | null) {
      return result(await runCaseCommand(rt, caseId, actor(), { type: 'dispatch', targets }, note, onCase('dispatch')));
    },

    async accept(dispatchId: string, note: string | null) {
      const who = actor();
      return result(await runCaseCommand(rt, await caseOfDispatch(dispatchId), who, { type: 'accept', dispatchId }, note, onDispatch(dispatchId)));
    },

    async start(dispatchId: string, note: string | null) {
      const who = actor();
      return result(await runCaseCommand(rt, await caseOfDispatch(dispatchId), who, { type: 'start', dispatchId }, note, onDispatch(dispatchId)));
    },

    async complete(dispatchId: string, resultText: string, note: string | null) {
      const who = actor();
      return result(await runCaseCommand(rt, await caseOfDispatch(dispatchId), who, { type: 'complete', dispatchId, result: resultText }, note, onDispatch(dispatchId)));
    },

    async feedback(caseId: string, satisfaction: FeedbackSatisfaction, note: string | null) {
      return result(await runCaseCommand(rt, caseId, actor(), { type: 'feedback', satisfaction, note }, note, onCase('feedback')));
    },

    async close(caseId: string, note: string | null) {
      return result(await runCaseCommand(rt, caseId, actor(), { type: 'close' }, note, onCase('close')));
    },

    async reopen(caseId: string, note: string) {
      if (note.trim() === '') throw new SafeError('BAD_USER_INPUT', 'Say why the case is reopened.');
      return result(await runCaseCommand(rt, caseId, actor(), { type: 'reopen' }, note, onCase('reopen')));
    },

    async escalate(caseId: string, note: string | null) {
      return result(await runCaseCommand(rt, caseId, actor(), { type: 'escalate', missed: null }, note, onCase('escalate')));
    },

    async supervise(caseId: string, note: string | null) {
      return result(await runCaseCommand(rt, caseId, actor(), { type: 'supervise' }, note, onCase('supervise')));
    },
  };
}
export type CaseWritesRepository = ReturnType<typeof createCaseWritesRepository>;
