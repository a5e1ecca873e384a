import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  GraphQLError, Kind, NoSchemaIntrospectionCustomRule, getNamedType, type ValidationContext, isListType, getNullableType, visit, type DocumentNode, type GraphQLSchema, type ValidationRule,
} from 'graphql';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { SafeError } from '../errors.js';
import { DEFAULT_PAGE_SIZE } from '../store/pagination.js';

/**
 * Limits against abusive operations, applied identically over HTTP and WebSocket. Each refusal
 * is a GraphQL error whose message names the limit and its value.
 */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  /** Estimated rows an operation may touch: list sizes multiplied through the nesting. */
  maxCost: number;
  introspection: boolean;
  /** sha256 (hex) → operation text; when set, only these operations run. */
  persistedOperations: ReadonlyMap<string, string> | null;
  /** Operations per token (or per client address when anonymous) per minute. */
  ratePerMinute: number;
}

/** Lists without a `first` argument (a household's members, a grid's staff) are bounded by the data; assume this many. */
const ASSUMED_LIST_SIZE = 10;

/** graphql-armor throws its findings as syntax errors; report them as validation errors that name the limit. */
const reportLimit = [
  (context: ValidationContext | null, error: GraphQLError) =>
    context?.reportError(new GraphQLError(`Operation limit: ${error.message.replace(/^Syntax Error: /, '')}`, { extensions: { code: 'OPERATION_LIMIT' } })),
];

export function validationRules(limits: OperationLimits): ValidationRule[] {
  return [
    maxDepthRule({ n: limits.maxDepth, exposeLimits: true, propagateOnRejection: false, onReject: reportLimit }),
    maxAliasesRule({ n: limits.maxAliases, exposeLimits: true, propagateOnRejection: false, onReject: reportLimit }),
    ...(limits.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
}

const listCost: ComplexityEstimator = ({ field, args, childComplexity }) => {
  const type = getNullableType(field.type);
  const first = typeof args.first === 'number' ? args.first : null;
  if (getNamedType(type).name.endsWith('Connection')) return 1 + (first ?? DEFAULT_PAGE_SIZE) * Math.max(childComplexity, 1);
  if (isListType(type)) return 1 + (first ?? ASSUMED_LIST_SIZE) * Math.max(childComplexity, 1);
  return 1 + childComplexity;
};

/**
 * Estimated costs per parsed document (Apollo's document cache and the WebSocket path's hand
 * every request of an operation the same one). A cost depends on nothing of a request but the
 * `first` arguments and the @include/@skip conditions, so it is kept per value of the variables
 * that feed them: a page walked by cursor costs one estimate, not one walk of the document per
 * request (about 3% of a busy hub's time on the list of 100).
 */
const COSTS_PER_DOCUMENT = 64;
const costs = new WeakMap<DocumentNode, { costVariables: string[]; byKey: Map<string, number> }>();

function costVariablesOf(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Argument(node) {
      if (node.name.value === 'first' && node.value.kind === Kind.VARIABLE) names.add(node.value.name.value);
    },
    // @include(if: $v) and @skip(if: $v) decide which fields count.
    Directive(node) {
      for (const arg of node.arguments ?? []) if (arg.value.kind === Kind.VARIABLE) names.add(arg.value.name.value);
    },
  });
  return [...names];
}

/** The operation's estimated cost, or null when its variables do not coerce (execution reports them to the client as BAD_USER_INPUT). */
function costOf(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName: string | undefined): number | null {
  let entry = costs.get(document);
  if (!entry) costs.set(document, (entry = { costVariables: costVariablesOf(document), byKey: new Map() }));
  const key = JSON.stringify([operationName ?? null, ...entry.costVariables.map((v) => variables[v] ?? null)]);
  const known = entry.byKey.get(key);
  if (known !== undefined) return known;
  let cost: number;
  try {
    cost = getComplexity({ schema, query: document, variables, ...(operationName ? { operationName } : {}), estimators: [listCost] });
  } catch (err) {
    if (err instanceof GraphQLError) return null;
    throw err;
  }
  if (entry.byKey.size < COSTS_PER_DOCUMENT) entry.byKey.set(key, cost);
  return cost;
}

/** Throws OPERATION_LIMIT when the operation's estimated cost is over the limit. */
export function assertCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName: string | undefined, limits: OperationLimits): void {
  const cost = costOf(schema, document, variables ?? {}, operationName);
  if (cost === null) return;
  if (cost > limits.maxCost) {
    throw new SafeError('OPERATION_LIMIT', `Operation limit: estimated cost ${cost} exceeds ${limits.maxCost}; ask for smaller pages (first) or fewer nested lists.`, { http: { status: 400 } });
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Reads an allow-list file: a JSON object of sha256 → operation text, or an array of operation texts. */
export function loadPersistedOperations(file: string): Map<string, string> {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const entries: [string, string][] = Array.isArray(parsed)
    ? parsed.map((q) => [sha256(String(q)), String(q)])
    : Object.entries(parsed as Record<string, string>);
  for (const [hash, text] of entries) {
    if (sha256(text) !== hash) throw new Error(`persisted operation ${hash} does not match the sha256 of its text`);
  }
  return new Map(entries);
}

interface OperationRequest {
  query?: unknown;
  extensions?: unknown;
  documentId?: unknown;
}

/**
 * In allow-list mode, the operation text to run: named by its hash (`documentId`, or Apollo's
 * `extensions.persistedQuery.sha256Hash`) or sent in full and found in the list. Else as sent.
 */
export function resolveOperationText(request: OperationRequest, limits: OperationLimits): string | undefined {
  const sent = typeof request.query === 'string' ? request.query : undefined;
  const allowed = limits.persistedOperations;
  if (!allowed) return sent;
  const ext = request.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined;
  const id = typeof request.documentId === 'string' ? request.documentId : ext?.persistedQuery?.sha256Hash;
  const hash = typeof id === 'string' ? id : sent !== undefined ? sha256(sent) : undefined;
  const text = hash ? allowed.get(hash) : undefined;
  if (!text || (sent !== undefined && sent !== text)) {
    // Apollo's own persisted-query protocol is off; the allow-list answers for it.
    throw new SafeError('OPERATION_LIMIT', 'Operation limit: this hub only runs persisted operations, and this one is not on its allow-list.');
  }
  return text;
}

/** A per-token budget of operations per minute; one instance's share (each hub counts its own). */
export function createRateLimiter(limits: OperationLimits) {
  const limiter = new RateLimiterMemory({ points: limits.ratePerMinute, duration: 60 });
  return async (key: string): Promise<void> => {
    try {
      await limiter.consume(key);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      const retryAfter = Math.ceil(res.msBeforeNext / 1000);
      throw new SafeError('RATE_LIMITED', `Rate limit: more than ${limits.ratePerMinute} operations a minute for this token; retry in ${retryAfter} s.`, { retryAfterSeconds: retryAfter });
    }
  };
}

export function limitsFromConfig(config: {
  MAX_DEPTH: number; MAX_ALIASES: number; MAX_COST: number; RATE_LIMIT_PER_MINUTE: number; NODE_ENV: string; PERSISTED_OPERATIONS_FILE?: string | undefined;
}): OperationLimits {
  return {
    maxDepth: config.MAX_DEPTH,
    maxAliases: config.MAX_ALIASES,
    maxCost: config.MAX_COST,
    ratePerMinute: config.RATE_LIMIT_PER_MINUTE,
    introspection: config.NODE_ENV !== 'production',
    persistedOperations: config.PERSISTED_OPERATIONS_FILE ? loadPersistedOperations(config.PERSISTED_OPERATIONS_FILE) : null,
  };
}
