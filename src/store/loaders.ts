import DataLoader from 'dataloader';
import type { Knex } from 'knex';

type Row = Record<string, unknown>;

/**
 * Loader factories. Each batch function honours DataLoader's contract: one result per key,
 * in the order of the keys, whatever order the database returned rows in.
 */

/** Loads rows of `table` by primary key. */
export function byId<T>(knex: Knex, table: string, fromRow: (r: Row) => T): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = (await knex(table).whereIn('id', ids as string[])) as Row[];
    const found = new Map(rows.map((r) => [String(r.id), fromRow(r)]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

/** Loads every row of `table` whose `column` equals the key, each group ordered by `orderBy`. */
export function byForeignKey<T>(
  knex: Knex,
  table: string,
  column: string,
  fromRow: (r: Row) => T,
  orderBy: string = 'id',
): DataLoader<string, T[]> {
  return new DataLoader<string, T[]>(async (keys) => {
    const rows = (await knex(table).whereIn(column, keys as string[]).orderBy([column, orderBy])) as Row[];
    return groupInKeyOrder(keys, rows, (r) => String(r[column]), fromRow);
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
