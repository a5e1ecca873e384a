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

/**
 * Loader factories. Each batch function honours DataLoader's contract: one result per key,
 * in the order of the keys, whatever order the database returned rows in. `from` gives a fresh
 * base query each batch (a table, or a table joined to what the policy needs to judge a row).
 */

/** Loads rows by `idColumn` (e.g. 'household.id'); the row's own `id` is the key. */
export function byId<T>(from: () => Knex.QueryBuilder, idColumn: string, fromRow: (r: Row) => T): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = (await from().whereIn(idColumn, ids as string[])) as Row[];
    const found = new Map(rows.map((r) => [String(r.id), fromRow(r)]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

/** Loads every row whose `column` equals the key, grouped per key, each group ordered by `orderBy`. */
export function byForeignKey<T>(
  from: () => Knex.QueryBuilder,
  column: string,
  fromRow: (r: Row) => T,
  orderBy: string,
): DataLoader<string, T[]> {
  const keyField = column.split('.').pop()!;
  return new DataLoader<string, T[]>(async (keys) => {
    const rows = (await from().whereIn(column, keys as string[]).orderBy([column, orderBy])) as Row[];
    return groupInKeyOrder(keys, rows, (r) => String(r[keyField]), fromRow);
  });
}

export function groupInKeyOrder<T>(keys: readonly string[], rows: Row[], keyOf: (r: Row) => string, fromRow: (r: Row) => T): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(fromRow(row));
  }
  return keys.map((k) => groups.get(k) ?? []);
}
