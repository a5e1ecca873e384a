/**
 * Consumers that need old outbox rows register where they stand (`outbox_consumer`): pruning
 * (src/store/retention.ts) never deletes a row a registered consumer has not passed. The search
 * indexer reports its position here after every round that moved it; its own state (where the
 * search backend keeps it, compare-and-set with the index generation) stays the one it reads.
 * A position reported here is never ahead of that state.
 *
 * The live tailers do not register: they are in memory and start at the head, and a resuming
 * subscriber's cursor is covered by the minimum age pruning keeps (docs/retention.md).
 */
import type { Knex } from 'knex';
import type { LogPosition, OutboxTable } from './outbox.js';

export interface ConsumerState {
  outbox: OutboxTable;
  name: string;
  position: LogPosition;
  /** When the position last changed. */
  movedAt: Date;
  /** When the consumer last reported (moved or not). */
  updatedAt: Date;
}

export function createConsumerRegistry(knex: Knex) {
  return {
    /** Records where `name` stands in `outbox` (registering it the first time); it may move back (a rebuild). */
    async report(outbox: OutboxTable, name: string, position: LogPosition): Promise<void> {
      await knex.raw(
        `insert into outbox_consumer (outbox, name, tx, id, moved_at, updated_at) values (?, ?, ?::xid8, ?, now(), now())
         on conflict (outbox, name) do update set tx = excluded.tx, id = excluded.id, updated_at = now(),
           moved_at = case when (outbox_consumer.tx, outbox_consumer.id) = (excluded.tx, excluded.id) then outbox_consumer.moved_at else now() end`,
        [outbox, name, position.tx, position.id],
      );
    },

    async list(outbox?: OutboxTable): Promise<ConsumerState[]> {
      const { rows }: { rows: Array<Record<string, unknown>> } = await knex.raw(
        `select outbox, name, tx::text as tx, id, moved_at, updated_at from outbox_consumer
          where ?::text is null or outbox = ? order by outbox, name`, [outbox ?? null, outbox ?? null],
      );
      return rows.map((r) => ({
        outbox: String(r.outbox) as OutboxTable, name: String(r.name), position: { tx: String(r.tx), id: String(r.id) },
        movedAt: new Date(r.moved_at as string), updatedAt: new Date(r.updated_at as string),
      }));
    },

    /** Removes a consumer that is gone for good (the operator's call): it no longer holds pruning back. */
    async forget(outbox: OutboxTable, name: string): Promise<boolean> {
      const gone: unknown[] = await knex('outbox_consumer').where({ outbox, name }).del(['name']);
      return gone.length > 0;
    },
  };
}
export type ConsumerRegistry = ReturnType<typeof createConsumerRegistry>;
