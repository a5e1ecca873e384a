/**
 * The connector runner: everything a connector does not do, done once for all of them. It
 * reads each stream from its saved cursor, maps records (dead-lettering the ones that fail),
 * commits batches with their cursor in one transaction, retries failed reads from the last
 * saved cursor with exponential backoff and full jitter (or as long as a 429 asked), and keeps
 * the counts balanced: records read = stored + dead-lettered, in every run. Only transient
 * failures are retried (sdk/errors.ts); a config or system failure fails the stream at once.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  ConfigError, createConnectorCache, createSourceHttp, failureTypeOf, RateLimited, SourceError, systemClock,
  type Clock, type Connector, type ConnectorCache, type ConnectorContext, type Cursor, type FailureType, type Page, type RawRecord,
} from '../connectors/sdk/index.js';
import type { BatchResult, DeadLetterInput, DepartmentRef, IngestStore, MappedInput, RunTrigger } from '../store/ingest/index.js';
import { TimeSlice } from '../store/timeSlice.js';

/** A connector with its validated config, ready to run. */
export interface ConfiguredConnector {
  connector: Connector<unknown>;
  config: unknown;
  /** How often the scheduler syncs it: the config's `intervalSeconds`, else (and when absent) the spec's. */
  intervalSeconds?: number;
  /** How long one request to the source may take: the config's `timeoutMs`, else (and when absent) the spec's. */
  timeoutMs?: number;
}

/** Keys of a connector's config that are the hub's, not the connector's: read here, never handed to its schema. */
const RUNNER_KEYS = z.object({
  intervalSeconds: z.number({ error: 'intervalSeconds must be a number of seconds' }).int('intervalSeconds must be a whole number of seconds')
    .min(10, 'intervalSeconds must be at least 10').optional(),
  timeoutMs: z.number({ error: 'timeoutMs must be a number of milliseconds' }).int('timeoutMs must be a whole number of milliseconds')
    .min(100, 'timeoutMs must be at least 100').optional(),
});

export interface StreamProgress {
  department: string;
  stream: string;
  phase: 'reading' | 'retrying' | 'done' | 'failed';
  read: number;
  stored: number;
  changed: number;
  deadLettered: number;
  /** While retrying: the error and how long until the next attempt. */
  error?: string;
  retryInMs?: number;
}

export interface SyncOptions {
  log: Logger;
  /** Only these streams (default: every stream the connector discovers). */
  streams?: string[];
  /** Records per transaction; several pages are combined up to this size. */
  batchSize?: number;
  /** Attempts per stream before it is given up as failed (a page that lands resets the count). */
  maxAttempts?: number;
  /** First backoff delay; doubles per attempt, with full jitter, up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  signal?: AbortSignal;
  trigger?: RunTrigger;
  onProgress?: (progress: StreamProgress) => void;
}

export interface StreamSummary {
  stream: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  read: number;
  stored: number;
  changed: number;
  deadLettered: number;
  unlinked: number;
  entityChanges: number;
  attempts: number;
  error: string | null;
  /** The last failure that was retried (the run may still have succeeded). */
  retried: string | null;
  ms: number;
}

export interface SyncSummary {
  department: string;
  ok: boolean;
  /** Set when the connector could not even start (bad config, source unreachable). */
  error: string | null;
  streams: StreamSummary[];
  relinked: number;
}

