import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testDatabases } from '../support/databases.js';
import { createTestDatabase, type TestDatabase } from '../../tools/servers/postgres.js';
import { migrateToLatest, openDatabase, type Database } from '../../src/store/db.js';
import { removeTestWorlds, syncTestWorld } from '../support/world.js';
import { searchEngine } from '../../src/search/service.js';

/**
 * `npx liandong reindex` as an operator runs it: the built CLI rebuilds the index from the store,
 * says how many documents went live, and the new index answers. Needs `npm run build`.
 */
const CLI = join(process.cwd(), 'dist/src/cli/main.js');
const run = promisify(execFile);

for (const { kind, label, available } of testDatabases()) {
  (available ? describe : describe.skip)(`npx liandong reindex ${label}`, () => {
    let dataDir: string;
    let pg: TestDatabase | undefined;
    let env: NodeJS.ProcessEnv;
    const open = (): Promise<Database> => (pg ? openDatabase({ kind: 'postgres', url: pg.url, poolMax: 2 }) : openDatabase({ kind: 'pglite', dataDir: join(dataDir, 'pgdata') }));

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'liandong-reindex-'));
      env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', ELASTICSEARCH_URL: '', JWT_SECRET: '', LOG_LEVEL: 'warn' };
      if (kind === 'postgres') {
        pg = await createTestDatabase(process.env.LIANDONG_TEST_DATABASE_URL!);
        env.DATABASE_URL = pg.url;
      }
      const db = await open();
      await migrateToLatest(db.knex);
      await syncTestWorld(db);
      await db.close();
    }, 120_000);
    afterAll(async () => {
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
      removeTestWorlds();
    });

    test('rebuilds every entity into a new generation, says so, and the index answers', async () => {
      const { stderr } = await run(process.execPath, [CLI, 'reindex', '--no-progress'], { env });
      const m = /indexed (\d+) documents \((\d+) person, (\d+) building, (\d+) enterprise, (\d+) case\) into postgres generation (\S+)/.exec(stderr);
      expect(m).not.toBeNull();
      const db = await open();
      try {
        const count = async (table: string) => Number((await db.knex(table).count({ n: '*' }))[0]!.n);
        expect(m!.slice(2, 6).map(Number)).toEqual([await count('person'), await count('building'), await count('enterprise'), await count('case')]);
        const { backend } = await searchEngine(db.knex, undefined);
        const status = await backend.status();
        expect(status).toMatchObject({ kind: 'postgres', current: true, documents: Number(m![1]), generation: m![6] });
        const person = await db.knex('person').orderBy('id').first();
        const result = await backend.search({ query: person.name, scope: 'district', types: ['person'] });
        expect(result.hits.map((h) => h.id)).toContain(String(person.id));
        await backend.close();
      } finally {
        await db.close();
      }

      // A second run swaps in another generation.
      const again = await run(process.execPath, [CLI, 'reindex', '--no-progress'], { env });
      expect(/generation (\S+)/.exec(again.stderr)?.[1]).not.toBe(m![6]);
    }, 180_000);
  });
}
