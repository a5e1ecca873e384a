/**
 * The housing connector against the housing simulator on a tiny world: nightly GBK CSV dumps in
 * a folder, read whole (full refresh), newest complete dump only, resumable mid-dump.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import housing, { parseRows, type HousingConfig } from '../../src/connectors/housing/index.js';
import { MappingError, SourceUnavailable, type Cursor, type MappedRecord, type RawRecord } from '../../src/connectors/sdk/index.js';
import type { RunningSimulator } from '../../src/simulators/common/simulator.js';
import { startHousingSimulator } from '../../src/simulators/housing/index.js';
import { readNdjson, worldFile } from '../../src/world/read.js';
import { NOW_MS } from '../../src/world/time.js';
import type { HousingBuilding, HousingDwelling } from '../../src/world/types.js';
import { readAll, testContext } from '../support/connectors.js';
import { connectorConformance } from './conformance.js';
import { removeTestWorlds, testWorld } from '../support/world.js';

let sim: RunningSimulator & { controlUrl?: string };
let config: HousingConfig;
let defaults: HousingConfig;
let buildings: HousingBuilding[];
let dwellings: HousingDwelling[];
/** Cursors after the last complete read, per stream. */
const cursors: Record<string, Cursor | null> = { buildings: null, dwellings: null };
/** Payloads of the last complete read, per stream, by sourceId. */
const payloads: Record<string, Map<string, string>> = { buildings: new Map(), dwellings: new Map() };

async function rows<T>(dir: string, name: string): Promise<T[]> {
  const out: T[] = [];
  for await (const r of readNdjson<T>(worldFile(dir, name))) out.push(r);
  return out;
}

function data(records: RawRecord[]): Array<Record<string, string>> {
  return records.map((r) => {
    if (!('data' in r)) throw new Error(`unexpected unparsable record: ${r.reason}`);
    return r.data as Record<string, string>;
  });
}

function idOf(stream: string, d: Record<string, string>): string {
  return stream === 'buildings' ? (d.building_code as string) : (d.house_code as string);
}

function dumps(): string[] {
  return readdirSync(sim.endpoint).sort();
}

beforeAll(async () => {
  const dir = await testWorld('tiny');
  buildings = await rows<HousingBuilding>(dir, 'departments/housing/buildings');
  dwellings = await rows<HousingDwelling>(dir, 'departments/housing/dwellings');
  sim = await startHousingSimulator({ dataDir: dir, seed: 5 });
  defaults = housing.spec.config.parse(sim.connectorConfig);
  // One page per file, so that each read's cursor is the dump's end (the small-page reads are below).
  config = { ...defaults, pageSize: 1000 };
});

afterAll(async () => {
  await sim?.stop().catch(() => undefined);
  removeTestWorlds();
});

