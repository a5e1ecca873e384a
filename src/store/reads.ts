import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

export type Row = Record<string, unknown>;

/**
 * Reads of rows by key, coalesced across every request in flight. A statement here is SQL with
 * one parameter, the array of keys (`where id = any(?::bigint[])`), so its text never depends on
 * how many keys it carries: PostgreSQL prepares it once per connection under a fixed name, and
 * the reads that different requests queue in the same turn of the event loop go out as one
 * statement. Each request's DataLoader still caches its own answers and picks its own keys from
 * the rows, so coalescing shares round trips, never results.
 *
 * Only for reads whose SQL does not depend on the viewer: the policy judges the rows afterwards.
 */
export class CoalescedReads {
  private queued = new Map<string, { keys: Set<string>; waiters: Array<{ resolve: (rows: Row[]) => void; reject: (error: unknown) => void }> }>();
  private scheduled = false;
  /** Statements sent, and the reads they served (what coalescing saved), for /metrics and tests. */
  readonly counts = { statements: 0, reads: 0 };

  constructor(private readonly knex: Knex) {}

  rows(sql: string, keys: readonly string[]): Promise<Row[]> {
    let batch = this.queued.get(sql);
    if (!batch) this.queued.set(sql, (batch = { keys: new Set(), waiters: [] }));
    for (const key of keys) batch.keys.add(key);
    const queued = batch;
    const answer = new Promise<Row[]>((resolve, reject) => queued.waiters.push({ resolve, reject }));
    if (!this.scheduled) {
      this.scheduled = true;
      // After the I/O callbacks of this turn: every request they woke has queued its reads by then.
      setImmediate(() => this.flush());
    }
    return answer;
  }

  private flush(): void {
    this.scheduled = false;
    const batches = [...this.queued];
    this.queued.clear();
    for (const [sql, batch] of batches) {
      this.counts.statements++;
      this.counts.reads += batch.waiters.length;
      this.knex.raw(sql, [[...batch.keys]] as unknown as Knex.RawBinding[]).options({ name: statementName(sql) }).then(
        (result: unknown) => {
          const rows = ((result as { rows?: Row[] }).rows ?? result) as Row[];
          for (const w of batch.waiters) w.resolve(rows);
        },
        (error: unknown) => {
          for (const w of batch.waiters) w.reject(error);
        },
      );
    }
  }
}

const reads = new WeakMap<Knex, CoalescedReads>();

/** The coalescer of one database (one per knex instance, shared by all its requests). */
export function coalescedReads(knex: Knex): CoalescedReads {
  let r = reads.get(knex);
  if (!r) reads.set(knex, (r = new CoalescedReads(knex)));
  return r;
}

const names = new Map<string, string>();

/** A prepared statement's name: fixed for its text (PostgreSQL allows 63 bytes). */
function statementName(sql: string): string {
  let name = names.get(sql);
  if (!name) names.set(sql, (name = `ld_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`));
  return name;
}
