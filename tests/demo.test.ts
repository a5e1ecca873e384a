import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { DEFAULT_DEMO_SEED, loadDemoDistrict, type DemoSummary } from '../src/demo/district.js';
import { isValidCreditCode } from '../src/domain/creditCode.js';
import { isValidResidentId, residentIdSex } from '../src/domain/idNumber.js';
import { migrateToLatest, openDatabase, type Database } from '../src/store/db.js';

async function freshDatabase(): Promise<Database> {
  const db = await openDatabase({ kind: 'pglite', dataDir: null });
  await migrateToLatest(db.knex);
  return db;
}

async function count(db: Database, table: string): Promise<number> {
  const row = (await db.knex(table).count({ n: '*' }).first()) as { n: string | number } | undefined;
  return Number(row?.n ?? -1);
}

const SUMMARY_TABLES: Record<Exclude<keyof DemoSummary, 'loaded'>, string> = {
  areas: 'area', grids: 'grid', buildings: 'building', dwellings: 'dwelling', households: 'household', people: 'person',
  enterprises: 'enterprise', cases: 'case', sourceRecords: 'source_record',
};

describe('demo district', () => {
  let db: Database;
  let summary: DemoSummary;
  const stages: string[] = [];

  beforeAll(async () => {
    db = await freshDatabase();
    summary = await loadDemoDistrict(db.knex, { onProgress: (s) => stages.push(s) });
  });
  afterAll(async () => {
    await db.close();
  });

  test('loads, and the summary matches the tables', async () => {
    expect(summary.loaded).toBe(true);
    for (const [key, table] of Object.entries(SUMMARY_TABLES) as Array<[keyof typeof SUMMARY_TABLES, string]>) {
      expect({ table, n: await count(db, table) }).toEqual({ table, n: summary[key] });
    }
    expect(summary.areas).toBe(1 + 3 + 9);
    expect(summary.grids).toBe(18);
    expect(summary.people).toBeGreaterThanOrEqual(2000);
    expect(summary.people).toBeLessThanOrEqual(3000);
    expect(summary.enterprises).toBeGreaterThanOrEqual(100);
    expect(summary.cases).toBeGreaterThanOrEqual(100);
    expect(stages).toContain('people');
    expect(stages[stages.length - 1]).toBe('done');
  });

  test('ID numbers and credit codes are valid and agree with the rows', async () => {
    const people = await db.knex('person').select('id_number', 'sex', 'birth_date');
    const withId = people.filter((p) => p.id_number !== null);
    expect(withId.length).toBeLessThan(people.length); // some have none, as in real registers
    expect(withId.length).toBeGreaterThan(people.length * 0.9);
    for (const p of withId) {
      expect(isValidResidentId(p.id_number)).toBe(true);
      expect(residentIdSex(p.id_number)).toBe(p.sex);
      expect(String(p.id_number).slice(6, 14)).toBe(String(p.birth_date).replaceAll('-', ''));
    }
    const enterprises = await db.knex('enterprise').select('credit_code');
    for (const e of enterprises) expect(isValidCreditCode(e.credit_code)).toBe(true);
  });

  test('departments are the seven source systems, in order', async () => {
    const rows = await db.knex('department').select('id', 'name').orderBy('id');
    expect(rows.map((r) => r.name)).toEqual(['population', 'housing', 'enterprise', 'police', 'court', 'fire', 'social']);
    expect(await count(db, 'connector_state')).toBe(7);
  });

  test('every household has its head, and every person a population record', async () => {
    const headless = await db.knex('household').whereNull('head_person_id').count({ n: '*' }).first();
    expect(Number(headless?.n)).toBe(0);
    const unrecorded = await db.knex('person as p')
      .whereNotExists(db.knex('source_record as s').where('s.entity_type', 'person').where('s.department_id', 1).whereRaw('s.entity_id = p.id'))
      .count({ n: '*' }).first();
    expect(Number(unrecorded?.n)).toBe(0);
  });

  test('case statuses agree with their dispatches and history', async () => {
    const cases = await db.knex('case').select('id', 'status', 'closed_at', 'reported_at');
    const dispatches = await db.knex('dispatch').select('case_id', 'status', 'dispatched_at', 'accepted_at', 'completed_at');
    const events = await db.knex('case_event').select('case_id', 'type', 'at').orderBy('id');
    const statuses = new Set(cases.map((c) => c.status));
    expect(statuses).toEqual(new Set(['reported', 'dispatched', 'in_progress', 'closed']));
    for (const c of cases) {
      const ds = dispatches.filter((d) => d.case_id === c.id);
      const es = events.filter((e) => e.case_id === c.id);
      expect(es[0]?.type).toBe('reported');
      const times = es.map((e) => new Date(e.at).getTime());
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(c.closed_at !== null).toBe(c.status === 'closed');
      if (c.status === 'closed') {
        expect(ds.length).toBeGreaterThan(0);
        expect(ds.every((d) => d.status === 'completed')).toBe(true);
        expect(es[es.length - 1]?.type).toBe('closed');
      }
      if (c.status === 'reported') expect(ds).toHaveLength(0);
      if (c.status === 'dispatched') expect(ds.every((d) => d.status === 'pending')).toBe(true);
      for (const d of ds) {
        expect(new Date(d.dispatched_at).getTime()).toBeGreaterThanOrEqual(new Date(c.reported_at).getTime());
        expect(d.accepted_at !== null).toBe(d.status !== 'pending');
        expect(d.completed_at !== null).toBe(d.status === 'completed');
      }
    }
    const repeat = await db.knex('case_person').select('person_id').groupBy('person_id').havingRaw('count(*) >= 2');
    expect(repeat.length).toBeGreaterThanOrEqual(3);
  });

  test('the cement-yard case from the Liangzhu report is there', async () => {
    const c = await db.knex('case').where('title', 'like', '%吴家浜村口%').first();
    expect(c).toMatchObject({ category: 'environment.dust_noise', channel: 'hotline_12345', status: 'closed' });
    const roles = await db.knex('dispatch').where('case_id', c.id).select('role');
    expect(roles.filter((r) => r.role === 'lead')).toHaveLength(2);
  });

  test('a second load inserts nothing', async () => {
    const before = await count(db, 'source_record');
    const again = await loadDemoDistrict(db.knex);
    expect(again).toEqual({ ...summary, loaded: false });
    expect(await count(db, 'source_record')).toBe(before);
  });

  test('identity sequences continue after the explicit ids', async () => {
    const [row] = await db.knex('person').insert({ name: '测试', residence_type: 'hukou' }).returning('id');
    expect(Number(row.id)).toBe(summary.people + 1);
    const [c] = await db.knex('case')
      .insert({ number: 'YH-TEST-1', title: '测试', category: 'city.construction_waste', urgency: 'low', status: 'reported', channel: 'grid_patrol', level: 'grid', reported_at: new Date() })
      .returning('id');
    expect(Number(c.id)).toBe(summary.cases + 1);
    await db.knex('case').where('id', c.id).del();
    await db.knex('person').where('id', row.id).del();
  });

  test('the same seed gives the same rows on a fresh database', async () => {
    const other = await freshDatabase();
    try {
      const otherSummary = await loadDemoDistrict(other.knex, { seed: DEFAULT_DEMO_SEED });
      expect(otherSummary).toEqual(summary);
      const ours = await db.knex('person').whereBetween('id', [1, summary.people]).orderBy('id');
      const theirs = await other.knex('person').orderBy('id');
      expect(theirs).toEqual(ours);
      const ourCases = await db.knex('case_event').orderBy('id');
      expect(await other.knex('case_event').orderBy('id')).toEqual(ourCases);
      const ourRecords = await db.knex('source_record').select('source_id', 'payload_hash').orderBy('id');
      expect(await other.knex('source_record').select('source_id', 'payload_hash').orderBy('id')).toEqual(ourRecords);
    } finally {
      await other.close();
    }
  });
});
