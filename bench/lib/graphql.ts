/** Small GraphQL-over-HTTP helpers the bench needs besides the load generator. */
import { Kind, parse, type TypeNode } from 'graphql';
import { fromGlobalId } from '../../src/resolvers/globalId.js';

export interface Endpoint {
  url: string;
  headers: Record<string, string>;
}

/** One person of the bench's store, by the hub's global id and by database id. */
export interface PersonRef {
  globalId: string;
  dbId: string;
}

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message?: string }>;
}

export async function postGraphQL(endpoint: Endpoint, query: string, variables: Record<string, unknown>): Promise<{ status: number; body: GraphQLBody; text: string }> {
  const res = await fetch(endpoint.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...endpoint.headers },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let body: GraphQLBody;
  try {
    body = JSON.parse(text) as GraphQLBody;
  } catch {
    body = { errors: [{ message: `response is not JSON: ${text.slice(0, 200)}` }] };
  }
  return { status: res.status, body, text };
}

export type BodyVerdict = 'ok' | 'graphql-errors' | 'no-data';

/**
 * What a 2xx response body says: GraphQL errors, no data (null data or a null top-level field,
 * e.g. `person: null` for an id the target doesn't know), or a proper answer.
 */
export function judgeBody(text: string): { verdict: BodyVerdict; detail?: string } {
  let body: GraphQLBody;
  try {
    body = JSON.parse(text) as GraphQLBody;
  } catch {
    return { verdict: 'no-data', detail: `not JSON: ${text.slice(0, 120)}` };
  }
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    return { verdict: 'graphql-errors', detail: body.errors[0]?.message ?? 'an error without a message' };
  }
  if (!body.data || typeof body.data !== 'object') return { verdict: 'no-data', detail: 'data is null' };
  const nullField = Object.entries(body.data).find(([, v]) => v === null || v === undefined);
  if (nullField) return { verdict: 'no-data', detail: `data.${nullField[0]} is null` };
  return { verdict: 'ok' };
}

const PEOPLE_PAGE = /* GraphQL */ `
  query BenchPeople($after: String) {
    people(first: 100, after: $after) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } }
  }`;

/** Every person the hub serves, walking `people(first: 100, after:)`. */
export async function listPeople(endpoint: Endpoint): Promise<PersonRef[]> {
  const people: PersonRef[] = [];
  let after: string | null = null;
  let total = -1;
  for (let page = 0; page < 10_000; page++) {
    const { status, body } = await postGraphQL(endpoint, PEOPLE_PAGE, { after });
    if (status !== 200 || body.errors?.length || !body.data) {
      throw new Error(`listing people failed (HTTP ${status}): ${body.errors?.[0]?.message ?? 'no data'}`);
    }
    const conn = body.data.people as {
      totalCount: number;
      edges: Array<{ node: { id: string } }>;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
    total = conn.totalCount;
    for (const { node } of conn.edges) people.push({ globalId: node.id, dbId: fromGlobalId(node.id).id });
    if (!conn.pageInfo.hasNextPage || !conn.pageInfo.endCursor) break;
    after = conn.pageInfo.endCursor;
  }
  if (people.length !== total) throw new Error(`people walk found ${people.length} people but totalCount is ${total}`);
  return people;
}

function namedType(type: TypeNode): { name: string; required: boolean } {
  if (type.kind === Kind.NON_NULL_TYPE) return { ...namedType(type.type), required: true };
  if (type.kind === Kind.LIST_TYPE) return { ...namedType(type.type), required: false };
  return { name: type.name.value, required: false };
}

/**
 * How to fill the variables of a query for one person, from the variables it declares:
 * `$id` gets the hub's global id; `$rowId` or `$dbId` the database id (a number when declared
 * Int, else a string, e.g. PostGraphile's BigInt). Any other required variable is an error.
 */
export function variablesFor(query: string): (person: PersonRef) => Record<string, unknown> {
  const doc = parse(query);
  const operations = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1) throw new Error(`the query must have exactly one operation (it has ${operations.length})`);
  const fillers: Array<(p: PersonRef, vars: Record<string, unknown>) => void> = [];
  let usesPerson = false;
  for (const def of operations[0]!.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    const type = namedType(def.type);
    if (name === 'id') {
      fillers.push((p, vars) => { vars.id = p.globalId; });
      usesPerson = true;
    } else if (name === 'rowId' || name === 'dbId') {
      fillers.push(type.name === 'Int' ? (p, vars) => { vars[name] = Number(p.dbId); } : (p, vars) => { vars[name] = p.dbId; });
      usesPerson = true;
    } else if (type.required && !def.defaultValue) {
      throw new Error(`the query declares $${name}, which the bench can't fill (it fills $id with the global id, $rowId/$dbId with the database id)`);
    }
  }
  if (!usesPerson) throw new Error('the query declares none of $id, $rowId, $dbId, so every request would ask for the same thing');
  return (person) => {
    const vars: Record<string, unknown> = {};
    for (const fill of fillers) fill(person, vars);
    return vars;
  };
}
