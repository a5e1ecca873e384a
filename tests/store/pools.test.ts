/**
 * Requests and background work on separate pools (issue 13's soak: a wave of scheduled syncs
 * took every connection of the one pool, and requests queued behind it). On a PostgreSQL
 * server: with every background connection held the way syncs hold them, a GraphQL request
 * still answers at once from the request pool; a sync issues no statement on the request pool.
 * On PGlite, one connection: both names are the same knex.
 */
import { z } from 'zod';
import { migrateToLatest, openDatabase, type Database } from '../../src/store/db.js';
import { createIngestStore } from '../../src/store/ingest/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { configure, syncConnector } from '../../src/sync/index.js';
import type { Connector } from '../../src/connectors/sdk/index.js';
import { makeResidentId } from '../../src/domain/idNumber.js';
import { createTestDatabase, type TestDatabase } from '../../tools/servers/postgres.js';
import { testDatabases } from '../support/databases.js';
import { startTestHub, type TestHub } from '../support/hub.js';

const postgres = testDatabases().find((d) => d.kind === 'postgres')!;
const BACKGROUND = 3;

const people: Connector<unknown> = {
  spec: { name: 'population', displayName: '人口库', version: '1', description: 'test', config: z.object({}), dataClass: 'civil-registry', intervalSeconds: 60, timeoutMs: 5_000 },
  check: async () => ({ ok: true, message: 'ok' }),
  discover: async () => [{ name: 'people', describes: 'a person', syncMode: 'incremental' }],
  async *read(_config, _stream, cursor) {
    if (cursor) return;
    yield { records: [1, 2, 3].map((n) => ({ data: { id: `P${n}`, idNumber: makeResidentId('330110', '1980-01-01', n), name: `人${n}` } })), cursor: { done: true } };
  },
  map(_stream, raw) {
    const r = raw as { id: string; idNumber: string; name: string };
    return { sourceId: r.id, subject: { kind: 'person', authority: 'master', idNumber: r.idNumber, facts: { name: r.name } } };
  },
};

test('[pglite] one connection: background work shares it (requests go first, src/store/pgliteClient.ts)', async () => {
  const db = await openDatabase({ kind: 'pglite', dataDir: null });
  try {
    expect(db.background).toBe(db.knex);
    expect(db.backgroundPoolMax).toBeNull();
  } finally {
    await db.close();
  }
});

(postgres.available ? describe : describe.skip)('request and background pools [postgres]', () => {
  let testDb: TestDatabase;
  let db: Database;
  let t: TestHub;
  beforeAll(async () => {
    testDb = await createTestDatabase(process.env.LIANDONG_TEST_DATABASE_URL!);
    db = await openDatabase({ kind: 'postgres', url: testDb.url, poolMax: 2, backgroundPoolMax: BACKGROUND });
    await migrateToLatest(db.knex);
    t = await startTestHub(db);
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await db?.close();
    await testDb?.drop();
  });

  test('a sync runs on the background pool only: no statement on the request pool', async () => {
    let onRequests = 0;
    let onBackground = 0;
    const countRequests = () => { onRequests++; };
    const countBackground = () => { onBackground++; };
    db.knex.on('query', countRequests);
    db.background.on('query', countBackground);
    try {
      const summary = await syncConnector(createIngestStore(db), configure(people, {}), { log: createLogger('silent') });
      expect(summary.ok).toBe(true);
      expect(summary.streams[0]).toMatchObject({ read: 3, stored: 3 });
    } finally {
      db.knex.off('query', countRequests);
      db.background.off('query', countBackground);
    }
    expect(onRequests).toBe(0);
    expect(onBackground).toBeGreaterThan(10);
  }, 60_000);

  test('with every background connection held by syncs, a GraphQL request answers promptly from the request pool', async () => {
    const store = createIngestStore(db);
    await store.ensureDepartment(people.spec);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    // As scheduled syncs hold them: each in its advisory lock's transaction for the whole run.
    const holders = Array.from({ length: BACKGROUND }, (_, i) => store.exclusive(`sync:holder-${i}`, () => gate));
    try {
      const held = async () => {
        const { rows } = await db.knex.raw<{ rows: Array<{ n: string }> }>(
          "select count(*) as n from pg_stat_activity where datname = current_database() and application_name = 'liandong-background' and state = 'idle in transaction'");
        return Number(rows[0]?.n ?? 0);
      };
      for (const until = Date.now() + 10_000; (await held()) < BACKGROUND && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
      expect(await held()).toBe(BACKGROUND);
      // The background pool is full: one more background statement waits.
      const waiting = db.background.raw('select 1');
      const waited = await Promise.race([waiting.then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 500))]);
      expect(waited).toBe('waiting');

      const started = performance.now();
      const answer = await t.gql<{ departments: Array<{ name: string }> }>('{ departments { name } }');
      const ms = performance.now() - started;
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.departments.map((d) => d.name)).toContain('population');
      // On one shared pool it would wait for a held connection until the 10 s acquire timeout.
      expect(ms).toBeLessThan(3_000);
      release();
      await waiting;
    } finally {
      release();
      await Promise.all(holders);
    }
    expect(await Promise.all(holders)).toEqual(Array(BACKGROUND).fill(true));
  }, 60_000);
});
