/**
 * What one list request costs the hub's process, in-process and so steadier than req/s on a
 * shared machine: CPU milliseconds and garbage-collection milliseconds per request, for the
 * bench's page of 100 and page of 10 (bench/peers.ts), executed as the hub executes them (the
 * same schema and executor, a fresh data layer per request, the audit recorded, the answer
 * serialised), over a PostgreSQL store holding the served world (bench/lib/world.ts).
 *
 *   node dist/bench/listCost.js postgres://…/db [requests] [concurrency]
 *
 * Allocation per request: run under `node --trace-gc` and sum the heap growth between
 * collections (the last line prints the request count to divide by).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { parse, type DocumentNode } from 'graphql';
import { openDatabase } from '../src/store/db.js';
import { createDataLayer } from '../src/store/dataLayer.js';
import { AuditWriter } from '../src/store/audit.js';
import { buildSchema } from '../src/server/schema.js';
import { createExecutor } from '../src/server/executor.js';
import { personFieldsOf } from '../src/server/personFields.js';
import { createLogger } from '../src/observability/logger.js';
import type { Viewer } from '../src/auth/viewer.js';
import type { RequestContext } from '../src/resolvers/context.js';
import { PEOPLE_10, PEOPLE_100 } from './peers.js';

const [url, requestsArg, concurrencyArg] = process.argv.slice(2);
if (!url) throw new Error('usage: listCost.js DATABASE_URL [requests] [concurrency]');
const requests = Number(requestsArg ?? 400);
const concurrency = Number(concurrencyArg ?? 8);

const db = await openDatabase({ kind: 'postgres', url, poolMax: 20 });
const schema = buildSchema();
const execute = createExecutor(schema);
const log = createLogger('silent');
const audit = new AuditWriter(db.knex, log);
const viewer: Viewer = { authenticated: true, subject: 'bench', name: null, role: 'district-admin', gridIds: [], streetIds: [], department: null };
const purpose = 'benchmark';

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

async function run(document: DocumentNode, name: string, after: string | null): Promise<{ text: string; endCursor: string | null }> {
  const contextValue: RequestContext = { viewer, purpose, data: createDataLayer(db.knex, viewer, { purpose }), log };
  const result = await execute({ schema, document, variableValues: { after }, contextValue, operationName: name });
  if (result.errors?.length) throw new Error(`${name}: ${result.errors[0]!.message}`);
  audit.record(viewer, contextValue.data.reads, personFieldsOf(schema, document), purpose, name);
  const people = (result.data as { people: { pageInfo: { endCursor: string | null; hasNextPage: boolean } } }).people;
  return { text: JSON.stringify(result), endCursor: people.pageInfo.hasNextPage ? people.pageInfo.endCursor : null };
}

async function measure(query: string, name: string): Promise<void> {
  // One parsed document per operation, as Apollo's document cache hands out.
  const document = parse(query);
  // Every page of the district, as the bench rotates over them.
  const cursors: Array<string | null> = [null];
  for (;;) {
    const { endCursor } = await run(document, name, cursors[cursors.length - 1]!);
    if (endCursor === null) break;
    cursors.push(endCursor);
  }
  let next = 0;
  const pass = async (n: number) => {
    let remaining = n;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (remaining-- > 0) await run(document, name, cursors[next++ % cursors.length]!);
    }));
  };
  await pass(Math.max(50, requests / 4));
  await audit.flush();
  gcMs = 0;
  const sampling = await startAllocationSampling();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await pass(requests);
  await audit.flush();
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const allocated = await sampling.stop(`${name}`);
  const per = (ms: number) => (ms / requests).toFixed(3);
  console.log(`${name}: ${requests} requests, concurrency ${concurrency}: CPU ${per((used.user + used.system) / 1000)} ms/request, GC ${per(gcMs)} ms/request, wall ${per(wall)} ms/request, answer ${(await run(document, name, null)).text.length} chars${allocated === null ? '' : `, ~${(allocated / requests / 1024).toFixed(0)} KiB allocated/request (sampled)`}`);
}

/**
 * With LIST_COST_HEAP=dir: V8's sampling heap profiler over the measured pass, counting objects
 * that minor and major collections have already freed too (what a request allocates, not what
 * it keeps), written to dir as a .heapprofile for DevTools.
 */
async function startAllocationSampling(): Promise<{ stop(name: string): Promise<number | null> }> {
  const dir = process.env.LIST_COST_HEAP;
  if (!dir) return { stop: async () => null };
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) =>
    session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return {
    async stop(name) {
      const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: { head: SampleNode } };
      session.disconnect();
      writeFileSync(join(dir, `${name}.heapprofile`), JSON.stringify(profile));
      const sum = (n: SampleNode): number => n.selfSize + n.children.reduce((a, c) => a + sum(c), 0);
      return sum(profile.head);
    },
  };
}
interface SampleNode { selfSize: number; children: SampleNode[] }

try {
  await measure(PEOPLE_100, 'People100');
  await measure(PEOPLE_10, 'People10');
} finally {
  await db.close();
}
