/**
 * Syncing departments: which connectors run with which config, all of them in order, and the
 * hub's schedule (an interval per connector, one hub instance at a time per connector).
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { CONNECTORS } from '../connectors/registry.js';
import type { Connector } from '../connectors/sdk/index.js';
import type { IngestStore } from '../store/ingest/index.js';
import { configure, syncConnector, errorMessage, type ConfiguredConnector, type SyncOptions, type SyncSummary } from './runner.js';

export { configure, syncConnector, type ConfiguredConnector, type SyncOptions, type SyncSummary, type StreamProgress } from './runner.js';
export { ingestPush, PushRejected } from './push.js';
export { replayDeadLetters } from './replay.js';

/** Connector configs by connector name, from a JSON file (CONNECTORS_FILE). */
export function readConnectorConfigs(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read connector configs from ${file}: ${errorMessage(error)}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected an object keyed by connector name');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${file}: ${errorMessage(error)}`);
  }
}

/**
 * The registered connectors that have a config, validated, in sync order. `only` restricts and
 * must name registered connectors; `extra` adds connectors registered at runtime (tests).
 */
export function configuredConnectors(configs: Record<string, unknown>, only: string[] = [], extra: Connector<unknown>[] = []): ConfiguredConnector[] {
  const all = [...CONNECTORS, ...extra];
  const names = all.map((c) => c.spec.name);
  const unknown = [...only, ...Object.keys(configs)].filter((n) => !names.includes(n));
  if (unknown.length > 0) throw new Error(`unknown connector(s): ${[...new Set(unknown)].join(', ')}; registered: ${names.join(', ')}`);
  return all
    .filter((c) => (only.length === 0 ? configs[c.spec.name] !== undefined : only.includes(c.spec.name)))
    .map((c) => {
      if (configs[c.spec.name] === undefined) throw new Error(`connector ${c.spec.name} has no config; add it to the connectors file`);
      return configure(c, configs[c.spec.name]);
    });
}

/** Syncs each connector in turn; one failing does not stop the others. */
export async function syncAll(store: IngestStore, connectors: ConfiguredConnector[], options: SyncOptions): Promise<SyncSummary[]> {
  const out: SyncSummary[] = [];
  for (const c of connectors) {
    if (options.signal?.aborted) break;
    out.push(await syncConnector(store, c, options));
  }
  return out;
}

/** Seconds between scheduled syncs of a connector: its config's intervalSeconds, else its spec's. */
export function scheduleOf(c: ConfiguredConnector): number {
  return c.intervalSeconds ?? c.connector.spec.intervalSeconds;
}

export interface Scheduler {
  /** Runs every connector now (still one at a time per connector). */
  runNow(): Promise<void>;
  stop(): Promise<void>;
}

export interface SchedulerOptions extends Omit<SyncOptions, 'log' | 'signal'> {
  /**
   * Scheduled syncs running at once, at most; a run due beyond it waits for a slot. Each holds
   * two of the background pool's connections (its advisory lock's and its work's): pass
   * syncConcurrencyFor(the pool's size). Default 2, which fits the default pool of 5.
   */
  concurrency?: number;
}

/**
 * Scheduled syncs that fit a background pool of `connections`: two connections each, and one
 * left for the rest of the background work. 2 for the default pool of 5.
 */
export function syncConcurrencyFor(connections: number): number {
  return Math.max(1, Math.floor((connections - 1) / 2));
}

/**
 * Milliseconds from the scheduler's start to each connector's first scheduled run: connector i
 * of n at (i + 1) / n of its interval. Connectors that share an interval would otherwise all run
 * in the same instant, every time, and that wave took every connection and CPU the requests
 * needed (issue 13's soak). Spread by position in sync order, so the phases are as far apart as
 * they can be and the same on every start; no first run comes later than one interval, as
 * before.
 */
export function firstRunOffsets(connectors: ConfiguredConnector[]): number[] {
  return connectors.map((c, i) => Math.round((scheduleOf(c) * 1000 * (i + 1)) / connectors.length));
}

/**
 * Syncs each connector every `intervalSeconds` (its config's, else its spec's default), the
 * connectors' phases spread over the interval (firstRunOffsets), at most `concurrency` at once.
 * A run still going when the next is due is not doubled; across hub instances an advisory lock
 * makes one of them do it.
 */
export function startScheduler(store: IngestStore, connectors: ConfiguredConnector[], log: Logger, options: SchedulerOptions = {}): Scheduler {
  const { concurrency = 2, ...syncOptions } = options;
  const controller = new AbortController();
  const running = new Map<string, Promise<void>>();
  const timers: NodeJS.Timeout[] = [];
  const slots = new Slots(concurrency);
  const runOne = (c: ConfiguredConnector): Promise<void> => {
    const name = c.connector.spec.name;
    const current = running.get(name);
    if (current) return current;
    const run = slots.use(async () => {
      // Stopped while it waited for a slot: nothing to start.
      if (controller.signal.aborted) return;
      await store.exclusive(`sync:${name}`, async () => {
        const summary = await syncConnector(store, c, { ...syncOptions, log, signal: controller.signal, trigger: 'schedule' });
        const totals = summary.streams.reduce((a, s) => ({ read: a.read + s.read, changed: a.changed + s.changed, dead: a.dead + s.deadLettered }), { read: 0, changed: 0, dead: 0 });
        if (summary.ok) log.info({ connector: name, ...totals }, 'scheduled sync done');
        else log.warn({ connector: name, error: summary.error ?? summary.streams.find((s) => s.error)?.error, ...totals }, 'scheduled sync failed');
      });
    }).then(() => undefined, (error: unknown) => {
      if (!controller.signal.aborted) log.error({ connector: name, err: error }, 'scheduled sync crashed');
    }).finally(() => running.delete(name));
    running.set(name, run);
    return run;
  };
  const offsets = firstRunOffsets(connectors);
  connectors.forEach((c, i) => {
    const first = setTimeout(() => {
      void runOne(c);
      timers.push(setInterval(() => void runOne(c), scheduleOf(c) * 1000).unref());
    }, offsets[i]).unref();
    timers.push(first);
  });
  return {
    async runNow() {
      for (const c of connectors) await runOne(c);
    },
    async stop() {
      // clearTimeout and clearInterval clear either kind of timer.
      for (const t of timers) clearTimeout(t);
      controller.abort(new Error('hub shutting down'));
      await Promise.allSettled([...running.values()]);
    },
  };
}

/** At most `size` of the work given to use() at a time; the rest waits its turn, first come first served. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`scheduler concurrency must be a whole number of at least 1, not ${size}`);
    this.free = size;
  }

  async use<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line, so no newcomer can take it in between.
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
