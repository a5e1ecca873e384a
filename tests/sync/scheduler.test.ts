/**
 * The scheduler's timing (issue 13's soak): connectors that share an interval run at phases
 * spread over it, not all in one instant, and no more of them at once than the background pool
 * holds. Real syncs of connectors written here, on both stores, timed by when each one's read
 * began.
 */
import { z } from 'zod';
import { describeEachDatabase } from '../support/databases.js';
import { createLogger } from '../../src/observability/logger.js';
import { createIngestStore, type IngestStore } from '../../src/store/ingest/index.js';
import { configure, firstRunOffsets, startScheduler, syncConcurrencyFor, type ConfiguredConnector } from '../../src/sync/index.js';
import type { Connector, Page } from '../../src/connectors/sdk/index.js';
import type { Database } from '../../src/store/db.js';

const log = createLogger('silent');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A source with no records that notes when each read begins and takes `readMs` to answer. */
function timedConnector(name: string, intervalSeconds: number, onRead: (name: string) => void, readMs = 0): ConfiguredConnector {
  const connector: Connector<unknown> = {
    spec: { name, displayName: name, version: '1', description: 'test', config: z.object({}), dataClass: 'civil-registry', intervalSeconds, timeoutMs: 10_000 },
    check: async () => ({ ok: true, message: 'ok' }),
    discover: async () => [{ name: 'people', describes: 'a person', syncMode: 'incremental' }],
    async *read() {
      onRead(name);
      if (readMs) await sleep(readMs);
      yield* [] as Page[];
    },
    map: () => { throw new Error('no records'); },
  };
  return configure(connector, {});
}

test('first runs are spread over the interval by position, the last one interval after the start', () => {
  const connectors = ['a', 'b', 'c', 'd'].map((n) => timedConnector(n, 120, () => {}));
  expect(firstRunOffsets(connectors)).toEqual([30_000, 60_000, 90_000, 120_000]);
  // Each connector's own interval: a slow one's phase is spread over its own period.
  expect(firstRunOffsets([timedConnector('a', 60, () => {}), timedConnector('b', 600, () => {})])).toEqual([30_000, 600_000]);
});

test('scheduled syncs that fit the background pool: two connections each, one left over', () => {
  expect([3, 4, 5, 6, 7, 20].map(syncConcurrencyFor)).toEqual([1, 1, 2, 2, 3, 9]);
});

describeEachDatabase('the sync scheduler', ({ open }) => {
  let db: Database;
  let store: IngestStore;
  beforeEach(async () => {
    db = await open();
    store = createIngestStore(db);
  });
  afterEach(() => db.close());

  test('connectors sharing an interval start their scheduled runs apart, not together', async () => {
    const started = new Map<string, number>();
    const t0 = Date.now();
    const names = ['a', 'b', 'c', 'd'];
    const connectors = names.map((n) => timedConnector(n, 2, (name) => { if (!started.has(name)) started.set(name, Date.now() - t0); }));
    const scheduler = startScheduler(store, connectors, log, { concurrency: 4 });
    try {
      for (const until = Date.now() + 10_000; started.size < names.length && Date.now() < until;) await sleep(50);
    } finally {
      await scheduler.stop();
    }
    const at = names.map((n) => started.get(n));
    expect(at.every((t) => t !== undefined)).toBe(true);
    // Due at 0.5, 1, 1.5 and 2 s: each at least a quarter of a second after the one before
    // (before the spread, all four began within milliseconds of 2 s).
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(250);
    expect(at[0]!).toBeGreaterThanOrEqual(400);
    expect(at.at(-1)!).toBeGreaterThanOrEqual(1900);
  }, 30_000);

  test('no more scheduled syncs run at once than its concurrency; the one beyond waits its turn', async () => {
    let inFlight = 0;
    let most = 0;
    const ran: string[] = [];
    const connectors = ['a', 'b', 'c'].map((n) => timedConnector(n, 1, (name) => {
      ran.push(name);
      inFlight++;
      most = Math.max(most, inFlight);
      setTimeout(() => { inFlight--; }, 1500);
    }, 1500));
    const scheduler = startScheduler(store, connectors, log, { concurrency: 2 });
    try {
      for (const until = Date.now() + 15_000; new Set(ran).size < 3 && Date.now() < until;) await sleep(50);
    } finally {
      await scheduler.stop();
    }
    // All three due within a second, each read 1.5 s: without the bound all three overlap.
    expect(new Set(ran)).toEqual(new Set(['a', 'b', 'c']));
    expect(most).toBe(2);
  }, 30_000);
});
