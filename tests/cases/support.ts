/** What the case workflow suites share: the operations they send and a few lookups. */
import type { TestHub } from '../support/hub.js';

export const CASE_FIELDS = `
  id number status level channel category urgency supervised reportedAt closedAt escalatedAt dispatchedAt arrivedAt photo
  sla { dispatchDueAt arriveDueAt closeDueAt dueAt overdue }
  feedback { satisfaction note recordedAt }
  grid { id name } building { id name } address { id text }
  dispatches { id role status department { name } acceptedAt arrivedAt completedAt result }
`;

export const EVENT_FIELDS = 'id position type actor actorRole at note fromStatus toStatus level data dispatch { id } department { name }';

const PAYLOAD = `{ case { ${CASE_FIELDS} } dispatch { id status } events { ${EVENT_FIELDS} } }`;

export const OPS = {
  report: `mutation($input: ReportCaseInput!) { reportCase(input: $input) ${PAYLOAD} }`,
  patrol: `mutation($input: ReportPatrolInput!) { reportPatrol(input: $input) ${PAYLOAD} }`,
  dispatch: `mutation($input: DispatchCaseInput!) { dispatchCase(input: $input) ${PAYLOAD} }`,
  accept: `mutation($id: ID!, $note: String) { acceptDispatch(dispatchId: $id, note: $note) ${PAYLOAD} }`,
  start: `mutation($id: ID!, $note: String) { startDispatch(dispatchId: $id, note: $note) ${PAYLOAD} }`,
  complete: `mutation($id: ID!, $result: String!) { completeDispatch(dispatchId: $id, result: $result) ${PAYLOAD} }`,
  feedback: `mutation($id: ID!, $s: FeedbackSatisfaction!, $note: String) { recordFeedback(caseId: $id, satisfaction: $s, note: $note) ${PAYLOAD} }`,
  close: `mutation($id: ID!, $note: String) { closeCase(caseId: $id, note: $note) ${PAYLOAD} }`,
  reopen: `mutation($id: ID!, $note: String!) { reopenCase(caseId: $id, note: $note) ${PAYLOAD} }`,
  escalate: `mutation($id: ID!, $note: String) { escalateCase(caseId: $id, note: $note) ${PAYLOAD} }`,
  supervise: `mutation($id: ID!, $note: String) { superviseCase(caseId: $id, note: $note) ${PAYLOAD} }`,
  case: `query($id: ID!) { case(id: $id) { ${CASE_FIELDS} history { ${EVENT_FIELDS} } } }`,
};

export type Gql = TestHub['gql'];

/** Runs a mutation and returns its payload, failing the test with the errors if there are any. */
export async function ok(t: TestHub, query: string, variables: Record<string, unknown>, token?: string): Promise<any> {
  const res = await t.gql(query, variables, token === undefined ? {} : { token });
  if (res.errors) throw new Error(`${query.slice(0, 60)}…: ${JSON.stringify(res.errors)}`);
  const data = res.data as Record<string, unknown>;
  return Object.values(data)[0];
}

export const MINUTE = 60_000;
