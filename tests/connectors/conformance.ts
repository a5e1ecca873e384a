/**
 * The connector conformance suite: what every connector must do, checked the same way for each,
 * as Meltano's tap_tests and Airbyte's acceptance tests do for theirs. A connector's test file
 * joins with one call, `connectorConformance({ connector, start, badDate })`, and keeps only what
 * is specific to its department.
 *
 * It drives the connector by hand against its source (a simulated department system on a tiny
 * world), classifying records with the runner's own mapRecords, and checks:
 * - check and discover;
 * - a full read maps every record or dead-letters it with a reason;
 * - source ids unique and non-null;
 * - a read resumed from every page boundary equals the full read;
 * - an incremental read returns only what changed (nothing before a change);
 * - malformed input (broken lines, bad encoding, wrong types: the source's malformedRate) and a
 *   bad date are dead-lettered, and the rest goes on.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  failureTypeOf, type Connector, type ConnectorContext, type Cursor, type Page, type RawRecord, type StreamDescriptor,
} from '../../src/connectors/sdk/index.js';
import { mapRecords } from '../../src/sync/runner.js';
import type { Faults } from '../../src/simulators/common/faults.js';
import { testContext } from '../support/connectors.js';
import { testWorld } from '../support/world.js';

/** What the suite needs of a source: the simulators' own knobs (src/simulators/common/simulator.ts). */
export interface ConformanceSource {
  connectorConfig: Record<string, unknown>;
  faults: { set(patch: Partial<Faults>): void };
  change(count: number): Promise<number>;
  stop(): Promise<void>;
}

export interface ConformanceSubject<C> {
  connector: Connector<C>;
  /** Starts the connector's source on the generated world in `dataDir`. */
  start(dataDir: string): Promise<ConformanceSource>;
  /** One clean raw record of `stream`, as read, with a date field broken (e.g. '2026-13-45'). */
  badDate(stream: string, record: Record<string, unknown>): Record<string, unknown>;
  /**
   * Whether the source breaks records only as it writes them (the court's tables, housing's
   * dumps), so that the malformed check changes some records after turning malformedRate on.
   */
  malformedOnWrite?: boolean;
  /** The config key of the page size (default pageSize). */
  pageSizeKey?: string;
  /** Most page boundaries the resumed-read check starts from (spread over the read; default 12). */
  maxBoundaries?: number;
}

interface Read {
  pages: Page[];
  records: RawRecord[];
  cursor: Cursor | null;
}

