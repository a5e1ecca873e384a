/** The one outbox reader: (tx, id) order, settled rows only, on PGlite and on a PostgreSQL server. */
import { beforeAll, expect, test } from '@jest/globals';
import { describeEachDatabase } from '../support/databases.js';
import type { Database } from '../../src/store/db.js';
import {
  LOG_START, RETURNING_POSITION, createOutboxReader, decodePosition, encodePosition, lastPositionOf, type LogPosition,
} from '../../src/events/outbox.js';

describeEachDatabase('the outbox reader', ({ kind, open }) => {
  let db: Database;
  beforeAll(async () => {
    db = await open();
  });

  const change = async (entityId: string, id?: number): Promise<LogPosition> => {
    const rows = (await db.knex.raw(
      `insert into change_event (${id === undefined ? '' : 'id, '}entity_type, entity_id, change) values (${id === undefined ? '' : '?, '}'person', ?, 'updated') ${RETURNING_POSITION}`,
      id === undefined ? [entityId] : [id, entityId],
    )).rows as Array<{ id: unknown; tx: unknown }>;
    return decodePosition(lastPositionOf(rows)!)!;
  };

  test('positions have one text form, and a bare id names none', () => {
    expect(encodePosition(LOG_START)).toBe('0');
    expect(decodePosition('0')).toEqual(LOG_START);
    expect(decodePosition(encodePosition({ tx: '812', id: '40' }))).toEqual({ tx: '812', id: '40' });
    expect(decodePosition('40')).toBeNull();
    expect(lastPositionOf([{ tx: '9', id: '7' }, { tx: '10', id: '3' }, { tx: '9', id: '8' }])).toBe('10:3');
  });

  test('rows come in (tx, id) order: a lower id committed later comes after', async () => {
    const reader = createOutboxReader(db.knex);
    const start = await reader.head('change_event');
    const first = await change('1', 1000);
    const later = await change('2', 990); // a lower id, committed later
    const read = await reader.read('change_event', { from: start, limit: 10, shape: (q) => {
      q.select('change_event.entity_id');
    } });
    expect(read.rows.map((r) => String(r.entity_id))).toEqual(['1', '2']);
    expect(read.end).toEqual(later);
    expect(read).toMatchObject({ unsettled: false, more: false });
    expect(await reader.head('change_event')).toEqual(later);
    expect((await reader.read('change_event', { from: start, through: first, limit: 10 })).rows).toHaveLength(1);
    expect((await reader.read('change_event', { from: start, limit: 1 })).more).toBe(true);
    expect(await reader.pending('change_event', first)).toBe(1);
    await db.knex.raw(`select setval(pg_get_serial_sequence('change_event', 'id'), (select max(id) from change_event))`);
  });

  test('a row is not handed out while an older transaction that may still write in front of it runs', async () => {
    // PGlite has one connection: its transactions never overlap.
    if (kind === 'pglite') return;
    const reader = createOutboxReader(db.knex);
    const start = await reader.head('change_event');
    const slow = await db.knex.transaction();
    try {
      await slow.raw(`insert into change_event (entity_type, entity_id, change) values ('person', '3', 'updated')`);
      const young = await change('4');
      const read = await reader.read('change_event', { from: start, limit: 10 });
      expect(read).toMatchObject({ rows: [], end: null, unsettled: true, more: false });
      expect(await reader.head('change_event')).toEqual(start);
      await slow.commit();
      const after = await reader.read('change_event', { from: start, limit: 10, shape: (q) => {
        q.select('change_event.entity_id');
      } });
      expect(after.rows.map((r) => String(r.entity_id))).toEqual(['3', '4']);
      expect(after.end).toEqual(young);
    } finally {
      if (!slow.isCompleted()) await slow.rollback();
    }
  });
});
