/**
 * The embedded PGlite on a thread of its own. PostgreSQL in WebAssembly runs wherever its
 * PGlite object lives, and on Node's main thread every statement's planning and execution took
 * the thread that also parses requests, runs GraphQL and writes answers: a person profile spent
 * about as long in PGlite as in everything else. In a worker thread PGlite works on the other
 * core while the main thread serves, as a PostgreSQL server would.
 *
 * The main thread keeps everything else: knex, knex-pglite's client and the connection
 * scheduler (src/store/pgliteClient.ts), which still hands the one connection to one holder at a
 * time. What crosses the thread is one statement and its result: knex-pglite asks its
 * connection for `query(sql, params, options)`, `waitReady` and `close()`, and that is the
 * whole surface this connection offers.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/** A statement's result as PGlite gives it, rows already parsed into JS values (in the worker). */
export interface WorkerQueryResult {
  rows: Record<string, unknown>[];
  fields: Array<{ name: string; dataTypeID: number }>;
  affectedRows?: number;
}

type Reply = { id: number; result?: unknown; error?: Record<string, unknown> };

/**
 * The worker's code, a CommonJS script (evaluated, so that it runs the same from src/ under the
 * test runner and from dist/). Type parsers are functions, which cannot cross threads: the
 * worker's PGlite hands bigint and numeric as strings and dates as 'YYYY-MM-DD', as the pg driver
 * does for a server (src/store/db.ts).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
const { pg_trgm } = require(workerData.pgTrgm);
const keep = (v) => v;
const ERROR_FIELDS = ['code', 'severity', 'detail', 'hint', 'position', 'where', 'schema', 'table', 'column', 'dataType', 'constraint', 'routine'];
const plain = (e) => {
  const o = { message: String((e && e.message) || e) };
  for (const k of ERROR_FIELDS) if (e && e[k] !== undefined) o[k] = e[k];
  return o;
};
const ready = PGlite.create({
  ...(workerData.dataDir ? { dataDir: workerData.dataDir } : {}),
  ...(workerData.loadDataDir ? { loadDataDir: workerData.loadDataDir } : {}),
  extensions: { pg_trgm },
  parsers: { 20: keep, 1700: keep, 1082: keep },
});
ready.then(() => parentPort.postMessage({ id: 0, result: true }), (e) => parentPort.postMessage({ id: 0, error: plain(e) }));
parentPort.on('message', async (m) => {
  try {
    const db = await ready;
    if (m.op === 'close') {
      if (!db.closed) await db.close();
      parentPort.postMessage({ id: m.id, result: true });
      return;
    }
    const r = await db.query(m.sql, m.params, m.options);
    parentPort.postMessage({ id: m.id, result: { rows: r.rows, fields: r.fields, affectedRows: r.affectedRows } });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: plain(e) });
  }
});
`;

/** The connection knex-pglite's client is given: PGlite's query surface, answered by the worker. */
export class PgliteWorkerConnection {
  readonly waitReady: Promise<void>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private exited: Error | null = null;
  private closing: Promise<void> | null = null;

  /** `loadDataDir`: a tarball of PGlite's dumpDataDir to start from (a Blob crosses threads by copy). */
  constructor(dataDir: string | null, loadDataDir?: Blob) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { dataDir, loadDataDir, pglite: require.resolve('@electric-sql/pglite'), pgTrgm: require.resolve('@electric-sql/pglite/contrib/pg_trgm') },
    });
    let ready!: { resolve: () => void; reject: (e: Error) => void };
    this.waitReady = new Promise<void>((resolve, reject) => { ready = { resolve, reject }; });
    // The caller awaits waitReady (through openDatabase); a failure there is its error, not an unhandled one.
    this.waitReady.catch(() => {});
    this.pending.set(0, { resolve: () => ready.resolve(), reject: (e) => ready.reject(e) });
    this.worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.error) waiter.reject(databaseError(reply.error));
      else waiter.resolve(reply.result);
      // An idle thread must not keep the process alive (a database left open ends with it, as
      // PGlite on the main thread did); one with a statement under way must.
      if (this.pending.size === 0) this.worker.unref();
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the embedded database's thread exited (code ${code})`)));
  }

  get closed(): boolean {
    return this.closing !== null || this.exited !== null;
  }

  query(sql: string, params?: unknown[], options?: Record<string, unknown>): Promise<WorkerQueryResult> {
    return this.send({ op: 'query', sql, params, options: cloneable(options) }) as Promise<WorkerQueryResult>;
  }

  /** Closes PGlite (its data directory is whole on disk after this), then ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        if (!this.exited) await this.send({ op: 'close' });
      } finally {
        await this.worker.terminate();
      }
    })();
    return this.closing;
  }

  private send(message: Record<string, unknown>): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...message, id });
    });
  }

  private fail(err: Error): void {
    this.exited ??= err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}

/** PGlite's error, rebuilt on this side with PostgreSQL's fields (code, detail, constraint, …). */
function databaseError(fields: Record<string, unknown>): Error {
  const { message, ...rest } = fields;
  return Object.assign(new Error(String(message)), rest);
}

/** knex's query options, without what cannot cross a thread (PGlite takes none of those from us). */
function cloneable(options: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!options) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (typeof v !== 'function') out[k] = v;
  return out;
}
