import type { Knex } from 'knex';
import { decodeCursor, pageSize, toConnection, type Connection, type PageArgs } from './pagination.js';

type Row = Record<string, unknown>;

/**
 * One keyset page of `table` ordered by id: `base()` gives the filtered query (fresh each call,
 * since the page and the count are two statements). The count runs only if a client asks for it.
 */
export async function keysetPage<T extends { id: string }>(
  base: () => Knex.QueryBuilder,
  table: string,
  args: PageArgs,
  fromRow: (r: Row) => T,
  order: 'asc' | 'desc' = 'asc',
): Promise<Connection<T>> {
  const size = pageSize(args.first);
  const after = args.after ? decodeCursor(args.after) : null;
  const q = base().select(`${table}.*`).orderBy(`${table}.id`, order).limit(size + 1);
  if (after !== null) q.where(`${table}.id`, order === 'asc' ? '>' : '<', after);
  const rows = size === 0 ? [] : ((await q) as Row[]);
  let count: Promise<number> | undefined;
  const totalCount = () =>
    (count ??= base()
      .count({ n: '*' })
      .first()
      .then((r: Row | undefined) => Number(r?.n ?? 0)));
  return toConnection(rows.map(fromRow), size, after !== null, totalCount);
}
