/**
 * PostgreSQL restarted under query and subscription load (issue 13, fault suite): a server of
 * the suite's own, stopped `fast` and then `immediate` (a crash: recovery on start), each time
 * down for a second while clients query, report cases and listen to caseEvents. The hub stays
 * up; /readyz turns not ready and back; every failed query is a typed, retryable
 * SERVICE_UNAVAILABLE, and queries recover by themselves; a subscriber that resumes from its
 * last cursor receives every case event exactly once.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { migrateToLatest, openDatabase, type Database } from '../../src/store/db.js';
import { createEventBus } from '../../src/events/postgres.js';
import type { EventBus } from '../../src/events/bus.js';
import { createLogger } from '../../src/observability/logger.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { findPostgresBinDir, startPostgresServer, type PostgresServer } from '../../tools/servers/postgres.js';
import { FAULTS_SEED, waitUntil } from './support.js';

const REPORT = 'mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { id } } }';
const QUERY = '{ cases(first: 5) { totalCount } departments { name } }';
const SUBSCRIBE = 'subscription($after: String) { caseEvents(after: $after) { cursor event { id type } case { number } } }';

(findPostgresBinDir() ? describe : describe.skip)(`PostgreSQL restarts under load (seed ${FAULTS_SEED}) [postgres]`, () => {
  let server: PostgresServer;
  let db: Database;
  let bus: EventBus;
  let t: TestHub;
  beforeAll(async () => {
    server = await startPostgresServer({ durable: true });
    db = await openDatabase({ kind: 'postgres', url: server.url, poolMax: 10 });
    await migrateToLatest(db.knex);
    bus = await createEventBus(db, createLogger('silent'));
    t = await startTestHub(db, { bus });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await bus?.close();
    await db?.close();
    await server?.stop();
  });

  test('fast and immediate restarts: the hub stays up, errors are typed and retryable, subscribers miss nothing', async () => {
    const token = await t.token();
    const base = t.hub.url.replace(/\/graphql$/, '');
    let stop = false;

    // Readiness, sampled.
    const readiness: number[] = [];
    const sampler = (async () => {
      while (!stop) {
        readiness.push(await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, () => -1));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    // Queries in a loop: what failed, and how.
    const outcomes = { ok: 0, failed: new Map<string, number>() };
    const querier = async () => {
      while (!stop) {
        const res = await t.gql(QUERY).catch((error: Error) => ({ status: -1, errors: [{ message: error.message, extensions: { code: 'TRANSPORT' } }] }));
        if (!res.errors) outcomes.ok++;
        else {
          const ext: Record<string, unknown> = res.errors[0]?.extensions ?? {};
          const key = `${res.status} ${String(ext.code)} retryable=${String(ext.retryable)}`;
          outcomes.failed.set(key, (outcomes.failed.get(key) ?? 0) + 1);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    // A case writer: each report is resent with its idempotency key until it is answered.
    let reported = 0;
    const writer = (async () => {
      for (let n = 0; !stop; n++) {
        for (let attempt = 0; attempt < 300; attempt++) {
          const res = await t.gql(REPORT, { input: { channel: 'HOTLINE_12345', title: `重启测试 ${n}`, category: 'neighbour.noise', idempotencyKey: `pg-restart-${FAULTS_SEED}-${n}` } }).catch(() => null);
          if (res && !res.errors) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        reported++;
        await new Promise((r) => setTimeout(r, 40));
      }
    })();

    // A subscriber that resumes from its last cursor whenever its subscription ends.
    const received: string[] = [];
    let cursor: string | null = null;
    let resumed = 0;
    const client = createClient({
      url: t.hub.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 1000, retryWait: () => new Promise((r) => setTimeout(r, 200)),
      connectionParams: { authorization: `Bearer ${token}`, 'x-purpose': 'fault suite' },
    });
    let stopSubscriber = false;
    const subscriber = (async () => {
      while (!stopSubscriber) {
        await new Promise<void>((resolve) => {
          const unsubscribe = client.subscribe({ query: SUBSCRIBE, variables: { after: cursor } }, {
            next: (r) => {
              const m = (r.data as { caseEvents?: { cursor: string; event: { id: string } } } | undefined)?.caseEvents;
              if (m) {
                received.push(Buffer.from(m.event.id, 'base64').toString().split(':')[1]!);
                cursor = m.cursor;
              }
            },
            error: () => resolve(),
            complete: () => resolve(),
          });
          const check = setInterval(() => {
            if (stopSubscriber) {
              clearInterval(check);
              unsubscribe();
              resolve();
            }
          }, 50);
        });
        if (!stopSubscriber) {
          resumed++;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();

    const loops = [querier(), querier(), querier()];
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await pause(1500);
    await server.restart('fast', 1000);
    await waitUntil('queries to recover after the fast restart', () => t.gql(QUERY).then((r) => !r.errors), 30_000, 100);
    await pause(1500);
    await server.restart('immediate', 1000);
    await waitUntil('queries to recover after the immediate restart', () => t.gql(QUERY).then((r) => !r.errors), 30_000, 100);
    await pause(1500);
    stop = true;
    await Promise.all([...loops, writer, sampler]);
    // Ready again once the pool and the bus's LISTEN connection are both back (its reconnect backs off).
    const readyAfterMs = Date.now();
    await waitUntil('/readyz to be ready again', async () => {
      const status = await fetch(`${base}/readyz`).then((r) => r.status, () => -1);
      readiness.push(status);
      return status === 200;
    }, 30_000, 100);
    const readyWaitMs = Date.now() - readyAfterMs;

    // Every case event in the store reached the subscriber, once.
    const stored = (await db.knex('case_event').orderBy('id').pluck('id')).map(String);
    await waitUntil('the subscriber to catch up', () => new Set(received).size >= stored.length, 30_000, 50)
      .catch((error: Error) => { throw new Error(`${error.message}: ${new Set(received).size} of ${stored.length} events, resumed ${resumed} times`); });
    stopSubscriber = true;
    await subscriber;
    await client.dispose();

    expect(received.length).toBe(new Set(received).size);
    expect([...new Set(received)].sort()).toEqual([...stored].sort());
    // The hub stayed up; readiness went away and came back.
    expect(readiness).toContain(503);
    expect(readiness.at(-1)).toBe(200);
    expect(readiness.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    // Every failure was a typed, retryable SERVICE_UNAVAILABLE (or the request limit while it waited on a connection).
    const kinds = [...outcomes.failed.keys()];
    expect(kinds.filter((k) => k !== '503 SERVICE_UNAVAILABLE retryable=true' && !/^503 TIME_LIMIT_EXCEEDED/.test(k))).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(10);
    process.stderr.write(`faults/postgres: seed ${FAULTS_SEED}, 2 restarts (fast, immediate); ${outcomes.ok} queries answered, `
      + `failures ${JSON.stringify(Object.fromEntries(outcomes.failed))}; ${reported} cases reported, ${stored.length} case events delivered once each `
      + `(subscriber resumed ${resumed} times); readiness samples ${readiness.length} (${readiness.filter((s) => s === 503).length} not ready), ready ${readyWaitMs} ms after the load stopped\n`);
  }, 180_000);
});
