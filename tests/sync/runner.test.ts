/**
 * The runner's own guarantees, with a connector written in the test: retries resume from the
 * saved cursor, a record the database refuses is isolated and dead-lettered alone, references
 * link by valid key only, and authority decides who may create and overwrite.
 */
import { describeEachDatabase } from '../support/databases.js';
import { createLogger } from '../../src/observability/logger.js';
import { createIngestStore, type IngestStore } from '../../src/store/ingest/index.js';
import { InProcessBus } from '../../src/events/bus.js';
import { decodePosition, lastPositionOf } from '../../src/events/outbox.js';
import { configure, syncConnector, type SyncOptions } from '../../src/sync/runner.js';
import { ConfigError, MappingError, SourceError, SourceUnavailable, type Connector, type Page } from '../../src/connectors/sdk/index.js';
import { makeResidentId } from '../../src/domain/idNumber.js';
import { z } from 'zod';
import type { Database } from '../../src/store/db.js';

interface Row { id: string; idNumber: string | null; name: string; birthDate?: string; authority?: 'master' | 'registry' | 'reference' }

/** A source in memory: pages of `pageSize`, cursor = index of the next row; fails once at `failAt` if set. */
function memoryConnector(name: string, rows: () => Row[], behaviour: { failAt?: number; pageSize?: number; failWith?: () => Error } = {}): Connector<unknown> {
  let failed = false;
  return {
    spec: { name, displayName: name, version: '1', description: 'test', config: z.object({}), dataClass: 'civil-registry', intervalSeconds: 60, timeoutMs: 5_000 },
    check: async () => ({ ok: true, message: 'ok' }),
    discover: async () => [{ name: 'people', describes: 'a person', syncMode: 'incremental' }],
    async *read(_config, _stream, cursor) {
      let at = Number((cursor as { at?: number } | null)?.at ?? 0);
      const all = rows();
      const size = behaviour.pageSize ?? 3;
      while (at < all.length) {
        if (behaviour.failAt !== undefined && at >= behaviour.failAt && !failed) {
          failed = true;
          throw behaviour.failWith?.() ?? new SourceUnavailable('GET /people: 503 (simulated)');
        }
        const page: Page = { records: all.slice(at, at + size).map((data) => ({ data })), cursor: { at: Math.min(all.length, at + size) } };
        at += size;
        yield page;
      }
    },
    map(_stream, raw) {
      const r = raw as Row;
      if (!r.name) throw new MappingError('name is missing');
      return {
        sourceId: r.id,
        subject: { kind: 'person', authority: r.authority ?? 'master', idNumber: r.idNumber, facts: { name: r.name, ...(r.birthDate ? { birthDate: r.birthDate } : {}) } },
      };
    },
  };
}

const id = (n: number) => makeResidentId('330110', '1980-01-01', n);
const options: SyncOptions = { log: createLogger('silent'), backoffMs: 1, maxBackoffMs: 5, batchSize: 3 };

