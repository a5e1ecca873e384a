/**
 * The court connector against the court simulator on a tiny world: a SQL database (two tables of
 * schema court) read with knex + pg through a keyset on (updated_at, case_no).
 *
 * [pglite]: the simulator's embedded PGlite served over the PostgreSQL wire protocol (always).
 * [postgres]: a real PostgreSQL server: the database TEST_DATABASE_URL_COURT names (schemas of this
 * run's own there, dropped afterwards), else a throwaway database on the suite's server
 * (LIANDONG_TEST_DATABASE_URL, see tests/support/globalSetup.ts), else skipped. Against a real
 * server the simulator cannot take the database down or slow it, so those fault tests are
 * [pglite] only.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import court, { type CourtConfig } from '../../src/connectors/court/index.js';
import { MappingError, RateLimited, SourceError, SourceUnavailable, type Cursor, type EntityRef, type MappedRecord, type RawRecord } from '../../src/connectors/sdk/index.js';
import { startCourtSimulator, type CourtSimulator, type CourtStream } from '../../src/simulators/court/index.js';
import { readNdjson, worldFile } from '../../src/world/read.js';
import { NOW_MS } from '../../src/world/time.js';
import type { CourtDishonestDebtor, CourtJudgment } from '../../src/world/types.js';
import { readAll, testContext } from '../support/connectors.js';
import { connectorConformance } from './conformance.js';
import { createTestDatabase, type TestDatabase } from '../../tools/servers/postgres.js';
import { removeTestWorlds, testWorld } from '../support/world.js';

const STREAMS: readonly CourtStream[] = ['judgments', 'dishonest_debtors'];
const courtUrl = process.env.TEST_DATABASE_URL_COURT || undefined;
const suiteServerUrl = process.env.LIANDONG_TEST_DATABASE_URL || undefined;

type Row = Record<string, unknown>;

function rowsOf(records: RawRecord[]): Row[] {
  return records.map((r) => {
    if (!('data' in r)) throw new Error(`unexpected unparsable record: ${r.reason}`);
    return r.data as Row;
  });
}

function keys(records: RawRecord[]): string[] {
  return rowsOf(records).map((r) => String(r.case_no));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let dir: string;
let judgments: CourtJudgment[];
let debtors: CourtDishonestDebtor[];

beforeAll(async () => {
  dir = await testWorld('tiny');
  judgments = [];
  debtors = [];
  for await (const r of readNdjson<CourtJudgment>(worldFile(dir, 'departments/court/judgments'))) judgments.push(r);
  for await (const r of readNdjson<CourtDishonestDebtor>(worldFile(dir, 'departments/court/dishonest_debtors'))) debtors.push(r);
});

afterAll(() => {
  removeTestWorlds();
});

function fileKeys(stream: CourtStream): string[] {
  return (stream === 'judgments' ? judgments : debtors).map((r) => r.caseNo);
}

/** Records ordered by update time (ties go by case number in the database's collation, which JS does not know). */
function inKeysetOrder(records: RawRecord[]): boolean {
  const rows = rowsOf(records);
  return rows.every((r, i) => {
    const prev = rows[i - 1];
    return !prev || String(prev.updated_at) <= String(r.updated_at);
  });
}

const targets = [
  { label: '[pglite]', embedded: true, available: true },
  { label: '[postgres]', embedded: false, available: courtUrl !== undefined || suiteServerUrl !== undefined },
];

