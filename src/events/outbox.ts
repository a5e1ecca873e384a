/**
 * The one way to read the outboxes (`case_event`, `change_event`): the live tailers, a resuming
 * subscriber's replay and the search indexer all go through here.
 *
 * Order is (tx, id): `tx` is the xid8 of the transaction that appended the row (the
 * live-operations migration). Ids are taken when a transaction inserts, not when it commits, so a
 * reader that followed `id > last` could pass an id whose transaction commits a moment later and
 * never hand it out. In (tx, id) order a row that can still appear always sorts after the rows of
 * every transaction that had finished when it was read, as long as the reader stops at the first
 * row whose transaction is not older than the oldest one still running: a row is *settled* once
 * `tx < pg_snapshot_xmin(pg_current_snapshot())`, evaluated in the same statement that sees the
 * row. Nothing waits on a clock: an unsettled row is handed out as soon as the transactions
 * before it have ended, and a rolled-back one simply never shows up.
 *
 * A notice on the bus carries the position of the last row its committed batch appended
 * (`encodePosition`). That row is visible to every statement that starts after the notice, so a
 * reader woken by it keeps reading until it has passed that position, however long the older
 * transactions in front of it take.
 */
import type { Knex } from 'knex';

/** A place in one outbox: the appending transaction and the row id (both decimal strings). */
export interface LogPosition {
  tx: string;
  id: string;
}

export const LOG_START: LogPosition = { tx: '0', id: '0' };

export function comparePositions(a: LogPosition, b: LogPosition): number {
  const tx = BigInt(a.tx) - BigInt(b.tx);
  if (tx !== 0n) return tx < 0n ? -1 : 1;
  const id = BigInt(a.id) - BigInt(b.id);
  return id === 0n ? 0 : id < 0n ? -1 : 1;
}

export const laterOf = (a: LogPosition, b: LogPosition): LogPosition => (comparePositions(a, b) >= 0 ? a : b);

/** The text form notices and saved indexer states carry: `tx:id`; `0` is the start. */
export function encodePosition(p: LogPosition): string {
  return p.tx === '0' && p.id === '0' ? '0' : `${p.tx}:${p.id}`;
}

/**
 * The position a text form names, or null when it names none (a bare id from before positions
 * were (tx, id): such a notice only says "read", and such a saved state cannot be trusted).
 */
export function decodePosition(text: string): LogPosition | null {
  if (text === '0') return LOG_START;
  const m = /^(\d{1,20}):(\d{1,19})$/.exec(text);
  return m ? { tx: m[1]!, id: m[2]! } : null;
}

/** The last position of rows just appended and returned with `returning id, tx`, as a notice carries it. */
export function lastPositionOf(rows: ReadonlyArray<{ tx?: unknown; id?: unknown }>): string | null {
  let last: LogPosition | null = null;
  for (const r of rows) {
    const p = { tx: String(r.tx), id: String(r.id) };
    if (!last || comparePositions(p, last) > 0) last = p;
  }
  return last && encodePosition(last);
}

/** Columns to return from an insert into an outbox so that `lastPositionOf` can place it. */
export const RETURNING_POSITION = 'returning id, tx::text as tx';

export type OutboxTable = 'case_event' | 'change_event';

export interface OutboxRead<R> {
  /** Settled rows after `from`, in (tx, id) order. */
  rows: R[];
  /** The position of the last row returned; null when none was. */
  end: LogPosition | null;
  /** Rows exist past `end` that are not settled yet: read again shortly. */
  unsettled: boolean;
  /** The read stopped at its limit: read again at once. */
  more: boolean;
}

export interface OutboxReadOptions {
  /** Only rows after this position (exclusive)... */
  from: LogPosition;
  /** ...and at most this one (inclusive), when given. */
  through?: LogPosition | null;
  limit: number;
  /**
   * Shapes the query: columns, joins, a filter on the table's rows. The reader adds the order,
   * the bounds, the limit and the `tx` and `settled` columns; a filter must depend on the row
   * alone, never on the limit.
   */
  shape?: (q: Knex.QueryBuilder) => void;
}

const SETTLED = 'pg_snapshot_xmin(pg_current_snapshot())';

export function createOutboxReader(knex: Knex) {
  return {
    /** The last settled position: a reader that starts here hands out only what comes after. */
    async head(table: OutboxTable): Promise<LogPosition> {
      const q = knex(table).whereRaw(`${table}.tx < ${SETTLED}`)
        .orderBy([{ column: `${table}.tx`, order: 'desc' }, { column: `${table}.id`, order: 'desc' }]).limit(1)
        .select(knex.raw(`${table}.tx::text as tx`), `${table}.id`);
      const [row] = (await q) as Array<Record<string, unknown>>;
      return row ? { tx: String(row.tx), id: String(row.id) } : LOG_START;
    },

    /** Rows after `from`, oldest first, up to the first one not settled. */
    async read<R extends Record<string, unknown> = Record<string, unknown>>(table: OutboxTable, options: OutboxReadOptions): Promise<OutboxRead<R>> {
      const { from, through = null, limit } = options;
      const q = knex(table);
      options.shape?.(q);
      // After the shape's columns, so that a `table.*` there does not replace these.
      q.select(knex.raw(`${table}.tx::text as tx`), knex.raw(`${table}.id as outbox_id`), knex.raw(`${table}.tx < ${SETTLED} as settled`))
        .whereRaw(`(${table}.tx, ${table}.id) > (?::xid8, ?::bigint)`, [from.tx, from.id])
        .orderBy([`${table}.tx`, `${table}.id`]).limit(limit);
      if (through) q.whereRaw(`(${table}.tx, ${table}.id) <= (?::xid8, ?::bigint)`, [through.tx, through.id]);
      const rows = (await q) as R[];
      // Settled is monotone in (tx, id) order: once a row is not, no later row is.
      const cut = rows.findIndex((r) => r.settled !== true);
      const settled = cut >= 0 ? rows.slice(0, cut) : rows;
      const last = settled.at(-1);
      return {
        rows: settled,
        end: last ? { tx: String(last.tx), id: String(last.outbox_id) } : null,
        unsettled: cut >= 0,
        more: cut < 0 && rows.length >= limit,
      };
    },

    /**
     * The last position pruned from the log (src/store/retention.ts): every row up to it is gone,
     * every row after it is kept. LOG_START when nothing was pruned. A reader that must not miss
     * a row refuses to start before it, and checks again after each read.
     */
    async prunedThrough(table: OutboxTable): Promise<LogPosition> {
      const rows: Array<Record<string, unknown>> = await knex('outbox_pruned').where('outbox', table).select(knex.raw('tx::text as tx'), 'id');
      const row = rows[0];
      return row ? { tx: String(row.tx), id: String(row.id) } : LOG_START;
    },

    /** Rows after `from` (settled or not): how far behind a reader is. */
    async pending(table: OutboxTable, from: LogPosition): Promise<number> {
      const rows: Array<Record<string, unknown>> = await knex(table).whereRaw(`(tx, id) > (?::xid8, ?::bigint)`, [from.tx, from.id]).count({ n: '*' });
      return Number(rows[0]?.n ?? 0);
    },
  };
}
export type OutboxReader = ReturnType<typeof createOutboxReader>;
