/**
 * The population connector against the population register simulator on a tiny world: cursor-paged
 * REST/JSON, a full export followed by keyset-paged changes, resumable from any page's cursor.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import population, { type PopulationConfig } from '../../src/connectors/population/index.js';
import { MappingError, RateLimited, SourceUnavailable, type Cursor, type MappedRecord, type RawRecord } from '../../src/connectors/sdk/index.js';
import { startPopulationSimulator, type PopulationSimulator } from '../../src/simulators/population/index.js';
import { readNdjson, worldFile } from '../../src/world/read.js';
import { NOW_MS } from '../../src/world/time.js';
import type { PopulationResident } from '../../src/world/types.js';
import { readAll, testContext } from '../support/connectors.js';
import { connectorConformance } from './conformance.js';
import { removeTestWorlds, testWorld } from '../support/world.js';

let dir: string;
let sim: PopulationSimulator;
let config: PopulationConfig;
let rows: PopulationResident[];
/** The cursor after the last complete read. */
let cursor: Cursor | null = null;

function data(records: RawRecord[]): PopulationResident[] {
  return records.map((r) => {
    if (!('data' in r)) throw new Error(`unexpected unparsable record: ${r.reason}`);
    return r.data as PopulationResident;
  });
}

function ids(records: RawRecord[]): string[] {
  return data(records).map((r) => r.RYBH);
}

beforeAll(async () => {
  dir = await testWorld('tiny');
  rows = [];
  for await (const r of readNdjson<PopulationResident>(worldFile(dir, 'departments/population/residents'))) rows.push(r);
  sim = await startPopulationSimulator({ dataDir: dir, seed: 3 });
  config = population.spec.config.parse(sim.connectorConfig);
});

afterAll(async () => {
  await sim?.stop().catch(() => undefined);
  removeTestWorlds();
});

