/**
 * Relay connections over keyset pages: page arguments and their limits, opaque cursors, and
 * keysetPage, which every repository's list uses.
 */
import type { Knex } from 'knex';
import { SafeError } from '../errors.js';
import type { Row } from './loaders.js';

export const DEFAULT_PAGE_SIZE = 20;
/** Caps `first` so one request cannot ask the store for an unbounded page. */
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/** A Relay connection as the data layer hands it out; the total is counted only when asked for. */
export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: () => Promise<number>;
}

/** Keyset position: the sort key of the last row seen. Opaque to clients. */
export function encodeCursor(key: string): string {
  return Buffer.from(`c:${key}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('c:') || !/^\d+$/.test(text.slice(2))) {
    throw new SafeError('BAD_USER_INPUT', `Invalid cursor "${cursor}": pass a cursor this API returned.`);
  }
  return text.slice(2);
}

export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw new SafeError('BAD_USER_INPUT', `first must be between 0 and ${MAX_PAGE_SIZE}, got ${size}.`);
  }
  return size;
}

/** Builds a connection from rows fetched with `limit size + 1`: the extra row only says there is more. */
export function toConnection<T extends { id: string }>(
  rows: T[],
  size: number,
  hasPrevious: boolean,
  totalCount: () => Promise<number>,
): Connection<T> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > size,
      hasPreviousPage: hasPrevious,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount,
  };
}

/**
 * One keyset page of `table` ordered by id: `base()` gives the filtered, scoped query (fresh
 * each call, since the page and the count are two statements). The count runs only if a
 * client asks for it. With `access: 'count'` (aggregate-only roles) no row is read, and asking
 * for the rows is refused.
 */
export interface KeysetPageOptions<T> {
  base: () => Knex.QueryBuilder;
  table: string;
  page: PageArgs;
  fromRow: (r: Row) => T;
  access: 'rows' | 'count';
  order?: 'asc' | 'desc';
  /** What to select for each row; `${table}.*` unless the model needs more. */
  columns?: Array<string | Knex.Raw>;
}

export async function keysetPage<T extends { id: string }>({
  base, table, page: args, fromRow, access, order = 'asc', columns = [`${table}.*`],
}: KeysetPageOptions<T>): Promise<Connection<T>> {
  const size = pageSize(args.first);
  const after = args.after ? decodeCursor(args.after) : null;
  let count: Promise<number> | undefined;
  const totalCount = () =>
    (count ??= base()
      .count({ n: '*' })
      .first()
      .then((r: Row | undefined) => Number(r?.n ?? 0)));
  if (access === 'count') return countOnly(totalCount);
  const q = base().select(columns).orderBy(`${table}.id`, order).limit(size + 1);
  if (after !== null) q.where(`${table}.id`, order === 'asc' ? '>' : '<', after);
  const rows = size === 0 ? [] : ((await q) as Row[]);
  return toConnection(rows.map(fromRow), size, after !== null, totalCount);
}

function countOnly<T>(totalCount: () => Promise<number>): Connection<T> {
  const refuse = (): never => {
    throw new SafeError('FORBIDDEN', 'Your role sees aggregates only: ask for totalCount, not the rows.');
  };
  return {
    get edges() { return refuse(); },
    get pageInfo() { return refuse(); },
    totalCount,
  };
}
