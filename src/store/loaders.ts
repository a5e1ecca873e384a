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

/** A value now, or once its statement has answered. */
export type MaybePromise<T> = T | Promise<T>;

/** `f` of the value, at once when there is one: a value in hand stays off the microtask queue. */
export function then<T, R>(value: MaybePromise<T>, f: (v: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/**
 * A request's DataLoader that also hands out what it already holds without a promise (`get`).
 * A page of 100 people asks for four levels of places per person, and after the first level
 * every one of them is already loaded (primed from the chain's columns): answered through
 * promises, those reads were most of what the page allocated, and a compiled executor continues
 * a resolver's synchronous value without a promise of its own.
 */
export class KeyedLoader<V> {
  /** Answered (or primed) values: what `get` hands out without a promise. */
  private readonly held = new Map<string, V>();
  /** Keys handed to the DataLoader, answered or not. */
  private readonly asked = new Set<string>();
  private readonly loader: DataLoader<string, V>;

  constructor(batch: (keys: readonly string[]) => Promise<V[]>) {
    this.loader = new DataLoader<string, V>(async (keys) => {
      const values = await batch(keys);
      keys.forEach((k, i) => this.held.set(k, values[i]!));
      return values;
    });
  }

  /** The value at once when it is loaded (or primed), else the promise of it. */
  get(key: string): MaybePromise<V> {
    return this.held.has(key) ? (this.held.get(key) as V) : this.load(key);
  }

  load(key: string): Promise<V> {
    this.asked.add(key);
    return this.loader.load(key);
  }

  /** As DataLoader's prime: a key already asked for keeps what its statement answers. */
  prime(key: string, value: V): void {
    if (this.held.has(key) || this.asked.has(key)) return;
    this.loader.prime(key, value);
    this.held.set(key, value);
  }

  clear(key: string): void {
    this.held.delete(key);
    this.asked.delete(key);
    this.loader.clear(key);
  }

  clearAll(): void {
    this.held.clear();
    this.asked.clear();
    this.loader.clearAll();
  }
}

/** Loads rows by id; the row's own `id` is the key. */
export function byId<T>(read: KeyedRead, sql: string, fromRow: (r: Row) => T): KeyedLoader<T | null> {
  return new KeyedLoader<T | null>(async (ids) => {
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
export function byForeignKey<T>(read: KeyedRead, sql: string, keyField: string, fromRow: (r: Row) => T): KeyedLoader<T[]> {
  return new KeyedLoader<T[]>(async (keys) => groupInKeyOrder(keys, await read(sql, keys), (r) => String(r[keyField]), fromRow));
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
