/**
 * The HTTP edge under hostile or unlucky requests (issue 13): a webhook path that is not valid
 * percent-encoding, a megabyte of fields from an anonymous client, and a database that goes
 * away under the hub. Each is answered at once, with a clear code, and the hub stays up.
 */
import { migrateToLatest, openDatabase, type Database } from '../../src/store/db.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { createTestDatabase, type TestDatabase } from '../../tools/servers/postgres.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';
import { testDatabases } from '../support/databases.js';

const postgres = testDatabases().find((d) => d.kind === 'postgres')!;

describe('the HTTP edge (issue 13)', () => {
  let db: Database;
  let t: TestHub;
  let pushes = 0;
  beforeAll(async () => {
    db = await openDatabase({ kind: 'pglite', dataDir: null });
    await migrateToLatest(db.knex);
    t = await startTestHub(db, { webhooks: async () => ({ stored: ++pushes }) });
  });
  afterAll(async () => {
    await t.stop();
    await db.close();
  });

  test('POST /webhooks/<broken percent-encoding> is answered 404 at once, 200 times over', async () => {
    const base = t.hub.url.replace(/\/graphql$/, '');
    const answers = await Promise.all(Array.from({ length: 200 }, () =>
      fetch(`${base}/webhooks/%E0%A4%A`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5_000) })
        .then(async (r) => ({ status: r.status, body: (await r.json()) as { error: string } }))));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([404]));
    expect(answers[0]!.body.error).toMatch(/not valid percent-encoding/);
    expect(pushes).toBe(0);
    // A good push still goes through afterwards.
    expect((await fetch(`${base}/webhooks/police`, { method: 'POST', body: '{}' })).status).toBe(202);
  });

  test('an anonymous megabyte of 90,000 fields is refused by the token limit, before any other work', async () => {
    const query = `{ ${'__typename '.repeat(90_000)}}`;
    expect(query.length).toBeLessThan(1024 * 1024);
    const res = await t.gql(query, {}, { token: null, purpose: null });
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.message).toMatch(/Document contains more tha[nt] 20000 tokens/);
  });
});

(postgres.available ? describe : describe.skip)('a database outage under the hub (issue 13) [postgres]', () => {
  let testDb: TestDatabase;
  let proxy: TcpProxy;
  let db: Database;
  let t: TestHub;
  beforeAll(async () => {
    testDb = await createTestDatabase(process.env.LIANDONG_TEST_DATABASE_URL!);
    const real = new URL(testDb.url);
    proxy = await startTcpProxy({ host: real.hostname, port: Number(real.port) });
    db = await openDatabase({ kind: 'postgres', url: proxy.via(testDb.url), poolMax: 4 });
    await migrateToLatest(db.knex);
    t = await startTestHub(db);
  });
  afterAll(async () => {
    await t?.stop();
    await db?.close();
    await proxy?.close();
    await testDb?.drop();
  });

  test('queries answer 503 SERVICE_UNAVAILABLE (retryable) while it is away, /readyz says not ready, and both recover by themselves', async () => {
    const query = '{ people(first: 1) { totalCount } }';
    expect((await t.gql(query)).data).toEqual({ people: { totalCount: 0 } });
    const ready = () => fetch(t.hub.url.replace(/\/graphql$/, '/readyz')).then((r) => r.status);
    expect(await ready()).toBe(200);

    await proxy.down();
    const during = await t.gql(query);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('2');
    expect(during.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^Service unavailable: the database is not answering/),
      extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true },
    });
    expect(await ready()).toBe(503);

    await proxy.up();
    expect((await t.gql(query)).data).toEqual({ people: { totalCount: 0 } });
    expect(await ready()).toBe(200);
  });
});
