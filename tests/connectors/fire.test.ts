/**
 * The fire connector against the fire simulator on a tiny world: XML over HTTP, keyset-paged,
 * one record element parsed at a time.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fire, { parsePage, type FireConfig } from '../../src/connectors/fire/index.js';
import { MappingError, RateLimited, SourceUnavailable, type Cursor, type Page, type RawRecord } from '../../src/connectors/sdk/index.js';
import type { RunningSimulator } from '../../src/simulators/common/simulator.js';
import { startFireSimulator } from '../../src/simulators/fire/index.js';
import { readNdjson, worldFile } from '../../src/world/read.js';
import { NOW_MS } from '../../src/world/time.js';
import type { FireHazard, FireInspection } from '../../src/world/types.js';
import { readAll, testContext } from '../support/connectors.js';
import { connectorConformance } from './conformance.js';
import { removeTestWorlds, testWorld } from '../support/world.js';

let sim: RunningSimulator;
let config: FireConfig;
let inspections: FireInspection[];
let hazards: FireHazard[];
const cursors: Record<string, Cursor | null> = { inspections: null, hazards: null };

const ID: Record<string, string> = { inspections: 'inspection_no', hazards: 'hazard_no' };

async function rows<T>(dir: string, name: string): Promise<T[]> {
  const out: T[] = [];
  for await (const r of readNdjson<T>(worldFile(dir, name))) out.push(r);
  return out;
}

function data(records: RawRecord[]): Array<Record<string, string | null>> {
  return records.map((r) => {
    if (!('data' in r)) throw new Error(`unexpected unparsable record: ${r.reason}`);
    return r.data as Record<string, string | null>;
  });
}

function idsOf(stream: string, records: RawRecord[]): string[] {
  return data(records).map((d) => d[ID[stream]!] as string);
}

beforeAll(async () => {
  const dir = await testWorld('tiny');
  inspections = await rows<FireInspection>(dir, 'departments/fire/inspections');
  hazards = await rows<FireHazard>(dir, 'departments/fire/hazards');
  sim = await startFireSimulator({ dataDir: dir, seed: 5 });
  config = fire.spec.config.parse({ ...sim.connectorConfig, pageSize: 10 });
});

afterAll(async () => {
  await sim?.stop();
  removeTestWorlds();
});

describe('fire connector', () => {
  test('config defaults, check and discover', async () => {
    const defaults = fire.spec.config.parse(sim.connectorConfig);
    expect(defaults).toMatchObject({ pageSize: 1000, timeoutMs: 30_000 });
    expect(fire.spec.config.safeParse({ baseUrl: 'not a url' }).success).toBe(false);
    const check = await fire.check(config, testContext());
    expect(check).toMatchObject({ ok: true });
    expect(check.message).toContain(sim.endpoint);
    const streams = await fire.discover(config, testContext());
    expect(streams.map((s) => [s.name, s.syncMode])).toEqual([['inspections', 'incremental'], ['hazards', 'incremental']]);
  });

  test('the source speaks XML with a keyset position per page', async () => {
    const res = await fetch(`${sim.endpoint}/fire/api/hazards?size=3`);
    expect(res.headers.get('content-type')).toContain('application/xml');
    const xml = await res.text();
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<hazards size="3" count="3" total="\d+" more="true" highWater="[^"]+" next="\d+~XFJC\d+-\d+">/);
    expect(xml.match(/<hazard>/g)).toHaveLength(3);
    expect((await fetch(`${sim.endpoint}/fire/api/hazards?after=garbage`)).status).toBe(400);
    expect((await fetch(`${sim.endpoint}/fire/api/other`)).status).toBe(404);
  });

  test('a full read moves every record, in pages, and every record maps', async () => {
    for (const [stream, file] of [['inspections', inspections], ['hazards', hazards]] as const) {
      const { records, pages, cursor } = await readAll(fire, config, stream);
      expect(records).toHaveLength(file.length);
      expect(pages).toHaveLength(Math.ceil(file.length / 10));
      expect(new Set(idsOf(stream, records))).toEqual(new Set(file.map((r) => (r as unknown as Record<string, string>)[ID[stream]!])));
      for (const d of data(records)) expect(() => fire.map(stream, d)).not.toThrow();
      expect(cursor).toEqual({ after: expect.stringMatching(/^\d+~XFJC/) });
      cursors[stream] = cursor;
    }
  });

  test('inspections are about the enterprise (with or without a credit code) in its building, or the building; hazards about their inspection', async () => {
    const all = data((await readAll(fire, config, 'inspections')).records);
    const byId = new Map(all.map((d) => [d.inspection_no!, d]));
    const unit = inspections.find((i) => i.target_type === '单位' && i.credit_code !== null)!;
    const building = inspections.find((i) => i.target_type === '建筑')!;
    expect(fire.map('inspections', byId.get(unit.inspection_no))).toEqual({
      sourceId: unit.inspection_no,
      updatedAt: unit.updated_at,
      subject: { kind: 'enterprise', authority: 'reference', creditCode: unit.credit_code, facts: { name: unit.target_name, address: unit.address } },
      mentions: [{ role: 'location', ref: { kind: 'building', authority: 'reference', address: unit.address, facts: {} } }],
    });
    // A company the brigade holds no credit code for is still a company, found by its name and address.
    expect(fire.map('inspections', { ...byId.get(unit.inspection_no), credit_code: null })).toMatchObject({
      subject: { kind: 'enterprise', creditCode: null, facts: { name: unit.target_name } },
    });
    expect(fire.map('inspections', byId.get(building.inspection_no))).toEqual({
      sourceId: building.inspection_no,
      updatedAt: building.updated_at,
      subject: { kind: 'building', authority: 'reference', address: building.address, facts: { name: building.target_name } },
      mentions: [],
    });
    expect(byId.get(building.inspection_no)!.credit_code).toBeNull();
    expect(byId.get(unit.inspection_no)!.hazard_count).toBe(String(unit.hazard_count));

    const hz = data((await readAll(fire, config, 'hazards')).records);
    const open = hazards.find((h) => h.status !== '已整改') ?? hazards[0]!;
    const raw = hz.find((d) => d.hazard_no === open.hazard_no)!;
    expect(fire.map('hazards', raw)).toEqual({
      sourceId: open.hazard_no,
      updatedAt: open.updated_at,
      subject: { kind: 'record', stream: 'inspections', sourceId: open.inspection_no },
      mentions: open.target_type === '单位' ? [{ role: 'location', ref: { kind: 'building', authority: 'reference', address: raw.address, facts: {} } }] : [],
    });
    // The deadline and status stay in the payload for the overdue-hazard rule.
    expect(raw).toMatchObject({ rectification_deadline: open.rectification_deadline, status: open.status, rectified_on: open.rectified_on });
  });

  test('after change(5) an incremental read returns exactly those 5 records; then nothing', async () => {
    expect(await sim.change(5)).toBe(5);
    const changed: string[] = [];
    for (const stream of ['inspections', 'hazards']) {
      const { records, cursor } = await readAll(fire, config, stream, cursors[stream]);
      for (const d of data(records)) {
        expect(Date.parse(d.updated_at!)).toBeGreaterThan(NOW_MS - 1000);
        expect(() => fire.map(stream, d)).not.toThrow();
        changed.push(d[ID[stream]!]!);
      }
      if (records.length > 0) cursors[stream] = cursor;
    }
    expect(changed).toHaveLength(5);
    expect(new Set(changed).size).toBe(5);
    for (const stream of ['inspections', 'hazards']) expect((await readAll(fire, config, stream, cursors[stream])).records).toHaveLength(0);
  });

  test('records changing between pages are neither skipped nor lost (keyset paging)', async () => {
    const seen = new Map<string, string>();
    const iterator = fire.read(config, 'hazards', null, testContext())[Symbol.asyncIterator]();
    let page = 0;
    let last: Cursor | null = null;
    for (;;) {
      const r: IteratorResult<Page> = await iterator.next();
      if (r.done) break;
      for (const d of data(r.value.records)) seen.set(d.hazard_no!, d.updated_at!);
      last = r.value.cursor;
      if (++page === 1) await sim.change(6); // some of what was already read, and some not yet, change now
    }
    expect(new Set(seen.keys())).toEqual(new Set(hazards.map((h) => h.hazard_no)));
    // Whatever changed during the sweep was served in its new version by the end of it, or comes next.
    const after = await readAll(fire, config, 'hazards', last);
    for (const d of data(after.records)) seen.set(d.hazard_no!, d.updated_at!);
    const res = await fetch(`${sim.endpoint}/fire/api/hazards?size=5000`);
    const current = data(parsePage(await res.text(), 'hazards').records);
    for (const d of current) expect(seen.get(d.hazard_no!)).toBe(d.updated_at);
  });

  test('malformed elements come out unparsable or as MappingErrors with reasons, never a thrown read', async () => {
    sim.faults.set({ malformedRate: 0.3 });
    try {
      for (const [stream, file] of [['inspections', inspections], ['hazards', hazards]] as const) {
        const { records } = await readAll(fire, config, stream);
        expect(records).toHaveLength(file.length);
        let broken = 0;
        let mapErrors = 0;
        for (const r of records) {
          if ('unparsable' in r) {
            broken++;
            expect(r.reason).toMatch(/^broken XML in <(inspection|hazard)>: (Expected closing tag|char '&' is not expected)/);
            expect(r.sourceId).toMatch(/^XFJC\d+/);
            expect(r.unparsable).toContain(`<${ID[stream]}>${r.sourceId}</`);
            continue;
          }
          try {
            fire.map(stream, r.data);
          } catch (error) {
            mapErrors++;
            expect(error).toBeInstanceOf(MappingError);
            expect((error as Error).message).toMatch(/^(inspected_on|found_on) is not a date \(YYYY-MM-DD\): "待补录"$/);
          }
        }
        expect(broken).toBeGreaterThan(0);
        expect(broken + mapErrors).toBeLessThan(records.length);
      }
    } finally {
      sim.faults.set({ malformedRate: 0 });
    }
  });

  test('a page is split into elements; a broken element stays alone, a cut-off page is retried', () => {
    const doc = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<hazards size="3" count="3" total="3" more="false" highWater="2026-11-25T10:00:00+08:00" next="1~XFJC3-1">',
      '<hazard><hazard_no>XFJC1-1</hazard_no><target_name>A&amp;B</target_name><rectified_on/></hazard>',
      '<hazard><hazard_no>XFJC2-1</hazard_no><target_name>A & B</target_name></hazard>',
      '<hazard><hazard_no>XFJC3-1</hazard_no><target_name>C</target_name>',
      '</hazards>',
    ].join('\n');
    const page = parsePage(doc, 'hazards');
    expect(page).toMatchObject({ count: 3, declared: 3, more: false, next: '1~XFJC3-1' });
    expect(page.records[0]).toEqual({ data: { hazard_no: 'XFJC1-1', target_name: 'A&B', rectified_on: null } });
    expect(page.records[1]).toMatchObject({ sourceId: 'XFJC2-1', reason: expect.stringContaining("char '&' is not expected") });
    expect(page.records[2]).toMatchObject({ sourceId: 'XFJC3-1', reason: 'broken XML: <hazard> is not closed' });
    expect(() => parsePage(doc.slice(0, -12), 'hazards')).toThrow(SourceUnavailable);
    expect(() => parsePage('<error status="500">boom</error>', 'hazards')).toThrow(/where a <hazards> document was expected/);
  });

  test('records that make no sense are MappingErrors with the reason', () => {
    const base = {
      hazard_no: 'XFJC20260000001-1', inspection_no: 'XFJC20260000001', target_type: '建筑', target_name: '北苑3幢', address: '良渚金家渡北苑3', hazard_type: '灭火器过期',
      description: '…', found_on: '2026-02-01', rectification_deadline: '2026-02-20', status: '整改中', rectified_on: null, updated_at: '2026-02-01T10:00:00+08:00',
    };
    expect(() => fire.map('hazards', base)).not.toThrow();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...base, hazard_no: null }, /hazard_no is missing/],
      [{ ...base, rectification_deadline: '2026-02-30' }, /rectification_deadline is not a date/],
      [{ ...base, status: '已整改' }, /rectified_on is missing/],
      [{ ...base, status: '处理中' }, /status "处理中" is not one of/],
      [{ ...base, target_type: 12 }, /target_type must be text/],
      [{ ...base, updated_at: '2026-02-01 10:00:00' }, /updated_at is not an ISO 8601/],
    ];
    for (const [record, reason] of cases) expect(() => fire.map('hazards', record)).toThrow(reason);
  });

  test('down: 503 surfaces as SourceUnavailable, and check says where', async () => {
    sim.faults.set({ down: true });
    try {
      await expect(readAll(fire, config, 'inspections')).rejects.toThrow(SourceUnavailable);
      const check = await fire.check(config, testContext());
      expect(check.ok).toBe(false);
      expect(check.message).toContain(`${sim.endpoint}/fire/api/inspections`);
      expect(check.message).toContain('503');
    } finally {
      sim.faults.set({ down: false });
    }
  });

  test('slow: past the timeout is SourceUnavailable', async () => {
    sim.faults.set({ latencyMs: 400 });
    try {
      const error = await readAll(fire, config, 'inspections', null, testContext(new AbortController().signal, 100)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SourceUnavailable);
      expect((error as Error).message).toMatch(/within 100 ms|timeout/i);
    } finally {
      sim.faults.set({ latencyMs: 0 });
    }
  });

  test('rate limited: 429 surfaces as RateLimited with retryAfterMs', async () => {
    sim.faults.set({ rateLimitPerSecond: 1 });
    try {
      const error = await readAll(fire, { ...config, pageSize: 5 }, 'inspections').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimited);
      expect((error as RateLimited).retryAfterMs).toBeGreaterThan(0);
    } finally {
      sim.faults.set({ rateLimitPerSecond: null });
    }
  });

  test('stopped: check fails naming the URL', async () => {
    await sim.stop();
    const check = await fire.check(config, testContext());
    expect(check.ok).toBe(false);
    expect(check.message).toContain(sim.endpoint);
    await expect(readAll(fire, config, 'inspections')).rejects.toThrow(SourceUnavailable);
  });
});

connectorConformance({
  connector: fire,
  start: (dataDir) => startFireSimulator({ dataDir, seed: 17 }),
  badDate: (_stream, r) => ({ ...r, updated_at: '2026-13-45T25:61:00+08:00' }),
});