describe('housing connector', () => {
  test('config defaults, check and discover', async () => {
    expect(defaults.pageSize).toBe(250);
    expect(housing.spec.config.safeParse({}).success).toBe(false);
    const check = await housing.check(config, testContext());
    expect(check.ok).toBe(true);
    expect(check.message).toContain(sim.endpoint);
    expect(check.message).toContain('1 complete dump');
    const streams = await housing.discover(config, testContext());
    expect(streams.map((s) => [s.name, s.syncMode])).toEqual([['buildings', 'full_refresh'], ['dwellings', 'full_refresh']]);
  });

  test('the dump is GBK CSV in a time-named folder with a _READY marker written last', () => {
    const [dump] = dumps();
    expect(dump).toMatch(/^\d{8}T\d{6}-\d{4}$/);
    expect(readdirSync(join(sim.endpoint, dump!)).sort()).toEqual(['_READY', 'buildings.csv', 'dwellings.csv']);
    const bytes = readFileSync(join(sim.endpoint, dump!, 'dwellings.csv'));
    const text = iconv.decode(bytes, 'gbk');
    expect(text.split('\r\n')[0]).toBe('house_code,building_code,address,unit,floor,room,area_m2,usage,owner_name,owner_id_number,owner_phone,tenants,updated_at');
    expect(text).toContain(dwellings[0]!.address);
    expect(bytes.toString('utf8')).not.toContain(dwellings[0]!.address); // not UTF-8
    expect(JSON.parse(readFileSync(join(sim.endpoint, dump!, '_READY'), 'utf8'))).toMatchObject({ dump, rows: { buildings: buildings.length, dwellings: dwellings.length } });
  });

  test('a full read moves every row of both files, and every record maps', async () => {
    for (const [stream, file] of [['buildings', buildings], ['dwellings', dwellings]] as const) {
      const { records, cursor, pages } = await readAll(housing, config, stream);
      expect(records).toHaveLength(file.length);
      expect(pages).toHaveLength(1);
      expect(cursor).toEqual({ dump: dumps()[0], done: true });
      const rows = data(records);
      const ids = file.map((r) => ('house_code' in r ? r.house_code : r.building_code));
      expect(rows.map((d) => idOf(stream, d))).toEqual(ids);
      for (const d of rows) expect(() => housing.map(stream, d)).not.toThrow();
      cursors[stream] = cursor;
      payloads[stream] = new Map(rows.map((d) => [idOf(stream, d), JSON.stringify(d)]));
    }
  });

  test('buildings map to building masters with facts from the register', async () => {
    const { records } = await readAll(housing, config, 'buildings');
    const byId = new Map(data(records).map((d) => [d.building_code!, d]));
    for (const raw of [buildings[0]!, buildings[1]!, buildings.find((b) => b.use === '住宅')!]) {
      const m = housing.map('buildings', byId.get(raw.building_code));
      expect(m).toEqual({
        sourceId: raw.building_code,
        updatedAt: raw.updated_at,
        subject: {
          kind: 'building', authority: 'master', address: raw.address,
          facts: {
            name: raw.building_name, use: ({ 住宅: 'residential', 商住: 'mixed', 商业: 'commercial' } as const)[raw.use], floors: raw.floors_above,
            builtYear: raw.built_year, lat: raw.latitude, lng: raw.longitude, roadAddress: raw.road_address, community: raw.community,
          },
        },
      } satisfies MappedRecord);
    }
  });

  test('dwellings map to dwelling masters in their building, naming owner and tenants', async () => {
    const { records } = await readAll(housing, config, 'dwellings');
    const byId = new Map(data(records).map((d) => [d.house_code!, d]));
    const owned = dwellings.find((d) => d.owner !== null && d.owner.id_number !== null && d.owner.phone !== null && d.tenants.length === 0)!;
    const rented = dwellings.find((d) => d.usage === '出租' && d.tenants.length > 0 && d.owner !== null)!;
    const vacant = dwellings.find((d) => d.usage === '空置' && d.owner === null)!;
    const village = dwellings.find((d) => d.unit === null);
    for (const raw of [owned, rented, vacant, ...(village ? [village] : [])]) {
      const m = housing.map('dwellings', byId.get(raw.house_code));
      const person = (p: { name: string; id_number: string | null; phone: string | null }) => ({
        kind: 'person', authority: 'reference', idNumber: p.id_number, facts: { name: p.name, ...(p.phone !== null ? { phone: p.phone } : {}) },
      });
      expect(m).toEqual({
        sourceId: raw.house_code,
        updatedAt: raw.updated_at,
        subject: {
          kind: 'dwelling', authority: 'master', address: raw.address, building: { stream: 'buildings', sourceId: raw.building_code },
          facts: { unit: raw.unit, room: raw.room, floorArea: raw.area_m2, occupancy: { 自住: 'owner_occupied', 出租: 'rented', 空置: 'vacant' }[raw.usage] },
        },
        mentions: [
          ...(raw.owner ? [{ role: 'owner', ref: person(raw.owner) }] : []),
          ...raw.tenants.map((t) => ({ role: 'tenant', ref: person(t) })),
        ],
      });
    }
  });

  test('a second read with no new dump moves nothing', async () => {
    for (const stream of ['buildings', 'dwellings']) {
      const again = await readAll(housing, config, stream, cursors[stream]);
      expect(again.pages).toHaveLength(0);
      expect(again.cursor).toEqual(cursors[stream]);
    }
  });

  test('after change(5) the new dump is read whole and exactly 5 records differ; then nothing', async () => {
    const before = dumps();
    expect(await sim.change(5)).toBe(5);
    const newest = dumps().at(-1)!;
    expect(newest > before.at(-1)!).toBe(true);
    const changed: string[] = [];
    for (const [stream, file] of [['buildings', buildings], ['dwellings', dwellings]] as const) {
      const { records, cursor } = await readAll(housing, config, stream, cursors[stream]);
      expect(records).toHaveLength(file.length);
      expect(cursor).toEqual({ dump: newest, done: true });
      const rows = data(records);
      for (const d of rows) {
        const id = idOf(stream, d);
        if (payloads[stream]!.get(id) !== JSON.stringify(d)) {
          changed.push(id);
          expect(Date.parse(d.updated_at!)).toBeGreaterThan(NOW_MS);
          expect(() => housing.map(stream, d)).not.toThrow();
        }
      }
      cursors[stream] = cursor;
      payloads[stream] = new Map(rows.map((d) => [idOf(stream, d), JSON.stringify(d)]));
    }
    expect(new Set(changed).size).toBe(5);
    for (const stream of ['buildings', 'dwellings']) expect((await readAll(housing, config, stream, cursors[stream])).records).toHaveLength(0);
  });

  test('resuming from a mid-dump cursor reads the rest exactly once', async () => {
    const small = { ...config, pageSize: 50 };
    const { pages } = await readAll(housing, small, 'dwellings');
    expect(pages.length).toBe(Math.ceil(dwellings.length / 50));
    const mid = pages[2]!.cursor;
    expect(mid).toMatchObject({ dump: dumps().at(-1), row: 150 });
    expect(typeof mid.offset).toBe('number');
    const head = pages.slice(0, 3).flatMap((p) => data(p.records));
    const rest = await readAll(housing, small, 'dwellings', mid);
    const ids = [...head, ...data(rest.records)].map((d) => d.house_code);
    expect(ids).toEqual(dwellings.map((d) => d.house_code));
    expect(rest.cursor).toMatchObject({ done: true });
    // A cursor that kept only the row count resumes at the same place.
    const byRow = await readAll(housing, small, 'dwellings', { dump: mid.dump, row: 150 });
    expect(data(byRow.records).map((d) => d.house_code)).toEqual(data(rest.records).map((d) => d.house_code));
  });

  test('a dump still being written (no _READY) is skipped; of several new dumps only the newest is read', async () => {
    const from = cursors.dwellings!;
    sim.faults.set({ latencyMs: 600 });
    const slow = sim.change(2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const writing = dumps().at(-1)!;
    expect(existsSync(join(sim.endpoint, writing, '_READY'))).toBe(false);
    expect((await housing.check(config, testContext())).message).toContain(String(from.dump));
    expect((await readAll(housing, config, 'dwellings', from)).records).toHaveLength(0);
    expect(await slow).toBe(2);
    sim.faults.set({ latencyMs: 0 });
    await sim.change(1);
    const newest = dumps().at(-1)!;
    expect(newest > writing).toBe(true);
    const { records, cursor, pages } = await readAll(housing, config, 'dwellings', from);
    expect(records).toHaveLength(dwellings.length); // one dump, not two
    expect(pages.every((p) => p.cursor.dump === newest)).toBe(true);
    expect(cursor).toEqual({ dump: newest, done: true });
    cursors.dwellings = cursor;
    // A cursor in the middle of an older dump moves on to the newest rather than finishing the superseded one.
    const stale = await readAll(housing, config, 'dwellings', { dump: writing, row: 10, offset: 999 });
    expect(stale.records).toHaveLength(dwellings.length);
    expect(stale.cursor).toEqual({ dump: newest, done: true });
    // The bureau keeps the last three complete dumps.
    expect(dumps().length).toBe(3);
  });

  test('malformed rows (wrong field count, UTF-8 instead of GBK) come out unparsable with reasons, never a thrown read', async () => {
    sim.faults.set({ malformedRate: 0.25 });
    await sim.change(0);
    sim.faults.set({ malformedRate: 0 });
    const reasons: string[] = [];
    for (const [stream, file] of [['buildings', buildings], ['dwellings', dwellings]] as const) {
      const { records } = await readAll(housing, config, stream);
      expect(records).toHaveLength(file.length);
      const ids = new Set(file.map((r) => ('house_code' in r ? r.house_code : r.building_code)));
      for (const r of records) {
        if ('unparsable' in r) {
          reasons.push(r.reason);
          expect(r.reason).toMatch(/not valid GBK|expected \d+ fields as in the header, got \d+/);
          expect(ids.has(r.sourceId!)).toBe(true);
          expect(r.unparsable).toContain(r.sourceId);
        } else {
          expect(() => housing.map(stream, r.data)).not.toThrow();
        }
      }
    }
    expect(reasons.some((r) => r.startsWith('not valid GBK') && r.includes('UTF-8'))).toBe(true);
    expect(reasons.some((r) => r.includes('got 14'))).toBe(true); // an unquoted comma in a dwelling's address
    expect(reasons.some((r) => r.includes('got 11'))).toBe(true); // a line cut short
    await sim.change(0); // a clean dump again
  });

  test('bytes that are not GBK at all are caught before decoding', () => {
    const columns = ['house_code', 'address'];
    const good = iconv.encode('FW1,余杭区良渚街道华云花园1幢', 'gbk');
    const bad = Buffer.concat([Buffer.from('FW2,'), Buffer.from([0xff, 0xfe, 0x81, 0x20])]);
    const utf8 = Buffer.from('FW3,余杭区良渚街道华云花园1幢', 'utf8');
    const records = parseRows([good, bad, utf8, iconv.encode('FW4,"a ""quoted"", field"', 'gbk')], columns, 'x.csv');
    expect(records[0]).toEqual({ data: { house_code: 'FW1', address: '余杭区良渚街道华云花园1幢' } });
    expect(records[1]).toMatchObject({ sourceId: 'FW2', reason: expect.stringContaining('not valid GBK') });
    expect(records[2]).toMatchObject({ sourceId: 'FW3', unparsable: 'FW3,余杭区良渚街道华云花园1幢', reason: expect.stringContaining('UTF-8') });
    expect(records[3]).toEqual({ data: { house_code: 'FW4', address: 'a "quoted", field' } });
  });

  test('records that make no sense are MappingErrors with the reason', () => {
    const base = { house_code: 'FW1-0001', building_code: 'FW1', address: '余杭区良渚街道华云花园1幢1单元301室', unit: '1', floor: '3', room: '301', area_m2: '90.5', usage: '自住', owner_name: '王伟', owner_id_number: '', owner_phone: '', tenants: '', updated_at: '2026-01-01T10:00:00+08:00' };
    expect(() => housing.map('dwellings', base)).not.toThrow();
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ...base, house_code: '' }, /house_code is missing/],
      [{ ...base, area_m2: '九十' }, /area_m2 must be a number/],
      [{ ...base, usage: '借住' }, /usage "借住" is not one of/],
      [{ ...base, updated_at: '2026-01-01' }, /updated_at is not an ISO 8601/],
      [{ ...base, tenants: '张三|330110199001011234' }, /not name\|id_number\|phone/],
    ];
    for (const [record, reason] of cases) {
      expect(() => housing.map('dwellings', record)).toThrow(MappingError);
      expect(() => housing.map('dwellings', record)).toThrow(reason);
    }
    expect(() => housing.map('buildings', { building_code: 'FW1', address: 'x', floors_above: '6.5', updated_at: base.updated_at })).toThrow(/floors_above must be a whole number/);
    expect(() => housing.map('dwellings', 'not an object')).toThrow(MappingError);
  });

  test('the control port answers /_control; everything else is 404', async () => {
    const before = dumps().at(-1)!;
    const res = await fetch(`${sim.controlUrl}/_control`, { method: 'POST', body: JSON.stringify({ change: 1 }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ changed: 1 });
    expect(dumps().at(-1)! > before).toBe(true);
    const other = await fetch(`${sim.controlUrl}/housing/api/dwellings`);
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: string }).error).toContain(sim.endpoint);
  });

  test('down: the share is gone; check says so and read throws SourceUnavailable', async () => {
    sim.faults.set({ down: true });
    try {
      expect(existsSync(sim.endpoint)).toBe(false);
      const check = await housing.check(config, testContext());
      expect(check.ok).toBe(false);
      expect(check.message).toContain(sim.endpoint);
      expect(check.message).toMatch(/not reachable/);
      await expect(readAll(housing, config, 'dwellings')).rejects.toThrow(SourceUnavailable);
      // The export job keeps running while the share is away; its dump shows up with the share.
      await sim.change(1);
    } finally {
      sim.faults.set({ down: false });
    }
    expect((await housing.check(config, testContext())).ok).toBe(true);
    const { records, cursor } = await readAll(housing, config, 'dwellings', cursors.dwellings);
    expect(records).toHaveLength(dwellings.length);
    expect(cursor).toEqual({ dump: dumps().at(-1), done: true });
  });

  test('stopped: check fails naming the folder', async () => {
    await sim.stop();
    const check = await housing.check(config, testContext());
    expect(check.ok).toBe(false);
    expect(check.message).toContain(sim.endpoint);
    await expect(readAll(housing, config, 'buildings')).rejects.toThrow(/not reachable/);
  });
});

connectorConformance({
  connector: housing,
  start: (dataDir) => startHousingSimulator({ dataDir, seed: 12 }),
  badDate: (_stream, r) => ({ ...r, updated_at: '2026-13-45T25:61:00+08:00' }),
  // Rows are broken (a stray comma, UTF-8 among GBK) as a dump is written.
  malformedOnWrite: true,
});
