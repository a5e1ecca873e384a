/**
 * An embedded PGlite served over the PostgreSQL wire protocol (by @electric-sql/pglite-socket),
 * with the faults a real database server shows: it can go down (the listener closes and open
 * connections are cut, then it listens again on the same port), answer late (latencyMs per
 * query), and refuse queries above a rate (SQLSTATE 53300, DETAIL "retry after N s").
 *
 * PGlite has one session, so it serves one connection at a time, and the simulator's own
 * statements (loading, changing rows) are kept out of the client's extended-protocol exchanges.
 * A simulator whose source system is a SQL database uses it: today the court's.
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { FaultState, type Faults } from './faults.js';

/** A statement runner over either database: this embedded one, or a real server. */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[]; count: number }>;
  /** Several statements, no parameters. */
  exec(text: string): Promise<void>;
  close(): Promise<void>;
}

/** FaultState that tells the wire server when `down` flips. */
export class WireFaults extends FaultState {
  onDown: ((down: boolean) => void) | null = null;

  override set(patch: Partial<Faults>): void {
    const was = this.faults.down;
    super.set(patch);
    if (this.faults.down !== was) this.onDown?.(this.faults.down);
  }
}

export interface PgWireServer {
  /** The simulator's own statements, run between the client's exchanges. Usable before listen(). */
  readonly sql: Sql;
  /**
   * Starts listening and returns the postgres:// URL. Later restarts (after `down`) listen on the
   * same port, so the URL stays valid; from now on `faults.down` stops and restarts the listener.
   */
  listen(): Promise<string>;
  /** Resolves once the last `down` switch has taken effect (the listener stopped or listening again). */
  settled(): Promise<void>;
  /** Stops the listener and closes the database. */
  stop(): Promise<void>;
}

/** A fresh in-memory PGlite, not yet listening (load it through `sql` first, then listen()). */
export async function createPgWireServer(options: { port?: number; host?: string; faults: WireFaults }): Promise<PgWireServer> {
  const { faults } = options;
  const state: SocketState = {
    db: await PGlite.create(), server: null, port: options.port ?? 0, host: options.host ?? '127.0.0.1', inSequence: false, running: 0, own: 0, held: [],
    lastMessageAt: 0,
  };
  instrument(state, faults);
  const sql = embeddedSql(state);
  let transition: Promise<void> = Promise.resolve();
  return {
    sql,
    async listen() {
      state.server = await startSocket(state);
      const url = `postgres://postgres@${state.host.includes(':') ? `[${state.host}]` : state.host}:${state.port}/postgres`;
      const reconcile = async () => {
        if (!faults.faults.down && !state.server) state.server = await startSocket(state);
        else if (faults.faults.down && state.server) {
          const s = state.server;
          state.server = null;
          await s.stop();
        }
      };
      faults.onDown = (down) => {
        let stopping: Promise<void> = Promise.resolve();
        if (down && state.server) {
          // stop() closes the listener and cuts open connections synchronously; its promise is the rest.
          const s = state.server;
          state.server = null;
          stopping = s.stop();
        }
        transition = transition.then(() => stopping).then(reconcile).catch(() => undefined);
      };
      if (faults.faults.down) faults.onDown(true);
      return url;
    },
    settled: () => transition,
    async stop() {
      faults.onDown = null;
      await transition;
      if (state.server) {
        const s = state.server;
        state.server = null;
        await s.stop();
      }
      await sql.close();
    },
  };
}

interface SocketState {
  db: PGlite;
  server: PGLiteSocketServer | null;
  port: number;
  host: string;
  /** An extended-protocol exchange (Parse … Sync) of the socket client is under way. */
  inSequence: boolean;
  /** Socket messages waiting for or holding PGlite's lock. */
  running: number;
  /** The simulator's own statements waiting or running. */
  own: number;
  /** Socket messages held back until the simulator's own statements are done. */
  held: Array<() => void>;
  /** When the socket client last sent a message (an exchange left half done by a client that went away goes stale). */
  lastMessageAt: number;
}

async function startSocket(state: SocketState): Promise<PGLiteSocketServer> {
  const server = new PGLiteSocketServer({ db: state.db, port: state.port, host: state.host, maxConnections: 1 });
  await server.start();
  const conn = server.getServerConn();
  state.port = Number(conn.slice(conn.lastIndexOf(':') + 1));
  return server;
}