/** Validates a connector's raw config with its schema; ConfigError lists what is wrong. */
export function configure(connector: Connector<unknown>, raw: unknown): ConfiguredConnector {
  const given = (raw ?? {}) as Record<string, unknown>;
  const isObject = typeof given === 'object' && !Array.isArray(given);
  const { intervalSeconds, ...own } = isObject ? given : {};
  // timeoutMs stays in the connector's own config too: a connector with its own driver (the court's) bounds its queries by it.
  const runner = RUNNER_KEYS.safeParse({ intervalSeconds, timeoutMs: own.timeoutMs });
  // A connector that declares intervalSeconds itself (the scaffold's template does) still sees it.
  const parsed = connector.spec.config.safeParse(isObject ? (declares(connector, 'intervalSeconds') ? given : own) : raw);
  const issues = [...(runner.success ? [] : runner.error.issues), ...(parsed.success ? [] : parsed.error.issues)];
  if (issues.length > 0 || !parsed.success || !runner.success) {
    throw new ConfigError(issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`), { subject: `connector ${connector.spec.name}` });
  }
  const { spec } = connector;
  return {
    connector, config: parsed.data,
    intervalSeconds: runner.data.intervalSeconds ?? spec.intervalSeconds,
    timeoutMs: runner.data.timeoutMs ?? spec.timeoutMs,
  };
}

function declares(connector: Connector<unknown>, key: string): boolean {
  const shape = (connector.spec.config as { shape?: Record<string, unknown> }).shape;
  return shape !== undefined && Object.hasOwn(shape, key);
}

/** One cache per configured connector, kept across its runs (a token outlives one sync) and dropped with it. */
const caches = new WeakMap<ConfiguredConnector, ConnectorCache>();

/** The context a connector reads with: paced HTTP with a timeout, the cancel signal, a logger, the clock, its cache. */
export function connectorContext(configured: ConfiguredConnector, log: Logger, signal: AbortSignal, clock: Clock = systemClock): ConnectorContext {
  const { spec } = configured.connector;
  const child = log.child({ connector: spec.name });
  let cache = caches.get(configured);
  if (!cache) caches.set(configured, (cache = createConnectorCache(clock)));
  return {
    signal,
    http: createSourceHttp({
      timeoutMs: configured.timeoutMs ?? spec.timeoutMs,
      signal,
      ...(spec.maxRequestsPerSecond ? { maxRequestsPerSecond: spec.maxRequestsPerSecond } : {}),
    }),
    log: { info: (o, m) => child.info(o, m), warn: (o, m) => child.warn(o, m) },
    clock,
    cache,
  };
}

/** Maps a page's raw records; what cannot be parsed or mapped becomes a dead letter with its reason. */
export function mapRecords(connector: Connector<unknown>, stream: string, records: RawRecord[]): { mapped: MappedInput[]; dead: DeadLetterInput[] } {
  const mapped: MappedInput[] = [];
  const dead: DeadLetterInput[] = [];
  for (const record of records) {
    if ('unparsable' in record) {
      dead.push({ sourceId: record.sourceId ?? null, stage: 'parse', reason: record.reason, raw: record.unparsable });
      continue;
    }
    const payload = JSON.stringify(record.data) ?? 'null';
    try {
      const m = connector.map(stream, record.data);
      if (typeof m.sourceId !== 'string' || m.sourceId.trim() === '') throw new Error('the mapped record has no sourceId');
      mapped.push({ mapped: m, payload });
    } catch (error) {
      // With its source id, a later clean copy of the record resolves this dead letter.
      dead.push({ sourceId: sourceIdOf(connector, stream, record.data), stage: 'map', reason: errorMessage(error), raw: payload });
    }
  }
  return { mapped, dead };
}

/** mapRecords for a sync's batches (thousands of records): in slices, letting requests in between (TimeSlice). */
async function mapInSlices(connector: Connector<unknown>, stream: string, records: RawRecord[]): Promise<ReturnType<typeof mapRecords>> {
  const slice = new TimeSlice();
  const out: ReturnType<typeof mapRecords> = { mapped: [], dead: [] };
  for (let i = 0; i < records.length; i += MAP_SLICE_RECORDS) {
    const part = mapRecords(connector, stream, records.slice(i, i + MAP_SLICE_RECORDS));
    out.mapped.push(...part.mapped);
    out.dead.push(...part.dead);
    if (slice.spent()) await slice.next();
  }
  return out;
}
const MAP_SLICE_RECORDS = 10;

function sourceIdOf(connector: Connector<unknown>, stream: string, data: unknown): string | null {
  try {
    const id = connector.sourceIdOf?.(stream, data) ?? null;
    return typeof id === 'string' && id.trim() !== '' ? id.trim() : null;
  } catch {
    return null;
  }
}

/**
 * Why the database refused a record, in a line: knex puts the whole statement (often a kilobyte
 * of SQL) before the driver's message, which is all an operator needs, with its SQLSTATE.
 */
export function storageReason(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown; detail?: unknown; column?: unknown; constraint?: unknown };
  const message = String(e?.message ?? error);
  const driver = message.includes(' - ') ? message.slice(message.lastIndexOf(' - ') + 3) : message;
  const where = [e?.column ? `column ${String(e.column)}` : '', e?.constraint ? `constraint ${String(e.constraint)}` : ''].filter(Boolean).join(', ');
  const detail = typeof e?.detail === 'string' ? `; ${e.detail}` : '';
  return `the database refused the record${e?.code ? ` (SQLSTATE ${String(e.code)})` : ''}: ${driver}${where ? ` (${where})` : ''}${detail}`.slice(0, 500);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

/** PostgreSQL data and integrity errors (SQLSTATE classes 22, 23): the rows are at fault, not the database. */
function isDataError(error: unknown): boolean {
  return /^2[23]/.test(codeOf(error));
}

/**
 * The hub's own database failing under a sync (connection lost or refused, the server restarting
 * or out of resources, a serialization race, knex out of pooled connections): transient, as a
 * source going down is. SQLSTATE classes 08, 53, 57 and 40; Node's socket codes; knex's pool timeout.
 */
function isTransientStoreError(error: unknown): boolean {
  const code = codeOf(error);
  if (/^(08|53|57|40)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code)) return true;
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'KnexTimeoutError';
}

/** What a failed read is, and so whether it is retried: only transient failures are. */
export function failureOf(error: unknown): FailureType {
  if (isDataError(error)) return 'system';
  if (isTransientStoreError(error)) return 'transient';
  return failureTypeOf(error);
}

/**
 * Commits a batch; when the database refuses it because of one bad record, halves the batch
 * until the culprit is alone and dead-letters it with the database's reason, so one record
 * never holds back the rest.
 */
export async function commitIsolating(store: IngestStore, batch: Parameters<IngestStore['commit']>[0]): Promise<BatchResult> {
  try {
    return await store.commit(batch);
  } catch (error) {
    if (!isDataError(error)) throw error;
    if (batch.records.length <= 1) {
      const bad = batch.records[0];
      return store.commit({
        ...batch, records: [],
        deadLetters: [...batch.deadLetters, ...(bad ? [{ sourceId: bad.mapped.sourceId, stage: 'store' as const, reason: storageReason(error), raw: bad.payload }] : [])],
      });
    }
    const half = Math.ceil(batch.records.length / 2);
    // The cursor and dead letters ride with the second half, so they land only when both have.
    const first = await commitIsolating(store, { ...batch, records: batch.records.slice(0, half), deadLetters: [], cursor: null });
    const second = await commitIsolating(store, { ...batch, records: batch.records.slice(half) });
    return {
      stored: first.stored + second.stored, changed: first.changed + second.changed, deadLettered: first.deadLettered + second.deadLettered,
      unlinked: first.unlinked + second.unlinked, entityChanges: first.entityChanges + second.entityChanges,
      lastChangeId: second.lastChangeId ?? first.lastChangeId, peopleCreated: first.peopleCreated + second.peopleCreated,
    };
  }
}

/** Syncs every stream of one connector (or those asked for), then relinks what became linkable. */
export async function syncConnector(store: IngestStore, configured: ConfiguredConnector, options: SyncOptions): Promise<SyncSummary> {
  const { connector, config } = configured;
  const signal = options.signal ?? new AbortController().signal;
  const department = await store.ensureDepartment(connector.spec);
  const ctx = connectorContext(configured, options.log, signal);
  const summary: SyncSummary = { department: connector.spec.name, ok: true, error: null, streams: [], relinked: 0 };

  let streams: string[];
  try {
    const offered = (await connector.discover(config, ctx)).map((s) => s.name);
    const unknown = (options.streams ?? []).filter((s) => !offered.includes(s));
    if (unknown.length > 0) throw new SourceError(`unknown stream(s) ${unknown.join(', ')}; ${connector.spec.name} offers ${offered.join(', ')}`, { failureType: 'config' });
    streams = options.streams ?? offered;
  } catch (error) {
    summary.ok = false;
    summary.error = `${connector.spec.name}: cannot discover streams: ${errorMessage(error)}`;
    await store.setHealth(department, 'down', summary.error, false);
    return summary;
  }

  let degraded: string | null = null;
  for (const stream of streams) {
    const s = await syncStream(store, configured, department, stream, ctx, options);
    summary.streams.push(s);
    if (s.status !== 'succeeded') summary.ok = false;
    // DEGRADED says why: the source failed and the run got through only by retrying.
    if (s.attempts > 1 && s.retried !== null) degraded ??= `${stream}: synced after ${s.attempts - 1} failed attempt(s); last failure: ${s.retried}`;
    if (s.status === 'cancelled') break;
  }
  summary.relinked = await store.relink();
  const failed = summary.streams.find((s) => s.status !== 'succeeded');
  await store.setHealth(department, failed ? 'down' : degraded !== null ? 'degraded' : 'healthy', failed?.error ?? degraded, !failed);
  return summary;
}

async function syncStream(
  store: IngestStore, { connector, config }: ConfiguredConnector, department: DepartmentRef, stream: string, ctx: ConnectorContext, options: SyncOptions,
): Promise<StreamSummary> {
  const started = Date.now();
  const batchSize = options.batchSize ?? 5000;
  const maxAttempts = options.maxAttempts ?? 5;
  const base = options.backoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const s: StreamSummary = {
    stream, status: 'succeeded', read: 0, stored: 0, changed: 0, deadLettered: 0, unlinked: 0, entityChanges: 0, attempts: 0, error: null, retried: null, ms: 0,
  };
  const progress = (phase: StreamProgress['phase'], extra: Partial<StreamProgress> = {}) =>
    options.onProgress?.({ department: department.name, stream, phase, read: s.read, stored: s.stored, changed: s.changed, deadLettered: s.deadLettered, ...extra });
  const runId = await store.startRun(department, stream, options.trigger ?? 'cli');

  let failures = 0;
  for (;;) {
    s.attempts++;
    const cursor = await store.cursor(department, stream);
    const iterator = connector.read(config, stream, cursor, ctx)[Symbol.asyncIterator]();
    // Pending records are counted as read only once they are committed, so a retry re-reads them without double counting.
    let pending: { records: RawRecord[]; cursor: Cursor | null } = { records: [], cursor: null };
    // One batch is stored while the next is read and mapped: the source, this process and the
    // database work at the same time. Batches still commit one after another, in order, so the
    // saved cursor never passes a batch that is not stored.
    let inflight: Promise<void> | null = null;
    const commit = async (records: RawRecord[], cursor: Cursor | null, mapped: ReturnType<typeof mapRecords>) => {
      const r = await commitIsolating(store, {
        departmentId: department.id, stream, fetchedAt: new Date(), records: mapped.mapped, deadLetters: mapped.dead, cursor,
      });
      s.read += records.length;
      s.stored += r.stored;
      s.changed += r.changed;
      s.deadLettered += r.deadLettered;
      s.unlinked += r.unlinked;
      s.entityChanges += r.entityChanges;
      failures = 0;
      progress('reading');
    };
    const settle = async () => {
      const current = inflight;
      inflight = null;
      if (current) await current;
    };
    const flush = async (wait: boolean) => {
      if (pending.records.length === 0 && pending.cursor === null) return settle();
      const { records, cursor } = pending;
      pending = { records: [], cursor: null };
      const mapped = await mapInSlices(connector, stream, records);
      await settle();
      inflight = commit(records, cursor, mapped);
      inflight.catch(() => undefined);
      if (wait) await settle();
    };
    try {
      let next: Promise<IteratorResult<Page>> = iterator.next();
      // A connector whose pages come from memory or a file hands them over in microtasks: the
      // whole read would run without a turn for requests (TimeSlice).
      const slice = new TimeSlice();
      for (;;) {
        const r = await next;
        if (r.done) break;
        if (slice.spent()) await slice.next();
        next = iterator.next(); // the source fetches the next page while this one is stored
        next.catch(() => undefined);
        pending.records.push(...r.value.records);
        pending.cursor = r.value.cursor;
        if (pending.records.length >= batchSize) await flush(false);
      }
      await flush(true);
      // A connector may end its read quietly when asked to stop; what it read is stored, but the stream is not done.
      if (ctx.signal.aborted) {
        s.status = 'cancelled';
        s.error = 'cancelled';
      }
      break;
    } catch (error) {
      await iterator.return?.(undefined).catch(() => undefined);
      if (!(error instanceof SourceError)) await settle().catch(() => undefined);
      // Pages already received are whole, with their cursor: keep them, so a source that fails
      // every few pages (a tight rate limit) still moves forward between retries.
      if (!ctx.signal.aborted && error instanceof SourceError) {
        try {
          await flush(true);
        } catch (flushError) {
          ctx.log.warn({ stream, error: errorMessage(flushError) }, 'could not store the pages read before the failure');
        }
      }
      if (ctx.signal.aborted) {
        s.status = 'cancelled';
        s.error = 'cancelled';
        break;
      }
      failures++;
      const failure = failureOf(error);
      const retryable = failure === 'transient';
      s.error = errorMessage(error);
      if (!retryable || failures >= maxAttempts) {
        s.status = 'failed';
        // The class tells the operator whose move it is: a config failure is theirs, a system one the connector's author's.
        const why = retryable ? ` (gave up after ${failures} attempts)` : failure === 'config' ? ' (a config error: fix the connector\'s config or credentials)' : ' (a system error in the connector or its source; not retried)';
        s.error = `${stream}: ${s.error}${why}`;
        ctx.log.warn({ stream, error: s.error }, 'stream failed');
        progress('failed', { error: s.error });
        break;
      }
      s.retried = s.error;
      const backoff = Math.random() * Math.min(maxBackoff, base * 2 ** (failures - 1));
      const wait = error instanceof RateLimited && error.retryAfterMs !== null ? Math.max(error.retryAfterMs, backoff) : backoff;
      ctx.log.warn({ stream, error: s.error, attempt: failures, retryInMs: Math.round(wait) }, 'read failed; retrying from the saved cursor');
      progress('retrying', { error: s.error, retryInMs: Math.round(wait) });
      try {
        await sleep(wait, ctx.signal);
      } catch {
        s.status = 'cancelled';
        break;
      }
    }
  }
  s.ms = Date.now() - started;
  if (s.status === 'succeeded') {
    s.error = null;
    progress('done');
  }
  await store.finishRun(runId, s.status, { read: s.read, stored: s.stored, changed: s.changed, deadLettered: s.deadLettered }, s.error);
  return s;
}
