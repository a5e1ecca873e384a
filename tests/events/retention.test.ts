/**
 * Retention of change_event (src/store/retention.ts): pruning never drops a row a registered
 * consumer has not passed, keeps what is younger than the minimum age, records how far it went,
 * and names a consumer that stopped moving. On PGlite and on a PostgreSQL server.
 */
import { beforeEach, afterEach, expect, jest, test } from '@jest/globals';
import { describeEachDatabase } from '../support/databases.js';
import type { Database } from '../../src/store/db.js';
import { LOG_START, RETURNING_POSITION, createOutboxReader, decodePosition, lastPositionOf, type LogPosition } from '../../src/events/outbox.js';
import { createConsumerRegistry } from '../../src/events/consumers.js';
import { pruneChangeEvents, startRetention } from '../../src/store/retention.js';
import { Registry } from 'prom-client';
import { createLogger } from '../../src/observability/logger.js';

const HOUR = 3_600_000;
const NOW = new Date('2026-12-02T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * HOUR);

describeEachDatabase('change_event retention', ({ open }) => {
  let db: Database;
  beforeEach(async () => {
    db = await open();
  });
  afterEach(async () => {
    await db.close();
  });

  /** One change event per call, in its own transaction, `at` as given. */
  const append = async (entityId: number, at: Date): Promise<LogPosition> => {
    const { rows } = (await db.knex.raw<{ rows: Array<{ id: unknown; tx: unknown }> }>(
      `insert into change_event (entity_type, entity_id, change, at) values ('person', ?, 'updated', ?) ${RETURNING_POSITION}`, [entityId, at],
    ));
    return decodePosition(lastPositionOf(rows)!)!;
  };
  const left = async (): Promise<number[]> =>
    ((await db.knex('change_event').orderBy(['tx', 'id']).select('entity_id'))).map((r) => Number(r.entity_id));
  const prune = (minAgeHours: number, extra: Partial<Parameters<typeof pruneChangeEvents>[1]> = {}) =>
    pruneChangeEvents(db.knex, { minAgeMs: minAgeHours * HOUR, staleMs: 24 * HOUR, now: NOW, ...extra });

  test('rows after the slowest consumer survive; once it advances they go', async () => {
    const registry = createConsumerRegistry(db.knex);
    const p: LogPosition[] = [];
    for (let i = 1; i <= 6; i++) p.push(await append(i, hoursAgo(100)));
    await registry.report('change_event', 'search:postgres', p[5]!);
    await registry.report('change_event', 'slow', p[2]!);

    const first = await prune(1);
    expect(first).toMatchObject({ removed: 3, slowest: 'slow', bound: p[2], prunedThrough: p[2] });
    expect(await left()).toEqual([4, 5, 6]);
    expect(await createOutboxReader(db.knex).prunedThrough('change_event')).toEqual(p[2]);

    // Nothing more goes while it stays where it is.
    expect((await prune(1)).removed).toBe(0);
    expect(await left()).toEqual([4, 5, 6]);

    await registry.report('change_event', 'slow', p[4]!);
    expect((await prune(1)).removed).toBe(2);
    expect(await left()).toEqual([6]);
    expect(await createOutboxReader(db.knex).prunedThrough('change_event')).toEqual(p[4]);

    // Removed by the operator, it no longer holds anything back: the other consumer is at the head.
    await registry.report('change_event', 'slow', p[0]!);
    expect((await prune(1)).removed).toBe(0);
    expect(await registry.forget('change_event', 'slow')).toBe(true);
    expect((await prune(1)).removed).toBe(1);
    expect(await left()).toEqual([]);
  });

  test('a consumer registered at the start keeps everything', async () => {
    for (let i = 1; i <= 3; i++) await append(i, hoursAgo(100));
    await createConsumerRegistry(db.knex).report('change_event', 'new', LOG_START);
    expect((await prune(0)).removed).toBe(0);
    expect(await left()).toEqual([1, 2, 3]);
  });

  test('rows younger than the minimum age are kept, and so is everything after the first of them', async () => {
    await append(1, hoursAgo(80));
    await append(2, hoursAgo(73));
    const young = await append(3, hoursAgo(71));
    await append(4, hoursAgo(90)); // older again (a department's fetch time), but after a young row in the log
    await append(5, hoursAgo(1));
    const r = await prune(72);
    expect(r).toMatchObject({ removed: 2, keptForAge: young });
    expect(await left()).toEqual([3, 4, 5]);
    // Past the age, they go too.
    expect((await prune(72, { now: new Date(NOW.getTime() + 2 * HOUR) })).removed).toBe(2);
    expect(await left()).toEqual([5]);
  });

  test('the first young row is found in transaction order, not in the text order of its id (9 before 10)', async () => {
    // Transaction ids written as given, so that one row crosses a digit boundary: as text, '10' sorts before '9'.
    const at = async (tx: number, entityId: number, when: Date): Promise<LogPosition> => {
      const { rows } = await db.knex.raw<{ rows: Array<{ id: unknown; tx: unknown }> }>(
        `insert into change_event (tx, entity_type, entity_id, change, at) values (?::xid8, 'person', ?, 'updated', ?) ${RETURNING_POSITION}`, [String(tx), entityId, when],
      );
      return decodePosition(lastPositionOf(rows)!)!;
    };
    await at(8, 1, hoursAgo(80));
    const young = await at(9, 2, hoursAgo(71));
    const last = await at(10, 3, hoursAgo(71));
    await createConsumerRegistry(db.knex).report('change_event', 'search:postgres', last);
    const r = await prune(72);
    expect(r).toMatchObject({ removed: 1, keptForAge: young });
    expect(await left()).toEqual([2, 3]);
  });

  test('a dry run counts and deletes nothing', async () => {
    for (let i = 1; i <= 4; i++) await append(i, hoursAgo(100));
    expect((await prune(1, { dryRun: true })).removed).toBe(4);
    expect(await left()).toEqual([1, 2, 3, 4]);
    expect(await createOutboxReader(db.knex).prunedThrough('change_event')).toEqual(LOG_START);
  });

  test('pruning in batches goes the whole way and records the last position', async () => {
    const p: LogPosition[] = [];
    for (let i = 1; i <= 7; i++) p.push(await append(i, hoursAgo(100)));
    const r = await prune(1, { batchSize: 2 });
    expect(r).toMatchObject({ removed: 7, prunedThrough: p[6], rowsLeft: 0 });
  });

  test('a consumer that has not moved for long is named in a warning, and still holds pruning back', async () => {
    const registry = createConsumerRegistry(db.knex);
    const p1 = await append(1, hoursAgo(100));
    await append(2, hoursAgo(100));
    await registry.report('change_event', 'forgotten-indexer', p1);
    await db.knex('outbox_consumer').where('name', 'forgotten-indexer').update({ moved_at: hoursAgo(30) });
    const warn = jest.fn();
    const r = await prune(1, { log: { warn, info: jest.fn() } });
    expect(r.removed).toBe(1);
    expect(await left()).toEqual([2]);
    expect(r.consumers).toEqual([expect.objectContaining({ name: 'forgotten-indexer', behind: 1, stale: true })]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![1])).toContain('forgotten-indexer');
    expect(String(warn.mock.calls[0]![1])).toContain('liandong prune --forget forgotten-indexer');

    // Reporting the same position again does not count as moving.
    await registry.report('change_event', 'forgotten-indexer', p1);
    expect((await prune(1, { log: { warn, info: jest.fn() } })).consumers[0]!.stale).toBe(true);
    // A consumer that is at the head is not warned about, however long ago it moved.
    await db.knex('outbox_consumer').del();
    await registry.report('change_event', 'idle', await createOutboxReader(db.knex).head('change_event'));
    await db.knex('outbox_consumer').update({ moved_at: hoursAgo(300) });
    warn.mockClear();
    expect((await prune(1, { log: { warn, info: jest.fn() } })).consumers[0]!.stale).toBe(false);
    expect(warn).not.toHaveBeenCalled();
  });

  test('the hub\'s pass makes audit partitions ahead, prunes, and counts in the metrics registry', async () => {
    for (let i = 1; i <= 3; i++) await append(i, hoursAgo(100));
    const registry = new Registry();
    const job = await startRetention({
      // A year on: months the migration did not make.
      knex: db.knex, log: createLogger('silent'), registry, now: () => new Date('2027-12-02T12:00:00Z'),
      settings: { intervalMs: 0, changeEventMinAgeMs: 72 * HOUR, consumerStaleMs: 24 * HOUR, auditMonthsAhead: 2, auditArchiveAfterMonths: 0 },
    });
    try {
      expect(await db.knex.raw(`select to_regclass('audit_log_2028_02') is not null as made`).then((r: any) => r.rows[0].made)).toBe(true);
      expect((await job.runNow()).removed).toBe(3);
      expect((await registry.getSingleMetric('liandong_retention_change_events_pruned_total')!.get()).values[0]!.value).toBe(3);
      expect((await registry.getSingleMetric('liandong_retention_stale_consumers')!.get()).values[0]!.value).toBe(0);
    } finally {
      await job.stop();
    }
  });

  test('case_event is never pruned', async () => {
    const [c] = (await db.knex('case_event').count({ n: '*' }));
    await append(1, hoursAgo(100));
    await prune(0);
    const [after] = (await db.knex('case_event').count({ n: '*' }));
    expect(Number(after!.n)).toBe(Number(c!.n));
    expect(await createOutboxReader(db.knex).prunedThrough('case_event')).toEqual(LOG_START);
  });
});
