/**
 * audit_log partitioned by month (the retention migration, src/store/retention.ts): writes land
 * in their month's partition for several months, the audit query by person returns them in
 * order, every partition stays append-only, and archiving detaches only the months before the
 * cutoff, deleting nothing. On PGlite and on a PostgreSQL server.
 */
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { describeEachDatabase } from '../support/databases.js';
import type { Database } from '../../src/store/db.js';
import type { Viewer } from '../../src/auth/viewer.js';
import { createDataLayer } from '../../src/store/dataLayer.js';
import { AuditWriter, ReadLog } from '../../src/store/audit.js';
import { createLogger } from '../../src/observability/logger.js';
import { archiveAuditMonths, auditPartitions, ensureAuditPartitions, monthOf } from '../../src/store/retention.js';

const admin: Viewer = { authenticated: true, subject: 'auditor', name: null, role: 'district-admin', gridIds: [], streetIds: [], department: null };
const MONTHS = ['2026-08', '2026-09', '2026-10', '2026-11', '2026-12'];

describeEachDatabase('audit_log by month', ({ open }) => {
  let db: Database;
  beforeEach(async () => {
    db = await open();
  });
  afterEach(async () => {
    await db.close();
  });

  /** One read of `person` per month, mid-month, plus one on the last instant of each month. */
  const writeMonths = async (person: number) => {
    for (const m of MONTHS) {
      const [y, mo] = m.split('-').map(Number) as [number, number];
      await db.knex('audit_log').insert([
        { at: new Date(Date.UTC(y, mo - 1, 15)), subject: 'officer', role: 'police', person_ids: [person], fields: JSON.stringify(['name']), purpose: `mid ${m}`, operation: null },
        { at: new Date(Date.UTC(y, mo, 1) - 1), subject: 'officer', role: 'police', person_ids: [person], fields: JSON.stringify(['name']), purpose: `end ${m}`, operation: null },
      ]);
    }
  };
  const partitionRows = async () => Object.fromEntries((await auditPartitions(db.knex)).partitions.map((p) => [p.month ?? 'default', p.rows]));
  const trail = async (personId: string) => {
    const page = await createDataLayer(db.knex, admin).audit.trail({ personId }, { first: 100 });
    return page.edges.map((e) => e.node);
  };

  test('writes for several months land in their own partitions, and the audit query by person returns them newest first', async () => {
    for (const m of MONTHS) await db.knex.raw('select audit_log_add_month(?::date)', [`${m}-01`]);
    await writeMonths(7);
    await writeMonths(8);
    const rows = await partitionRows();
    for (const m of MONTHS) expect(rows[m]).toBe(4);
    expect(rows.default).toBe(0);
    // Through the writer too (this month: its partition exists from the migration on).
    const writer = new AuditWriter(db.knex, createLogger('silent'));
    const reads = new ReadLog();
    reads.person('7');
    writer.record({ ...admin, subject: 'officer' }, reads, ['name', 'idNumber'], 'today', 'Lookup');
    await writer.flush();
    expect((await partitionRows())[monthOf(new Date())]).toBeGreaterThanOrEqual(1);

    const seven = await trail('7');
    expect(seven.map((e) => e.purpose)).toEqual(['today', ...[...MONTHS].reverse().flatMap((m) => [`end ${m}`, `mid ${m}`])]);
    expect(seven.every((e) => e.personIds.join() === '7')).toBe(true);
    const ids = seven.map((e) => BigInt(e.id));
    expect([...ids].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))).toEqual(ids);
  });

  test('a write for a month without a partition goes to the default partition instead of failing', async () => {
    await db.knex('audit_log').insert({ at: new Date('2031-05-05T00:00:00Z'), subject: 's', role: 'police', person_ids: [1], fields: '[]', purpose: 'p', operation: null });
    expect((await partitionRows()).default).toBe(1);
    // That month's partition can no longer be made (the row cannot move without being deleted): refused, not failed.
    expect((await db.knex.raw('select audit_log_add_month(?::date) as created', ['2031-05-01'])).rows[0].created).toBe(false);
    expect((await trail('1')).map((e) => e.purpose)).toEqual(['p']);
  });

  test('partitions are created ahead, once', async () => {
    const now = new Date('2030-01-20T00:00:00Z');
    expect(await ensureAuditPartitions(db.knex, { monthsAhead: 3, now })).toEqual(['2030-01', '2030-02', '2030-03', '2030-04']);
    expect(await ensureAuditPartitions(db.knex, { monthsAhead: 3, now })).toEqual([]);
    // Month bounds are UTC: the last instant of January is in January.
    await db.knex('audit_log').insert({ at: new Date('2030-01-31T23:59:59.999Z'), subject: 's', role: 'police', person_ids: [1], fields: '[]', purpose: 'p', operation: null });
    expect((await partitionRows())['2030-01']).toBe(1);
  });

  test('UPDATE, DELETE and TRUNCATE are refused on audit_log and on each of its partitions', async () => {
    await db.knex.raw('select audit_log_add_month(?::date)', ['2026-09-01']);
    // 2026-09 in its partition, the current month's (from the migration) in its own, the other months in the default one.
    await writeMonths(7);
    const { partitions } = await auditPartitions(db.knex);
    expect(partitions.filter((p) => p.rows > 0).map((p) => p.table)).toEqual(expect.arrayContaining(['audit_log_2026_09', 'audit_log_default']));
    for (const t of ['audit_log', ...partitions.map((p) => p.table)]) {
      // Row triggers fire for rows: an empty partition has none to refuse, but TRUNCATE is refused everywhere.
      if (t === 'audit_log' || partitions.find((p) => p.table === t)!.rows > 0) {
        await expect(db.knex(t).update({ purpose: 'rewritten' })).rejects.toThrow(/append-only/);
        await expect(db.knex(t).del()).rejects.toThrow(/append-only/);
      }
      await expect(db.knex.raw('truncate ??', [t])).rejects.toThrow(/append-only/);
    }
    // Moving a row to another month is an update too.
    await expect(db.knex('audit_log').where('purpose', 'mid 2026-09').update({ at: new Date('2026-10-02T00:00:00Z') })).rejects.toThrow(/append-only/);
    const [counted] = (await db.knex('audit_log').count({ n: '*' }));
    expect(Number(counted!.n)).toBe(MONTHS.length * 2);
  });

  test('archiving detaches only the months before the cutoff, into append-only tables, and deletes nothing', async () => {
    for (const m of MONTHS) await db.knex.raw('select audit_log_add_month(?::date)', [`${m}-01`]);
    await writeMonths(7);
    const now = new Date('2026-12-10T00:00:00Z');
    const r = await archiveAuditMonths(db.knex, { before: '2026-10', now });
    expect(r.archived).toEqual([
      { month: '2026-08', table: 'audit_archive_2026_08', rows: 2 },
      { month: '2026-09', table: 'audit_archive_2026_09', rows: 2 },
    ]);
    expect(r.leftInDefault).toBe(0);
    const { partitions, archives } = await auditPartitions(db.knex);
    expect(partitions.map((p) => p.month)).not.toContain('2026-08');
    expect(partitions.map((p) => p.month)).not.toContain('2026-09');
    expect(partitions.map((p) => p.month)).toEqual(expect.arrayContaining(['2026-10', '2026-11', '2026-12']));
    expect(archives.map((a) => [a.month, a.rows])).toEqual([['2026-08', 2], ['2026-09', 2]]);
    // audit_log keeps the months from the cutoff on; the archives hold the rest, unchanged.
    expect((await trail('7')).map((e) => e.purpose)).toEqual(['end 2026-12', 'mid 2026-12', 'end 2026-11', 'mid 2026-11', 'end 2026-10', 'mid 2026-10']);
    expect((await db.knex('audit_archive_2026_09').orderBy('id').select('purpose')).map((x: { purpose: string }) => x.purpose)).toEqual(['mid 2026-09', 'end 2026-09']);
    for (const t of ['audit_archive_2026_08', 'audit_archive_2026_09']) {
      await expect(db.knex(t).update({ purpose: 'rewritten' })).rejects.toThrow(/append-only/);
      await expect(db.knex(t).del()).rejects.toThrow(/append-only/);
      await expect(db.knex.raw('truncate ??', [t])).rejects.toThrow(/append-only/);
    }
    // Again: nothing more before the cutoff; the current month or a later one is never archived.
    expect((await archiveAuditMonths(db.knex, { before: '2026-10', now })).archived).toEqual([]);
    await expect(archiveAuditMonths(db.knex, { before: '2027-01', now })).rejects.toThrow(/after the current month/);
    await expect(archiveAuditMonths(db.knex, { before: '2026-1', now })).rejects.toThrow(/YYYY-MM/);
  });
});
