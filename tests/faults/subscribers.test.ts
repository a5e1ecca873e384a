/**
 * Hub restarts with many subscribers connected (issue 13, fault suite). 200 WebSocket clients
 * follow `caseEvents` from the cursor `caseEventsCursor` gave them while a writer reports cases;
 * the hub (`liandong start`) is stopped with SIGTERM and started again, then killed with -9 and
 * started again. Each client, whenever its subscription ends, resumes with the cursor of the
 * last event it received, on a new connection. Afterwards every client has every stored case
 * event exactly once.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { openDatabase, type Database } from '../../src/store/db.js';
import { createTestDatabase, findFreePort, type TestDatabase } from '../../tools/servers/postgres.js';
import { testDatabases } from '../support/databases.js';
import { CLI, FAULTS_SEED, killAll, rng, serveHub, waitUntil, type Cli } from './support.js';

const postgres = testDatabases().find((d) => d.kind === 'postgres')!;
const run = promisify(execFile);
const SUBSCRIBERS = Number(process.env.FAULTS_SUBSCRIBERS ?? 200);
const REPORT = 'mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { number } } }';
const SUBSCRIBE = 'subscription($after: String) { caseEvents(after: $after) { cursor event { id } } }';
/** Per client: at most this many resumes, and this long without its subscription before it gives up. */
const MAX_RESUMES = 200;
const GIVE_UP_MS = 120_000;

interface Follower { received: string[]; cursor: string; resumes: number; gaveUp: string | null }

