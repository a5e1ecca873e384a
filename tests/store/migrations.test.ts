import { MIGRATION_NAMES, migrationSource } from '../../src/migrations/index.js';
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
  'outbox_consumer',
  'outbox_pruned',
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
  const partitions = new Set(await partitionsOfAuditLog(knex));
  return rows.map((r) => r.table_name).filter((name) => !name.startsWith('knex_migrations') && !partitions.has(name)).sort();
}

/** audit_log's partitions (the retention migration): one per month, and the default one. */
async function partitionsOfAuditLog(knex: Knex): Promise<string[]> {
  const { rows } = (await knex.raw<{ rows: Array<{ name: string }> }>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = to_regclass('audit_log') order by 1`,
  ));
  return rows.map((r) => r.name);
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
    // audit_log is partitioned by month: the default partition and this month's, at least.
    const now = new Date();
    const month = `audit_log_${now.getUTCFullYear()}_${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(await partitionsOfAuditLog(db.knex)).toEqual(expect.arrayContaining(['audit_log_default', month]));
  });

  it('migrate up again is a no-op', async () => {
    expect(await migrateToLatest(db.knex)).toEqual([]);
    expect(await userTables(db.knex)).toEqual(CANONICAL_TABLES);
  });

  it('the audit rows written before partitioning keep their ids and order, and the append-only triggers, through down and up', async () => {
    // Back to before the retention migration (and the audit row per request after it), with rows in the unpartitioned table.
    await db.knex.migrate.down({ migrationSource });
    await db.knex.migrate.down({ migrationSource });
    expect(await partitionsOfAuditLog(db.knex)).toEqual([]);
    const rows = [
      { at: new Date('2026-09-30T23:59:59Z'), subject: 'a', role: 'police', person_id: 1, fields: JSON.stringify(['name']), purpose: 'p', operation: null },
      { at: new Date('2026-10-01T00:00:00Z'), subject: 'b', role: 'police', person_id: 2, fields: JSON.stringify(['name']), purpose: 'p', operation: 'Q' },
    ];
    await db.knex('audit_log').insert(rows);
    const before = await db.knex('audit_log').orderBy('id');
    await migrateToLatest(db.knex);
    expect(await partitionsOfAuditLog(db.knex)).toEqual(expect.arrayContaining(['audit_log_2026_09', 'audit_log_2026_10']));
    expect(await db.knex('audit_log').orderBy('id')).toEqual(before.map(({ person_id, ...row }) => ({ ...row, person_ids: [String(person_id)] })));
    expect((await db.knex('audit_log_2026_09').select('subject')).map((r: { subject: string }) => r.subject)).toEqual(['a']);
    await expect(db.knex('audit_log').where('subject', 'a').del()).rejects.toThrow(/append-only/);
    // New rows continue the ids.
    const { person_id: _, ...first } = rows[0]!;
    const [next] = (await db.knex('audit_log').insert({ ...first, person_ids: [1], subject: 'c', at: new Date() }).returning('id'));
    expect(BigInt(next!.id)).toBeGreaterThan(BigInt(before.at(-1).id));
  });

  it('a request row of several people goes back to a row per person, in order, and up again to one row per person', async () => {
    await db.knex('audit_log').insert({ at: new Date('2026-10-02T00:00:00Z'), subject: 'many', role: 'police', person_ids: [5, 3, 9], fields: '["name"]', purpose: 'p', operation: null });
    await db.knex.migrate.down({ migrationSource });
    const flat = await db.knex('audit_log').orderBy('id').select('subject', 'person_id');
    expect(flat.filter((r: { subject: string }) => r.subject === 'many').map((r: { person_id: string }) => r.person_id)).toEqual(['5', '3', '9']);
    expect(flat.map((r: { subject: string }) => r.subject)).toEqual(['a', 'b', 'c', 'many', 'many', 'many']);
    await expect(db.knex('audit_log').where('subject', 'a').del()).rejects.toThrow(/append-only/);
    await migrateToLatest(db.knex);
    expect((await db.knex('audit_log').where('subject', 'many').orderBy('id').pluck('person_ids')).map((ids: string[]) => ids.map(String))).toEqual([['5'], ['3'], ['9']]);
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
