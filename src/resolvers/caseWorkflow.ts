import type { CasePersonInput, CaseLevel, Resolvers } from '../generated/graphql.js';
import type { CaseLevel as StoredLevel, FeedbackSatisfaction } from '../domain/caseWorkflow.js';
import type { CaseUrgency } from '../domain/caseTaxonomy.js';
import { idOf, optionalIdOf } from './globalId.js';

/** GraphQL enum values are the stored ones in upper case. */
const lower = <T extends string>(v: string): T => v.toLowerCase() as T;

const people = (list: CasePersonInput[] | null | undefined) =>
  (list ?? []).map((p) => ({ personId: idOf('Person', p.personId), role: lower<'reporter' | 'subject' | 'affected'>(p.role) }));
const enterprises = (ids: string[] | null | undefined) => (ids ?? []).map((id) => idOf('Enterprise', id));
const levelOf = (level: CaseLevel | null | undefined) => (level ? lower<StoredLevel>(level) : null);

/** The case workflow's mutations: decode ids and enums, call the data layer. */
export const caseWorkflowResolvers: Resolvers = {
  Mutation: {
    reportCase: (_, { input }, { data }) =>
      data.caseWrites.report({
        channel: lower(input.channel), title: input.title, description: input.description ?? null, category: input.category,
        urgency: lower<CaseUrgency>(input.urgency ?? 'NORMAL'), location: input.location ?? null, address: input.address ?? null,
        buildingId: optionalIdOf('Building', input.buildingId), level: levelOf(input.level), reporterName: input.reporterName ?? null,
        reporterPhone: input.reporterPhone ?? null, photo: null, people: people(input.people), enterpriseIds: enterprises(input.enterpriseIds),
        idempotencyKey: input.idempotencyKey ?? null,
      }),
    reportPatrol: (_, { input }, { data }) =>
      data.caseWrites.report({
        channel: 'grid_patrol', title: input.title, description: input.description ?? null, category: input.category,
        urgency: lower<CaseUrgency>(input.urgency ?? 'NORMAL'), location: input.location, address: null,
        buildingId: optionalIdOf('Building', input.buildingId), level: null, reporterName: null, reporterPhone: null, photo: input.photo,
        people: people(input.people), enterpriseIds: enterprises(input.enterpriseIds), idempotencyKey: input.idempotencyKey ?? null,
      }),
    dispatchCase: (_, { input }, { data }) =>
      data.caseWrites.dispatch(
        idOf('Case', input.caseId),
        input.departments.map((d) => ({ department: d.department, role: lower<'lead' | 'cooperating'>(d.role) })),
        input.note ?? null,
      ),
    acceptDispatch: (_, { dispatchId, note }, { data }) => data.caseWrites.accept(idOf('Dispatch', dispatchId), note ?? null),
    startDispatch: (_, { dispatchId, note }, { data }) => data.caseWrites.start(idOf('Dispatch', dispatchId), note ?? null),
    completeDispatch: (_, { dispatchId, result, note }, { data }) => data.caseWrites.complete(idOf('Dispatch', dispatchId), result, note ?? null),
    recordFeedback: (_, { caseId, satisfaction, note }, { data }) =>
      data.caseWrites.feedback(idOf('Case', caseId), lower<FeedbackSatisfaction>(satisfaction), note ?? null),
    closeCase: (_, { caseId, note }, { data }) => data.caseWrites.close(idOf('Case', caseId), note ?? null),
    reopenCase: (_, { caseId, note }, { data }) => data.caseWrites.reopen(idOf('Case', caseId), note),
    escalateCase: (_, { caseId, note }, { data }) => data.caseWrites.escalate(idOf('Case', caseId), note ?? null),
    superviseCase: (_, { caseId, note }, { data }) => data.caseWrites.supervise(idOf('Case', caseId), note ?? null),
  },
};
