/**
 * The enterprise connector against the market regulation simulator on a tiny world: offset-paged
 * REST with a rate limit, a full export in storage order followed by changes read from a
 * high-water mark that survives records moving while the connector pages.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import enterprise, { type EnterpriseConfig } from '../../src/connectors/enterprise/index.js';
import {
  MappingError, RateLimited, SourceUnavailable, createSourceHttp, type ConnectorContext, type Cursor, type RawRecord,
} from '../../src/connectors/sdk/index.js';
import { DEFAULT_RATE_LIMIT, startEnterpriseSimulator, type EnterpriseSimulator } from '../../src/simulators/enterprise/index.js';
import { readNdjson, worldFile } from '../../src/world/read.js';
import { NOW_MS } from '../../src/world/time.js';
import type { MarketEnterprise } from '../../src/world/types.js';
import { readAll, testContext } from '../support/connectors.js';
import { connectorConformance } from './conformance.js';
import { removeTestWorlds, testWorld } from '../support/world.js';

let dir: string;
let sim: EnterpriseSimulator;
let config: EnterpriseConfig;
let rows: MarketEnterprise[];
let cursor: Cursor | null = null;

/** How the runner drives this connector: paced to spec.maxRequestsPerSecond. */
function paced(maxRequestsPerSecond = enterprise.spec.maxRequestsPerSecond, timeoutMs = 5_000): ConnectorContext {
  const signal = new AbortController().signal;
  return { ...testContext(signal, timeoutMs), http: createSourceHttp({ timeoutMs, signal, ...(maxRequestsPerSecond ? { maxRequestsPerSecond } : {}) }) };
}

/** One paced context for the file, as the runner keeps one per sync: the pacing spans every read. */
const shared = paced();

function data(records: RawRecord[]): MarketEnterprise[] {
  return records.map((r) => {
    if (!('data' in r)) throw new Error(`unexpected unparsable record: ${r.reason}`);
    return r.data as MarketEnterprise;
  });
}

function ids(records: RawRecord[]): string[] {
  return data(records).map((r) => r.pripid);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  dir = await testWorld('tiny');
  rows = [];
  for await (const r of readNdjson<MarketEnterprise>(worldFile(dir, 'departments/enterprise/enterprises'))) rows.push(r);
  sim = await startEnterpriseSimulator({ dataDir: dir, seed: 4 });
  config = enterprise.spec.config.parse(sim.connectorConfig);
});

afterAll(async () => {
  await sim?.stop().catch(() => undefined);
  removeTestWorlds();
});

