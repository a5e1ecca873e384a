/** The search contract on the PostgreSQL backend: embedded PGlite and a real PostgreSQL server. */
import { describeEachDatabase } from '../support/databases.js';
import type { Database } from '../../src/store/db.js';
import { loadSearchContext, PostgresSearchBackend, SearchIndexer } from '../../src/search/index.js';
import { searchBackendSuite } from './suite.js';

describeEachDatabase('search backend: PostgreSQL (pg_trgm, full text)', ({ openWorld }) => {
  searchBackendSuite(async () => {
    const { db } = await openWorld();
    return { db, makeBackend: (context) => new PostgresSearchBackend({ knex: db.knex, context }) };
  });
});

describeEachDatabase('search backend: PostgreSQL index layout', ({ open }) => {
  /** The GIN indexes on the live table, with whether they keep a pending list. */
  const ginIndexes = async (db: Database) => (await db.knex.raw(`select c.relname as name, coalesce('fastupdate=off' = any(c.reloptions), false) as off
      from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
      where i.indrelid = 'search.doc'::regclass and am.amname = 'gin' order by c.relname`)).rows as Array<{ name: string; off: boolean }>;

  test('the GIN indexes keep no pending list: new, after a rebuild, and switched off on an index made before', async () => {
    const db = await open();
    try {
      const context = await loadSearchContext(db.knex);
      const backend = new PostgresSearchBackend({ knex: db.knex, context });
      await backend.ensureSchema();
      const fresh = await ginIndexes(db);
      expect(fresh.map((i) => i.name.replace(/^doc_\w+?_/, ''))).toEqual(['grams', 'keys', 'pinyin']);
      expect(fresh.every((i) => i.off)).toBe(true);

      // A rebuild's table gets its indexes only after the fill, and they are live after the swap.
      await new SearchIndexer({ knex: db.knex, backend, context }).rebuild();
      const rebuilt = await ginIndexes(db);
      expect(rebuilt).toHaveLength(3);
      expect(rebuilt.every((i) => i.off)).toBe(true);
      const others = (await db.knex.raw(`select count(*)::int as n from pg_index where indrelid = 'search.doc'::regclass`)).rows[0].n;
      expect(others).toBe(7); // primary key, three GIN, type, street, grid

      // An index from before this layout (fastupdate on) is switched off by the next start.
      await db.knex.raw(`alter index search.${rebuilt[0]!.name} set (fastupdate = on)`);
      expect((await ginIndexes(db)).filter((i) => !i.off)).toHaveLength(1);
      await backend.ensureSchema();
      expect((await ginIndexes(db)).every((i) => i.off)).toBe(true);
    } finally {
      await db.close();
    }
  }, 120_000);
});
