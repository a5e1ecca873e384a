import { randomBytes } from 'node:crypto';
import { localKeys } from '../../src/auth/tokens.js';
import { openDatabase } from '../../src/store/db.js';
import { LIVE_HUB_ISSUER, startLiveHub, type LiveHubProcess } from '../../bench/lib/liveHubProcess.js';
import type { TestDatabase } from '../../tools/servers/postgres.js';
import { createWorldDatabase } from '../support/worldTemplate.js';
import { testDatabases, WORLD_SETUP_TIMEOUT_MS } from '../support/databases.js';
import { LiveSubscriber, waitFor } from '../support/live.js';

/**
 * Several stateless hub instances behind a load balancer: two hub processes (the built
 * bench/lib/liveHub.js; needs `npm run build`) on one PostgreSQL database. A `reportCase`
 * mutation served by one instance reaches subscribers of both, over LISTEN/NOTIFY.
 */
const postgres = testDatabases().find((d) => d.kind === 'postgres')!;
(postgres.available ? describe : describe.skip)('two hub instances on one PostgreSQL server [postgres]', () => {
  const secret = randomBytes(32).toString('hex');
  const keys = localKeys(new TextEncoder().encode(secret), LIVE_HUB_ISSUER);
  let testDb: TestDatabase;
  let a: LiveHubProcess;
  let b: LiveHubProcess;
  let buildingAddress: string;
  const subscribers: LiveSubscriber[] = [];

  beforeAll(async () => {
    ({ testDb } = await createWorldDatabase(process.env.LIANDONG_TEST_DATABASE_URL!));
    const db = await openDatabase({ kind: 'postgres', url: testDb.url, poolMax: 2 });
    try {
      const building: { text: string } = await db.knex('building').join('address', 'address.id', 'building.address_id').orderBy('building.id').first('address.text');
      buildingAddress = building.text;
    } finally {
      await db.close();
    }
    [a, b] = await Promise.all([startLiveHub({ databaseUrl: testDb.url, jwtSecret: secret }), startLiveHub({ databaseUrl: testDb.url, jwtSecret: secret })]);
  }, WORLD_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all(subscribers.map((s) => s.dispose()));
    await Promise.all([a?.stop(), b?.stop()]);
    await testDb?.drop();
  });

  const liveSubscribers = async (hub: LiveHubProcess) =>
    Number(/liandong_live_subscribers (\d+)/.exec(await (await fetch(hub.url.replace('/graphql', '/metrics'))).text())?.[1] ?? -1);

  test('a reportCase mutation on one instance reaches the subscribers of both', async () => {
    const token = await keys.sign({ subject: 'operator', role: 'district-admin' });
    const query = 'subscription { caseEvents { cursor event { type } case { id title } } }';
    const onB = new LiveSubscriber(b.url, token, query);
    const onA = new LiveSubscriber(a.url, token, query);
    subscribers.push(onA, onB);
    await waitFor('both subscriptions to join', async () => (await liveSubscribers(a)) === 1 && (await liveSubscribers(b)) === 1);

    const res = await fetch(a.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'two-instance test' },
      body: JSON.stringify({
        query: `mutation($input: ReportCaseInput!) { reportCase(input: $input) { case { id title } } }`,
        variables: { input: { channel: 'HOTLINE_12345', title: 'Reported through instance A', category: 'environment.dust_noise', address: buildingAddress } },
      }),
    });
    const body = (await res.json()) as { data?: { reportCase: { case: { id: string; title: string } } }; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    const expected = body.data!.reportCase.case;
    expect(expected.title).toBe('Reported through instance A');
    const [fromB] = await onB.received(1);
    const [fromA] = await onA.received(1);
    expect(fromB!.data.caseEvents.case).toEqual(expected);
    expect(fromA!.data.caseEvents.case).toEqual(expected);
    // The cursor is the log's, not the instance's: the same on both.
    expect(fromB!.data.caseEvents.cursor).toBe(fromA!.data.caseEvents.cursor);
  });
});