describeEachDatabase('the connector runner', ({ open }) => {
  let db: Database;
  let store: IngestStore;
  beforeEach(async () => {
    db = await open();
    store = createIngestStore(db);
  });
  afterEach(() => db.close());

  test('each committed batch that changed entities is announced on the bus, after it is durable', async () => {
    const bus = new InProcessBus();
    const heard: Array<{ position: string; committed: number }> = [];
    bus.subscribe('entity', (n) => {
      // A listener reads the log on a notice: what the notice covers must already be there.
      const at = decodePosition(n.position)!;
      void db.knex('change_event').whereRaw('(tx, id) <= (?::xid8, ?::bigint)', [at.tx, at.id]).count({ n: '*' })
        .then(([r]) => heard.push({ position: n.position, committed: Number(r!.n) }));
    });
    const rows = Array.from({ length: 5 }, (_, i) => ({ id: `R${i}`, idNumber: id(i), name: `人${i}` }));
    const announcing = createIngestStore(db, { bus });
    await syncConnector(announcing, configure(memoryConnector('mem', () => rows), {}), options);
    // Unchanged records change no entity: nothing to announce.
    await syncConnector(announcing, configure(memoryConnector('mem', () => rows), {}), options);
    await new Promise((r) => setTimeout(r, 50));
    const last = lastPositionOf(await db.knex('change_event').select('id', db.knex.raw('tx::text as tx')));
    expect(heard).toHaveLength(2); // batches of 3 and 2
    expect(heard[1]).toEqual({ position: last, committed: 5 });
  });

  test('a long read gives the event loop turns: pages handed over in microtasks and mapping in slices', async () => {
    // 400 records whose mapping costs 0.5 ms each, in pages that come without I/O, all in one
    // batch: mapped in one go, nothing else would run for 200 ms (the soak's request stalls).
    const rows = Array.from({ length: 400 }, (_, i) => ({ id: `s${i}`, idNumber: makeResidentId('330110', '1990-02-02', i), name: `甲${i}` }));
    const base = memoryConnector('slow', () => rows, { pageSize: 20 });
    const slow: Connector<unknown> = {
      ...base,
      map(stream, raw) {
        const until = performance.now() + 0.5;
        while (performance.now() < until);
        return base.map(stream, raw);
      },
    };
    // Stored once first: the measured read then changes nothing, so the store's own work (resolving
    // 400 new people in one commit, which is not sliced) stays out of what is measured.
    await syncConnector(store, configure(base, {}), { ...options, batchSize: 5000 });
    await db.knex('stream_state').del(); // read it all again
    let last = performance.now();
    let longest = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    try {
      const summary = await syncConnector(store, configure(slow, {}), { ...options, batchSize: 5000 });
      expect(summary.streams[0]).toMatchObject({ read: 400, stored: 400, changed: 0 });
    } finally {
      clearInterval(ticker);
    }
    expect(longest).toBeLessThan(100);
  });

  test('a failed read is retried from the saved cursor: nothing lost, nothing stored twice', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ id: `R${i}`, idNumber: id(i), name: `人${i}` }));
    const summary = await syncConnector(store, configure(memoryConnector('mem', () => rows, { failAt: 6 }), {}), options);
    expect(summary.ok).toBe(true);
    expect(summary.streams[0]).toMatchObject({ read: 10, stored: 10, changed: 10, deadLettered: 0, attempts: 2 });
    expect(Number((await db.knex('person').count({ n: '*' }))[0]!.n)).toBe(10);
    const [state] = await db.knex('connector_state').select('status', 'record_count');
    expect(state).toEqual({ status: 'degraded', record_count: '10' });
  });

  test('only transient failures are retried: a config or system failure fails the stream at once, DOWN with its class', async () => {
    const rows = Array.from({ length: 6 }, (_, i) => ({ id: `R${i}`, idNumber: id(i), name: `人${i}` }));
    const cases: Array<[Error, RegExp]> = [
      [new TypeError("Cannot read properties of undefined (reading 'x')"), /people: Cannot read properties .* \(a system error/],
      [new SourceError('GET /people: 403 forbidden', { failureType: 'config' }), /people: GET \/people: 403 forbidden \(a config error/],
      [new ConfigError(['token: expired credentials'], { subject: 'connector mem2' }), /invalid config: token: expired credentials \(a config error/],
    ];
    for (const [i, [error, message]] of cases.entries()) {
      const summary = await syncConnector(store, configure(memoryConnector(`mem${i}`, () => rows, { failAt: 3, failWith: () => error }), {}), options);
      expect(summary.streams[0]).toMatchObject({ status: 'failed', attempts: 1, read: 3, error: expect.stringMatching(message) });
      const [state] = await db.knex('connector_state').join('department', 'department.id', 'connector_state.department_id')
        .where('department.name', `mem${i}`).select('status', 'last_error');
      expect(state).toEqual({ status: 'down', last_error: expect.stringMatching(message) });
    }
  });

  test('a record the database refuses is dead-lettered alone, the batch goes on', async () => {
    const rows: Row[] = [
      { id: 'A', idNumber: id(1), name: '甲' },
      { id: 'B', idNumber: id(2), name: '乙', birthDate: '1980-13-45' },
      { id: 'C', idNumber: id(3), name: '丙' },
      { id: 'D', idNumber: id(4), name: '' },
    ];
    const summary = await syncConnector(store, configure(memoryConnector('mem', () => rows, { pageSize: 4 }), {}), { ...options, batchSize: 10 });
    expect(summary.streams[0]).toMatchObject({ read: 4, stored: 2, deadLettered: 2 });
    const letters = await store.deadLetters({});
    expect(letters.map((l) => [l.stage, l.sourceId]).sort()).toEqual([['map', null], ['store', 'B']]);
    expect(letters.find((l) => l.stage === 'map')!.reason).toBe('name is missing');
    expect(await db.knex('person').orderBy('name').pluck('name')).toEqual(['丙', '甲'].sort());
  });

  test('references link by valid key only; a registry never overwrites the master, a reference never creates', async () => {
    const master = [{ id: 'M1', idNumber: id(1), name: '王芳' }];
    await syncConnector(store, configure(memoryConnector('register', () => master), {}), options);
    const others: Row[] = [
      { id: 'X1', idNumber: id(1), name: '王 芳', authority: 'registry' },
      { id: 'X2', idNumber: id(2), name: '李四', authority: 'registry' },
      { id: 'X3', idNumber: id(3), name: '张三', authority: 'reference' },
      { id: 'X4', idNumber: `${id(1).slice(0, 17)}0`, name: '错号', authority: 'reference' },
    ];
    const s = await syncConnector(store, configure(memoryConnector('other', () => others), {}), options);
    expect(s.streams[0]).toMatchObject({ read: 4, stored: 4, unlinked: 2 });
    expect(await db.knex('person').orderBy('id').select('id_number', 'name')).toEqual([
      { id_number: id(1), name: '王芳' }, { id_number: id(2), name: '李四' },
    ]);
    // A later master record of the person a reference named links that reference.
    master.push({ id: 'M3', idNumber: id(3), name: '张三' });
    const again = await syncConnector(store, configure(memoryConnector('register', () => master), {}), options);
    expect(again.relinked).toBe(1);
    const [x3] = await db.knex('source_record').where('source_id', 'X3').select('entity_id');
    expect(x3!.entity_id).not.toBeNull();
  });
});