describe('population connector', () => {
  test('config defaults, check and discover', async () => {
    expect(config).toEqual({ baseUrl: sim.endpoint, pageSize: 1000, timeoutMs: 30_000 });
    const bad = population.spec.config.safeParse({ baseUrl: 'not a url' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toContain('baseUrl');
    const check = await population.check(config, testContext());
    expect(check).toEqual({ ok: true, message: expect.stringContaining(sim.endpoint) });
    const streams = await population.discover(config, testContext());
    expect(streams.map((s) => [s.name, s.syncMode])).toEqual([['residents', 'incremental']]);
  });

  test('a full read moves every resident once, and every one maps', async () => {
    const result = await readAll(population, config, 'residents', null);
    expect(result.records).toHaveLength(rows.length);
    expect(new Set(ids(result.records)).size).toBe(rows.length);
    expect(ids(result.records)).toEqual(rows.map((r) => r.RYBH));
    const mapped = data(result.records).map((r) => population.map('residents', r));
    expect(mapped.every((m) => m.subject?.kind === 'person' && m.subject.authority === 'master')).toBe(true);
    expect(result.cursor).toEqual({ phase: 'incremental', since: expect.any(String), after: null });
    expect(Date.parse(String(result.cursor?.since))).toBeGreaterThanOrEqual(NOW_MS);
    cursor = result.cursor;
  });

  test('known residents map to the person they describe', () => {
    const first = rows[0]!;
    const m = population.map('residents', first);
    expect(m).toEqual({
      sourceId: first.RYBH,
      updatedAt: `${first.GXSJ.replace(' ', 'T')}+08:00`,
      subject: {
        kind: 'person', authority: 'master', idNumber: first.GMSFHM,
        facts: {
          name: first.XM, sex: first.XB === '1' ? 'male' : 'female', birthDate: `${first.CSRQ.slice(0, 4)}-${first.CSRQ.slice(4, 6)}-${first.CSRQ.slice(6)}`,
          phone: first.LXDH, residenceType: first.RYLB === '户籍人口' ? 'hukou' : 'floating', address: first.XZZ, householdNumber: first.HH, relationToHead: 'head',
        },
      },
    } satisfies MappedRecord);
    expect(first.YHZGX).toBe('户主');

    const floating = rows.find((r) => r.RYLB === '流动人口')!;
    expect(population.map('residents', floating).subject).toMatchObject({ facts: { residenceType: 'floating', address: floating.XZZ } });
    const relations: Record<string, string> = { 户主: 'head', 妻: 'spouse', 夫: 'spouse', 子: 'child', 女: 'child', 父亲: 'parent', 母亲: 'parent', 孙子: 'grandchild', 孙女: 'grandchild' };
    for (const [text, relation] of Object.entries(relations)) {
      const row = rows.find((r) => r.YHZGX === text);
      if (row) expect(population.map('residents', row).subject).toMatchObject({ facts: { relationToHead: relation } });
    }
    const noId = rows.find((r) => r.GMSFHM === null);
    if (noId) expect(population.map('residents', noId).subject).toMatchObject({ idNumber: null });
    const noPhone = rows.find((r) => r.LXDH === null)!;
    expect(population.map('residents', noPhone).subject).toMatchObject({ facts: { phone: null } });
  });

  test('records that make no sense are MappingErrors that say why', () => {
    const row = rows[1]!;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...row, RYBH: undefined }, /RYBH is missing/],
      [{ ...row, RYBH: 12345 }, /RYBH must be text, got number/],
      [{ ...row, CSRQ: '1990-13-45' }, /CSRQ: not a calendar date/],
      [{ ...row, CSRQ: 'yesterday' }, /CSRQ: not a date/],
      [{ ...row, GXSJ: 'soon' }, /GXSJ: not a Beijing date-time/],
      [{ ...row, XB: '9' }, /XB must be '1' \(male\) or '2' \(female\)/],
      [{ ...row, RYLB: '暂住人口' }, /RYLB must be 户籍人口 or 流动人口/],
    ];
    for (const [record, reason] of cases) {
      expect(() => population.map('residents', record)).toThrow(MappingError);
      expect(() => population.map('residents', record)).toThrow(reason);
    }
    expect(() => population.map('residents', 'text')).toThrow('record is not an object');
  });

  test('after change(5) an incremental read moves exactly those 5, and the next read none', async () => {
    const before = sim.changedKeys.length;
    expect(await sim.change(5)).toBe(5);
    const changed = sim.changedKeys.slice(before);
    const first = await readAll(population, config, 'residents', cursor);
    expect(ids(first.records).sort()).toEqual([...changed].sort());
    for (const r of data(first.records)) {
      const original = rows.find((o) => o.RYBH === r.RYBH)!;
      expect(r.GXSJ > original.GXSJ).toBe(true);
      const m = population.map('residents', r);
      expect(Date.parse(String(m.updatedAt))).toBeGreaterThan(NOW_MS);
      // a realistic edit: a new phone, a move within the building or settling hukou
      expect(r.LXDH !== original.LXDH || r.XZZ !== original.XZZ || r.RYLB !== original.RYLB).toBe(true);
    }
    const second = await readAll(population, config, 'residents', first.cursor);
    expect(second.records).toEqual([]);
    expect(second.cursor).toMatchObject({ phase: 'incremental', after: null });
    cursor = second.cursor;
  });

  test('POST /_control {change} changes records too', async () => {
    const before = sim.changedKeys.length;
    const res = await fetch(`${sim.endpoint}/_control`, { method: 'POST', body: JSON.stringify({ change: 2 }) });
    expect(((await res.json()) as { changed: number }).changed).toBe(2);
    const read = await readAll(population, config, 'residents', cursor);
    expect(ids(read.records).sort()).toEqual(sim.changedKeys.slice(before).sort());
    cursor = read.cursor;
  });

  test('resuming a changes read from a mid-stream page cursor gives the rest exactly once', async () => {
    const before = sim.changedKeys.length;
    await sim.change(25);
    const changed = sim.changedKeys.slice(before);
    const small = { ...config, pageSize: 10 };
    const pages: Array<{ records: RawRecord[]; cursor: Cursor }> = [];
    for await (const page of population.read(small, 'residents', cursor, testContext())) {
      pages.push(page);
      break;
    }
    expect(pages[0]!.cursor).toMatchObject({ phase: 'incremental', after: expect.any(String) });
    const rest = await readAll(population, small, 'residents', pages[0]!.cursor);
    const all = [...ids(pages[0]!.records), ...ids(rest.records)];
    expect(all).toHaveLength(25);
    expect([...all].sort()).toEqual([...changed].sort());
    cursor = rest.cursor;
  });

  test('records changed while the full export runs are read again after it', async () => {
    const small = { ...config, pageSize: 200 };
    const pages: Array<{ records: RawRecord[]; cursor: Cursor }> = [];
    let changed: string[] = [];
    for await (const page of population.read(small, 'residents', null, testContext())) {
      pages.push(page);
      if (pages.length === 1) {
        const before = sim.changedKeys.length;
        await sim.change(3);
        changed = sim.changedKeys.slice(before);
      }
    }
    const all = pages.flatMap((p) => ids(p.records));
    const tail = all.slice(rows.length);
    // Everything changed before the export began is in the export; what changed during it comes after.
    expect(all.slice(0, rows.length).sort()).toEqual(rows.map((r) => r.RYBH).sort());
    for (const key of changed) expect(tail).toContain(key);
  });

  test('an outage is SourceUnavailable, a slow answer a timeout, a rate limit RateLimited with retryAfterMs', async () => {
    try {
      sim.faults.set({ down: true });
      await expect(readAll(population, config, 'residents', null)).rejects.toThrow(SourceUnavailable);
      await expect(readAll(population, config, 'residents', null)).rejects.toThrow(/503/);
      const check = await population.check(config, testContext());
      expect(check.ok).toBe(false);
      expect(check.message).toContain(sim.endpoint);
      expect(check.message).toContain('503');

      sim.faults.set({ down: false, latencyMs: 400 });
      const slow = readAll(population, config, 'residents', null, testContext(undefined, 100));
      await expect(slow).rejects.toThrow(SourceUnavailable);
      await expect(readAll(population, config, 'residents', null, testContext(undefined, 100))).rejects.toThrow(
        // Under Jest's VM modules the SDK sees fetch's TimeoutError from another realm and names it as such.
        /no answer within 100 ms|TimeoutError/,
      );

      sim.faults.set({ latencyMs: 0, rateLimitPerSecond: 1 });
      const small = { ...config, pageSize: 50 };
      const error = await readAll(population, small, 'residents', null).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimited);
      expect((error as RateLimited).retryAfterMs).toBeGreaterThan(0);
    } finally {
      sim.faults.set({ down: false, latencyMs: 0, rateLimitPerSecond: null });
    }
    await new Promise((resolve) => setTimeout(resolve, 400)); // let the slow answers drain
  });

  test('malformed records come out as unparsable records or MappingErrors, never a failed read', async () => {
    sim.faults.set({ malformedRate: 0.2 });
    try {
      const result = await readAll(population, { ...config, pageSize: 300 }, 'residents', null);
      const full = result.records.slice(0, rows.length);
      expect(full).toHaveLength(rows.length);
      const unparsable = full.filter((r) => 'unparsable' in r);
      expect(unparsable.length).toBeGreaterThan(10);
      for (const u of unparsable) if ('unparsable' in u) expect(u.reason).toMatch(/^not valid JSON: /);
      expect(unparsable.some((u) => 'sourceId' in u && typeof u.sourceId === 'string' && u.sourceId.startsWith('RY'))).toBe(true);
      let failed = 0;
      let ok = 0;
      for (const r of full) {
        if (!('data' in r)) continue;
        try {
          population.map('residents', r.data);
          ok++;
        } catch (error) {
          expect(error).toBeInstanceOf(MappingError);
          expect((error as Error).message).toMatch(/must be text|is missing/);
          failed++;
        }
      }
      expect(failed).toBeGreaterThan(5);
      expect(ok + failed + unparsable.length).toBe(rows.length);
    } finally {
      sim.faults.set({ malformedRate: 0 });
    }
  });

  test('check on a stopped register fails with a message naming it', async () => {
    const other = await startPopulationSimulator({ dataDir: dir });
    const cfg = population.spec.config.parse(other.connectorConfig);
    await other.stop();
    const check = await population.check(cfg, testContext());
    expect(check.ok).toBe(false);
    expect(check.message).toContain(other.endpoint);
    // (Under Jest's VM modules the SDK cannot tell fetch's cross-realm error apart: "fetch failed".)
    expect(check.message).toMatch(/connection refused|fetch failed/);
    expect(check.message).toContain('Check that the service is running');
    await expect(readAll(population, cfg, 'residents', null)).rejects.toThrow(SourceUnavailable);
  });
});

connectorConformance({
  connector: population,
  start: (dataDir) => startPopulationSimulator({ dataDir, seed: 11 }),
  badDate: (_stream, r) => ({ ...r, CSRQ: '1990-13-45' }),
});
