/** The search contract on the PostgreSQL backend: embedded PGlite and a real PostgreSQL server. */
import { describeEachDatabase } from '../support/databases.js';
import { PostgresSearchBackend } from '../../src/search/index.js';
import { searchBackendSuite } from './suite.js';

describeEachDatabase('search backend: PostgreSQL (pg_trgm, full text)', ({ open }) => {
  searchBackendSuite(async () => {
    const db = await open();
    return { db, makeBackend: (context) => new PostgresSearchBackend({ knex: db.knex, context }) };
  });
});
