/**
 * What an operator's fault run broke in the ingest path (issue 13), each against a real store:
 * NUL bytes in raw text, XML nested too deep, map-stage dead letters without their source id,
 * concurrent pushes of the same record inflating recordCount, storage reasons of a kilobyte of
 * SQL, sync runs killed with -9 staying `running`, and DEGRADED without a lastError.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import iconv from 'iconv-lite';
import { z } from 'zod';
import { describeEachDatabase } from '../support/databases.js';
import { createLogger } from '../../src/observability/logger.js';
import { createIngestStore, type IngestStore } from '../../src/store/ingest/index.js';
import { configure, syncConnector, type SyncOptions } from '../../src/sync/runner.js';
import { commitIsolating, mapRecords } from '../../src/sync/runner.js';
import { SourceUnavailable, type Connector, type Page, type RawRecord } from '../../src/connectors/sdk/index.js';
import fire, { parsePage } from '../../src/connectors/fire/index.js';
import housing, { parseRows } from '../../src/connectors/housing/index.js';
import type { Database } from '../../src/store/db.js';

const options: SyncOptions = { log: createLogger('silent'), backoffMs: 1, maxBackoffMs: 5, batchSize: 100 };

/** A real connector whose read yields the given pages (its parse and map are its own). */
function reading<C>(connector: Connector<C>, pages: RawRecord[][], failFirst = false): Connector<unknown> {
  let failed = !failFirst;
  return {
    ...(connector as Connector<unknown>),
    spec: { ...connector.spec, config: z.object({}) },
    discover: async () => [{ name: STREAM_OF.get(connector)!, describes: 'test', syncMode: 'incremental' }],
    async *read(_config, _stream, cursor) {
      const from = Number((cursor as { page?: number } | null)?.page ?? 0);
      for (let i = from; i < pages.length; i++) {
        if (!failed) {
          failed = true;
          throw new SourceUnavailable('GET /inspections: 503 Service Unavailable (simulated)');
        }
        yield { records: pages[i]!, cursor: { page: i + 1 } } satisfies Page;
      }
    },
  };
}
const STREAM_OF = new Map<Connector<unknown>, string>([[fire, 'inspections'], [housing, 'buildings']]);

function inspection(no: string, extra = ''): string {
  return `<inspection><inspection_no>${no}</inspection_no><inspected_on>2026-11-01</inspected_on><result>合格</result><hazard_count>0</hazard_count>`
    + `<updated_at>2026-11-01T10:00:00+08:00</updated_at><target_type>建筑</target_type><target_name>北苑3幢${extra}</target_name>`
    + `<address>良渚金家渡北苑3幢</address><credit_code/></inspection>`;
}

function firePage(elements: string[]): RawRecord[] {
  const doc = `<?xml version="1.0" encoding="UTF-8"?>\n<inspections size="10" count="${elements.length}" more="false" next="1~X">\n${elements.join('\n')}\n</inspections>`;
  return parsePage(doc, 'inspections').records;
}

const BUILDING_COLUMNS = ['building_code', 'building_name', 'address', 'updated_at'] as const;
const buildingRow = (code: string, name: string) => iconv.encode(`${code},${name},余杭区良渚街道北苑${code}幢,2026-11-01T10:00:00+08:00`, 'gbk');

const count = async (db: Database, table: string, where: Record<string, unknown> = {}) => Number((await db.knex(table).where(where).count({ n: '*' }))[0]!.n);

