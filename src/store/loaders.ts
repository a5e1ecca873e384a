import DataLoader from 'dataloader';
import type { Knex } from 'knex';

export type Row = Record<string, unknown>;

/** The rows a query resolves to; knex types them `any`, the data layer reads them as untyped rows. */
export function rowsOf(query: Knex.QueryBuilder): Promise<Row[]> {
  return query.then((rows: unknown) => rows as Row[]);
}

/**
 * Whole arrays as single statement parameters (`= any(?)`, `unnest(?)`): knex passes an array
 * binding of raw SQL through to the driver as one PostgreSQL array, though its types only admit
 * arrays without nulls.
 */
export function arrayBindings(...arrays: ReadonlyArray<unknown>[]): Knex.RawBinding[] {
  return arrays as unknown as Knex.RawBinding[];
}

/** Rows of a one-parameter statement for these keys (StoreContext.read: deadline-checked, coalesced). */
export type KeyedRead = (sql: string, keys: readonly string[]) => Promise<Row[]>;

/**
 * Loader factories. Each batch function honours DataLoader's contract: one result per key,
 * in the order of the keys, whatever order the database returned rows in. The statement takes
 * the array of keys as its one parameter (`= any(?::bigint[])`) and may return rows for keys of
 * other requests too (see CoalescedReads); each loader picks its own.
 */

/** Loads rows by id; the row's own `id` is the key. */
export function byId<T>(read: KeyedRead, sql: string, fromRow: (r: Row) => T): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = await read(sql, ids);
    const wanted = new Set(ids);
    const found = new Map<string, T>();
    for (const r of rows) {
      const id = String(r.id);
      if (wanted.has(id) && !found.has(id)) found.set(id, fromRow(r));
    }
    return ids.map((id) => found.get(id) ?? null);
  });
}

/** Loads every row whose `keyField` equals the key, grouped per key in the statement's order. */
export function byForeignKey<T>(read: KeyedRead, sql: string, keyField: string, fromRow: (r: Row) => T): DataLoader<string, T[]> {
  return new DataLoader<string, T[]>(async (keys) => groupInKeyOrder(keys, await read(sql, keys), (r) => String(r[keyField]), fromRow));
}

export function groupInKeyOrder<T>(keys: readonly string[], rows: Row[], keyOf: (r: Row) => string, fromRow: (r: Row) => T): T[][] {
  const groups = new Map<string, T[]>();
  const wanted = new Set(keys);
  for (const row of rows) {
    const key = keyOf(row);
    if (!wanted.has(key)) continue;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(fromRow(row));
  }
  return keys.map((k) => groups.get(k) ?? []);
}
