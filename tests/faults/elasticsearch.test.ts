/**
 * Elasticsearch away under a running hub (issue 13, fault suite). `liandong start` runs against
 * a real Elasticsearch node (tools/elasticsearch) through a TCP proxy the test cuts. While it is
 * cut, `search` answers a clear SERVICE_UNAVAILABLE, /readyz says which part is away, lists and
 * case reports go on. Once it is back, the indexer catches up from the outbox by itself: every
 * case reported before, during and after the outage is found by its number.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, findFreePort, type TestDatabase } from '../../tools/servers/postgres.js';
import { testDatabases } from '../support/databases.js';
import { findJava, startElasticsearch, type ElasticsearchNode } from '../../tools/servers/elasticsearch.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { CLI, cli, FAULTS_SEED, killAll, waitUntil, type Cli } from './support.js';

const postgres = testDatabases().find((d) => d.kind === 'postgres')!;
const runnable = postgres.available && (findJava() !== null || process.env.LIANDONG_REQUIRE_REAL_SERVICES === '1');
const run = promisify(execFile);
const REPORT = 'mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { number } } }';
const SEARCH = 'query($q: String!) { search(query: $q, types: [CASE], first: 5) { totalCount edges { node { ... on Case { number } } } } }';
/** Cases reported before the outage, during it and after it. */
const BEFORE = 5;
const DURING = 20;
const AFTER = 5;
const OUTAGE_MS = 8_000;
/** Searches tried while the engine is away: each may wait out the client's timeout, so the cut lasts until this many have run. */
const SEARCHES_DURING = 6;

interface Answer { status: number; data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }

(runnable ? describe : describe.skip)(`Elasticsearch down under the hub (seed ${FAULTS_SEED}) [postgres] [elasticsearch]`, () => {
  let dir: string;
  let testDb: TestDatabase;
  let es: ElasticsearchNode;
  let proxy: TcpProxy;
  let hub: Cli;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'liandong-faults-es-'));
    testDb = await createTestDatabase(process.env.LIANDONG_TEST_DATABASE_URL!);
    es = await startElasticsearch();
    const target = new URL(es.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  }, 600_000);
  afterAll(async () => {
    await killAll();
    await proxy?.close();
    await es?.stop();
    await testDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  test(`search is SERVICE_UNAVAILABLE for ${OUTAGE_MS / 1000} s or ${SEARCHES_DURING} searches, then the index catches up: ${BEFORE + DURING + AFTER} of ${BEFORE + DURING + AFTER} cases found`, async () => {
    const port = await findFreePort();
    const env = {
      DATABASE_URL: testDb.url, DATA_DIR: dir, WORLD_SCALE: 'tiny', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', JWT_SECRET: '', CONNECTORS_FILE: '', SIMULATE: '',
      ELASTICSEARCH_URL: `http://127.0.0.1:${proxy.port}`,
    };
    const base = `http://127.0.0.1:${port}`;
    hub = cli(['start'], env);
    await waitUntil('the hub to serve', () => {
      if (hub.child.exitCode !== null) throw new Error(`the hub exited ${hub.child.exitCode}:\n${hub.logs.join('').slice(-3000)}`);
      return hub.logs.join('').includes('Liandong is serving GraphQL');
    }, 180_000, 100);
    const token = (await run(process.execPath, [CLI, 'token', '--role', 'district-admin', '--subject', 'es-faults'], { env: { ...process.env, ...env } })).stdout.trim().split('\n').pop()!;
    const gql = async (query: string, variables: Record<string, unknown> = {}): Promise<Answer> => {
      const res = await fetch(`${base}/graphql`, {
        method: 'POST', signal: AbortSignal.timeout(20_000), body: JSON.stringify({ query, variables }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'fault suite: elasticsearch down' },
      });
      return { status: res.status, ...((await res.json()) as Omit<Answer, 'status'>) };
    };
    const numbers: string[] = [];
    const report = async (phase: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const res = await gql(REPORT, { input: { channel: 'HOTLINE_12345', title: `搜索停机测试 ${phase} ${i}`, category: 'neighbour.noise', idempotencyKey: `es-${FAULTS_SEED}-${phase}-${i}` } });
        expect(res.errors).toBeUndefined();
        numbers.push(res.data.reportCase.case.number as string);
      }
    };
    const found = async (number: string) => {
      const res = await gql(SEARCH, { q: number });
      return !res.errors && (res.data.search.edges as Array<{ node: { number?: string } }>).some((e) => e.node.number === number);
    };
    const missing = async () => {
      const out: string[] = [];
      for (const n of numbers) if (!(await found(n))) out.push(n);
      return out;
    };
    const readyz = async () => {
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10_000) });
      return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
    };

    // The first index build (the synced tiny district) and the first cases reach the index.
    await report('before', BEFORE);
    await waitUntil('the cases reported before the outage to be searchable', async () => (await missing()).length === 0, 180_000, 500);
    expect((await readyz()).status).toBe(200);

    await proxy.down();
    const downAt = Date.now();
    const outcomes = new Map<string, number>();
    let slowest = 0;
    const during = report('during', DURING);
    let searches = 0;
    while (Date.now() - downAt < OUTAGE_MS || searches < SEARCHES_DURING) {
      searches++;
      const started = Date.now();
      const res = await gql(SEARCH, { q: numbers[0]! });
      slowest = Math.max(slowest, Date.now() - started);
      const key = res.errors ? `${String(res.errors[0]?.extensions?.code)}: ${res.errors[0]?.message}` : 'answered';
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 200));
    }
    await during;
    const notReady = await readyz();
    // Lists are PostgreSQL's: they go on.
    const list = await gql('{ cases(first: 1) { totalCount } }');
    await proxy.up();

    expect([...outcomes.keys()]).toEqual(['SERVICE_UNAVAILABLE: The search engine (elasticsearch) did not answer; try again in a moment. Lists with filters (people, buildings, enterprises, cases) still work.']);
    expect(slowest).toBeLessThan(15_000);
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks).toMatchObject({ database: 'ok', search: expect.stringMatching(/^elasticsearch unreachable/) });
    expect(list.errors).toBeUndefined();
    expect(list.data.cases.totalCount).toBeGreaterThanOrEqual(BEFORE + DURING);

    // Back: the indexer's backoff (at most 30 s) comes round by itself, with no write to wake it.
    await waitUntil('the cases reported during the outage to be searchable', async () => (await missing()).length === 0, 60_000, 1_000);
    await report('after', AFTER);
    await waitUntil('the cases reported after the outage to be searchable', async () => (await missing()).length === 0, 30_000, 500);
    expect(numbers).toHaveLength(BEFORE + DURING + AFTER);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(await missing()).toEqual([]);
    expect((await readyz()).status).toBe(200);
    expect(hub.child.exitCode).toBeNull();
  });
});
