/** Untyped rows from knex, typed once here. */
import type { Knex } from 'knex';

export type Row = Record<string, unknown>;

export function rowsOf(query: Knex.QueryBuilder): Promise<Row[]> {
  return query.then((rows: unknown) => rows as Row[]);
}

export async function firstOf(query: Knex.QueryBuilder): Promise<Row | undefined> {
  return (await rowsOf(query))[0];
}

/** A raw statement's rows and affected-row count (pg: rowCount; PGlite: affectedRows). */
export async function raw(db: Knex | Knex.Transaction, sql: string, bindings: ReadonlyArray<string | number> = []): Promise<{ rows: Row[]; count: number }> {
  const r = (await db.raw(sql, [...bindings]).then((x: unknown) => x)) as { rows?: Row[]; rowCount?: number | null; affectedRows?: number };
  return { rows: r.rows ?? [], count: r.rowCount ?? r.affectedRows ?? 0 };
}
