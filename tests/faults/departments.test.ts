/**
 * A department system down, slow (10 s answers) or answering garbage under a running hub
 * (issue 13, fault suite). `liandong start` syncs three simulated departments, each its own
 * `liandong simulate` process, every 10 s (the shortest interval a connectors file allows).
 * The market regulation system (enterprise) is broken one way at a time, through its /_control:
 * down for a moment inside a run, its connector is DEGRADED (it got through by retrying, and says
 * so); down, slow or garbage for longer, it goes DOWN with a lastError that says what is wrong; population and social affairs
 * go on syncing, HEALTHY; when the fault is cleared, the enterprise connector is HEALTHY again by
 * itself with no lastError, and holds every enterprise of the source.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openDatabase, type Database } from '../../src/store/db.js';
import { generateWorld } from '../../src/world/index.js';
import { createTestDatabase, findFreePort, type TestDatabase } from '../../tools/servers/postgres.js';
import { testDatabases } from '../support/databases.js';
import { CLI, cli, FAULTS_SEED, killAll, simulateDepartment, waitUntil, type SimulatedDepartment } from './support.js';

const postgres = testDatabases().find((d) => d.kind === 'postgres')!;
const run = promisify(execFile);
const BROKEN = 'enterprise';
const HEALTHY = ['population', 'social'];
const TIMEOUT_MS = 3_000;

const FAULTS: Array<{ name: string; patch: Record<string, unknown>; lastError: RegExp }> = [
  { name: 'down (503)', patch: { down: true }, lastError: /503.*\(gave up after 5 attempts\)/ },
  { name: 'slow (10 s answers)', patch: { latencyMs: 10_000 }, lastError: new RegExp(`${TIMEOUT_MS} ms`) },
  { name: 'garbage (an HTML page)', patch: { garbage: true }, lastError: /JSON|text\/html/i },
];
const CLEAR = { down: false, latencyMs: 0, garbage: false };

interface Health { status: string; lastSyncAt: string | null; lastError: string | null }

(postgres.available ? describe : describe.skip)(`a department down, slow or answering garbage (seed ${FAULTS_SEED}) [postgres]`, () => {
  let dir: string;
  let world: string;
  let testDb: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'liandong-faults-departments-'));
    world = join(dir, 'world');
    await generateWorld({ scale: 'tiny', seed: 13, outDir: world, overwrite: true });
    testDb = await createTestDatabase(process.env.LIANDONG_TEST_DATABASE_URL!);
    db = await openDatabase({ kind: 'postgres', url: testDb.url, poolMax: 2 });
  });
  afterAll(async () => {
    await killAll();
    await db?.close();
    await testDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`flaky: DEGRADED; ${FAULTS.map((f) => f.name).join(', ')}: DOWN with the reason, the others sync on, it recovers by itself`, async () => {
    const base = { WORLD_DIR: world, LOG_LEVEL: 'warn', JWT_SECRET: '', SIMULATE: '', CONNECTORS_FILE: '' };
    const sims: Record<string, SimulatedDepartment> = {};
    for (const name of [BROKEN, ...HEALTHY]) sims[name] = await simulateDepartment(name, world, join(dir, `sim-${name}`), FAULTS_SEED % 1000 + 1);
    const file = join(dir, 'connectors.json');
    writeFileSync(file, JSON.stringify({
      [BROKEN]: { ...sims[BROKEN]!.config, timeoutMs: TIMEOUT_MS, intervalSeconds: 10 },
      ...Object.fromEntries(HEALTHY.map((n) => [n, { ...sims[n]!.config, intervalSeconds: 10 }])),
    }));
    const control = (patch: Record<string, unknown>) => sims[BROKEN]!.control(patch);

    const port = await findFreePort();
    const env = { ...base, DATABASE_URL: testDb.url, DATA_DIR: join(dir, 'hub'), SIMULATE: 'false', CONNECTORS_FILE: file, PORT: String(port), HOST: '127.0.0.1' };
    const hub = cli(['start'], env);
    await waitUntil('the hub to serve after its first sync', () => {
      if (hub.child.exitCode !== null) throw new Error(`the hub exited ${hub.child.exitCode}:\n${hub.logs.join('').slice(-3000)}`);
      return hub.logs.join('').includes('Liandong is serving GraphQL');
    }, 180_000, 100);
    const token = (await run(process.execPath, [CLI, 'token', '--role', 'district-admin', '--subject', 'departments-faults'], { env: { ...process.env, ...env } })).stdout.trim().split('\n').pop()!;
    const health = async (): Promise<Record<string, Health>> => {
      const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST', signal: AbortSignal.timeout(10_000),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'fault suite: departments' },
        body: JSON.stringify({ query: '{ departments { name connector { status lastSyncAt lastError } } }' }),
      });
      const body = (await res.json()) as { data: { departments: Array<{ name: string; connector: Health | null }> } };
      return Object.fromEntries(body.data.departments.filter((d) => d.connector).map((d) => [d.name, d.connector!]));
    };
    const enterprises = async () => Number((await db.knex('source_record as s').join('department as d', 'd.id', 's.department_id')
      .where('d.name', BROKEN).count({ n: '*' }).first())?.n ?? 0);

    const first = await health();
    for (const name of [BROKEN, ...HEALTHY]) expect(first[name]).toMatchObject({ status: 'HEALTHY', lastError: null });
    const held = await enterprises();
    expect(held).toBeGreaterThan(0);

    const report: string[] = [];
    const enterpriseRuns = (since: Date) => db.knex('sync_run as r').join('department as d', 'd.id', 'r.department_id')
      .where('d.name', BROKEN).where('r.started_at', '>=', since).select('r.id', 'r.status');
    // Flaky first: down for a moment inside a run, so the run gets through only by retrying.
    // The runner's backoff has full jitter, so a run may give up inside that moment: then again.
    let degraded: Health | null = null;
    for (let attempt = 1; attempt <= 3 && !degraded; attempt++) {
      const since = new Date();
      await control({ down: true });
      await waitUntil(`an ${BROKEN} run to start`, async () => (await enterpriseRuns(since)).some((r) => r.status === 'running'), 30_000, 50);
      await new Promise((r) => setTimeout(r, 300));
      await control(CLEAR);
      await waitUntil(`that ${BROKEN} run to end`, async () => (await enterpriseRuns(since)).every((r) => r.status !== 'running'), 60_000, 100);
      const h = await waitUntil(`${BROKEN}'s health after the run`, async () => {
        const x = (await health())[BROKEN]!;
        return x.status !== 'HEALTHY' && x;
      }, 10_000, 100).catch(() => null);
      if (h?.status === 'DEGRADED') degraded = h;
      report.push(`flaky (503 for 0.3 s inside a run), try ${attempt}: ${h ? `${h.status}, lastError ${JSON.stringify(h.lastError)}` : 'no failed attempt seen'}`);
      if (!degraded) await waitUntil(`${BROKEN} HEALTHY again`, async () => (await health())[BROKEN]!.status === 'HEALTHY', 60_000, 250);
    }
    expect(degraded?.lastError).toMatch(/^enterprises: synced after \d failed attempt\(s\); last failure: .*503/);

    for (const fault of FAULTS) {
      const before = await health();
      const started = Date.now();
      await control(fault.patch);
      const seen = new Set<string>();
      const down = await waitUntil(`${BROKEN} DOWN while ${fault.name}`, async () => {
        const h = (await health())[BROKEN]!;
        seen.add(h.status);
        return h.status === 'DOWN' && h;
        // Slow answers can pass through DEGRADED first (a run that got through after retries),
        // and each run waits out its timeouts and backoff: 30–70 s here, longer on a loaded machine.
      }, 180_000, 250);
      expect(down.lastError).toMatch(new RegExp(`^${BROKEN}|^[a-z_]+: `));
      expect(down.lastError).toMatch(fault.lastError);
      const downAfter = Date.now() - started;
      // The others: a newer completed sync than before the fault, and healthy.
      await waitUntil(`${HEALTHY.join(' and ')} to sync on while ${BROKEN} is ${fault.name}`, async () => {
        const h = await health();
        return HEALTHY.every((n) => h[n]!.status === 'HEALTHY' && h[n]!.lastSyncAt !== null && h[n]!.lastSyncAt > before[n]!.lastSyncAt!);
      }, 40_000, 500);

      const cleared = Date.now();
      await control(CLEAR);
      await waitUntil(`${BROKEN} to recover after ${fault.name}`, async () => {
        const h = (await health())[BROKEN]!;
        return h.status === 'HEALTHY' && h.lastError === null;
      }, 90_000, 250);
      report.push(`${fault.name}: DOWN after ${Math.round(downAfter / 1000)} s (seen ${[...seen].join('→')}), lastError ${JSON.stringify(down.lastError)}, HEALTHY ${Math.round((Date.now() - cleared) / 1000)} s after the fix`);
      expect(await enterprises()).toBe(held);
    }
    expect(hub.child.exitCode).toBeNull();
    for (const s of Object.values(sims)) expect(s.sim.child.exitCode).toBeNull();
    process.stderr.write(`${report.join('\n')}\n`);
  }, 600_000);
});
