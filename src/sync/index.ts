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

/**
 * Syncs each connector every `intervalSeconds` (its config's, else its spec's default). A run
 * still going when the next is due is not doubled; across hub instances an advisory lock
 * makes one of them do it.
 */
export function startScheduler(store: IngestStore, connectors: ConfiguredConnector[], log: Logger, options: Omit<SyncOptions, 'log' | 'signal'> = {}): Scheduler {
  const controller = new AbortController();
  const running = new Map<string, Promise<void>>();
  const timers: NodeJS.Timeout[] = [];
  const runOne = (c: ConfiguredConnector): Promise<void> => {
    const name = c.connector.spec.name;
    const current = running.get(name);
    if (current) return current;
    const run = store.exclusive(`sync:${name}`, async () => {
      const summary = await syncConnector(store, c, { ...options, log, signal: controller.signal, trigger: 'schedule' });
      const totals = summary.streams.reduce((a, s) => ({ read: a.read + s.read, changed: a.changed + s.changed, dead: a.dead + s.deadLettered }), { read: 0, changed: 0, dead: 0 });
      if (summary.ok) log.info({ connector: name, ...totals }, 'scheduled sync done');
      else log.warn({ connector: name, error: summary.error ?? summary.streams.find((s) => s.error)?.error, ...totals }, 'scheduled sync failed');
    }).then(() => undefined, (error: unknown) => {
      if (!controller.signal.aborted) log.error({ connector: name, err: error }, 'scheduled sync crashed');
    }).finally(() => running.delete(name));
    running.set(name, run);
    return run;
  };
  for (const c of connectors) {
    const seconds = scheduleOf(c);
    timers.push(setInterval(() => void runOne(c), seconds * 1000).unref());
  }
  return {
    async runNow() {
      for (const c of connectors) await runOne(c);
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      controller.abort(new Error('hub shutting down'));
      await Promise.allSettled([...running.values()]);
    },
  };
}