describeEachDatabase('ingest under hostile records (issue 13)', ({ open }) => {
  let db: Database;
  let store: IngestStore;
  beforeEach(async () => {
    db = await open();
    store = createIngestStore(db);
  });
  afterEach(() => db.close());

  test('a NUL byte in a fire element or a housing row dead-letters that record; the records beside it are stored', async () => {
    // An element broken around a NUL (a stray & beside it) reaches the dead-letter store verbatim.
    const fires = firePage([inspection('XF1'), inspection('XF2', '\u0000 & '), inspection('XF3')]);
    expect(fires.filter((r) => 'unparsable' in r)).toHaveLength(1);
    const f = await syncConnector(store, configure(reading(fire, [fires]), {}), options);
    expect(f.ok).toBe(true);
    expect(f.streams[0]).toMatchObject({ status: 'succeeded', read: 3, stored: 2, deadLettered: 1 });

    const rows = parseRows([buildingRow('B1', '一号楼'), buildingRow('B2', '二号\u0000楼'), buildingRow('B\u00003', '三号楼'), buildingRow('B4', '四号楼')], BUILDING_COLUMNS, 'buildings.csv');
    const h = await syncConnector(store, configure(reading(housing, [rows]), {}), options);
    expect(h.ok).toBe(true);
    expect(h.streams[0]).toMatchObject({ status: 'succeeded', read: 4 });
    expect(h.streams[0]!.stored + h.streams[0]!.deadLettered).toBe(4);
    expect(await db.knex('source_record').where('stream', 'buildings').orderBy('source_id').pluck('source_id')).toEqual(expect.arrayContaining(['B1', 'B4']));

    const letters = await store.deadLetters({});
    expect(letters.length).toBeGreaterThanOrEqual(2);
    // Kept as the source sent it, with the NUL shown rather than lost.
    expect(letters.find((l) => l.department === 'fire')).toMatchObject({ sourceId: 'XF2', raw: expect.stringContaining('\\u0000') });
    for (const l of letters) expect(l.reason.length).toBeLessThan(600);
  });

  test('fire XML nested past the parser limit is one dead letter, not a stuck page', async () => {
    const deep = `${'<x>'.repeat(150)}深${'</x>'.repeat(150)}`;
    const page = firePage([inspection('XF1'), inspection('XF2').replace('<result>', `<notes>${deep}</notes><result>`), inspection('XF3')]);
    const summary = await syncConnector(store, configure(reading(fire, [page]), {}), { ...options, maxAttempts: 2 });
    expect(summary.streams[0]).toMatchObject({ status: 'succeeded', attempts: 1, read: 3, stored: 2, deadLettered: 1 });
    const [letter] = await store.deadLetters({});
    expect(letter).toMatchObject({ sourceId: 'XF2', stage: 'parse', reason: expect.stringMatching(/nested/i) });
  });

  test('a map-stage dead letter keeps its source id, so a later clean copy resolves it', async () => {
    const bad = firePage([inspection('XF7').replace('<result>合格</result>', '<result>待定</result>')]);
    await syncConnector(store, configure(reading(fire, [bad]), {}), options);
    const [letter] = await store.deadLetters({});
    expect(letter).toMatchObject({ stage: 'map', sourceId: 'XF7' });
    const department = await store.ensureDepartment(fire.spec);
    const clean = mapRecords(fire, 'inspections', firePage([inspection('XF7')]));
    await commitIsolating(store, { departmentId: department.id, stream: 'inspections', fetchedAt: new Date(), records: clean.mapped, deadLetters: clean.dead, cursor: null });
    expect(await store.deadLetters({})).toEqual([]);
  });

  test('the same records pushed 10 times at once, 3 times over, count once in recordCount', async () => {
    const department = await store.ensureDepartment(fire.spec);
    const records = firePage([inspection('P1'), inspection('P2'), inspection('P3')]);
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => {
        // Each push differs a little, as repeated pushes of a live incident do.
        const { mapped, dead } = mapRecords(fire, 'inspections', records.map((r) => ('data' in r ? { data: { ...(r.data as object), target_name: `北苑3幢 ${round}.${i}` } } : r)));
        return commitIsolating(store, { departmentId: department.id, stream: 'inspections', fetchedAt: new Date(), records: mapped, deadLetters: dead, cursor: null })
          .catch((error: unknown) => {
            // A concurrent upsert of the same key may lose a deadlock or serialization race: the sender retries.
            if (!/deadlock|could not serialize/.test(String(error))) throw error;
          });
      }));
    }
    expect(await count(db, 'source_record')).toBe(3);
    const state = await db.knex('connector_state').where('department_id', department.id).first('record_count');
    expect(Number(state.record_count)).toBe(3);
  });

  test('a storage error is dead-lettered with the database\'s reason, not a kilobyte of SQL', async () => {
    const letters = firePage([inspection('XF1').replace('2026-11-01</inspected_on>', '2026-11-01</inspected_on>')]);
    const department = await store.ensureDepartment(fire.spec);
    const { mapped } = mapRecords(fire, 'inspections', letters);
    // A fact the column cannot hold: the database refuses the row (22008, date out of range).
    mapped[0]!.mapped.subject = { kind: 'person', authority: 'master', idNumber: null, facts: { name: '王芳', birthDate: '1980-13-45' } };
    const r = await commitIsolating(store, { departmentId: department.id, stream: 'inspections', fetchedAt: new Date(), records: mapped, deadLetters: [], cursor: null });
    expect(r.deadLettered).toBe(1);
    const [letter] = await store.deadLetters({});
    expect(letter!.stage).toBe('store');
    expect(letter!.reason).toMatch(/^the database refused the record \(SQLSTATE 2\d\w{3}\): /);
    expect(letter!.reason).not.toMatch(/insert into/i);
    expect(letter!.reason.length).toBeLessThan(300);
  });

  test('a run whose process was killed is closed by the next run; a live one is left alone', async () => {
    const department = await store.ensureDepartment(fire.spec);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const stale = await db.knex('sync_run').insert({ department_id: department.id, stream: 'inspections', trigger: 'cli', status: 'running', started_at: new Date(), owner: `${hostname()}:${gone}` }).returning('id');
    const alive = await db.knex('sync_run').insert({ department_id: department.id, stream: 'inspections', trigger: 'cli', status: 'running', started_at: new Date(), owner: `${hostname()}:${process.pid}` }).returning('id');
    await syncConnector(store, configure(reading(fire, [firePage([inspection('XF1')])]), {}), options);
    const rows = await db.knex('sync_run').orderBy('id').select('id', 'status', 'error');
    expect(rows.find((r) => String(r.id) === String(stale[0]!.id))).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted: /) });
    expect(rows.find((r) => String(r.id) === String(alive[0]!.id))).toMatchObject({ status: 'running' });
    expect(rows.at(-1)).toMatchObject({ status: 'succeeded' });
  });

  test('DEGRADED says what failed', async () => {
    const summary = await syncConnector(store, configure(reading(fire, [firePage([inspection('XF1')])], true), {}), options);
    expect(summary.ok).toBe(true);
    const state = await db.knex('connector_state').first('status', 'last_error');
    expect(state).toEqual({ status: 'degraded', last_error: expect.stringMatching(/^inspections: synced after 1 failed attempt\(s\); last failure: GET \/inspections: 503/) });
  });
});