(postgres.available ? describe : describe.skip)(`hub restarts with ${SUBSCRIBERS} subscribers (seed ${FAULTS_SEED}) [postgres]`, () => {
  let dir: string;
  let testDb: TestDatabase;
  let db: Database;
  const clients: Client[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'liandong-faults-subscribers-'));
    testDb = await createTestDatabase(process.env.LIANDONG_TEST_DATABASE_URL!);
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map(async (c) => { await c.dispose(); }));
    await killAll();
    await db?.close();
    await testDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('SIGTERM and kill -9 restarts: each resuming client receives every case event exactly once', async () => {
    const random = rng(FAULTS_SEED + 4);
    const port = await findFreePort();
    const file = join(dir, 'connectors.json');
    writeFileSync(file, '{}');
    const env = {
      DATABASE_URL: testDb.url, DATA_DIR: join(dir, 'hub'), SIMULATE: 'false', CONNECTORS_FILE: file, PORT: String(port), HOST: '127.0.0.1',
      LOG_LEVEL: 'warn', JWT_SECRET: '', RATE_LIMIT_PER_MINUTE: '1000000',
    };
    const url = `http://127.0.0.1:${port}/graphql`;
    let hub: Cli;
    const startHub = async () => {
      hub = await serveHub(env);
    };
    await startHub();
    const token = (await run(process.execPath, [CLI, 'token', '--role', 'district-admin', '--subject', 'subscribers-faults'], { env: { ...process.env, ...env } })).stdout.trim().split('\n').pop()!;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'fault suite: subscribers' };
    const post = async (query: string, variables: Record<string, unknown> = {}) => {
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(15_000) });
      return (await res.json()) as { data?: any; errors?: unknown[] };
    };
    const start = (await post('{ caseEventsCursor }')).data.caseEventsCursor as string;

    const liveSubscribers = async () => {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.text(), () => '');
      return Number(/^liandong_live_subscribers (\d+)/m.exec(text)?.[1] ?? -1);
    };

    // Each follower resumes on a new connection: the client's own retry would resubscribe with the first cursor.
    const followers: Follower[] = [];
    let stopping = false;
    const follow = async (f: Follower, client: Client) => {
      let lostAt: number | null = null;
      while (!stopping && f.resumes <= MAX_RESUMES) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearInterval(check);
            resolve();
          };
          const unsubscribe = client.subscribe({ query: SUBSCRIBE, variables: { after: f.cursor } }, {
            next: (r) => {
              const m = (r.data as { caseEvents?: { cursor: string; event: { id: string } } } | undefined)?.caseEvents;
              if (!m) return;
              lostAt = null;
              f.received.push(m.event.id);
              f.cursor = m.cursor;
            },
            error: done,
            complete: done,
          });
          const check = setInterval(() => {
            if (stopping) {
              unsubscribe();
              done();
            }
          }, 100);
        });
        if (stopping) break;
        lostAt ??= Date.now();
        if (Date.now() - lostAt > GIVE_UP_MS) {
          f.gaveUp = `no subscription for ${GIVE_UP_MS} ms`;
          return;
        }
        f.resumes++;
        await new Promise((r) => setTimeout(r, 200 + Math.floor(random() * 400)));
      }
      if (f.resumes > MAX_RESUMES) f.gaveUp = `resumed more than ${MAX_RESUMES} times`;
    };
    const loops: Promise<void>[] = [];
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const f: Follower = { received: [], cursor: start, resumes: 0, gaveUp: null };
      followers.push(f);
      const client = createClient({
        url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: true, retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${token}`, 'x-purpose': 'fault suite: subscribers' },
      });
      clients.push(client);
      loops.push(follow(f, client));
    }
    await waitUntil(`${SUBSCRIBERS} live subscriptions`, async () => (await liveSubscribers()) >= SUBSCRIBERS, 60_000, 250);

    // A writer: each report is resent with its idempotency key until it is answered.
    let writing = true;
    let reported = 0;
    const writer = (async () => {
      for (let n = 0; writing && n < 10_000; n++) {
        for (let attempt = 0; attempt < 600; attempt++) {
          const res = await post(REPORT, { input: { channel: 'HOTLINE_12345', title: `订阅重启测试 ${n}`, category: 'neighbour.noise', idempotencyKey: `subs-${FAULTS_SEED}-${n}` } }).catch(() => null);
          if (res && !res.errors) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        reported++;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

    await pause(2_000 + Math.floor(random() * 1_000));
    hub!.child.kill('SIGTERM');
    const term = await Promise.race([hub!.exited, pause(30_000).then(() => null)]);
    expect(term).toEqual({ code: 0, signal: null });
    await startHub();
    await waitUntil(`${SUBSCRIBERS} subscriptions again after SIGTERM`, async () => (await liveSubscribers()) >= SUBSCRIBERS, 90_000, 250);
    await pause(2_000 + Math.floor(random() * 1_000));
    await hub!.kill9();
    await startHub();
    await waitUntil(`${SUBSCRIBERS} subscriptions again after kill -9`, async () => (await liveSubscribers()) >= SUBSCRIBERS, 90_000, 250);
    await pause(2_000);
    writing = false;
    await writer;

    db = await openDatabase({ kind: 'postgres', url: testDb.url, poolMax: 2 });
    const stored = (await db.knex('case_event').orderBy('id').pluck('id')).map(String);
    const idOf = (globalId: string) => Buffer.from(globalId, 'base64').toString().split(':')[1]!;
    const complete = (f: Follower) => new Set(f.received).size >= stored.length;
    await waitUntil('every subscriber to catch up', () => followers.every((f) => complete(f) || f.gaveUp !== null), 60_000, 200)
      .catch((error: Error) => {
        const behind = followers.filter((f) => !complete(f));
        throw new Error(`${error.message}: ${behind.length} of ${SUBSCRIBERS} behind, e.g. ${new Set(behind[0]?.received).size} of ${stored.length}`);
      });
    stopping = true;
    await Promise.all(loops);

    expect(followers.filter((f) => f.gaveUp !== null).map((f) => f.gaveUp)).toEqual([]);
    const duplicated = followers.filter((f) => f.received.length !== new Set(f.received).size).length;
    const wrong = followers.filter((f) => [...f.received].map(idOf).sort().join() !== [...stored].sort().join()).length;
    expect({ duplicated, wrong }).toEqual({ duplicated: 0, wrong: 0 });
    expect(stored.length).toBeGreaterThanOrEqual(reported);
    expect(followers.every((f) => f.resumes >= 2)).toBe(true);
    const resumes = followers.reduce((a, f) => a + f.resumes, 0);
    process.stderr.write(`faults/subscribers: seed ${FAULTS_SEED}, ${SUBSCRIBERS} subscribers, 2 restarts (SIGTERM, kill -9); ${reported} cases reported, `
      + `${stored.length} case events, ${stored.length * SUBSCRIBERS} deliveries checked, each once; ${resumes} resumes\n`);
    await hub!.kill9();
  }, 400_000);
});
