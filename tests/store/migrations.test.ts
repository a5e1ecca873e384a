import { MIGRATION_NAMES } from '../../src/migrations/index.js';
import type { Knex } from 'knex';
import { migrateToLatest, rollbackAll, type Database } from '../../src/store/db.js';
import { describeEachDatabase } from '../support/databases.js';

/** Every table the canonical-model migration creates. */
const CANONICAL_TABLES = [
  'address',
  'area',
  'audit_log',
  'building',
  'case',
  'case_enterprise',
  'case_event',
  'case_person',
  'case_request',
  'case_source',
  'change_event',
  'connector_state',
  'dead_letter',
  'department',
  'dispatch',
  'dwelling',
  'enterprise',
  'entity_alias',
  'grid',
  'grid_member',
  'household',
  'match_candidate',
  'match_decision',
  'match_model',
  'person',
  'person_tag',
  'resolution_key',
  'resolution_profile',
  'resolution_run',
  'source_link',
  'source_record',
  'stream_state',
  'sync_run',
].sort();

async function userTables(knex: Knex): Promise<string[]> {
  const rows: Array<{ table_name: string }> = await knex('information_schema.tables')
    .select('table_name')
    .whereRaw('table_schema = current_schema()')
    .andWhere('table_type', 'BASE TABLE');
  return rows.map((r) => r.table_name).filter((name) => !name.startsWith('knex_migrations')).sort();
}

describeEachDatabase('migrations', ({ open }) => {
  let db: Database;

  beforeAll(async () => {
    // open() migrates to latest; start from an empty schema so the test sees the whole cycle.
    db = await open();
    await rollbackAll(db.knex);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('migrate up creates every table of the canonical model', async () => {
    expect(await userTables(db.knex)).toEqual([]);
    const applied = await migrateToLatest(db.knex);
    expect(applied).toEqual([...MIGRATION_NAMES]);
    expect(await userTables(db.knex)).toEqual(CANONICAL_TABLES);
  });

  it('migrate up again is a no-op', async () => {
    expect(await migrateToLatest(db.knex)).toEqual([]);
    expect(await userTables(db.knex)).toEqual(CANONICAL_TABLES);
  });

  it('rollbackAll removes every table', async () => {
    await rollbackAll(db.knex);
    expect(await userTables(db.knex)).toEqual([]);
    const [{ count }] = (await db.knex('knex_migrations').count({ count: '*' })) as [{ count: string | number }];
    expect(Number(count)).toBe(0);
  });

  it('migrate up after rollback works (up/down/up is clean)', async () => {
    expect(await migrateToLatest(db.knex)).toEqual([...MIGRATION_NAMES]);
    expect(await userTables(db.knex)).toEqual(CANONICAL_TABLES);
    // The recreated schema is usable: a row goes in and comes out.
    await db.knex('area').insert({ level: 'district', code: '110101', name: '东城区' });
    expect(await db.knex('area').select('code', 'name')).toEqual([{ code: '110101', name: '东城区' }]);
  });
});
