import type { Knex } from 'knex';
import { SafeError } from '../errors.js';
import { decodeCursor, pageSize, toConnection, type Connection, type PageArgs } from './pagination.js';
import type { Row } from './loaders.js';

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