/** An exchange whose client has sent nothing for this long was abandoned (the client timed out and left). */
const STALE_EXCHANGE_MS = 2000;
const MSG = { query: 0x51, sync: 0x53, parse: 0x50, bind: 0x42, describe: 0x44, execute: 0x45, close: 0x43, flush: 0x48 } as const;
const EXTENDED: ReadonlySet<number> = new Set([MSG.parse, MSG.bind, MSG.describe, MSG.execute, MSG.close, MSG.flush]);

/** A PostgreSQL ErrorResponse message. */
function errorResponse(code: string, message: string, detail: string): Uint8Array {
  const fields = [['S', 'ERROR'], ['V', 'ERROR'], ['C', code], ['M', message], ['D', detail]]
    .map(([t, v]) => Buffer.concat([Buffer.from(t as string, 'ascii'), Buffer.from(v as string, 'utf8'), Buffer.from([0])]));
  const body = Buffer.concat([...fields, Buffer.from([0])]);
  const out = Buffer.alloc(5 + body.length);
  out[0] = 0x45;
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

function readyForQuery(db: PGlite): Uint8Array {
  return Buffer.from([0x5a, 0, 0, 0, 5, db.isInTransaction() ? 0x54 : 0x49]);
}

/**
 * Hooks the socket server's path into PGlite (it runs each wire message through runExclusive and
 * execProtocolRawStream; the simulator's own queries use neither) to apply latency and the rate
 * limit per query, and to keep the simulator's own statements out of the client's
 * extended-protocol exchanges: one landing between a client's Parse and its Sync would replace
 * the client's unnamed statement in PGlite's single session. So while the simulator has
 * statements to run, a socket message that would begin a new exchange waits; one inside an
 * exchange goes on, and the simulator runs once the exchange is over (see embeddedSql).
 */
function instrument(state: SocketState, faults: FaultState): void {
  const { db } = state;
  const runExclusive = db.runExclusive.bind(db);
  db.runExclusive = async <T>(fn: () => Promise<T>): Promise<T> => {
    while (state.own > 0 && !state.inSequence) await new Promise<void>((resolve) => state.held.push(resolve));
    state.running++;
    try {
      return await runExclusive(fn);
    } finally {
      state.running--;
    }
  };
  const raw = db.execProtocolRawStream.bind(db);
  let rejecting = false;
  db.execProtocolRawStream = async (message, opts) => {
    state.lastMessageAt = Date.now();
    // A startup or SSL request begins with its length (high byte 0), not a type byte. A startup
    // means a new session: one connection at a time, so whatever the last client left half done is gone.
    const type = message[0] ?? 0;
    if (type === 0) {
      state.inSequence = false;
      rejecting = false;
      return raw(message, opts);
    }
    const send = (data: Uint8Array) => opts?.onRawData(data);
    const extended = EXTENDED.has(type);
    const wait = type === MSG.query || (extended && !state.inSequence) ? faults.rateLimited() : 0;
    if (wait > 0) {
      send(errorResponse('53300', 'too many requests: the court database takes a limited number of queries per second', `retry after ${wait} s`));
      if (type === MSG.query) {
        send(readyForQuery(db));
        return;
      }
      rejecting = true; // the rest of the exchange is discarded until its Sync, as PostgreSQL does after an error
    }
    if (extended) state.inSequence = true;
    if (rejecting) {
      if (type === MSG.sync) {
        rejecting = false;
        state.inSequence = false;
        send(readyForQuery(db));
      }
      return;
    }
    // A slow database: the answer to each query (its Sync, or a simple Query) comes late.
    const { latencyMs } = faults.faults;
    if (latencyMs > 0 && (type === MSG.sync || type === MSG.query)) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    try {
      await raw(message, opts);
    } finally {
      if (type === MSG.sync || type === MSG.query) state.inSequence = false;
      state.lastMessageAt = Date.now();
    }
  };
}

/** Statements of the simulator itself, run only between the socket client's exchanges (see instrument). */
function embeddedSql(state: SocketState): Sql {
  const { db } = state;
  const between = async <T>(fn: () => Promise<T>): Promise<T> => {
    state.own++;
    try {
      while (state.running > 0 || (state.inSequence && Date.now() - state.lastMessageAt < STALE_EXCHANGE_MS)) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      return await fn();
    } finally {
      state.own--;
      if (state.own === 0) for (const release of state.held.splice(0)) release();
    }
  };
  return {
    async query<T>(text: string, params: unknown[] = []) {
      const r = await between(() => db.query<T>(text, params));
      return { rows: r.rows, count: r.affectedRows ?? 0 };
    },
    exec: async (text: string) => {
      await between(() => db.exec(text));
    },
    close: () => db.close(),
  };
}