/** Every page from `cursor`, retrying transient failures from the last page's cursor as the runner does. */
async function readStream<C>(connector: Connector<C>, config: C, stream: string, cursor: Cursor | null, ctx: ConnectorContext = testContext()): Promise<Read> {
  const pages: Page[] = [];
  let at = cursor;
  for (let attempt = 1; ; attempt++) {
    try {
      for await (const page of connector.read(config, stream, at, ctx)) {
        pages.push(page);
        at = page.cursor;
      }
      return { pages, records: pages.flatMap((p) => p.records), cursor: at };
    } catch (error) {
      if (failureTypeOf(error) !== 'transient' || attempt >= 8) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** A record as the runner would keep it: mapped (by source id and payload) or dead-lettered (by reason and raw text). */
function outcomes<C>(connector: Connector<C>, stream: string, records: RawRecord[]) {
  const { mapped, dead } = mapRecords(connector, stream, records);
  return {
    mapped, dead,
    keys: [...mapped.map((m) => `mapped ${m.mapped.sourceId} ${m.payload}`), ...dead.map((d) => `dead ${d.sourceId ?? ''} ${d.raw}`)].sort(),
  };
}

/** Up to `max` indices of 0..n-1, spread evenly, always including the first and the last. */
function spread(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return [...new Set(Array.from({ length: max }, (_, i) => Math.round((i * (n - 1)) / (max - 1))))];
}

export function connectorConformance<C>(subject: ConformanceSubject<C>): void {
  const { connector } = subject;
  const name = connector.spec.name;
  const pageSizeKey = subject.pageSizeKey ?? 'pageSize';

  describe(`${name} connector conformance`, () => {
    let source: ConformanceSource;
    let config: C;
    let streams: StreamDescriptor[];
    /** Each stream's full read with small pages, and its cursor. */
    const full = new Map<string, Read>();

    beforeAll(async () => {
      source = await subject.start(await testWorld('tiny'));
      // A clean, unthrottled source: the faults are this suite's to turn on.
      source.faults.set({ down: false, latencyMs: 0, malformedRate: 0, rateLimitPerSecond: null });
      config = connector.spec.config.parse(source.connectorConfig);
    });

    afterAll(async () => {
      await source?.stop().catch(() => undefined);
    });

    test('spec, check and discover', async () => {
      const { spec } = connector;
      expect(spec.name).toMatch(/^[a-z][a-z0-9_]{1,30}$/);
      expect(spec.displayName.trim()).not.toBe('');
      expect(spec.intervalSeconds).toBeGreaterThanOrEqual(10);
      expect(spec.timeoutMs).toBeGreaterThanOrEqual(100);
      expect(typeof spec.dataClass).toBe('string');
      const check = await connector.check(config, testContext());
      expect(check).toEqual({ ok: true, message: expect.any(String) });
      streams = await connector.discover(config, testContext());
      expect(streams.length).toBeGreaterThan(0);
      expect(new Set(streams.map((s) => s.name)).size).toBe(streams.length);
      for (const s of streams) {
        expect(['incremental', 'full_refresh']).toContain(s.syncMode);
        expect(s.describes.trim()).not.toBe('');
      }
    });

    test('a full read maps every record or dead-letters it with a reason; source ids are unique and non-null', async () => {
      for (const { name: stream } of streams) {
        const whole = await readStream(connector, config, stream, null);
        // Small pages, so that the read has page boundaries to resume from.
        const size = Math.max(1, Math.ceil(whole.records.length / 8));
        const paged = connector.spec.config.parse({ ...source.connectorConfig, [pageSizeKey]: size });
        const read = await readStream(connector, paged, stream, null);
        full.set(stream, read);
        expect(read.records.length).toBe(whole.records.length);
        const { mapped, dead } = outcomes(connector, stream, read.records);
        expect({ stream, accounted: mapped.length + dead.length }).toEqual({ stream, accounted: read.records.length });
        expect(mapped.length).toBeGreaterThan(0);
        for (const d of dead) expect({ stream, reason: d.reason.trim().length > 0 }).toEqual({ stream, reason: true });
        const ids = mapped.map((m) => m.mapped.sourceId);
        expect(ids.every((id) => typeof id === 'string' && id.trim() !== '')).toBe(true);
        const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
        expect({ stream, repeated }).toEqual({ stream, repeated: [] });
      }
    });

    test('a read resumed at every page boundary equals the full read', async () => {
      for (const { name: stream } of streams) {
        const read = full.get(stream)!;
        const paged = connector.spec.config.parse({ ...source.connectorConfig, [pageSizeKey]: Math.max(1, Math.ceil(read.records.length / 8)) });
        const expected = outcomes(connector, stream, read.records).keys;
        for (const i of spread(read.pages.length, subject.maxBoundaries ?? 12)) {
          const before = read.pages.slice(0, i + 1).flatMap((p) => p.records);
          const rest = await readStream(connector, paged, stream, read.pages[i]!.cursor);
          const got = outcomes(connector, stream, [...before, ...rest.records]).keys;
          expect({ stream, page: i, missing: expected.filter((k) => !got.includes(k)).slice(0, 3) }).toEqual({ stream, page: i, missing: [] });
          expect({ stream, page: i, records: got.length }).toEqual({ stream, page: i, records: expected.length });
        }
      }
    });

    test('an incremental read returns nothing before a change, and only the changed records after one', async () => {
      const incremental = streams.filter((s) => s.syncMode === 'incremental');
      if (incremental.length === 0) return;
      const cursors = new Map<string, Cursor | null>();
      for (const { name: stream } of incremental) {
        const again = await readStream(connector, config, stream, full.get(stream)!.cursor);
        expect({ stream, records: again.records.length }).toEqual({ stream, records: 0 });
        cursors.set(stream, again.cursor);
      }
      const changed = await source.change(5);
      expect(changed).toBeGreaterThan(0);
      let moved = 0;
      for (const { name: stream } of incremental) {
        const after = await readStream(connector, config, stream, cursors.get(stream)!);
        const { mapped } = outcomes(connector, stream, after.records);
        const ids = mapped.map((m) => m.mapped.sourceId);
        expect({ stream, repeated: ids.filter((id, i) => ids.indexOf(id) !== i) }).toEqual({ stream, repeated: [] });
        moved += after.records.length;
        const next = await readStream(connector, config, stream, after.cursor);
        expect({ stream, afterwards: next.records.length }).toEqual({ stream, afterwards: 0 });
      }
      expect(moved).toBeGreaterThan(0);
      expect(moved).toBeLessThanOrEqual(changed);
    });

    test('malformed input and a bad date are dead-lettered with a reason, and the rest goes on', async () => {
      // A bad date in an otherwise good record: map refuses it, naming why, and the dead letter keeps its source id where the connector can read it.
      for (const { name: stream } of streams) {
        const { mapped } = outcomes(connector, stream, full.get(stream)!.records);
        const good = JSON.parse(mapped[0]!.payload) as Record<string, unknown>;
        const broken = subject.badDate(stream, good);
        const result = outcomes(connector, stream, [{ data: good }, { data: broken }]);
        expect({ stream, mapped: result.mapped.length, dead: result.dead.length }).toEqual({ stream, mapped: 1, dead: 1 });
        expect(result.dead[0]!.reason).toMatch(/\S/);
        if (connector.sourceIdOf) expect(result.dead[0]!.sourceId).toBe(mapped[0]!.mapped.sourceId);
      }

      source.faults.set({ malformedRate: 0.2 });
      try {
        if (subject.malformedOnWrite) await source.change(40);
        let dead = 0;
        let read = 0;
        for (const { name: stream } of streams) {
          const r = await readStream(connector, config, stream, null);
          const o = outcomes(connector, stream, r.records);
          expect({ stream, accounted: o.mapped.length + o.dead.length }).toEqual({ stream, accounted: r.records.length });
          for (const d of o.dead) expect(d.reason).toMatch(/\S/);
          expect(o.mapped.length).toBeGreaterThan(r.records.length / 2);
          dead += o.dead.length;
          read += r.records.length;
        }
        expect(read).toBeGreaterThan(0);
        expect(dead).toBeGreaterThan(0);
      } finally {
        source.faults.set({ malformedRate: 0 });
      }
    });
  });
}
