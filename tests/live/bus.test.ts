import { InProcessBus, type Notice } from '../../src/events/bus.js';
import { PostgresNotifyBus, RESYNC_POSITION, createEventBus } from '../../src/events/postgres.js';
import { createLogger } from '../../src/observability/logger.js';
import { openTestDatabase, testDatabases } from '../support/databases.js';
import { waitFor } from '../support/live.js';
import type { Database } from '../../src/store/db.js';

const log = createLogger('silent');

describe('the in-process bus', () => {
  test('delivers a notice to the listeners of its topic only, and a throwing listener does not stop the others', async () => {
    const bus = new InProcessBus();
    const heard: string[] = [];
    bus.subscribe('case', () => { throw new Error('broken listener'); });
    bus.subscribe('case', (n) => heard.push(`case ${n.position}`));
    const off = bus.subscribe('entity', (n) => heard.push(`entity ${n.position}`));
    await bus.publish({ topic: 'case', position: '7' });
    off();
    await bus.publish({ topic: 'entity', position: '8' });
    expect(heard).toEqual(['case 7']);
    await bus.close();
  });

  test('is the bus of an embedded store', async () => {
    const db = await openTestDatabase('pglite');
    try {
      expect(await createEventBus(db, log)).toBeInstanceOf(InProcessBus);
    } finally {
      await db.close();
    }
  });
});

const postgres = testDatabases().find((d) => d.kind === 'postgres')!;
(postgres.available ? describe : describe.skip)('the LISTEN/NOTIFY bus [postgres]', () => {
  let db: Database;
  beforeAll(async () => { db = await openTestDatabase('postgres'); });
  afterAll(() => db?.close());

  test('a notice published by one bus reaches the listeners of another on the same database', async () => {
    const a = (await createEventBus(db, log)) as PostgresNotifyBus;
    const b = (await createEventBus(db, log)) as PostgresNotifyBus;
    try {
      expect(b).toBeInstanceOf(PostgresNotifyBus);
      const heard: Notice[] = [];
      b.subscribe('case', (n) => heard.push(n));
      b.subscribe('entity', (n) => heard.push(n));
      await a.publish({ topic: 'case', position: '41' });
      await a.publish({ topic: 'entity', position: '42' });
      await waitFor('both notices', () => heard.length === 2);
      expect(heard).toEqual([{ topic: 'case', position: '41' }, { topic: 'entity', position: '42' }]);
      await expect(b.check()).resolves.toBeUndefined();
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('after its connection drops it listens again and tells every listener to re-read the logs', async () => {
    const bus = new PostgresNotifyBus({ knex: db.knex, connection: db.knex.client.connectionSettings, log, reconnectMs: 20 });
    await bus.start();
    try {
      const heard: Notice[] = [];
      bus.subscribe('case', (n) => heard.push(n));
      bus.subscribe('entity', (n) => heard.push(n));
      bus.interrupt();
      await expect(bus.check()).rejects.toThrow(/reconnecting/);
      await waitFor('the resync notices', () => heard.length === 2);
      expect(heard).toEqual([{ topic: 'case', position: RESYNC_POSITION }, { topic: 'entity', position: RESYNC_POSITION }]);
      await bus.publish({ topic: 'case', position: '9' });
      await waitFor('a notice after the reconnect', () => heard.length === 3);
      expect(heard[2]).toEqual({ topic: 'case', position: '9' });
    } finally {
      await bus.close();
    }
  });

  test('a server it cannot reach fails start', async () => {
    const bus = new PostgresNotifyBus({ knex: db.knex, connection: { host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2000 }, log });
    await expect(bus.start()).rejects.toThrow();
    await bus.close();
  });
});
