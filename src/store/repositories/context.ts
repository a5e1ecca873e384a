import type { Knex } from 'knex';
import type { Policy } from '../policy.js';

/** What every repository is built from, once per request. */
export interface StoreContext {
  knex: Knex;
  policy: Policy;
}