for (const target of targets) {
  const describeFn = target.available ? describe : describe.skip;
  const { embedded } = target;
  const schema = embedded ? 'court' : `court_t${randomBytes(4).toString('hex')}`;

  describeFn(`court connector ${target.label}`, () => {
    let sim: CourtSimulator;
    let config: CourtConfig;
    /** The real server's database (undefined: embedded). */
    let databaseUrl: string | undefined;
    let throwaway: TestDatabase | null = null;
    const cursors: Record<CourtStream, Cursor | null> = { judgments: null, dishonest_debtors: null };
    const extraSchemas: string[] = [];
    const where = (s: string) => (databaseUrl ? { databaseUrl, schema: s } : {});

    beforeAll(async () => {
      if (!embedded) {
        if (courtUrl) databaseUrl = courtUrl;
        else {
          throwaway = await createTestDatabase(suiteServerUrl as string);
          databaseUrl = throwaway.url;
        }
      }
      sim = await startCourtSimulator({ dataDir: dir, seed: 5, ...where(schema) });
      config = court.spec.config.parse(sim.connectorConfig);
    });

    afterAll(async () => {
      await sim?.stop().catch(() => undefined);
      if (throwaway) await throwaway.drop();
      else if (databaseUrl) {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        try {
          for (const s of [schema, ...extraSchemas]) await client.query(`drop schema if exists "${s}" cascade`);
        } finally {
          await client.end();
        }
      }
    });

    test('config defaults and secrets, check and discover', async () => {
      expect(config).toEqual({ databaseUrl: sim.connectorConfig.databaseUrl, schema, pageSize: 1000, timeoutMs: 30_000, poolMax: 1 });
      expect(String(config.databaseUrl)).toMatch(/^postgres(ql)?:\/\//);
      expect(sim.embedded).toBe(embedded);
      expect(court.spec.secrets).toEqual(['databaseUrl']);
      const bad = court.spec.config.safeParse({ databaseUrl: 'mysql://x' });
      expect(bad.success).toBe(false);
      expect(bad.error?.issues[0]?.message).toContain('postgres:// URL');
      const check = await court.check(config, testContext());
      expect(check).toEqual({ ok: true, message: expect.stringContaining(`${judgments.length} judgments and ${debtors.length} dishonest debtors in schema ${schema}`) });
      expect(check.message).toContain(sim.endpoint);
      const streams = await court.discover(config, testContext());
      expect(streams.map((s) => [s.name, s.syncMode])).toEqual([['judgments', 'incremental'], ['dishonest_debtors', 'incremental']]);
    });

    test('the tables are typed and indexed on (updated_at, case_no)', async () => {
      const client = new pg.Client({ connectionString: String(config.databaseUrl) });
      await client.connect();
      try {
        const columns = await client.query<{ table_name: string; column_name: string; data_type: string }>(
          'select table_name, column_name, data_type from information_schema.columns where table_schema = $1 order by table_name, ordinal_position', [schema],
        );
        const type = (table: string, column: string) => columns.rows.find((c) => c.table_name === table && c.column_name === column)?.data_type;
        expect(type('judgments', 'case_no')).toBe('text');
        expect(type('judgments', 'filed_on')).toBe('date');
        expect(type('judgments', 'parties')).toBe('jsonb');
        expect(type('judgments', 'amount_yuan')).toBe('numeric');
        expect(type('judgments', 'updated_at')).toBe('timestamp with time zone');
        expect(type('dishonest_debtors', 'published_on')).toBe('date');
        expect(type('dishonest_debtors', 'amount_yuan')).toBe('numeric');
        const indexes = await client.query<{ indexdef: string }>('select indexdef from pg_indexes where schemaname = $1', [schema]);
        const defs = indexes.rows.map((r) => r.indexdef).join('\n');
        expect(defs).toMatch(/judgments USING btree \(updated_at, case_no\)/);
        expect(defs).toMatch(/dishonest_debtors USING btree \(updated_at, case_no\)/);
        expect(defs).toMatch(/judgments_pkey ON \S+ USING btree \(case_no\)/);
      } finally {
        await client.end();
      }
    });

    test('a full read of each stream moves every row once, in keyset order, and every one maps', async () => {
      for (const stream of STREAMS) {
        const result = await readAll(court, config, stream, null);
        expect(result.records).toHaveLength(fileKeys(stream).length);
        expect([...keys(result.records)].sort()).toEqual([...fileKeys(stream)].sort());
        expect(inKeysetOrder(result.records)).toBe(true);
        for (const r of rowsOf(result.records)) {
          const m = court.map(stream, r);
          expect(m.sourceId).toBe(r.case_no);
          expect(m.subject && m.subject.kind !== 'record' && m.subject.authority).toBe('reference');
          expect(Date.parse(String(m.updatedAt))).toBeLessThanOrEqual(NOW_MS);
        }
        const last = rowsOf(result.records).at(-1)!;
        expect(result.cursor).toEqual({ updatedAt: last.updated_at, caseNo: last.case_no });
        cursors[stream] = result.cursor;
      }
    });

    test('rows come back as the court wrote them', async () => {
      const { records } = await readAll(court, config, 'judgments', null);
      for (const original of judgments) {
        const row = rowsOf(records).find((r) => r.case_no === original.caseNo)!;
        expect(row).toEqual({
          case_no: original.caseNo, court: original.court, case_type: original.caseType, cause: original.cause, filed_on: original.filedOn,
          judged_on: original.judgedOn, parties: original.parties, amount_yuan: original.amountYuan, sentence: original.sentence, result: original.result,
          updated_at: `${original.updatedAt.slice(0, 19)}.000000+08:00`,
        });
      }
      const debtorRows = rowsOf((await readAll(court, config, 'dishonest_debtors', null)).records);
      const first = debtors[0]!;
      expect(debtorRows.find((r) => r.case_no === first.caseNo)).toMatchObject({
        basis_case_no: first.basisCaseNo, debtor_type: first.debtorType, name: first.name, id_number: first.idNumber, amount_yuan: first.amountYuan,
        performance: first.performance, published_on: first.publishedOn,
      });
    });

    test('known judgments map to their first defendant, with the other parties as mentions', () => {
      const civil = judgments.find((j) => j.caseType === '民事')!;
      const defendant = civil.parties.find((p) => p.role === '被告')!;
      const plaintiff = civil.parties.find((p) => p.role === '原告')!;
      const row = { case_no: civil.caseNo, parties: civil.parties, updated_at: `${civil.updatedAt.slice(0, 19)}.000000+08:00` };
      const ref = (p: typeof plaintiff): EntityRef =>
        p.creditCode !== null || (p.idNumber === null && /公司$/.test(p.name))
          ? { kind: 'enterprise', authority: 'reference', creditCode: p.creditCode, facts: { name: p.name } }
          : { kind: 'person', authority: 'reference', idNumber: p.idNumber, facts: { name: p.name } };
      expect(court.map('judgments', row)).toEqual({
        sourceId: civil.caseNo, updatedAt: civil.updatedAt, subject: ref(defendant), mentions: [{ role: 'plaintiff', ref: ref(plaintiff) }],
      } satisfies MappedRecord);

      const criminal = judgments.find((j) => j.caseType === '刑事');
      if (criminal) {
        const m = court.map('judgments', { case_no: criminal.caseNo, parties: criminal.parties, updated_at: criminal.updatedAt });
        expect(m).toMatchObject({ subject: { kind: 'person', idNumber: criminal.parties[0]!.idNumber, facts: { name: criminal.parties[0]!.name } }, mentions: [] });
      }
      // Enterprises are parties by credit code, or by an organisation's name when it has none.
      const m = court.map('judgments', {
        case_no: '(2025)浙0110民初9号', updated_at: '2025-01-02T03:04:05.123400+08:00',
        parties: [
          { role: '原告', name: '浙江甲乙供应链有限公司', idNumber: null, creditCode: null, address: null },
          { role: '被告', name: '杭州丙丁商贸有限公司', idNumber: null, creditCode: ' 91330110MA2CWCUXXP ', address: '余杭区…' },
          { role: '被告', name: '王芳', idNumber: null, creditCode: null, address: null },
        ],
      });
      expect(m).toEqual({
        sourceId: '(2025)浙0110民初9号', updatedAt: '2025-01-02T03:04:05.1234+08:00',
        subject: { kind: 'enterprise', authority: 'reference', creditCode: '91330110MA2CWCUXXP', facts: { name: '杭州丙丁商贸有限公司' } },
        mentions: [
          { role: 'plaintiff', ref: { kind: 'enterprise', authority: 'reference', creditCode: null, facts: { name: '浙江甲乙供应链有限公司' } } },
          { role: 'defendant', ref: { kind: 'person', authority: 'reference', idNumber: null, facts: { name: '王芳' } } },
        ],
      });
    });

    test('known dishonest debtors map to the person or enterprise on the list', () => {
      const person = debtors.find((d) => d.debtorType === '自然人')!;
      expect(court.map('dishonest_debtors', { case_no: person.caseNo, debtor_type: '自然人', name: person.name, id_number: person.idNumber, address: person.address, updated_at: person.updatedAt })).toEqual({
        sourceId: person.caseNo, updatedAt: person.updatedAt, mentions: [],
        subject: { kind: 'person', authority: 'reference', idNumber: person.idNumber, facts: { name: person.name, address: person.address } },
      });
      expect(court.map('dishonest_debtors', {
        case_no: '(2024)浙0110执1号', debtor_type: '法人', name: '杭州良渚众西软件开发有限公司', id_number: null, credit_code: '91330110MA28280G1R',
        legal_representative: '张芸颖', address: '余杭区明源巷1727号西金科创中心1幢1201室', updated_at: '2025-12-03T04:52:28.000000+08:00',
      })).toEqual({
        sourceId: '(2024)浙0110执1号', updatedAt: '2025-12-03T04:52:28+08:00',
        subject: {
          kind: 'enterprise', authority: 'reference', creditCode: '91330110MA28280G1R',
          facts: { name: '杭州良渚众西软件开发有限公司', legalRepresentative: '张芸颖', address: '余杭区明源巷1727号西金科创中心1幢1201室' },
        },
        mentions: [{ role: 'legal_representative', ref: { kind: 'person', authority: 'reference', idNumber: null, facts: { name: '张芸颖' } } }],
      });
    });

    test('rows that make no sense are MappingErrors that say why', () => {
      const j = { case_no: '(2025)浙0110民初1号', updated_at: '2025-01-01T00:00:00.000000+08:00', parties: [{ role: '被告', name: '王芳', idNumber: null, creditCode: null }] };
      const d = { case_no: '(2025)浙0110执1号', updated_at: '2025-01-01T00:00:00.000000+08:00', debtor_type: '自然人', name: '王芳', id_number: null, address: null };
      const cases: Array<[CourtStream, Row, RegExp]> = [
        ['judgments', { ...j, case_no: '   ' }, /case_no is empty/],
        ['judgments', { ...j, case_no: null }, /case_no is missing/],
        ['judgments', { ...j, parties: { 当事人: '王芳' } }, /parties must be a list of parties, got object/],
        ['judgments', { ...j, parties: '王芳等' }, /parties must be a list of parties, got string/],
        ['judgments', { ...j, parties: [{ role: '原告', name: '李四' }] }, /no 被告 or 被告人 among the 1 parties/],
        ['judgments', { ...j, parties: [{ role: '第三人', name: '李四' }] }, /parties\[0\]\.role must be 原告, 被告 or 被告人/],
        ['judgments', { ...j, parties: [{ role: '被告', name: 7 }] }, /parties\[0\]\.name must be text, got number/],
        ['judgments', { ...j, parties: ['王芳'] }, /parties\[0\] must be an object/],
        ['judgments', { ...j, updated_at: 'yesterday' }, /updated_at must be an ISO 8601 time/],
        ['dishonest_debtors', { ...d, debtor_type: '不详' }, /debtor_type must be 自然人 or 法人, got "不详"/],
        ['dishonest_debtors', { ...d, name: '' }, /name is empty/],
        ['dishonest_debtors', { ...d, id_number: 330110 }, /id_number must be text/],
      ];
      for (const [stream, record, reason] of cases) {
        expect(() => court.map(stream, record)).toThrow(MappingError);
        expect(() => court.map(stream, record)).toThrow(reason);
      }
      expect(() => court.map('judgments', null)).toThrow('record is not an object');
      expect(() => court.map('cases', {})).toThrow(/court has no stream "cases"/);
    });

    test('after change(5) incremental reads move exactly those 5, and the next reads none', async () => {
      const before = sim.changedKeys.length;
      expect(await sim.change(5)).toBe(5);
      const changed = sim.changedKeys.slice(before);
      expect(new Set(changed.map((c) => `${c.stream}:${c.key}`)).size).toBe(5);
      const moved: string[] = [];
      for (const stream of STREAMS) {
        const read = await readAll(court, config, stream, cursors[stream]);
        for (const r of rowsOf(read.records)) {
          moved.push(`${stream}:${String(r.case_no)}`);
          const m = court.map(stream, r);
          expect(Date.parse(String(m.updatedAt))).toBeGreaterThan(NOW_MS);
          if (stream === 'judgments') {
            const original = judgments.find((o) => o.caseNo === r.case_no)!;
            expect(r.result !== original.result || r.sentence !== original.sentence).toBe(true);
          } else {
            const original = debtors.find((o) => o.caseNo === r.case_no)!;
            expect(r.performance !== original.performance || r.circumstance !== original.circumstance).toBe(true);
          }
        }
        const again = await readAll(court, config, stream, read.cursor);
        expect(again.records).toEqual([]);
        expect(again.cursor).toEqual(read.cursor);
        cursors[stream] = read.cursor;
      }
      expect(moved.sort()).toEqual(changed.map((c) => `${c.stream}:${c.key}`).sort());
    });

    test('resuming a changes read from a mid-stream page cursor gives the rest exactly once', async () => {
      const before = sim.changedKeys.length;
      await sim.change(7);
      const changed = sim.changedKeys.slice(before).filter((c) => c.stream === 'judgments').map((c) => c.key);
      expect(changed.length).toBeGreaterThanOrEqual(5);
      const small = { ...config, pageSize: 2 };
      const pages: Array<{ records: RawRecord[]; cursor: Cursor }> = [];
      for await (const page of court.read(small, 'judgments', cursors.judgments, testContext())) {
        pages.push(page);
        break;
      }
      const rest = await readAll(court, small, 'judgments', pages[0]!.cursor);
      const all = [...keys(pages[0]!.records), ...keys(rest.records)];
      expect(all).toHaveLength(changed.length);
      expect([...all].sort()).toEqual([...changed].sort());
      cursors.judgments = rest.cursor;
      cursors.dishonest_debtors = (await readAll(court, config, 'dishonest_debtors', cursors.dishonest_debtors)).cursor;
    });

    test('a row changed after the read passed it comes again once, in its new version', async () => {
      const small = { ...config, pageSize: 3 };
      const seen: string[] = [];
      let changed: string[] = [];
      for await (const page of court.read(small, 'judgments', null, testContext())) {
        seen.push(...keys(page.records));
        if (changed.length === 0) {
          const before = sim.changedKeys.length;
          await sim.change(8);
          changed = sim.changedKeys.slice(before).filter((c) => c.stream === 'judgments').map((c) => c.key);
        }
      }
      expect(new Set(seen)).toEqual(new Set(fileKeys('judgments')));
      // Everything changed comes at the end, once; what changed before we got to it is read once only.
      for (const key of changed) expect(seen.filter((k) => k === key).length).toBeLessThanOrEqual(2);
      expect(seen.slice(-changed.length).sort()).toEqual([...changed].sort());
      cursors.judgments = (await readAll(court, config, 'judgments', cursors.judgments)).cursor;
      cursors.dishonest_debtors = (await readAll(court, config, 'dishonest_debtors', cursors.dishonest_debtors)).cursor;
    });

    test('malformed rows come out as MappingErrors with reasons, never a failed read', async () => {
      // Changed rows come out malformed...
      sim.faults.set({ malformedRate: 1 });
      const before = sim.changedKeys.length;
      try {
        await sim.change(4);
      } finally {
        sim.faults.set({ malformedRate: 0 });
      }
      const changed = sim.changedKeys.slice(before);
      const reasons: string[] = [];
      for (const stream of STREAMS) {
        const read = await readAll(court, config, stream, cursors[stream]);
        expect(keys(read.records).sort()).toEqual(changed.filter((c) => c.stream === stream).map((c) => c.key).sort());
        for (const r of rowsOf(read.records)) {
          try {
            court.map(stream, r);
            throw new Error('mapped a malformed row');
          } catch (error) {
            expect(error).toBeInstanceOf(MappingError);
            reasons.push((error as Error).message);
          }
        }
        cursors[stream] = read.cursor;
      }
      expect(reasons).toHaveLength(4);
      for (const reason of reasons) expect(reason).toMatch(/^parties must be a list of parties|^debtor_type must be 自然人 or 法人/);

      // ...and so do rows loaded with malformedRate.
      const malformedSchema = embedded ? 'court' : `${schema}_m`;
      if (!embedded) extraSchemas.push(malformedSchema);
      const other = await startCourtSimulator({
        dataDir: dir, seed: 11, faults: { malformedRate: 0.5 }, ...where(malformedSchema),
      });
      try {
        const cfg = court.spec.config.parse(other.connectorConfig);
        let malformed = 0;
        const why = new Set<string>();
        for (const stream of STREAMS) {
          const read = await readAll(court, { ...cfg, pageSize: 3 }, stream, null);
          expect(read.records).toHaveLength(other.loaded[stream].rows);
          expect(read.records).toHaveLength(fileKeys(stream).length);
          for (const r of rowsOf(read.records)) {
            try {
              court.map(stream, r);
            } catch (error) {
              expect(error).toBeInstanceOf(MappingError);
              why.add((error as Error).message.replace(/, got .*/, ''));
              malformed++;
            }
          }
        }
        expect(malformed).toBe(other.loaded.judgments.malformed + other.loaded.dishonest_debtors.malformed);
        expect(malformed).toBeGreaterThan(1);
        for (const reason of why) expect(reason).toMatch(/^case_no is empty$|^parties must be a list of parties$|^debtor_type must be 自然人 or 法人$/);
      } finally {
        await other.stop();
      }
    });

    if (embedded) {
      test('down: connections are refused (SourceUnavailable), check says so, and it comes back on the same URL', async () => {
        sim.faults.set({ down: true });
        try {
          await expect(readAll(court, config, 'judgments', null)).rejects.toThrow(SourceUnavailable);
          await expect(readAll(court, config, 'judgments', null)).rejects.toThrow(/connection refused/);
          const check = await court.check(config, testContext());
          expect(check.ok).toBe(false);
          expect(check.message).toContain(sim.endpoint);
          expect(check.message).toContain('connection refused');
          expect(check.message).toContain('Check that the database is running');
        } finally {
          sim.faults.set({ down: false });
          await sim.settled();
        }
        expect((await court.check(config, testContext())).ok).toBe(true);
      });

      test('going down in the middle of a read fails that read; resuming from the saved cursor loses and repeats nothing', async () => {
        const small = { ...config, pageSize: 2 };
        const pages: Array<{ records: RawRecord[]; cursor: Cursor }> = [];
        let failure: unknown = null;
        try {
          for await (const page of court.read(small, 'judgments', null, testContext())) {
            pages.push(page);
            if (pages.length === 1) sim.faults.set({ down: true });
          }
        } catch (error) {
          failure = error;
        } finally {
          sim.faults.set({ down: false });
          await sim.settled();
        }
        expect(failure).toBeInstanceOf(SourceUnavailable);
        expect(pages).toHaveLength(1);
        const rest = await readAll(court, small, 'judgments', pages[0]!.cursor);
        const all = [...keys(pages[0]!.records), ...keys(rest.records)];
        expect(all).toHaveLength(judgments.length);
        expect(new Set(all)).toEqual(new Set(fileKeys('judgments')));
      });

      test('a slow database is a timeout (SourceUnavailable); a rate limit is RateLimited with retryAfterMs', async () => {
        sim.faults.set({ latencyMs: 400 });
        try {
          const slow = { ...config, timeoutMs: 100 };
          const error = await readAll(court, slow, 'judgments', null).then(() => null, (e: unknown) => e);
          expect(error).toBeInstanceOf(SourceUnavailable);
          expect((error as Error).message).toMatch(/no answer within 100 ms/);
        } finally {
          sim.faults.set({ latencyMs: 0 });
        }
        await sleep(900); // let the slow queries drain
        sim.faults.set({ rateLimitPerSecond: 1 });
        try {
          const error = await readAll(court, { ...config, pageSize: 1 }, 'judgments', null).then(() => null, (e: unknown) => e);
          expect(error).toBeInstanceOf(RateLimited);
          expect((error as RateLimited).message).toContain('SQLSTATE 53300');
          expect((error as RateLimited).retryAfterMs).toBeGreaterThanOrEqual(1000);
        } finally {
          sim.faults.set({ rateLimitPerSecond: null });
        }
        // Rejected exchanges leave the session usable.
        const ok = await readAll(court, config, 'dishonest_debtors', null);
        expect(ok.records).toHaveLength(debtors.length);
      });

      test('change() while a read pages through does not disturb it', async () => {
        const small = { ...config, pageSize: 1 };
        const seen: string[] = [];
        const changes: Array<Promise<number>> = [];
        for await (const page of court.read(small, 'judgments', null, testContext())) {
          seen.push(...keys(page.records));
          // Not awaited: the simulator's statements run while the connector is between (or inside) its queries.
          // Only the first pages: changed rows move ahead of the read, which would otherwise never end.
          if (changes.length < 3) changes.push(sim.change(2));
        }
        expect(await Promise.all(changes)).toEqual([2, 2, 2]);
        expect(new Set(seen)).toEqual(new Set(fileKeys('judgments')));
        expect(seen.length).toBeLessThanOrEqual(judgments.length + 6);

        // For a second, the simulator changes rows as fast as it can while reads page through.
        let stop = false;
        let changed = 0;
        const changer = (async () => {
          while (!stop) {
            changed += await sim.change(1);
            await new Promise((resolve) => setImmediate(resolve));
          }
        })();
        const errors: string[] = [];
        let pages = 0;
        for (const started = Date.now(); Date.now() - started < 1000; ) {
          try {
            let n = 0;
            for await (const page of court.read({ ...config, pageSize: 2 }, 'judgments', null, testContext())) {
              pages++;
              for (const r of rowsOf(page.records)) {
                // Rows broken by the malformed test stay broken; anything else would be a garbled read.
                try {
                  court.map('judgments', r);
                } catch (error) {
                  if (!(error instanceof MappingError)) throw error;
                }
              }
              if (++n === 3) break;
            }
          } catch (error) {
            errors.push((error as Error).message);
          }
        }
        stop = true;
        await changer;
        expect(errors).toEqual([]);
        expect(pages).toBeGreaterThan(20);
        expect(changed).toBeGreaterThan(20);
        cursors.judgments = (await readAll(court, config, 'judgments', cursors.judgments)).cursor;
        cursors.dishonest_debtors = (await readAll(court, config, 'dishonest_debtors', cursors.dishonest_debtors)).cursor;
      });

      test('check and read on a stopped simulator fail with a message naming the database', async () => {
        const other = await startCourtSimulator({ dataDir: dir, seed: 2 });
        const cfg = court.spec.config.parse(other.connectorConfig);
        await other.stop();
        const check = await court.check(cfg, testContext());
        expect(check.ok).toBe(false);
        expect(check.message).toContain(other.endpoint);
        expect(check.message).toContain('connection refused');
        await expect(readAll(court, cfg, 'judgments', null)).rejects.toThrow(SourceUnavailable);
      });
    } else {
      test('a real server is not taken down: faults.down is ignored', async () => {
        sim.faults.set({ down: true });
        try {
          await sim.settled();
          expect((await court.check(config, testContext())).ok).toBe(true);
        } finally {
          sim.faults.set({ down: false });
        }
      });
    }

    test('a cursor the connector did not write and a wrong schema are SourceErrors', async () => {
      await expect(readAll(court, config, 'judgments', { page: 3 })).rejects.toThrow(/not one this connector wrote/);
      const wrong = { ...config, schema: 'nowhere' };
      const error = await readAll(court, wrong, 'judgments', null).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(SourceError);
      expect(error).not.toBeInstanceOf(SourceUnavailable);
      expect((error as Error).message).toMatch(/SQLSTATE 42P01.*is schema nowhere right\?/);
      expect((error as Error).message).not.toContain('select');
      const check = await court.check(wrong, testContext());
      expect(check.ok).toBe(false);
      expect(check.message).toContain('schema nowhere holds the judgments');
    });
  });
}

connectorConformance({
  connector: court,
  start: (dataDir) => startCourtSimulator({ dataDir, seed: 16 }),
  badDate: (_stream, r) => ({ ...r, updated_at: '2026-13-45T25:61:00+08:00' }),
  malformedOnWrite: true,
});