describe('enterprise connector', () => {
  test('config defaults, pacing under the service limit, check and discover', async () => {
    expect(config).toEqual({ baseUrl: sim.endpoint, pageSize: 1000, timeoutMs: 30_000 });
    expect(enterprise.spec.config.safeParse({ baseUrl: sim.endpoint, pageSize: 5000 }).success).toBe(false);
    expect(sim.faults.faults.rateLimitPerSecond).toBe(DEFAULT_RATE_LIMIT);
    expect(enterprise.spec.maxRequestsPerSecond).toBeLessThan(DEFAULT_RATE_LIMIT);
    const check = await enterprise.check(config, shared);
    expect(check).toEqual({ ok: true, message: expect.stringContaining(sim.endpoint) });
    expect(check.message).toContain(`${rows.length} enterprises`);
    const streams = await enterprise.discover(config, shared);
    expect(streams.map((s) => [s.name, s.syncMode])).toEqual([['enterprises', 'incremental']]);
  });

  test('a full read moves every enterprise once, in storage order, and every one maps', async () => {
    const result = await readAll(enterprise, config, 'enterprises', null, shared);
    expect(ids(result.records)).toEqual(rows.map((r) => r.pripid));
    for (const r of data(result.records)) expect(enterprise.map('enterprises', r).subject).toMatchObject({ kind: 'enterprise', authority: 'master' });
    expect(result.cursor).toEqual({ phase: 'incremental', since: expect.any(String), seen: [] });
    expect(Date.parse(String(result.cursor?.since))).toBeGreaterThanOrEqual(NOW_MS);
    cursor = result.cursor;
  });

  test('known enterprises map to their credit code, facts and legal representative', () => {
    const first = rows[0]!;
    expect(enterprise.map('enterprises', first)).toEqual({
      sourceId: first.pripid,
      updatedAt: `${first.updateTime.replace(' ', 'T')}+08:00`,
      subject: {
        kind: 'enterprise', authority: 'master', creditCode: first.uniscid,
        facts: {
          name: first.entName, legalRepresentative: first.leRep, industry: first.industryName, status: 'active',
          registeredOn: first.estDate, address: first.dom, phone: first.tel,
        },
      },
      mentions: [{ role: 'legal_representative', ref: { kind: 'person', authority: 'reference', idNumber: first.leRepCerNo, facts: { name: first.leRep } } }],
    });
    const statuses: Record<string, string> = { '存续（在营、开业、在册）': 'active', '吊销，未注销': 'suspended', 注销: 'deregistered' };
    for (const [text, status] of Object.entries(statuses)) {
      const row = rows.find((r) => r.regState === text) ?? { ...first, regState: text };
      expect(enterprise.map('enterprises', row).subject).toMatchObject({ facts: { status } });
    }
    const noId = rows.find((r) => r.leRepCerNo === null) ?? { ...first, leRepCerNo: null };
    expect(enterprise.map('enterprises', noId).mentions).toEqual([
      { role: 'legal_representative', ref: { kind: 'person', authority: 'reference', idNumber: null, facts: { name: noId.leRep } } },
    ]);
    const passport = { ...first, leRepCerType: '护照', leRepCerNo: 'E12345678' };
    expect(enterprise.map('enterprises', passport).mentions?.[0]?.ref).toMatchObject({ idNumber: null });
  });

  test('records that make no sense are MappingErrors that say why', () => {
    const row = rows[1]!;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...row, pripid: undefined }, /pripid is missing/],
      [{ ...row, pripid: 12345 }, /pripid must be text, got number/],
      [{ ...row, entName: '  ' }, /entName is empty/],
      [{ ...row, estDate: 'soon' }, /estDate: not a date/],
      [{ ...row, estDate: '2018-02-31' }, /estDate: not a calendar date/],
      [{ ...row, estDate: '2018-13-03' }, /estDate: not a calendar date/],
      [{ ...row, updateTime: 'last week' }, /updateTime: not a Beijing date-time/],
      [{ ...row, tel: 571 }, /tel must be text, got number/],
    ];
    for (const [record, reason] of cases) {
      expect(() => enterprise.map('enterprises', record)).toThrow(MappingError);
      expect(() => enterprise.map('enterprises', record)).toThrow(reason);
    }
  });

  test('after change(5) an incremental read moves exactly those 5, and the next read none', async () => {
    const before = sim.changedKeys.length;
    expect(await sim.change(5)).toBe(5);
    const changed = sim.changedKeys.slice(before);
    const first = await readAll(enterprise, config, 'enterprises', cursor, shared);
    expect(ids(first.records).sort()).toEqual([...changed].sort());
    for (const r of data(first.records)) {
      const original = rows.find((o) => o.pripid === r.pripid)!;
      expect(r.updateTime > original.updateTime).toBe(true);
      expect(r.tel !== original.tel || r.dom !== original.dom || r.regState !== original.regState || r.regCap !== original.regCap).toBe(true);
    }
    const last = data(first.records).at(-1)!;
    expect(first.cursor).toEqual({ phase: 'incremental', since: `${last.updateTime.replace(' ', 'T')}+08:00`, seen: [last.pripid] });
    const second = await readAll(enterprise, config, 'enterprises', first.cursor, shared);
    expect(second.records).toEqual([]);
    expect(second.cursor).toEqual(first.cursor);
    cursor = first.cursor;
  });

  test('a record that changes while the connector pages is neither skipped nor lost (offset paging would skip one)', async () => {
    const before = sim.changedKeys.length;
    await sim.change(6);
    const changed = sim.changedKeys.slice(before); // in update-time order
    const small = { ...config, pageSize: 2 };
    const delivered: string[] = [];
    let touched = false;
    for await (const page of enterprise.read(small, 'enterprises', cursor, shared)) {
      delivered.push(...ids(page.records));
      if (!touched) {
        // The first record read changes again: it moves to the end, and every later one moves up.
        await sim.touch([changed[0]!]);
        touched = true;
      }
      cursor = page.cursor;
    }
    expect(delivered).toEqual([...changed, changed[0]]);

    // The same situation paged by offset, as the service invites: one record is skipped.
    const before2 = sim.changedKeys.length;
    await sim.change(6);
    const changed2 = sim.changedKeys.slice(before2);
    const since = encodeURIComponent(String(cursor?.since));
    const page = async (offset: number) => {
      const res = await shared.http.fetch(`${sim.endpoint}/api/enterprises?updatedAfter=${since}&offset=${offset}&limit=2`);
      return ((await res.json()) as { items: MarketEnterprise[] }).items.map((r) => r.pripid);
    };
    const byOffset = [...(await page(0))];
    await sim.touch([changed2[0]!]);
    byOffset.push(...(await page(2)), ...(await page(4)), ...(await page(6)));
    expect(byOffset).not.toContain(changed2[2]);
    // ...and the connector, from the same mark, gets them all.
    const read = await readAll(enterprise, small, 'enterprises', cursor, shared);
    expect(new Set(ids(read.records))).toEqual(new Set(changed2));
    cursor = read.cursor;
  });

  test('an unpaced read of a rate-limited service is RateLimited with retryAfterMs; paced to the limit it completes', async () => {
    sim.faults.set({ rateLimitPerSecond: 5 });
    try {
      await sleep(1000); // a fresh rate window
      const small = { ...config, pageSize: 5 };
      const error = await readAll(enterprise, small, 'enterprises', null, testContext()).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimited);
      expect((error as RateLimited).message).toMatch(/429/);
      expect((error as RateLimited).retryAfterMs).toBeGreaterThanOrEqual(1000);
      await sleep((error as RateLimited).retryAfterMs ?? 1000);
      const started = Date.now();
      const result = await readAll(enterprise, { ...config, pageSize: 10 }, 'enterprises', null, paced(4));
      expect(ids(result.records)).toEqual(rows.map((r) => r.pripid));
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500); // 9 requests at 4 per second
    } finally {
      sim.faults.set({ rateLimitPerSecond: DEFAULT_RATE_LIMIT });
    }
  });

  test('an outage is SourceUnavailable and a slow answer a timeout', async () => {
    try {
      sim.faults.set({ down: true });
      await expect(readAll(enterprise, config, 'enterprises', null, shared)).rejects.toThrow(SourceUnavailable);
      const check = await enterprise.check(config, shared);
      expect(check.ok).toBe(false);
      expect(check.message).toContain(sim.endpoint);
      expect(check.message).toContain('503');
      sim.faults.set({ down: false, latencyMs: 400 });
      await expect(readAll(enterprise, config, 'enterprises', null, paced(undefined, 100))).rejects.toThrow(SourceUnavailable);
      await expect(readAll(enterprise, config, 'enterprises', null, paced(undefined, 100))).rejects.toThrow(/no answer within 100 ms|TimeoutError/);
    } finally {
      sim.faults.set({ down: false, latencyMs: 0 });
    }
    await sleep(400);
  });

  test('malformed records come out as unparsable records or MappingErrors, never a failed read', async () => {
    sim.faults.set({ malformedRate: 0.3 });
    try {
      const result = await readAll(enterprise, { ...config, pageSize: 25 }, 'enterprises', null, shared);
      expect(result.records).toHaveLength(rows.length);
      const unparsable = result.records.filter((r) => 'unparsable' in r);
      expect(unparsable.length).toBeGreaterThan(3);
      for (const u of unparsable) if ('unparsable' in u) expect(u.reason).toMatch(/^not valid JSON: /);
      let failed = 0;
      for (const r of result.records) {
        if (!('data' in r)) continue;
        try {
          enterprise.map('enterprises', r.data);
        } catch (error) {
          expect(error).toBeInstanceOf(MappingError);
          expect((error as Error).message).toMatch(/pripid must be text, got number/);
          failed++;
        }
      }
      expect(failed).toBeGreaterThan(0);
    } finally {
      sim.faults.set({ malformedRate: 0 });
    }
  });

  test('check on a stopped service fails with a message naming it', async () => {
    const other = await startEnterpriseSimulator({ dataDir: dir });
    const cfg = enterprise.spec.config.parse(other.connectorConfig);
    await other.stop();
    const check = await enterprise.check(cfg, shared);
    expect(check.ok).toBe(false);
    expect(check.message).toContain(other.endpoint);
    expect(check.message).toMatch(/connection refused|fetch failed/);
    await expect(readAll(enterprise, cfg, 'enterprises', null, shared)).rejects.toThrow(SourceUnavailable);
  });
});

connectorConformance({
  connector: enterprise,
  start: (dataDir) => startEnterpriseSimulator({ dataDir, seed: 13 }),
  badDate: (_stream, r) => ({ ...r, estDate: '2018-02-31' }),
});
