/** The load generator: autocannon in this process, one different person per request. */
import autocannon from 'autocannon';
import { onInterrupt } from './cleanup.js';
import { judgeBody, postGraphQL, type Endpoint, type PersonRef } from './graphql.js';

export interface Workload extends Endpoint {
  query: string;
  variables(person: PersonRef): Record<string, unknown>;
  people: PersonRef[];
}

export interface LoadResult {
  connections: number;
  /** Measured seconds, as autocannon reports them. */
  durationS: number;
  requests: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  bytesPerSec: number;
  /** Connection errors, timeouts included. */
  connErrors: number;
  timeouts: number;
  non2xx: number;
  /** 2xx responses whose body has `errors`. */
  graphqlErrors: number;
  /** 2xx responses without errors but with null data (or not JSON). */
  noData: number;
  /** The first problem seen, to show with the numbers. */
  firstProblem: string | null;
}

export function totalErrors(r: LoadResult): number {
  return r.connErrors + r.non2xx + r.graphqlErrors + r.noData;
}

/** The request bodies, one per person, serialised once so the generator spends its CPU sending. */
export function requestBodies(work: Workload): string[] {
  return work.people.map((p) => JSON.stringify({ query: work.query, variables: work.variables(p) }));
}

/**
 * Asks for a spread of people one at a time before any load, so a target that can't answer the
 * query fails with its own error message instead of a table full of errors.
 */
export async function verifyWorkload(work: Workload, samples = 8): Promise<{ bytes: number }> {
  const n = work.people.length;
  if (n === 0) throw new Error('no people to ask for');
  const picks = [...new Set(Array.from({ length: Math.min(samples, n) }, (_, i) => Math.floor((i * (n - 1)) / Math.max(1, samples - 1))))];
  let bytes = 0;
  for (const i of picks) {
    const person = work.people[i]!;
    const { status, text } = await postGraphQL(work, work.query, work.variables(person));
    const { verdict, detail } = judgeBody(text);
    if (status < 200 || status >= 300 || verdict !== 'ok') {
      throw new Error(`verification request for ${person.globalId} (db id ${person.dbId}) got HTTP ${status}, ${verdict}${detail ? `: ${detail}` : ''}`);
    }
    bytes += Buffer.byteLength(text);
  }
  return { bytes: Math.round(bytes / picks.length) };
}

export async function runLoad(work: Workload, bodies: string[], opts: { connections: number; durationS: number }): Promise<LoadResult> {
  if (bodies.length === 0) throw new Error('no request bodies');
  let next = 0;
  let graphqlErrors = 0;
  let noData = 0;
  let firstProblem: string | null = null;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: work.url,
        connections: opts.connections,
        duration: opts.durationS,
        timeout: 30,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...work.headers },
        requests: [
          {
            method: 'POST',
            // Shared by every connection (autocannon keeps functions by reference): each request
            // asks for the next person, rotating over all of them.
            setupRequest: (request) => {
              request.body = bodies[next++ % bodies.length];
              return request;
            },
            onResponse: (status, body) => {
              if (status < 200 || status >= 300) {
                firstProblem ??= `HTTP ${status}: ${body.slice(0, 200)}`;
                return; // counted by autocannon as non-2xx
              }
              const { verdict, detail } = judgeBody(body);
              if (verdict === 'ok') return;
              if (verdict === 'graphql-errors') graphqlErrors++;
              else noData++;
              firstProblem ??= `${verdict}: ${detail ?? ''}`;
            },
          },
        ],
      },
      (error: unknown, res: autocannon.Result) => {
        offInterrupt();
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve(res);
      },
    );
    const offInterrupt = onInterrupt(() => instance.stop());
    instance.on('reqError', (error: unknown) => {
      firstProblem ??= `request error: ${error instanceof Error ? error.message : String(error)}`;
    });
  });
  return {
    connections: opts.connections,
    durationS: result.duration,
    requests: result.requests.total,
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: result.latency.average,
    maxMs: result.latency.max,
    bytesPerSec: result.throughput.average,
    connErrors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    graphqlErrors,
    noData,
    firstProblem,
  };
}
