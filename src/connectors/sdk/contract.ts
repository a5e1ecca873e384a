/**
 * The connector contract: what a department connector is, and the only thing it has to do.
 *
 * Modelled on Airbyte's spec / check / discover / read and Singer's RECORD/STATE messages: a
 * connector describes itself and its config, checks its source, lists its streams, reads a
 * stream from a saved cursor, and maps each source record to canonical references with
 * provenance. The runner (src/sync) does everything else, once, for every connector: batching,
 * idempotent upserts, saving the cursor in the same transaction as the data, retries with
 * backoff, rate limits, schedules, webhooks, change events and the dead-letter store.
 *
 * A connector never sees the hub's store. Its whole world is its config, its source and these
 * types. Everything here is plain data, so a read can be replayed and a mapping re-run from the
 * raw payload kept in the dead-letter store.
 */
import type { z } from 'zod';
import type { Cursor, MappedRecord } from '../../domain/canonical.js';
import type { Clock } from '../../domain/clock.js';
import type { DataClass } from '../../domain/dataClasses.js';

/** What a connector is. `name` is the department's stable machine name (population, housing, ...). */
export interface ConnectorSpec<Config> {
  name: string;
  /** Shown in GraphQL as Department.displayName, e.g. 公安局 (110 接处警、居住登记). */
  displayName: string;
  version: string;
  description: string;
  /** Validates (and defaults) the connector's config; its error messages reach the operator verbatim. */
  config: z.ZodType<Config>;
  /**
   * What class of data the department brings (see src/domain/dataClasses.ts). Roles see a
   * department's records by its class, so a new department is visible to the roles that read its
   * class without editing the policy.
   */
  dataClass: DataClass;
  /** How often the hub's scheduler syncs this connector; `intervalSeconds` in its config overrides it. */
  intervalSeconds: number;
  /** How long one request to the source may take (ctx.http aborts it); `timeoutMs` in its config overrides it. */
  timeoutMs: number;
  /** Most requests per second the runner lets this connector make to its source. */
  maxRequestsPerSecond?: number;
  /** Keys of the config that are secrets: never logged, shown as '***'. */
  secrets?: readonly string[];
}

export interface CheckResult {
  ok: boolean;
  /** Why not, in words an operator can act on (which URL, which status, what to check). */
  message: string;
}

/** One stream a connector offers. */
export interface StreamDescriptor {
  name: string;
  /** What one record of the stream describes, for humans and for docs. */
  describes: string;
  /**
   * 'incremental': a second read from the saved cursor moves only what changed.
   * 'full_refresh': every read moves everything; the runner keeps only what differs.
   */
  syncMode: 'incremental' | 'full_refresh';
  /** Records of this stream may also arrive by webhook (see Connector.push). */
  push?: boolean;
}

/** One record as the source gave it. */
export type RawRecord =
  /** Parsed by the connector's transport (JSON, CSV row, XML element); `map` turns it into canonical form. */
  | { data: unknown }
  /** The transport could not even parse it: kept verbatim in the dead-letter store with the reason. */
  | { unparsable: string; reason: string; sourceId?: string };

/**
 * A page of a stream: its records and the cursor to resume after them. The runner stores the
 * records and the cursor in one transaction, so a crash between pages loses nothing and a
 * resumed read repeats nothing that was saved.
 */
export interface Page {
  records: RawRecord[];
  cursor: Cursor;
}

/** What the runner lends a connector while it works. */
export interface ConnectorContext {
  /** Aborted when the sync is cancelled or the hub shuts down; pass it to fetch. */
  signal: AbortSignal;
  /** HTTP with the runner's rate limit, timeout and error classification (see sdk/http.ts). */
  http: SourceHttp;
  log: ConnectorLog;
  /** The host's time: read it instead of Date.now(), so tests and replays can move it. */
  clock: Clock;
  /**
   * A small key-value store the host keeps for this connector across reads and runs (tokens,
   * discovered metadata). In memory: it may be empty on any read, never shared with another connector.
   */
  cache: ConnectorCache;
}

export interface ConnectorCache {
  /** The value, or undefined when absent or expired. */
  get<T>(key: string): T | undefined;
  /** Keep `value` under `key`, for `ttlMs` (absent: until deleted or the host restarts). */
  set<T>(key: string, value: T, ttlMs?: number): void;
  delete(key: string): void;
}

export interface ConnectorLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface SourceHttp {
  /** Like fetch, but throws SourceError subclasses on 429, 5xx, timeouts and refused connections. */
  fetch(url: string | URL, init?: RequestInit): Promise<Response>;
}

/** The one contract every department connector implements. */
export interface Connector<Config = unknown> {
  spec: ConnectorSpec<Config>;
  check(config: Config, ctx: ConnectorContext): Promise<CheckResult>;
  discover(config: Config, ctx: ConnectorContext): Promise<StreamDescriptor[]>;
  /**
   * Pages of `stream` after `cursor` (null: from the beginning). Throw a SourceError of the
   * right class when the source fails (sdk/errors.ts): the runner retries transient ones from the
   * last saved cursor and fails the stream at once on the others.
   */
  read(config: Config, stream: string, cursor: Cursor | null, ctx: ConnectorContext): AsyncIterable<Page>;
  /**
   * One source record in canonical form. Pure: no I/O, same output for the same input, so a
   * dead letter can be replayed. Throw MappingError (or anything) for a record that makes no
   * sense; the runner dead-letters it with the message and goes on with the rest.
   */
  map(stream: string, record: unknown): MappedRecord;
  /**
   * The record's source id when `map` refuses it, read as far as it can be (null: not even that).
   * With it, the dead letter is resolved by a later clean copy of the same record.
   */
  sourceIdOf?(stream: string, record: unknown): string | null;
  /** Records pushed to the hub's webhook (POST /webhooks/<name>), for streams with `push: true`. */
  push?: PushHandler<Config>;
}

export interface PushHandler<Config> {
  /**
   * Authenticate and split a webhook request. Return the stream and its records; throw
   * PushRejected for a request the hub must refuse (bad signature: 401, bad body: 400).
   */
  receive(config: Config, request: { headers: Record<string, string | undefined>; body: Buffer }): { stream: string; records: RawRecord[] };
}

// The canonical form (what `map` returns) is the domain's; integrators get it from the SDK.
export type * from '../../domain/canonical.js';
