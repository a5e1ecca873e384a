import type { Knex } from 'knex';
import type { Policy } from '../policy.js';
import type { ReadLog } from '../audit.js';
import type { KeyedRead } from '../loaders.js';

/** What every repository is built from, once per request. */
export interface StoreContext {
  knex: Knex;
  policy: Policy;
  /** Every person handed out is noted here, for the audit trail. */
  reads: ReadLog;
  /**
   * A query builder on `name`, refused once the request's time limit has passed: an operation
   * over its deadline stops sending SQL instead of running on after its client was answered.
   */
  table: (name: string) => Knex.QueryBuilder;
  /** Rows of a one-parameter statement for these keys, under the same time limit, coalesced across requests (CoalescedReads). */
  read: KeyedRead;
  /** The entity a merged-away id now resolves to (entity_alias); null when the id was never merged. */
  survivor: (type: 'person' | 'building' | 'enterprise', id: string) => Promise<string | null>;
}
